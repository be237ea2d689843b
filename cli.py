"""`soundmotion <verb>`: the command-line face of SoundMotion (a public, documented contract; see README).

Verbs that only compute (face, dance, gesture) run without Blender; the others register the add-on, whose
operators load `bpy`, and call batch jobs in operators/.
"""

import argparse
import contextlib
import os
import sys


def _print_notes(notes):
    for note in notes:
        print(f"note: {note}")


def _channel_values(pairs, option: str) -> dict:
    """["mouthSmileLeft=1.2", …] → {"mouthSmileLeft": 1.2}."""
    values = {}
    for pair in pairs or []:
        name, _, value = pair.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{option} takes CHANNEL=NUMBER (an ARKit channel name), got {pair!r}.") from None
    return values


def _emotion_curve(path):
    """Two numbers per line (seconds, strength 0..1), separated by commas, tabs or spaces; '#' starts a comment."""
    if not path:
        return None
    points = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split("#")[0].replace(",", " ").split()
            if not fields:
                continue
            try:
                points.append((float(fields[0]), float(fields[1])))
            except (ValueError, IndexError):
                raise ValueError(f"{path}, line {number}: an emotion curve line is 'SECONDS STRENGTH'.") from None
    if not points:
        raise ValueError(f"{path} has no 'SECONDS STRENGTH' lines.")
    return points


def face_settings_from(args):
    """FaceSettings from the options `face` and `talk` share (language, emotion, channel gains and offsets)."""
    from .models.face.pipeline import FaceSettings

    emotion = args.emotion or "neutral"
    strength = args.emotion_strength if args.emotion_strength is not None else (0.0 if emotion == "neutral" else 0.7)
    return FaceSettings(articulation=getattr(args, "articulation", 1.0),
                        expressiveness=getattr(args, "expressiveness", 0.5), seed=args.seed, language=args.language,
                        emotion=emotion, emotion_strength=strength,
                        emotion_curve=_emotion_curve(getattr(args, "emotion_curve", None)),
                        channel_gains=_channel_values(getattr(args, "channel_gain", None), "--channel-gain"),
                        channel_offsets=_channel_values(getattr(args, "channel_offset", None), "--channel-offset"))


def run_face(args) -> int:
    from .models.face.exports import write_live_link_csv, write_mouth_cues
    from .models.face.pipeline import generate_face

    transcript = open(args.text, encoding="utf-8").read() if args.text else None
    settings = face_settings_from(args)
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


def run_dance(args) -> int:
    from .models.dance.bvh_export import write_bvh
    from .models.dance.pipeline import generate_dance

    result = generate_dance(args.music, fps=args.fps, style=args.style, energy=args.energy, seed=args.seed,
                            in_place=args.in_place, clip_moves=args.clip_moves)
    if args.clip:
        result.clip.save(args.clip)
    if args.bvh:
        write_bvh(result.clip, args.bvh)
    _print_notes(result.notes)
    print(f"dance: {result.clip.num_frames} frames at {result.clip.fps:g} fps, {result.tempo:.0f} BPM, "
          f"{len(result.beats)} beats")
    return 0


def run_gesture(args) -> int:
    from .models.dance.bvh_export import write_bvh
    from .models.gesture.pipeline import generate_gestures

    transcript = open(args.text, encoding="utf-8").read() if args.text else None
    language = None
    if args.language:
        from .models.speech.espeak import check_language

        language = check_language(args.language)
    result = generate_gestures(args.audio, transcript, fps=args.fps, style=args.style, amount=args.amount,
                               handedness=args.hand, seated=args.seated, seed=args.seed, language=language)
    if args.clip:
        result.clip.save(args.clip)
    if args.bvh:
        write_bvh(result.clip, args.bvh)
    _print_notes(result.notes)
    print(f"gesture: {result.clip.num_frames} frames at {result.clip.fps:g} fps, {len(result.strokes)} strokes")
    return 0


def run_talk(args) -> int:
    _start_blender()
    from .operators.character_files import talk_in_file

    transcript = open(args.text, encoding="utf-8").read() if args.text else ""
    settings = face_settings_from(args)
    settings.validate()  # bad options are refused before Blender opens the file
    for path in talk_in_file(args.character, args.audio, args.out, transcript, args.seed, args.render,
                             args.resolution, language=settings.language, emotion=settings.emotion,
                             emotion_strength=settings.emotion_strength):
        print(f"talk: wrote {path}")
    return 0


def _blend_and_armature(spec: str):
    """FILE.blend[:ARMATURE] → (path, armature name or None)."""
    path, _, armature = spec.partition(".blend:")
    return (path + ".blend", armature or None) if armature else (spec, None)


def run_retarget(args) -> int:
    from .retarget.root_motion import RootMode

    _start_blender()
    from .retarget.blender_rig import retarget_file_onto_blend

    blend, armature = _blend_and_armature(args.target)
    result = retarget_file_onto_blend(args.source, blend, os.path.abspath(args.out), armature, args.map,
                                      RootMode(args.root), keep_feet=not args.no_feet)
    print(f"retarget: {result.num_frames} frames onto {len(result.mapped_joints)} joints → {args.out}")
    if result.unmapped_joints:
        print(f"note: not in the source: {', '.join(result.unmapped_joints)}")
    return 0


@contextlib.contextmanager
def _blender_log_to_stderr():
    """Blender's C code logs to stdout; keep stdout for this command's own output (e.g. JSON to pipe)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_bonemap(args) -> int:
    with _blender_log_to_stderr():
        _start_blender()
        from .retarget.blender_rig import bone_map_of_blend

        blend, armature = _blend_and_armature(args.blend)
        bone_map = bone_map_of_blend(blend, armature)
    print(bone_map.to_json())
    return 0


def _start_blender():
    from . import register  # imports the operators, and with them the `bpy` module

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


LANGUAGE_HELP = ("the transcript's language as an eSpeak NG code (es, de, fr, pt, ru, hi, yue, ...); default English. "
                 "Without a transcript lip sync needs no language")
EMOTIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted")


def _speech_options(parser):
    parser.add_argument("--language", metavar="CODE", help=LANGUAGE_HELP)
    parser.add_argument("--emotion", choices=EMOTIONS, help="the take's emotion (default neutral)")
    parser.add_argument("--emotion-strength", type=float, metavar="S", help="0..1 (default 0.7 with --emotion)")


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
    _speech_options(face)
    face.add_argument("--emotion-curve", metavar="FILE",
                      help="strength over time: lines 'SECONDS STRENGTH' (0..1), times --emotion-strength")
    face.add_argument("--channel-gain", action="append", metavar="CHANNEL=GAIN",
                      help="multiply an ARKit channel (repeatable), e.g. mouthSmileLeft=1.2")
    face.add_argument("--channel-offset", action="append", metavar="CHANNEL=OFFSET",
                      help="add to an ARKit channel (repeatable), e.g. browInnerUp=0.1")
    face.set_defaults(run=run_face)

    dance = verbs.add_parser("dance", help="music → dance MotionClip (.npz) and/or BVH")
    dance.add_argument("music")
    dance.add_argument("--clip", help="write the MotionClip (.npz)")
    dance.add_argument("--bvh", help="write the dance as BVH")
    dance.add_argument("--seed", type=int, default=0)
    dance.add_argument("--style", default="groove", help="groove, hiphop, disco or calm")
    dance.add_argument("--energy", type=float, default=1.0)
    dance.add_argument("--in-place", action="store_true")
    dance.add_argument("--clip-moves", type=float, default=0.0, metavar="SHARE",
                       help="share of bars (0..1) danced with moves cut from motion capture")
    dance.add_argument("--fps", type=float, default=30.0)
    dance.set_defaults(run=run_dance)

    gesture = verbs.add_parser("gesture", help="speech → co-speech gesture MotionClip (.npz) and/or BVH")
    gesture.add_argument("audio")
    gesture.add_argument("--text", help="transcript file (default: a .txt beside the audio, if any)")
    gesture.add_argument("--clip", help="write the MotionClip (.npz)")
    gesture.add_argument("--bvh", help="write the gestures as BVH")
    gesture.add_argument("--seed", type=int, default=0)
    gesture.add_argument("--style", default="presenter", help="presenter, storyteller or lecturer")
    gesture.add_argument("--amount", type=float, default=1.0)
    gesture.add_argument("--hand", default="right", help="right, left or both")
    gesture.add_argument("--seated", action="store_true")
    gesture.add_argument("--language", metavar="CODE", help=LANGUAGE_HELP)
    gesture.add_argument("--fps", type=float, default=30.0)
    gesture.set_defaults(run=run_gesture)

    talk = verbs.add_parser("talk", help="face + gestures on the character in a .blend")
    talk.add_argument("character", metavar="CHARACTER.blend")
    talk.add_argument("audio")
    talk.add_argument("--text", help="transcript file (default: a .txt beside the audio, if any)")
    talk.add_argument("--seed", type=int, default=0)
    talk.add_argument("--out", required=True, help="the .blend to write")
    talk.add_argument("--render", metavar="OUT.mp4", help="also render a movie with the sound")
    talk.add_argument("--resolution", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"))
    _speech_options(talk)
    talk.set_defaults(run=run_talk)

    retarget = verbs.add_parser("retarget", help="BVH / SMPL-X / clip .npz → an armature in a .blend")
    retarget.add_argument("source", help=".bvh, SMPL/SMPL-X/AMASS .npz or SoundMotion MotionClip .npz")
    retarget.add_argument("--target", required=True, metavar="FILE.blend[:ARMATURE]")
    retarget.add_argument("--map", help="bone map preset name or JSON file (default: stored on the rig, else detected)")
    retarget.add_argument("--root", default="full", choices=["full", "in_place", "keep_height", "none"])
    retarget.add_argument("--no-feet", action="store_true", help="do not pin planted feet")
    retarget.add_argument("--out", required=True, help="the .blend to write")
    retarget.set_defaults(run=run_retarget)

    bonemap = verbs.add_parser("bonemap", help="print the detected bone map of an armature as JSON")
    bonemap.add_argument("blend", metavar="FILE.blend[:ARMATURE]")
    bonemap.set_defaults(run=run_bonemap)

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
