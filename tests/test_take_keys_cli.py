"""`--keys poses|frames` on the command line (issue #13's contract), checked as Blender evaluates the files:
the demo character's Talk take keyed at its poses against every frame, and dance / gestures onto a rig."""

import pytest

from test_cli import ASSETS, soundmotion


def notes_of_the_report(result, verb: str, report: str) -> list:
    """The `note:` lines on stdout, checked to be the notes of the operator's report (Blender's `Info:` line on
    stderr, among its log), in its order, before the verb's summary."""
    lines = result.stdout.splitlines()
    assert lines and lines[-1].startswith(f"{verb}: wrote"), result.stdout
    notes = [line.removeprefix("note: ") for line in lines[:-1]]
    assert notes and all(line.startswith("note: ") for line in lines[:-1]), result.stdout
    info = [line for line in result.stderr.splitlines() if line.startswith(f"Info: Wrote {report}")]
    assert len(info) == 1 and info[0].endswith(" ".join(notes)), (info, notes)
    return notes


def test_talk_key_poses_against_every_frame_on_the_demo_character(tmp_path):
    from soundmotion.bench.key_poses import compare, evaluate

    taken = {}
    for keys in ("frames", "poses"):
        out = tmp_path / f"{keys}.blend"
        soundmotion("talk", ASSETS / "demo_character.blend", ASSETS / "demo_speech.wav",
                    "--text", ASSETS / "demo_speech.txt", "--keys", keys, "--out", out)
        taken[keys] = evaluate(out)
    c = compare(taken["frames"], taken["poses"])
    assert c["rig_ratio"] >= 8.0 and c["face_ratio"] >= 4.0, c
    assert c["shape_max"] <= 0.03, c
    assert c["local_p99"] <= 1.0 and c["local_max"] <= 2.0, c
    assert c["world_p99"] <= 1.0 and c["world_max"] <= 2.0, c
    assert c["root_cm"] <= 1.0, c


def test_gestures_onto_a_rig_keep_the_face_alone(tmp_path):
    out = tmp_path / "gesture.blend"
    rig = f"{ASSETS / 'demo_character.blend'}:DemoRig"
    result = soundmotion("gesture", ASSETS / "demo_speech.wav", "--target", rig, "--out", out, "--style", "lecturer")
    assert any("stroke(s)" in note for note in notes_of_the_report(result, "gesture", "gestures for"))
    import bpy

    from soundmotion.operators.action_channels import fcurves_of, take_action

    bpy.ops.wm.open_mainfile(filepath=str(out))
    rig, mesh = bpy.data.objects["DemoRig"], bpy.data.objects["DemoHuman"]
    assert take_action(rig).name == "SM_gesture_demo_speech" and take_action(mesh.data.shape_keys) is None
    keys = sum(len(fc.keyframe_points) for fc in fcurves_of(rig))
    assert keys < len(fcurves_of(rig)) * 331 / 8  # key poses by default


def test_dance_onto_a_rig_every_frame(tmp_path):
    out = tmp_path / "dance.blend"
    result = soundmotion("dance", ASSETS / "demo_music.wav", "--target", ASSETS / "demo_character.blend", "--out",
                         out, "--keys", "frames")
    assert any(note.startswith("Tempo 120 BPM") for note in notes_of_the_report(result, "dance", "SM_dance_"))
    import bpy

    from soundmotion.operators.action_channels import fcurves_of, take_action

    bpy.ops.wm.open_mainfile(filepath=str(out))
    rig = bpy.data.objects["DemoRig"]
    action = take_action(rig)
    frames = int(action.frame_range[1] - action.frame_range[0]) + 1
    assert action.name == "SM_dance_demo_music" and frames > 400
    assert {len(fc.keyframe_points) for fc in fcurves_of(rig)} == {frames}


@pytest.mark.parametrize("verb, source", [("dance", "demo_music.wav"), ("gesture", "demo_speech.wav")])
def test_onto_a_rig_needs_an_output_file(verb, source):
    result = soundmotion(verb, ASSETS / source, "--target", ASSETS / "demo_character.blend", check=False)
    assert result.returncode == 2 and "--out" in result.stderr and "Traceback" not in result.stderr
