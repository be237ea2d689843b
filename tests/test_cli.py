"""`soundmotion <verb>`: the public command line, run as a user runs it (a subprocess of the installed script)."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from soundmotion.clips import ARKIT_BLENDSHAPES, FaceClip, MotionClip, SMPLX_SKELETON

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"


def soundmotion(*args, check=True):
    result = subprocess.run([str(SOUNDMOTION), *map(str, args)], capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_face_writes_clip_cues_and_live_link_csv(tmp_path):
    result = soundmotion("face", ASSETS / "demo_speech.wav", "--clip", tmp_path / "f.npz",
                         "--cues", tmp_path / "cues.tsv", "--csv", tmp_path / "face.csv", "--fps", 30)
    clip = FaceClip.load(tmp_path / "f.npz")
    assert clip.fps == 30 and clip.channel_names == ARKIT_BLENDSHAPES and clip.num_frames == 331
    cues = [line.split("\t") for line in (tmp_path / "cues.tsv").read_text().splitlines()]
    assert {shape for _, shape in cues} <= set("ABCDEFGHX") and cues[-1][1] == "X"
    assert [float(t) for t, _ in cues] == sorted(float(t) for t, _ in cues)
    header = (tmp_path / "face.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "Timecode" and "JawOpen" in header
    assert "phones from alignment" in result.stdout  # the .txt beside the audio was used


def test_dance_writes_a_canonical_clip_and_a_bvh(tmp_path):
    result = soundmotion("dance", ASSETS / "demo_music.wav", "--seed", 3, "--clip-moves", 0.5,
                         "--clip", tmp_path / "d.npz", "--bvh", tmp_path / "d.bvh")
    assert "captured" in result.stdout.lower()
    clip = MotionClip.load(tmp_path / "d.npz")
    assert clip.skeleton.same_topology(SMPLX_SKELETON) and clip.fps == 30
    assert clip.duration == pytest.approx(soundfile.info(str(ASSETS / "demo_music.wav")).duration, abs=0.05)
    bvh = (tmp_path / "d.bvh").read_text()
    assert bvh.startswith("HIERARCHY") and f"Frames: {clip.num_frames}" in bvh



def test_dance_meter_three_four_dances_a_waltz_and_a_wrong_combination_exits_2(tmp_path):
    result = soundmotion("dance", ASSETS / "demo_music.wav", "--meter", "3/4", "--clip", tmp_path / "w.npz")
    assert "Meter 3/4 as asked" in result.stdout and "a waltz of" in result.stdout
    assert MotionClip.load(tmp_path / "w.npz").num_frames > 30
    refused = soundmotion("dance", ASSETS / "demo_music.wav", "--meter", "3/4", "--target",
                          ASSETS / "demo_character.blend", "--out", tmp_path / "o.blend", check=False)
    assert refused.returncode == 2 and "--meter" in refused.stderr + refused.stdout
    assert not (tmp_path / "o.blend").exists()


def test_version_is_the_manifests_and_the_packages():
    import tomllib
    wanted = tomllib.loads((ROOT / "blender_manifest.toml").read_text(encoding="utf-8"))["version"]
    assert tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"] == wanted
    assert soundmotion("--version").stdout.strip() == f"soundmotion {wanted}"


def test_bonemap_prints_only_json_on_stdout():
    bone_map = json.loads(soundmotion("bonemap", f"{ASSETS / 'demo_character.blend'}:DemoRig").stdout)
    assert bone_map["bones"]["left_elbow"] == "lowerarm_l" and bone_map["bones"]["head"] == "head"


def test_retarget_a_clip_onto_the_demo_rig_writes_a_blend_with_the_action(tmp_path):
    clip = MotionClip.rest(45, fps=30)
    clip.rotations[:, SMPLX_SKELETON.index("left_elbow")] = [np.cos(0.5), 0, 0, np.sin(0.5)]  # 1 rad about Z
    clip.save(tmp_path / "bend.npz")
    out = tmp_path / "out.blend"
    soundmotion("retarget", tmp_path / "bend.npz", "--target", ASSETS / "demo_character.blend", "--out", out)
    import bpy

    from soundmotion.operators.action_channels import take_action

    bpy.ops.wm.open_mainfile(filepath=str(out))
    rig = bpy.data.objects["DemoRig"]
    assert take_action(rig) is not None
    bpy.context.scene.frame_set(bpy.context.scene.frame_start + 10)
    upper, lower = rig.pose.bones["upperarm_l"], rig.pose.bones["lowerarm_l"]
    # The A-posed rig takes the source's world directions: upper arm out along +X (T-pose), forearm
    # swung 1 rad about Z.
    np.testing.assert_allclose((upper.tail - upper.head).normalized(), [1.0, 0.0, 0.0], atol=0.03)
    np.testing.assert_allclose((lower.tail - lower.head).normalized(), [np.cos(1.0), np.sin(1.0), 0.0], atol=0.03)


@pytest.mark.parametrize("args, message", [
    (("face", "missing.wav"), "not found"),
    (("dance", "missing.wav"), "not found"),
    (("gesture", "missing.wav"), "not found"),
    (("talk", ASSETS / "demo_character.blend", "missing.wav", "--out", "x.blend"), "not found"),
    (("retarget", "missing.bvh", "--target", ASSETS / "demo_character.blend", "--out", "x.blend"), "missing.bvh"),
])
def test_bad_input_exits_2_with_one_line(args, message, tmp_path):
    result = soundmotion(*args, check=False)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_gesture_writes_a_canonical_clip_with_moving_arms(tmp_path):
    result = soundmotion("gesture", ASSETS / "demo_speech.wav", "--seed", 2, "--clip", tmp_path / "g.npz",
                         "--bvh", tmp_path / "g.bvh")
    clip = MotionClip.load(tmp_path / "g.npz")
    assert clip.skeleton.same_topology(SMPLX_SKELETON) and clip.fps == 30
    assert clip.duration >= soundfile.info(str(ASSETS / "demo_speech.wav")).duration - 0.05
    wrist = clip.rotations[:, SMPLX_SKELETON.index("right_elbow")]
    assert np.ptp(wrist, axis=0).max() > 0.1
    assert "strokes" in result.stdout and "Warning" not in result.stderr
    assert (tmp_path / "g.bvh").read_text().startswith("HIERARCHY")


def test_talk_animates_a_character_file_and_renders_it(tmp_path):
    out, movie = tmp_path / "talk.blend", tmp_path / "talk.mp4"
    soundmotion("talk", ASSETS / "demo_character.blend", ASSETS / "demo_speech.wav", "--out", out,
                "--render", movie, "--resolution", 160, 90)
    streams = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
                              str(movie)], capture_output=True, text=True, check=True).stdout.split()
    assert sorted(streams) == ["audio", "video"]
    import bpy

    from soundmotion.operators.action_channels import take_action

    bpy.ops.wm.open_mainfile(filepath=str(out))
    assert take_action(bpy.data.objects["DemoRig"]).name == "SM_gesture_demo_speech"
    assert take_action(bpy.data.objects["DemoHuman"].data.shape_keys).name == "SM_face_demo_speech"


def test_an_empty_transcript_file_is_named_in_the_note(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n\t\n")
    out = soundmotion("face", ASSETS / "demo_speech.wav", "--text", empty, "--cues", tmp_path / "c.tsv").stdout
    notes = [line for line in out.splitlines() if line.startswith("note:")]
    assert f"note: The transcript {empty} is empty, so the lip sync used the audio alone." in notes
    assert "No transcript given" not in out


def test_a_transcript_beside_the_audio_that_is_not_utf8_is_ignored_with_one_note(tmp_path):
    audio = tmp_path / "bin.wav"
    audio.write_bytes((ASSETS / "demo_speech.wav").read_bytes())
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
    note = "note: The transcript bin.txt beside the audio is not UTF-8 text, so it was ignored and the audio alone " \
           "was used."
    for verb, output in (("face", "--cues"), ("gesture", "--clip")):
        out = soundmotion(verb, audio, output, tmp_path / f"{verb}.{'tsv' if verb == 'face' else 'npz'}").stdout
        assert note in out.splitlines(), out
        assert "Used the transcript" not in out and "could not be aligned" not in out and "No transcript" not in out


def test_an_empty_language_code_is_auto_like_no_code(tmp_path):
    cues = {}
    for name, extra in (("none", ()), ("empty", ("--language", "")), ("auto", ("--language", "Auto"))):
        soundmotion("face", ASSETS / "demo_speech.wav", *extra, "--cues", tmp_path / f"{name}.tsv")
        cues[name] = (tmp_path / f"{name}.tsv").read_text()
    assert cues["empty"] == cues["none"] and cues["auto"] == cues["none"]


def test_audio_piped_to_dev_stdin_is_refused_with_what_to_do(tmp_path):
    result = subprocess.run([str(SOUNDMOTION), "face", "/dev/stdin", "--cues", str(tmp_path / "c.tsv")],
                            input=(ASSETS / "demo_speech.wav").read_bytes(), capture_output=True, timeout=600)
    err = result.stderr.decode()
    assert result.returncode == 2 and err.count("\n") == 1, err
    assert "is a pipe or a device, not a file on disk: save the audio to a file first" in err
    assert not (tmp_path / "c.tsv").exists()


def _blender_verb(verb, tmp_path):
    blend, speech, music = ASSETS / "demo_character.blend", ASSETS / "demo_speech.wav", ASSETS / "demo_music.wav"
    if verb == "retarget":
        MotionClip.rest(10).save(tmp_path / "rest.npz")
    return {"talk": ("talk", blend, speech, "--out", tmp_path / "t.blend"),
            "retarget": ("retarget", tmp_path / "rest.npz", "--target", blend, "--out", tmp_path / "r.blend"),
            "dance": ("dance", music, "--target", blend, "--out", tmp_path / "d.blend"),
            "gesture": ("gesture", speech, "--target", blend, "--out", tmp_path / "g.blend"),
            "demo": ("demo", "--out", tmp_path / "demo", "--no-render")}[verb]


@pytest.mark.parametrize("verb", ["talk", "retarget", "dance", "gesture", "demo"])
def test_verbs_that_open_a_blend_keep_blenders_log_off_stdout(verb, tmp_path):
    result = soundmotion(*_blender_verb(verb, tmp_path))
    lines = result.stdout.splitlines()  # SoundMotion's notes, then the verb's summary; Blender's log is on stderr
    notes = [line for line in lines if line.startswith("note: ")]
    assert lines and lines[:len(notes)] == notes and all(line.startswith(f"{verb}:") for line in lines[len(notes):])
    assert "Read blend" in result.stderr and "Read blend" not in result.stdout, result.stderr[-2000:]


def test_beats_counts_the_bars_in_the_meter_asked_for(tmp_path):
    import json

    from soundmotion import cli
    from soundmotion.models.music.meter import METERS

    assert cli.METERS == METERS  # the CLI's choices are the models' meters
    for meter, per_bar in (("auto", 4), ("3/4", 3)):
        out = soundmotion("beats", ASSETS / "demo_music.wav", "--meter", meter, "--json", tmp_path / "b.json").stdout
        document = json.loads((tmp_path / "b.json").read_text())
        assert document["beats_per_bar"] == per_bar and f"{per_bar} beats to the bar" in out
        assert document["downbeats"] == document["beats"][document["beats"].index(document["downbeats"][0])::per_bar]
