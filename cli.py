"""`soundmotion <verb>`: the command-line face of SoundMotion (a public, documented contract; see README).

Verbs that only compute (face, dance, gesture) run without Blender; the others register the add-on, whose
operators load `bpy`, and call batch jobs in operators/.

Bad input (errors.py): each verb checks its options and every output path before any work, writes its files
through `OutputFiles` (temporary files moved into place at the end), and raises `SoundMotionError` for anything
the user can fix; `main` prints that as one line and exits 2. Anything else is a bug: one line naming its type,
exit 1 (SOUNDMOTION_DEBUG=1 adds the traceback). Ctrl+C exits 130 with nothing written.
"""

import argparse
import contextlib
import os
import sys

from .errors import (OutputFiles, SoundMotionError, check_fps, check_range, check_resolution, check_seed,
                     one_line, os_error_sentence, read_text_file, require_blend_file, require_input_file,
                     split_blend_spec)


def _print_notes(notes):
    for note in notes:
        print(f"note: {note}")


def _transcript(args, notes=None):
    """The words of --text, "" when there are none (`notes` says the file is empty); None without --text (the
    pipeline, or onto a rig Blender's operators, read the transcript beside the audio)."""
    if not getattr(args, "text", None):
        return None
    from .models.speech.transcripts import transcript_text

    text = transcript_text(read_text_file(args.text, "--text"))
    if not text and notes is not None:
        used = "the lip sync used" if args.verb == "face" else "the gestures used"
        notes.append(f"The transcript {args.text} is empty, so {used} the audio alone.")
    return text


_INPUT_ROLES = (("audio", "audio"), ("music", "music"), ("text", "transcript (--text)"),
                ("emotion_curve", "emotion curve (--emotion-curve)"), ("character", "character .blend"),
                ("source", "motion file"), ("take", "take .blend"))


def _with_inputs(outputs: OutputFiles, args) -> OutputFiles:
    """`outputs`, told every file this verb reads, so that no output may overwrite one of them: the audio, the
    transcript (--text, else the one beside the audio that the speech verbs read), the emotion curve, the rig of
    --target, a --map file, the source motion, the character or take .blend."""
    for attribute, role in _INPUT_ROLES:
        outputs.add_input(getattr(args, attribute, None), role)
    if getattr(args, "target", None):
        outputs.add_input(split_blend_spec(args.target)[0], "rig (--target)")
    if getattr(args, "map", None) and os.path.isfile(args.map):
        outputs.add_input(args.map, "bone map (--map)")
    if getattr(args, "audio", None) and not getattr(args, "text", None):
        from .models.speech.transcripts import transcript_path_beside

        outputs.add_input(transcript_path_beside(args.audio), "transcript beside the audio")
    return outputs


def _no_output(verb: str, outputs: str):
    return SoundMotionError(f"No output given: add {outputs} to say what {verb} should write.")


def _decoded_audio(args, sample_rate: int = 16000):
    """The audio, decoded once (silent, empty or unreadable files are refused here, as the operators do)."""
    from .models.audio.load import load_audio

    return load_audio(args.audio if hasattr(args, "audio") else args.music, sample_rate)


def _channel_values(pairs, option: str) -> dict:
    """["mouthSmileLeft=1.2", …] → {"mouthSmileLeft": 1.2}."""
    values = {}
    for pair in pairs or []:
        name, _, value = pair.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            raise SoundMotionError(f"{option} takes CHANNEL=NUMBER (an ARKit channel name), got {pair!r}.") from None
    return values


def _emotion_curve(path):
    """Two numbers per line (seconds, strength 0..1), separated by commas, tabs or spaces; '#' starts a comment."""
    if not path:
        return None
    points = []
    for number, line in enumerate(read_text_file(path, "--emotion-curve").splitlines(), 1):
        fields = line.split("#")[0].replace(",", " ").split()
        if not fields:
            continue
        try:
            points.append((float(fields[0]), float(fields[1])))
        except (ValueError, IndexError):
            raise SoundMotionError(f"--emotion-curve: {path}, line {number}: an emotion curve line is "
                                   "'SECONDS STRENGTH'.") from None
    if not points:
        raise SoundMotionError(f"--emotion-curve: {path} has no 'SECONDS STRENGTH' lines.")
    return points


def face_settings_from(args):
    """FaceSettings from the options `face` and `talk` share (language, emotion, channel gains and offsets)."""
    from .models.face.pipeline import FaceSettings

    emotion = args.emotion or "neutral"
    curve = _emotion_curve(getattr(args, "emotion_curve", None))
    given = [option for option, value in (("--emotion-strength", args.emotion_strength), ("--emotion-curve", curve))
             if value]
    if given and emotion == "neutral":
        raise SoundMotionError(f"{' and '.join(given)} set how strong an emotion is: add --emotion NAME (one of "
                               f"{', '.join(e for e in EMOTIONS if e != 'neutral')}).")
    strength = args.emotion_strength if args.emotion_strength is not None else (0.0 if emotion == "neutral" else 0.7)
    return FaceSettings(articulation=getattr(args, "articulation", 1.0),
                        expressiveness=getattr(args, "expressiveness", 0.5), seed=args.seed, language=args.language,
                        emotion=emotion, emotion_strength=strength,
                        word_recogniser=not getattr(args, "no_word_recogniser", False),
                        emotion_curve=curve,
                        channel_gains=_channel_values(getattr(args, "channel_gain", None), "--channel-gain"),
                        channel_offsets=_channel_values(getattr(args, "channel_offset", None), "--channel-offset"))


def run_face(args) -> int:
    from .models.face.exports import write_live_link_csv, write_mouth_cues
    from .models.face.pipeline import NO_TRANSCRIPT_NOTE, generate_face

    check_seed("--seed", args.seed)
    outputs = _with_inputs(OutputFiles(), args)
    cues = outputs.add(args.cues, "--cues", (".tsv", ".txt", ".json", ".xml"))
    csv = outputs.add(args.csv, "--csv")
    clip = outputs.add(args.clip, "--clip", (".npz",))
    notes = []
    transcript = _transcript(args, notes)
    settings = face_settings_from(args)
    settings.validate()
    fps = check_fps("--fps", args.fps)
    audio = _decoded_audio(args)
    if not (cues or csv or clip):
        raise _no_output("face", "--cues OUT.tsv, --csv OUT.csv or --clip OUT.npz")
    result = generate_face(audio, transcript=transcript, fps=fps, settings=settings)
    duration = audio.duration  # Rhubarb's is the recording's (the clip's whole frames ran 0.36 s past it at 1 fps)
    with outputs.writing():
        if cues:
            write_mouth_cues(outputs.temporary(cues), result.mouth_cues, duration,
                             sound_file=os.path.abspath(args.audio))
        if csv:
            write_live_link_csv(outputs.temporary(csv), result.clip)
        if clip:
            result.clip.save(outputs.temporary(clip))
    if notes:  # the empty --text file's note says why there were no words
        result.notes = [note for note in result.notes if note != NO_TRANSCRIPT_NOTE]
    _print_notes(notes + result.notes)
    print(f"face: {result.clip.num_frames} frames at {result.clip.fps:g} fps, {len(result.mouth_cues)} mouth cues "
          f"(phones from {result.phone_source})")
    return 0


CLIP_OUTPUTS = "--clip OUT.npz, --bvh OUT.bvh, or --target FILE.blend with --out OUT.blend"


def _clip_outputs(args) -> tuple:
    """(OutputFiles, clip path, bvh path) of dance and gesture; with --target, the .blend is the output."""
    outputs = _with_inputs(OutputFiles(), args)
    if args.target:
        if args.clip or args.bvh:
            raise SoundMotionError(f"--clip and --bvh cannot be combined with --target; run `soundmotion "
                                   f"{args.verb}` once for the files and once with --target.")
        return outputs, None, None
    return outputs, outputs.add(args.clip, "--clip", (".npz",)), outputs.add(args.bvh, "--bvh", (".bvh",))


def _write_clip_files(outputs, clip_path, bvh_path, clip):
    from .models.dance.bvh_export import write_bvh

    with outputs.writing():
        if clip_path:
            clip.save(outputs.temporary(clip_path))
        if bvh_path:
            write_bvh(clip, outputs.temporary(bvh_path))


DANCE_ENERGY = (0.0, 2.0)


def run_dance(args) -> int:
    check_seed("--seed", args.seed)
    check_range("--energy", args.energy, *DANCE_ENERGY)
    check_range("--clip-moves", args.clip_moves, 0.0, 1.0)
    check_fps("--fps", args.fps)
    outputs, clip_path, bvh_path = _clip_outputs(args)
    if args.target:
        return _dance_onto_rig(args)
    from .models.dance.pipeline import check_settings, generate_dance
    from .models.music.spectrum import SAMPLE_RATE

    check_settings(args.fps, args.style, args.energy, args.clip_moves, args.engine, args.meter)
    audio = _decoded_audio(args, SAMPLE_RATE)
    if not (clip_path or bvh_path):
        raise _no_output("dance", CLIP_OUTPUTS)
    result = generate_dance(audio, fps=args.fps, style=args.style, energy=args.energy,
                            seed=args.seed, in_place=args.in_place, clip_moves=args.clip_moves, engine=args.engine,
                            meter=args.meter)
    _write_clip_files(outputs, clip_path, bvh_path, result.clip)
    _print_notes(result.notes)
    print(f"dance: {result.clip.num_frames} frames at {result.clip.fps:g} fps, {result.tempo:.0f} BPM, "
          f"{len(result.beats)} beats")
    return 0


def _blend_output(args) -> tuple:
    """(OutputFiles, the checked --out .blend) of a verb that writes a .blend."""
    if not args.out:
        raise SoundMotionError(f"--target needs --out OUT.blend: the file to write with the {args.verb} on the rig.")
    outputs = _with_inputs(OutputFiles(), args)
    return outputs, outputs.add(args.out, "--out", (".blend",))


def _dance_onto_rig(args) -> int:
    if args.meter != "auto":
        raise SoundMotionError("--meter applies to the clip and BVH output for now; drop --target, or drop --meter "
                               "to dance on the rig with the meter the beat tracker hears.")
    outputs, out = _blend_output(args)
    blend, armature = _blend_and_armature(args.target, "--target")
    require_input_file(args.music, "MUSIC", "an audio file")
    notes = []  # the operator's, which Blender prints only among its log on stderr
    with _blender_log_to_stderr():
        _start_blender()
        from .operators.character_files import dance_in_file

        with outputs.writing():
            dance_in_file(blend, args.music, outputs.temporary(out), armature, args.seed, args.style, args.energy,
                          args.in_place, args.clip_moves, args.keys.upper(), args.engine, notes=notes)
    _print_notes(notes)
    print(f"dance: wrote {out}")
    return 0


def _gesture_language(args):
    """The eSpeak NG code of --language (checked before any work starts), or None."""
    if not args.language:
        return None
    from .models.speech.espeak import check_language

    return check_language(args.language)


def _gesture_onto_rig(args) -> int:
    outputs, out = _blend_output(args)
    blend, armature = _blend_and_armature(args.target, "--target")
    require_input_file(args.audio, "AUDIO", "an audio file")
    transcript = _transcript(args) or ""
    language = _gesture_language(args)
    gesture = {"style": args.style, "amount": args.amount, "handedness": args.hand, "seated": args.seated}
    notes = []
    with _blender_log_to_stderr():
        _start_blender()
        from .operators.character_files import talk_in_file

        with outputs.writing():
            talk_in_file(blend, args.audio, outputs.temporary(out), transcript, args.seed, keys=args.keys.upper(),
                         face=False, armature=armature, gesture=gesture, language=language, notes=notes)
    _print_notes(notes)
    print(f"gesture: wrote {out}")
    return 0


def run_beats(args) -> int:
    import json

    from .models.music.beat_markers import beats_document, summary, track_file

    outputs = _with_inputs(OutputFiles(), args)
    document = outputs.add(args.json, "--json", (".json",))
    analysis = track_file(args.music, args.meter)
    if document:
        with outputs.writing():
            with open(outputs.temporary(document), "w", encoding="utf-8") as out:
                json.dump(beats_document(analysis), out, indent=1)
    _print_notes(analysis.notes)
    print(summary(analysis))
    return 0


GESTURE_AMOUNT = (0.0, 2.0)


def run_gesture(args) -> int:
    from .models.gesture.styles import check_settings

    check_seed("--seed", args.seed)
    check_range("--amount", args.amount, *GESTURE_AMOUNT)
    check_settings(args.style, args.amount, args.hand, check_fps("--fps", args.fps))
    outputs, clip_path, bvh_path = _clip_outputs(args)
    if args.target:
        return _gesture_onto_rig(args)
    from .models.gesture.pipeline import generate_gestures

    notes = []
    transcript = _transcript(args, notes)
    language = _gesture_language(args)
    audio = _decoded_audio(args)
    if not (clip_path or bvh_path):
        raise _no_output("gesture", CLIP_OUTPUTS)
    result = generate_gestures(audio, transcript, fps=args.fps, style=args.style, amount=args.amount,
                               handedness=args.hand, seated=args.seated, seed=args.seed, language=language)
    _write_clip_files(outputs, clip_path, bvh_path, result.clip)
    _print_notes(notes + result.notes)
    print(f"gesture: {result.clip.num_frames} frames at {result.clip.fps:g} fps, {len(result.strokes)} strokes")
    return 0


def run_talk(args) -> int:
    character = require_blend_file(args.character, "CHARACTER.blend")
    require_input_file(args.audio, "AUDIO", "an audio file")
    check_seed("--seed", args.seed)
    resolution = check_resolution("--resolution", args.resolution)
    outputs = _with_inputs(OutputFiles(), args)
    out = outputs.add(args.out, "--out", (".blend",))
    movie = outputs.add(args.render, "--render", (".mp4",))
    transcript = _transcript(args) or ""
    settings = face_settings_from(args)
    settings.validate()  # bad options are refused before Blender opens the file
    notes = []
    with _blender_log_to_stderr():
        _start_blender()
        from .operators.character_files import talk_in_file

        with outputs.writing():
            talk_in_file(character, args.audio, out, transcript, args.seed, movie, resolution,
                         keys=args.keys.upper(), outputs=outputs, language=settings.language, emotion=settings.emotion,
                         emotion_strength=settings.emotion_strength, word_recogniser=settings.word_recogniser,
                         notes=notes)
    _print_notes(notes)
    for path in (out, movie):
        if path:
            print(f"talk: wrote {path}")
    return 0


def _blend_and_armature(spec: str, option: str = "FILE.blend"):
    """FILE.blend[:ARMATURE] → (checked path, armature name or None); "FILE.blend:" names no armature."""
    path, armature = split_blend_spec(spec)
    return require_blend_file(path, option), armature or None


def _bone_map_option(spec):
    """--map: a preset name, or a JSON file (checked here, before Blender starts)."""
    from .retarget.bone_map import preset_names

    if spec is None or spec in preset_names():
        return spec
    if spec.lower().endswith(".json") or os.sep in spec or os.path.exists(spec):
        require_input_file(spec, "--map", "a bone map .json")
        return spec
    raise SoundMotionError(f"--map {spec}: not a preset ({', '.join(preset_names())}) nor a .json file.")


def run_retarget(args) -> int:
    from .retarget.motion_file import load_motion_file
    from .retarget.root_motion import RootMode
    from .takes.key_poses import KeyStyle

    require_input_file(args.source, "SOURCE", "a .bvh or .npz motion file")
    # A broken motion file is refused here, before Blender opens the rig. A file that names no frame rate is
    # read at the target scene's (nothing else could tell it); 30 fps stands in for it in this check.
    checked = load_motion_file(args.source, up_axis=args.up, default_fps=30.0)
    blend, armature = _blend_and_armature(args.target, "--target")
    map_spec = _bone_map_option(args.map)
    outputs = _with_inputs(OutputFiles(), args)
    out = outputs.add(args.out, "--out", (".blend",))
    with _blender_log_to_stderr():
        _start_blender()
        from .retarget.blender_rig import retarget_file_onto_blend

        with outputs.writing():
            result = retarget_file_onto_blend(args.source, blend, outputs.temporary(out), armature, map_spec,
                                              RootMode(args.root), keep_feet=not args.no_feet,
                                              style=KeyStyle(args.keys.upper()), up_axis=args.up,
                                              ik_limbs=args.ik.upper())
    print(f"retarget: {result.num_frames} frames onto {len(result.mapped_joints)} joints → {args.out}")
    if result.unmapped_joints:
        print(f"note: not in the source: {', '.join(result.unmapped_joints)}")
    if not checked.rate_named:
        print(f"note: {os.path.basename(args.source)} names no frame rate: read at the target scene's "
              f"{result.fps:g} fps")
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
    blend, armature = _blend_and_armature(args.blend)
    with _blender_log_to_stderr():
        _start_blender()
        from .retarget.blender_rig import bone_map_of_blend

        bone_map = bone_map_of_blend(blend, armature)
    print(bone_map.to_json())
    return 0


def _start_blender():
    """Register the add-on, once per process (main may run several verbs in one process, e.g. in tests)."""
    from .operators.character_files import crashes_at_teardown, register_once

    if register_once() and crashes_at_teardown():
        import atexit

        atexit.register(_leave_before_blender_teardown)  # leave with our own status before Blender's teardown


_EXIT_STATUS = [0]


def _leave_before_blender_teardown():
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_STATUS[0])


def run_demo(args) -> int:
    resolution = check_resolution("--resolution", args.resolution)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise SoundMotionError(f"--out {args.out} is a file; give a folder for demo.blend and demo.mp4.")
    outputs = OutputFiles()
    blend = outputs.add(os.path.join(args.out, "demo.blend"), "--out")
    video = outputs.add(os.path.join(args.out, "demo.mp4"), "--out")
    with _blender_log_to_stderr():
        _start_blender()
        from .operators import demo_scene
        from .operators.render_video import configure_video_output, render_video

        with outputs.writing():
            scene = demo_scene.build_demo()
            # Saved with its output settings, so Render Animation in the .blend makes the same movie.
            configure_video_output(scene, video, resolution=resolution)
            demo_scene.save_blend(outputs.temporary(blend))
            if not args.no_render:
                render_video(scene, outputs.temporary(video))
    print(f"demo: wrote {blend}")
    if not args.no_render:
        print(f"demo: wrote {video} ({scene.frame_end - scene.frame_start + 1} frames)")
    return 0


METERS = ("auto", "4/4", "3/4", "6/8", "5/4", "7/8")  # models.music.meter.METERS (cli imports no models)
TEXT_HELP = "transcript file, or subtitles .srt/.vtt (default: a .txt, .lab, .srt or .vtt beside the audio, if any)"
LANGUAGE_HELP = ("the transcript's language as an eSpeak NG code (es, de, fr, pt, ru, hi, yue, ...); default (auto): "
                 "English. Without a transcript lip sync needs no language")


def _language_code(code: str):
    """--language: the code as given (checked before any work), or None (Auto) for 'auto' or nothing."""
    code = code.strip()
    return None if code.lower() in ("", "auto") else code


EMOTIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted")


def _speech_options(parser):
    parser.add_argument("--language", metavar="CODE", type=_language_code, help=LANGUAGE_HELP)
    parser.add_argument("--emotion", choices=EMOTIONS, help="the take's emotion (default neutral)")
    parser.add_argument("--emotion-strength", type=float, metavar="S", help="0..1 (default 0.7 with --emotion)")
    parser.add_argument("--no-word-recogniser", action="store_true",
                        help="without a transcript (English or Auto), skip pocketsphinx's word recogniser: about 2.5x "
                             "faster, fewer lip closures on real voices")


def run_batch(args) -> int:
    """Many voice lines in one run: exit 0 when every row is done or up to date, 1 when any row failed."""
    from .batch.engines import RayUnavailable
    from .batch.rows import BatchInputError, language_problem, parse_outputs, read_rows, split_character
    from .batch.run import REPORT, run_batch as run_rows

    check_fps("--fps", args.fps)
    check_seed("--seed", args.seed)
    check_resolution("--resolution", args.resolution)
    try:
        problem = language_problem(args.language)
        if problem:
            raise BatchInputError(problem)
        character_file, armature = split_character(args.character) if args.character else (None, "")
        if character_file and not os.path.isfile(character_file):
            raise BatchInputError(f"Character file not found: {character_file}. Give an existing .blend.")
        character = os.path.abspath(character_file) + (f":{armature}" if armature else "") if character_file else None
        if args.workers < 1:
            raise BatchInputError(f"--workers must be at least 1, got {args.workers}.")
        rows = read_rows(args.input, parse_outputs(args.outputs), character,
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

    check_range("--chunk", args.chunk, 1, None, integer=True)
    if args.workers is not None:
        check_range("--workers", args.workers, 1, None, integer=True)
    take = require_blend_file(args.take, "TAKE.blend")
    if args.frames and os.path.exists(args.frames) and not os.path.isdir(args.frames):
        raise SoundMotionError(f"--frames {args.frames} is a file; give a folder for the PNG frames.")
    outputs = _with_inputs(OutputFiles(), args)
    out = outputs.add(args.out, "--out", (".mp4",))
    frames = os.path.abspath(args.frames) if args.frames else None
    if frames and (frames == out or frames.startswith(out + os.sep)):  # the movie's name would be the frames' folder
        raise SoundMotionError(f"--frames {args.frames} and --out {args.out} name the same path: give the PNG frames "
                               "a folder of their own.")
    try:
        with _blender_log_to_stderr(), outputs.writing():
            done = render_take(take, outputs.temporary(out), use_ray=args.ray is not None,
                               ray_address=None if args.ray in (None, "local") else args.ray, chunk=args.chunk,
                               frames_dir=args.frames, num_cpus=args.workers)
    except RayUnavailable as error:
        print(f"soundmotion render: {error}", file=sys.stderr)
        return 2
    done["out"] = out
    print(f"render: {done['frames']} frames ({done['frame_start']}-{done['frame_end']}) in {done['chunks']} "
          f"chunk(s) on {done['engine']} → {done['out']}")
    return 0


KEY_CHOICES = ("poses", "frames")
SEED_HELP = "random seed: the same seed and input give the same result (default 0)"
KEYS_HELP = "poses (default): keys at the performance's poses, Bezier in between; frames: a key on every frame"


def _onto_rig_arguments(verb):
    verb.add_argument("--target", metavar="FILE.blend[:ARMATURE]", help="key it onto this rig (needs --out)")
    verb.add_argument("--out", help="with --target: the .blend to write")
    verb.add_argument("--keys", default="poses", choices=KEY_CHOICES, help=KEYS_HELP)


class _Parser(argparse.ArgumentParser):
    """argparse, with its complaints on one line like every other refusal (exit 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {one_line(message)}. See `{self.prog} --help`.\n")


def version() -> str:
    """The add-on's version: blender_manifest.toml beside this file (the checkout and the extension zip hold it),
    else the installed package's metadata."""
    import tomllib
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "blender_manifest.toml"), "rb") as handle:
            return tomllib.load(handle)["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    from importlib import metadata
    try:
        return metadata.version("soundmotion")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="soundmotion", description="Turn sound into animation.")
    parser.add_argument("--version", action="version", version=f"soundmotion {version()}")
    verbs = parser.add_subparsers(dest="verb", required=True)

    face = verbs.add_parser("face", help="speech audio → ARKit-52 face clip, mouth cues, Live Link CSV")
    face.add_argument("audio")
    face.add_argument("--text", help=TEXT_HELP)
    face.add_argument("--cues", help="write Rhubarb mouth cues (.tsv, .json or .xml)")
    face.add_argument("--csv", help="write a Live Link Face CSV")
    face.add_argument("--clip", help="write the FaceClip (.npz)")
    face.add_argument("--fps", type=float, default=60.0, help="frame rate of the clip and CSV (default 60)")
    face.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    face.add_argument("--articulation", type=float, default=1.0, help="0..2: how far mouth and jaw move (default 1)")
    face.add_argument("--expressiveness", type=float, default=0.5,
                      help="0..1: jaw range with loudness, brow raises, gaze, blink rate (default 0.5)")
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
    dance.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    dance.add_argument("--style", default="groove", help="groove, hiphop, disco or calm")
    dance.add_argument("--energy", type=float, default=1.0, help="0..2: how big the moves are (default 1)")
    dance.add_argument("--in-place", action="store_true", help="dance on the spot instead of travelling the floor")
    dance.add_argument("--engine", default="captured", choices=("captured", "coded"),
                       help="captured: real dance from the bundled library (default); coded: moves written as code")
    dance.add_argument("--clip-moves", type=float, default=0.0, metavar="SHARE",
                       help="coded engine: share of bars (0..1) whose upper body dances captured moves")
    dance.add_argument("--meter", default="auto", choices=METERS,
                       help="auto: the beat tracker's; 3/4 dances a waltz, 6/8 sways on two pulses to the bar, "
                            "5/4 sways 3 + 2 and 7/8 (seven beats) 2 + 2 + 3")
    dance.add_argument("--fps", type=float, default=30.0, help="frame rate of the clip and BVH (default 30)")
    _onto_rig_arguments(dance)
    dance.set_defaults(run=run_dance)

    beats = verbs.add_parser("beats", help="music → beats, downbeats, tempo and meter (JSON)")
    beats.add_argument("music")
    beats.add_argument("--json", metavar="OUT.json", help="write beats and downbeats (s), tempo (BPM), beats_per_bar")
    beats.add_argument("--meter", default="auto", choices=METERS,
                       help="auto: the beat tracker's; else its bars counted again in that meter (3/4: a waltz)")
    beats.set_defaults(run=run_beats)

    gesture = verbs.add_parser("gesture", help="speech → co-speech gesture MotionClip (.npz) and/or BVH")
    gesture.add_argument("audio")
    gesture.add_argument("--text", help=TEXT_HELP)
    gesture.add_argument("--clip", help="write the MotionClip (.npz)")
    gesture.add_argument("--bvh", help="write the gestures as BVH")
    gesture.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    gesture.add_argument("--style", default="presenter", help="presenter, storyteller or lecturer")
    gesture.add_argument("--amount", type=float, default=1.0,
                         help="0..2: how big and how frequent the strokes are (default 1)")
    gesture.add_argument("--hand", default="right", help="right, left or both")
    gesture.add_argument("--seated", action="store_true", help="a seated speaker: legs still, pelvis lowered")
    gesture.add_argument("--language", metavar="CODE", type=_language_code, help=LANGUAGE_HELP)
    gesture.add_argument("--fps", type=float, default=30.0, help="frame rate of the clip and BVH (default 30)")
    _onto_rig_arguments(gesture)
    gesture.set_defaults(run=run_gesture)

    talk = verbs.add_parser("talk", help="face + gestures on the character in a .blend")
    talk.add_argument("character", metavar="CHARACTER.blend")
    talk.add_argument("audio")
    talk.add_argument("--text", help=TEXT_HELP)
    talk.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    talk.add_argument("--out", required=True, help="the .blend to write")
    talk.add_argument("--render", metavar="OUT.mp4", help="also render a movie with the sound")
    talk.add_argument("--resolution", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"),
                      help="movie size in pixels, even numbers (default 640 360)")
    _speech_options(talk)
    talk.add_argument("--keys", default="poses", choices=KEY_CHOICES, help=KEYS_HELP)
    talk.set_defaults(run=run_talk)

    retarget = verbs.add_parser("retarget", help="BVH / SMPL-X / clip .npz → an armature in a .blend")
    retarget.add_argument("source", help=".bvh, SMPL/SMPL-X/AMASS .npz or SoundMotion MotionClip .npz")
    retarget.add_argument("--target", required=True, metavar="FILE.blend[:ARMATURE]",
                          help="the rig to key (ARMATURE: its name, when the file holds several)")
    retarget.add_argument("--map", help="bone map preset name or JSON file (default: stored on the rig, else detected)")
    retarget.add_argument("--root", default="full", choices=["full", "in_place", "keep_height", "none"],
                          help="the root's motion: full (default: travel and height), in_place (height only), "
                               "keep_height (travel, pelvis at rest height) or none")
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
    demo.add_argument("--out", default="out", metavar="DIR",
                      help="folder for demo.blend and demo.mp4 (default out)")
    demo.add_argument("--no-render", action="store_true", help="write only the .blend")
    demo.add_argument("--resolution", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"),
                      help="movie size in pixels, even numbers (default 640 360)")
    demo.set_defaults(run=run_demo)

    batch = verbs.add_parser("batch", help="many voice lines → cues, CSV, clips, .blend, .mp4, FBX, glTF; resumable")
    batch.add_argument("input", metavar="INPUT", help="a folder of audio files (name.txt or name.lab = transcript) "
                                                     "or a CSV/JSON manifest")
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
    batch.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    batch.add_argument("--resolution", type=int, nargs=2, default=(640, 360), metavar=("WIDTH", "HEIGHT"),
                       help="movie size for mp4 outputs")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.set_defaults(run=run_batch)

    render = verbs.add_parser("render", help="render a take's frames in chunks (Ray with --ray), join with its sound")
    render.add_argument("take", metavar="TAKE.blend")
    render.add_argument("--out", required=True, metavar="OUT.mp4", help="the movie to write (H.264 with the sound)")
    render.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="render chunks as Ray tasks: alone starts a local Ray, ADDRESS joins a cluster")
    render.add_argument("--chunk", type=int, default=24, metavar="FRAMES", help="frames per Ray task (default 24)")
    render.add_argument("--frames", metavar="DIR", help="also keep the rendered frames as PNG files in DIR")
    render.add_argument("--workers", type=int, default=None, metavar="N", help="CPUs of a local Ray (default: all)")
    render.set_defaults(run=run_render)
    return parser


EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv=None) -> int:
    """Run one verb; returns the exit status: 0 done, 2 bad input (one line on stderr), 1 a failure or a bug,
    130 interrupted (Ctrl+C). Nothing new is left on disk unless the verb succeeded."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # argparse: --help (0) or a malformed command line (2, one line printed)
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return _say("soundmotion", "interrupted; nothing was written.", EXIT_INTERRUPTED)
    _EXIT_STATUS[0] = EXIT_FAILED  # a crash before the verb returns is a failure, also when bpy 4.2 exits early
    _EXIT_STATUS[0] = _run_verb(args)
    return _EXIT_STATUS[0]


def _run_verb(args) -> int:
    prefix = f"soundmotion {args.verb}"
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return _say(prefix, "interrupted; nothing was written.", EXIT_INTERRUPTED)
    except SoundMotionError as error:
        return _say(prefix, error, EXIT_BAD_INPUT)
    except OSError as error:  # a path or permission problem a check did not foresee (the disk filled up, …)
        return _say(prefix, os_error_sentence(error), EXIT_BAD_INPUT)
    except MemoryError:
        return _say(prefix, "ran out of memory; nothing was written. Close other programs or split the audio.",
                    EXIT_FAILED)
    except Exception as error:  # a bug (also one inside a Blender operator): say so, with its type, on one line
        if os.environ.get("SOUNDMOTION_DEBUG"):
            import traceback

            traceback.print_exc()
        return _say(prefix, f"internal error ({type(error).__name__}: {error}); nothing was written. This is a bug "
                            "in SoundMotion: please report it with the command line (SOUNDMOTION_DEBUG=1 shows the "
                            "traceback).", EXIT_FAILED)


def _say(prefix: str, message, status: int) -> int:
    sys.stdout.flush()
    print(f"{prefix}: {one_line(message)}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
