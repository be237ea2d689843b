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
    if args.target:
        return _dance_onto_rig(args)
    from .models.dance.bvh_export import write_bvh
    from .models.dance.pipeline import generate_dance

    result = generate_dance(args.music, fps=args.fps, style=args.style, energy=args.energy, seed=args.seed,
                            in_place=args.in_place, clip_moves=args.clip_moves, engine=args.engine)
    if args.clip:
        result.clip.save(args.clip)
    if args.bvh:
        write_bvh(result.clip, args.bvh)
    _print_notes(result.notes)
    print(f"dance: {result.clip.num_frames} frames at {result.clip.fps:g} fps, {result.tempo:.0f} BPM, "
          f"{len(result.beats)} beats")
    return 0


def _needs_out(args):
    if not args.out:
        raise ValueError(f"--target needs --out OUT.blend: the file to write with the {args.verb} on the rig.")


def _dance_onto_rig(args) -> int:
    _needs_out(args)
    _start_blender()
    from .operators.character_files import dance_in_file

    blend, armature = _blend_and_armature(args.target)
    for path in dance_in_file(blend, args.music, args.out, armature, args.seed, args.style, args.energy,
                              args.in_place, args.clip_moves, args.keys.upper(), args.engine):
        print(f"dance: wrote {path}")
    return 0


def _gesture_language(args):
    """The eSpeak NG code of --language (checked before any work starts), or None."""
    if not args.language:
        return None
    from .models.speech.espeak import check_language

    return check_language(args.language)


def _gesture_onto_rig(args) -> int:
    _needs_out(args)
    language = _gesture_language(args)
    _start_blender()
    from .operators.character_files import talk_in_file

    blend, armature = _blend_and_armature(args.target)
    transcript = open(args.text, encoding="utf-8").read() if args.text else ""
    gesture = {"style": args.style, "amount": args.amount, "handedness": args.hand, "seated": args.seated}
    for path in talk_in_file(blend, args.audio, args.out, transcript, args.seed, keys=args.keys.upper(), face=False,
                             armature=armature, gesture=gesture, language=language):
        print(f"gesture: wrote {path}")
    return 0


def run_beats(args) -> int:
    import json

    from .models.music.beat_markers import beats_document, summary, track_file

    analysis = track_file(args.music)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(beats_document(analysis), out, indent=1)
    _print_notes(analysis.notes)
    print(summary(analysis))
    return 0


def run_gesture(args) -> int:
    if args.target:
        return _gesture_onto_rig(args)
    from .models.dance.bvh_export import write_bvh
    from .models.gesture.pipeline import generate_gestures

    transcript = open(args.text, encoding="utf-8").read() if args.text else None
    language = _gesture_language(args)
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
                             args.resolution, keys=args.keys.upper(), language=settings.language,
                             emotion=settings.emotion, emotion_strength=settings.emotion_strength):
        print(f"talk: wrote {path}")
    return 0


def _blend_and_armature(spec: str):
    """FILE.blend[:ARMATURE] → (path, armature name or None)."""
    path, _, armature = spec.partition(".blend:")
    return (path + ".blend", armature or None) if armature else (spec, None)


def run_retarget(args) -> int:
    from .retarget.root_motion import RootMode
    from .takes.key_poses import KeyStyle

    _start_blender()
    from .retarget.blender_rig import retarget_file_onto_blend

    blend, armature = _blend_and_armature(args.target)
    result = retarget_file_onto_blend(args.source, blend, os.path.abspath(args.out), armature, args.map,
                                      RootMode(args.root), keep_feet=not args.no_feet,
                                      style=KeyStyle(args.keys.upper()), up_axis=args.up, ik_limbs=args.ik.upper())
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
    import atexit

    import bpy

    if bpy.app.version < (4, 4, 0):
        # bpy 4.2 crashes while Python shuts down after it opened a Rigify rig: leave with our own status first.
        atexit.register(_leave_before_blender_teardown)


_EXIT_STATUS = [0]


def _leave_before_blender_teardown():
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_STATUS[0])


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


def run_batch(args) -> int:
    """Many voice lines in one run: exit 0 when every row is done or up to date, 1 when any row failed."""
    from .batch.engines import RayUnavailable
    from .batch.rows import BatchInputError, language_problem, parse_outputs, read_rows
    from .batch.run import REPORT, run_batch as run_rows

    try:
        problem = language_problem(args.language)
        if problem:
            raise BatchInputError(problem)
        if args.character and not os.path.isfile(args.character):
            raise BatchInputError(f"Character file not found: {args.character}. Give an existing .blend.")
        if args.workers < 1:
            raise BatchInputError(f"--workers must be at least 1, got {args.workers}.")
        rows = read_rows(args.input, parse_outputs(args.outputs), args.character and os.path.abspath(args.character),
                         args.language)
        settings = {"fps": args.fps, "seed": args.seed, "resolution": tuple(args.resolution)}
        report = run_rows(rows, args.out, settings, workers=args.workers, use_ray=args.ray is not None,
                          ray_address=None if args.ray in (None, "local") else args.ray,
                          progress=not args.no_progress, source=args.input)
    except (BatchInputError, RayUnavailable) as error:
        print(f"soundmotion batch: {error}", file=sys.stderr)
        return 2
    summary = report["summary"]
    print(f"batch: {summary['done']} done, {summary['skipped']} up to date, {summary['failed']} failed of "
          f"{summary['rows']} rows in {summary['seconds']:.1f} s → {os.path.join(report['out'], REPORT)}")
    for row in report["rows"]:
        if row["status"] == "failed":
            print(f"failed: {row['name']}: {row['error']}")
    return 1 if summary["failed"] else 0


def run_render(args) -> int:
    """A take's frames in chunks (Ray tasks with --ray), joined with its sound by ffmpeg."""
    from .batch.engines import RayUnavailable
    from .batch.render_take import render_take

    try:
        with _blender_log_to_stderr():
            done = render_take(args.take, args.out, use_ray=args.ray is not None,
                               ray_address=None if args.ray in (None, "local") else args.ray, chunk=args.chunk,
                               frames_dir=args.frames, num_cpus=args.workers)
    except RayUnavailable as error:
        print(f"soundmotion render: {error}", file=sys.stderr)
        return 2
    print(f"render: {done['frames']} frames ({done['frame_start']}-{done['frame_end']}) in {done['chunks']} "
          f"chunk(s) on {done['engine']} → {done['out']}")
    return 0


KEY_CHOICES = ("poses", "frames")
KEYS_HELP = "poses (default): keys at the performance's poses, Bezier in between; frames: a key on every frame"


def _onto_rig_arguments(verb):
    verb.add_argument("--target", metavar="FILE.blend[:ARMATURE]", help="key it onto this rig (needs --out)")
    verb.add_argument("--out", help="with --target: the .blend to write")
    verb.add_argument("--keys", default="poses", choices=KEY_CHOICES, help=KEYS_HELP)


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
    dance.add_argument("--engine", default="captured", choices=("captured", "coded"),
                       help="captured: real dance from the bundled library (default); coded: moves written as code")
    dance.add_argument("--clip-moves", type=float, default=0.0, metavar="SHARE",
                       help="coded engine: share of bars (0..1) whose upper body dances captured moves")
    dance.add_argument("--fps", type=float, default=30.0)
    _onto_rig_arguments(dance)
    dance.set_defaults(run=run_dance)

    beats = verbs.add_parser("beats", help="music → beats, downbeats, tempo and meter (JSON)")
    beats.add_argument("music")
    beats.add_argument("--json", metavar="OUT.json", help="write beats and downbeats (s), tempo (BPM), beats_per_bar")
    beats.set_defaults(run=run_beats)

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
    _onto_rig_arguments(gesture)
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
    talk.add_argument("--keys", default="poses", choices=KEY_CHOICES, help=KEYS_HELP)
    talk.set_defaults(run=run_talk)

    retarget = verbs.add_parser("retarget", help="BVH / SMPL-X / clip .npz → an armature in a .blend")
    retarget.add_argument("source", help=".bvh, SMPL/SMPL-X/AMASS .npz or SoundMotion MotionClip .npz")
    retarget.add_argument("--target", required=True, metavar="FILE.blend[:ARMATURE]")
    retarget.add_argument("--map", help="bone map preset name or JSON file (default: stored on the rig, else detected)")
    retarget.add_argument("--root", default="full", choices=["full", "in_place", "keep_height", "none"])
    retarget.add_argument("--no-feet", action="store_true", help="do not pin planted feet")
    retarget.add_argument("--ik", default="legs", choices=["none", "legs", "all"],
                          help="on rigs with IK limbs, key their IK targets and poles too (default: legs)")
    retarget.add_argument("--up", default="auto", choices=["auto", "y", "z"],
                          help="which axis of the source file's world is up (default: read from its content)")
    retarget.add_argument("--out", required=True, help="the .blend to write")
    retarget.add_argument("--keys", default="frames", choices=KEY_CHOICES,
                          help="frames (default: captured motion as captured) or poses (key poses, Bezier between)")
    retarget.set_defaults(run=run_retarget)

    bonemap = verbs.add_parser("bonemap", help="print the detected bone map of an armature as JSON")
    bonemap.add_argument("blend", metavar="FILE.blend[:ARMATURE]")
    bonemap.set_defaults(run=run_bonemap)

    demo = verbs.add_parser("demo", help="animate the bundled character; write OUT/demo.blend and OUT/demo.mp4")
    demo.add_argument("--out", default="out")
    demo.add_argument("--no-render", action="store_true", help="write only the .blend")
    demo.add_argument("--resolution", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"))
    demo.set_defaults(run=run_demo)

    batch = verbs.add_parser("batch", help="many voice lines → cues, CSV, clips, .blend, .mp4, FBX, glTF; resumable")
    batch.add_argument("input", metavar="INPUT", help="a folder of audio files (name.txt = transcript) or a "
                                                     "CSV/JSON manifest")
    batch.add_argument("--out", required=True, metavar="DIR", help="output folder (DIR/<name>.<ext>, report.json)")
    batch.add_argument("--outputs", default="cues,csv,clip",
                       help="comma-separated: cues, csv, clip, blend, mp4, fbx, gltf (default cues,csv,clip)")
    batch.add_argument("--character", metavar="FILE.blend", help="character for blend/mp4/fbx/gltf "
                                                                  "(default: the bundled demo character)")
    batch.add_argument("--language", default="en", metavar="CODE", help="language of the lines (default en)")
    batch.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="local worker processes, or CPUs of a local Ray (default: all cores)")
    batch.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                       help="run rows as Ray tasks: alone starts a local Ray, ADDRESS joins a cluster")
    batch.add_argument("--fps", type=float, default=60.0, help="frame rate of cues/csv/clip (default 60)")
    batch.add_argument("--seed", type=int, default=0)
    batch.add_argument("--resolution", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"),
                       help="movie size for mp4 outputs")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.set_defaults(run=run_batch)

    render = verbs.add_parser("render", help="render a take's frames in chunks (Ray with --ray), join with its sound")
    render.add_argument("take", metavar="TAKE.blend")
    render.add_argument("--out", required=True, metavar="OUT.mp4")
    render.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="render chunks as Ray tasks: alone starts a local Ray, ADDRESS joins a cluster")
    render.add_argument("--chunk", type=int, default=24, metavar="FRAMES", help="frames per Ray task (default 24)")
    render.add_argument("--frames", metavar="DIR", help="also keep the rendered frames as PNG files in DIR")
    render.add_argument("--workers", type=int, default=None, metavar="N", help="CPUs of a local Ray (default: all)")
    render.set_defaults(run=run_render)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from .clips.errors import ClipError
    from .models.audio.load import AudioError

    _EXIT_STATUS[0] = 1  # a crash before the verb returns is a failure, also when bpy 4.2 exits early
    try:
        _EXIT_STATUS[0] = args.run(args)
    except (AudioError, ClipError, ValueError, OSError) as error:
        print(f"soundmotion {args.verb}: {error}", file=sys.stderr)
        _EXIT_STATUS[0] = 2
    return _EXIT_STATUS[0]


if __name__ == "__main__":
    sys.exit(main())
