"""The command line's contracts as a pipeline TD leans on them: no output may overwrite an input, any spelling of
an extension works, exit statuses say bad input (2), bug (1) and Ctrl+C (130) apart, Rhubarb's duration is the
recording's, and files that are not what they seem are refused as what they are."""

import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile

from soundmotion import errors
from soundmotion.batch.rows import split_character
from soundmotion.clips import ARKIT_BLENDSHAPES, ClipError, FaceClip, MotionClip
from soundmotion.errors import OutputFiles, SoundMotionError
from soundmotion.models.audio.load import AudioError, load_audio

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"


def soundmotion(*args, cwd=None):
    return subprocess.run([str(SOUNDMOTION), *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


def ours(stderr: str) -> list:
    """SoundMotion's own lines on stderr (Blender's log is left out)."""
    return [line for line in stderr.splitlines() if line.startswith("soundmotion")]


@pytest.fixture
def line(tmp_path):
    """A voice line with its transcript beside it, as a user keeps them."""
    shutil.copy(ASSETS / "demo_speech.wav", tmp_path / "line.wav")
    shutil.copy(ASSETS / "demo_speech.txt", tmp_path / "line.txt")
    (tmp_path / "words.txt").write_text("Bob bought a map.\n")
    (tmp_path / "curve.txt").write_text("0 0.5\n2 1\n")
    return tmp_path


@pytest.mark.parametrize("args, named", [
    (("face", "line.wav", "--cues", "line.txt"), "transcript beside the audio"),  # Rhubarb users write -o line.txt
    (("face", "line.wav", "--csv", "line.wav"), "audio"),
    (("face", "line.wav", "--text", "words.txt", "--cues", "./words.txt"), "transcript (--text)"),
    (("face", "line.wav", "--emotion", "happy", "--emotion-curve", "curve.txt", "--csv", "curve.txt"),
     "emotion curve (--emotion-curve)"),
    (("gesture", "line.wav", "--target", "rig.blend:DemoRig", "--out", "./rig.blend"), "rig (--target)"),
    (("dance", "line.wav", "--target", "rig.blend", "--out", "rig.blend"), "rig (--target)"),
])
def test_an_output_naming_one_of_the_runs_inputs_is_refused_before_any_work(line, args, named):
    shutil.copy(ASSETS / "demo_character.blend", line / "rig.blend")
    before = {p.name: p.read_bytes() for p in line.iterdir()}
    result = soundmotion(*args, cwd=line)
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(ours(result.stderr)) == 1 and f"is the {named} this run reads" in result.stderr
    assert "would destroy that input" in result.stderr and "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in line.iterdir()} == before  # nothing written, nothing left behind


def test_output_files_refuse_an_input_in_either_order_and_through_a_link(tmp_path):
    source = tmp_path / "in.wav"
    source.write_bytes(b"RIFF")
    os.link(source, tmp_path / "hard.wav")
    outputs = OutputFiles()
    outputs.add(tmp_path / "fine.npz", "--clip")
    outputs.add_input(source, "audio")
    with pytest.raises(SoundMotionError, match="--csv hard.wav is the audio this run reads"):
        outputs.add(tmp_path / "hard.wav", "--csv")
    later = OutputFiles()
    later.add(source, "--csv")
    with pytest.raises(SoundMotionError, match="is the audio this run reads"):
        later.add_input(str(source), "audio")


def test_upper_case_extensions_are_written_as_named_and_cues_last_as_long_as_the_recording(tmp_path):
    """--clip FACE.NPZ failed as an internal error (numpy wrote .FACE.partial-….NPZ.npz) and left it behind; the
    cues' duration was the clip's whole frames (3.00 s at 1 fps for a 2.64 s line)."""
    audio = tmp_path / "speech.wav"
    samples, rate = soundfile.read(ASSETS / "demo_speech.wav")
    soundfile.write(audio, samples[: int(2.642 * rate)], rate)
    result = soundmotion("face", audio, "--fps", 1, "--clip", tmp_path / "FACE.NPZ", "--cues", tmp_path / "C.JSON")
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C.JSON", "FACE.NPZ", "speech.wav"]  # nothing hidden
    assert FaceClip.load(tmp_path / "FACE.NPZ").num_frames == 3
    cues = json.loads((tmp_path / "C.JSON").read_text())
    assert cues["metadata"]["duration"] == 2.64 and cues["mouthCues"][-1]["end"] == 2.64


def test_temporaries_and_clip_files_keep_the_name_given_in_any_case(tmp_path):
    outputs = OutputFiles()
    movie = outputs.add(tmp_path / "T.MP4", "--render", (".mp4",))
    assert outputs.temporary(movie).endswith(".mp4")  # Blender's movie output appends .mp4 to any other spelling
    MotionClip.rest(4).save(tmp_path / "x.NPZ")  # the Python API wrote x.NPZ.npz
    assert [p.name for p in tmp_path.iterdir()] == ["x.NPZ"] and MotionClip.load(tmp_path / "x.NPZ").num_frames == 4


def blender_errors(stderr: str) -> list:
    """The lines bpy prints for an operator's ERROR report."""
    return [line for line in stderr.splitlines() if line.startswith("Error: ")]


OPERATOR_FAULT = textwrap.dedent("""
    import os, sys, tempfile
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp())
    from soundmotion import cli
    cli._start_blender()
    from soundmotion.operators import character_files, dance_to_music, demo_scene, talk_from_audio

    def fault(kind):
        def compute(self, inputs, progress):
            raise kind("simulated")
        return compute

    talk_from_audio.SOUNDMOTION_OT_talk.compute = fault(TypeError)
    bug = cli.main(["talk", sys.argv[1], sys.argv[2], "--out", sys.argv[3] + "/bug.blend"])
    print("--- debug", file=sys.stderr, flush=True)
    os.environ["SOUNDMOTION_DEBUG"] = "1"
    debug = cli.main(["talk", sys.argv[1], sys.argv[2], "--out", sys.argv[3] + "/bug.blend"])
    del os.environ["SOUNDMOTION_DEBUG"]
    print("--- operator", file=sys.stderr, flush=True)  # as a script or Blender's UI runs it: traceback in the console
    character_files.open_blend(sys.argv[1])
    try:
        demo_scene.run_operator("talk", character_files.talking_object(), filepath=sys.argv[2])
    except RuntimeError:
        pass
    print("--- interrupted", file=sys.stderr, flush=True)
    talk_from_audio.SOUNDMOTION_OT_talk.compute = fault(KeyboardInterrupt)  # Ctrl+C arrives as this in Python
    talk = cli.main(["gesture", sys.argv[2], "--target", sys.argv[1], "--out", sys.argv[3] + "/g.blend"])
    dance_to_music.SOUNDMOTION_OT_dance.compute = fault(KeyboardInterrupt)
    dance = cli.main(["dance", sys.argv[2], "--target", sys.argv[1], "--out", sys.argv[3] + "/d.blend"])
    print("STATUS", bug, debug, talk, dance, flush=True)
    os._exit(0)
""")


def test_a_bug_in_an_operator_exits_1_in_one_line_like_any_bug_and_ctrl_c_in_one_exits_130_without_a_traceback(
        tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", OPERATOR_FAULT, str(ASSETS / "demo_character.blend"),
                             str(ASSETS / "demo_speech.wav"), str(out)], capture_output=True, text=True, timeout=600)
    assert "STATUS 1 1 130 130" in result.stdout, result.stdout[-2000:] + result.stderr[-3000:]
    plain, rest = result.stderr.split("--- debug\n")
    debug, rest = rest.split("--- operator\n")
    operator, interrupted = rest.split("--- interrupted\n")
    bug = ("soundmotion talk: internal error (TypeError: simulated); nothing was written. This is a bug in "
           "SoundMotion: please report it with the command line (SOUNDMOTION_DEBUG=1 shows the traceback).")
    # one line, as `face` says a bug: no traceback, and no echo of the operator's report as Blender's "Error:" line
    assert ours(plain) == [bug] and "Traceback" not in plain and not blender_errors(plain), plain
    assert ours(debug) == [bug] and "Traceback" in debug and "in compute\nTypeError: simulated" in debug, debug
    assert "Traceback" in operator and "in compute\nTypeError: simulated" in operator, operator
    assert "Error: Talk from Audio failed unexpectedly (TypeError: simulated)" in result.stdout  # its report
    assert ours(interrupted) == ["soundmotion gesture: interrupted; nothing was written.",
                                 "soundmotion dance: interrupted; nothing was written."]
    assert "KeyboardInterrupt" not in interrupted and "Traceback" not in interrupted
    assert not out.exists() or not any(out.iterdir())


def test_a_refusal_inside_an_operator_is_said_once(tmp_path):
    silent = tmp_path / "silent.wav"
    soundfile.write(silent, np.zeros(32000, dtype=np.float32), 16000)
    result = soundmotion("talk", ASSETS / "demo_character.blend", silent, "--out", tmp_path / "t.blend")
    assert result.returncode == 2 and result.stdout == ""
    assert ours(result.stderr) == ["soundmotion talk: silent.wav is silent. Choose a file in which something can "
                                   "be heard."], result.stderr
    assert not blender_errors(result.stderr), result.stderr


def test_talk_prints_its_notes_on_stdout_like_face(tmp_path):
    """The same wrong transcript: `face` and `talk` both say on stdout that it did not match the audio."""
    shutil.copy(ASSETS / "demo_speech.wav", tmp_path / "line.wav")
    (tmp_path / "wrong.txt").write_text("Completely different words about penguins.\n")
    face = soundmotion("face", "line.wav", "--text", "wrong.txt", "--clip", "f.npz", cwd=tmp_path)
    talk = soundmotion("talk", ASSETS / "demo_character.blend", "line.wav", "--text", "wrong.txt", "--out", "t.blend",
                       cwd=tmp_path)
    assert face.returncode == 0 and talk.returncode == 0, talk.stderr[-2000:]
    mismatch = "note: The transcript did not match the audio; used phoneme recognition instead."
    assert mismatch in face.stdout.splitlines() and mismatch in talk.stdout.splitlines(), talk.stdout
    lines = talk.stdout.splitlines()
    assert lines[-1].startswith("talk: wrote ") and all(line.startswith("note: ") for line in lines[:-1]), lines
    # the notes are the operator's report's (which Blender's log still shows), in its order
    info = [line for line in talk.stderr.splitlines() if line.startswith("Info: Wrote face and gestures")]
    assert len(info) == 1 and info[0].endswith(" ".join(line.removeprefix("note: ") for line in lines[:-1]))


def test_render_refuses_frames_and_movie_on_one_path_before_rendering(tmp_path):
    result = soundmotion("render", ASSETS / "demo_character.blend", "--out", "take.mp4", "--frames", "take.mp4",
                         cwd=tmp_path)
    assert result.returncode == 2 and ours(result.stderr) == [
        "soundmotion render: --frames take.mp4 and --out take.mp4 name the same path: give the PNG frames a "
        "folder of their own."]
    assert not any(tmp_path.iterdir())


def test_an_armature_is_named_after_a_blend_file_name_in_any_case(tmp_path):
    assert errors.split_blend_spec("shots/SHOT.BLEND:DemoRig") == ("shots/SHOT.BLEND", "DemoRig")
    assert errors.split_blend_spec("a.blend:b.Blend:Rig") == ("a.blend:b.Blend", "Rig")  # the last one splits
    assert split_character("SHOT.Blend:Rig") == ("SHOT.Blend", "Rig")
    assert split_character("SHOT.blend:") == ("SHOT.blend", "")
    shutil.copy(ASSETS / "demo_character.blend", tmp_path / "SHOT.BLEND")
    result = soundmotion("bonemap", "SHOT.BLEND:DemoRig", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-1000:]
    assert json.loads(result.stdout)["bones"]["head"] == "head"


def test_a_truncated_wav_is_refused_as_truncated_and_a_streamed_one_is_read(tmp_path):
    whole = (ASSETS / "demo_speech.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(whole[:30000])  # a copy interrupted: 0.7 s of the header's 11.0 s
    with pytest.raises(AudioError, match=r"cut.wav is truncated: its header says 11.0 s but the file holds 0.7 s"):
        load_audio(tmp_path / "cut.wav")
    result = soundmotion("face", tmp_path / "cut.wav", "--clip", tmp_path / "cut.npz")
    assert result.returncode == 2 and "is truncated" in result.stderr and not (tmp_path / "cut.npz").exists()
    data = whole.find(b"data")  # a streaming writer's header: lengths unknown (0xFFFFFFFF), all samples there
    streamed = whole[:4] + struct.pack("<I", 0xFFFFFFFF) + whole[8:data + 4] + struct.pack("<I", 0xFFFFFFFF) \
        + whole[data + 8:]
    (tmp_path / "streamed.wav").write_bytes(streamed)
    assert load_audio(tmp_path / "streamed.wav").duration == pytest.approx(11.02, abs=0.01)


def test_float32_face_weights_out_of_range_are_refused_like_float64_ones(tmp_path):
    names = np.array(ARKIT_BLENDSHAPES)
    percent = np.linspace(0, 99.95, 10 * 52).reshape(10, 52)
    for dtype in (np.float64, np.float32):
        np.savez(tmp_path / "percent.npz", fps=30.0, channel_names=names, weights=percent.astype(dtype))
        with pytest.raises(ClipError, match=r"must lie in \[0, 1\], got 0.000..99.950"):
            FaceClip.load(tmp_path / "percent.npz")
    rounded = np.full((3, 52), 1 + 5e-5, np.float32)  # another tool's float32 rounding is still clamped
    np.savez(tmp_path / "rounded.npz", fps=30.0, channel_names=names, weights=rounded)
    assert FaceClip.load(tmp_path / "rounded.npz").weights.max() == 1.0


def test_retarget_says_a_face_clip_is_a_face_clip(tmp_path):
    FaceClip.neutral(10).save(tmp_path / "face.npz")
    result = soundmotion("retarget", tmp_path / "face.npz", "--target", ASSETS / "demo_character.blend",
                         "--out", tmp_path / "r.blend")
    assert result.returncode == 2 and ours(result.stderr) == [
        "soundmotion retarget: face.npz is a FaceClip (ARKit-52 face weights), not body motion; retarget moves "
        "bodies: key a face with `soundmotion talk` or Lip Sync from Audio in Blender, or give a MotionClip, BVH "
        "or SMPL-X file."]


def test_the_readme_command_table_lists_every_option_and_every_option_says_what_it_does():
    import re

    from soundmotion.cli import build_parser

    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## Command line")[1].split("Exit status 0")[0]
    documented = {m.group(1): set(re.findall(r"--[a-z][a-z-]*", m.group(2)))
                  for m in re.finditer(r"^\| `soundmotion (\w+) (.*?)` \|", table, re.MULTILINE)}
    verbs = build_parser()._subparsers._group_actions[0].choices
    assert set(documented) == set(verbs)
    for name, verb in verbs.items():
        options = {o for action in verb._actions for o in action.option_strings if o.startswith("--")} - {"--help"}
        assert options == documented[name], name
        assert [a.dest for a in verb._actions if a.option_strings and not a.help] == [], name
    assert "centimetres, Y-up, facing +Z" in table  # what --bvh writes
