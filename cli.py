"""`soundmotion <verb>`: the command-line face of SoundMotion (a public, documented contract; see README).

Verbs that only compute (face) run without Blender; verbs that build scenes import bpy lazily.
"""

import argparse
import os
import sys


def _print_notes(notes):
    for note in notes:
        print(f"note: {note}")


def run_face(args) -> int:
    from .models.face.exports import write_live_link_csv, write_mouth_cues
    from .models.face.pipeline import FaceSettings, generate_face

    transcript = open(args.text, encoding="utf-8").read() if args.text else None
    settings = FaceSettings(articulation=args.articulation, expressiveness=args.expressiveness, seed=args.seed)
    result = generate_face(args.audio, transcript=transcript, fps=args.fps, settings=settings)
    duration = result.clip.duration
    if args.cues:
        write_mouth_cues(args.cues, result.mouth_cues, duration, sound_file=os.path.abspath(args.audio))
    if args.csv:
        write_live_link_csv(args.csv, result.clip)
    if args.clip:
        result.clip.save(args.clip)
    _print_notes(result.notes)
    print(f"face: {result.clip.num_frames} frames at {result.clip.fps:g} fps, {len(result.mouth_cues)} mouth cues "
          f"(phones from {result.phone_source})")
    return 0


def _start_blender():
    import bpy  # noqa: F401  (the PyPI bpy module, or Blender's own Python)

    from . import register

    register()


def run_demo(args) -> int:
    from .operators import demo_scene
    from .operators.render_video import configure_video_output, render_video

    _start_blender()
    scene = demo_scene.build_demo()
    video = os.path.join(args.out, "demo.mp4")
    # Saved with its output settings, so Render Animation in the .blend makes the same movie.
    configure_video_output(scene, video, resolution=tuple(args.resolution))
    blend = os.path.join(args.out, "demo.blend")
    demo_scene.save_blend(blend)
    print(f"demo: wrote {blend}")
    if not args.no_render:
        render_video(scene)
        print(f"demo: wrote {video} ({scene.frame_end - scene.frame_start + 1} frames)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soundmotion", description="Turn sound into animation.")
    verbs = parser.add_subparsers(dest="verb", required=True)

    face = verbs.add_parser("face", help="speech audio → ARKit-52 face clip, mouth cues, Live Link CSV")
    face.add_argument("audio")
    face.add_argument("--text", help="transcript file (default: a .txt beside the audio, if any)")
    face.add_argument("--cues", help="write Rhubarb mouth cues (.tsv, .json or .xml)")
    face.add_argument("--csv", help="write a Live Link Face CSV")
    face.add_argument("--clip", help="write the FaceClip (.npz)")
    face.add_argument("--fps", type=float, default=60.0)
    face.add_argument("--seed", type=int, default=0)
    face.add_argument("--articulation", type=float, default=1.0)
    face.add_argument("--expressiveness", type=float, default=0.5)
    face.set_defaults(run=run_face)

    demo = verbs.add_parser("demo", help="animate the bundled character; write OUT/demo.blend and OUT/demo.mp4")
    demo.add_argument("--out", default="out")
    demo.add_argument("--no-render", action="store_true", help="write only the .blend")
    demo.add_argument("--resolution", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"))
    demo.set_defaults(run=run_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from .clips.errors import ClipError
    from .models.audio.load import AudioError

    try:
        return args.run(args)
    except (AudioError, ClipError, ValueError, OSError) as error:
        print(f"soundmotion {args.verb}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
