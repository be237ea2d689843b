"""Bone-driven faces: poses blended into bone keys (pure), poses read from an action's pose markers and from
pose assets, the map stored on the armature and as JSON, Rigify's own face talking through the command line,
and a note when a character has no face to move."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from soundmotion.clips import rotations
from soundmotion.retarget.face_poses import FacePoses, pose_map_for

from speech_fixtures import speech_wav


def test_poses_blend_by_weight_locations_add_and_rotations_compose_by_rotation_vector():
    quarter = rotations.from_rotation(__import__("scipy").spatial.transform.Rotation.from_rotvec([0.4, 0.0, 0.0]))[0]
    poses = FacePoses({"jawOpen": {"jaw": (np.zeros(3), quarter)},
                       "jawLeft": {"jaw": (np.array([0.01, 0.0, 0.0]), rotations.IDENTITY_WXYZ)},
                       "mouthClose": {"lip": (np.array([0.0, 0.0, 0.002]), rotations.IDENTITY_WXYZ)}})
    turns, moves = poses.bone_keys({"jawOpen": np.array([0.0, 0.5, 1.0]), "jawLeft": np.array([1.0, 1.0, 0.0]),
                                    "mouthClose": np.array([0.0, 0.25, 1.0])})
    angles = 2 * np.degrees(np.arccos(np.clip(turns["jaw"][:, 0], -1, 1)))
    np.testing.assert_allclose(angles, np.degrees([0.0, 0.2, 0.4]), atol=1e-9)
    np.testing.assert_allclose(moves["jaw"][:, 0], [0.01, 0.01, 0.0])
    np.testing.assert_allclose(moves["lip"][:, 2], [0.0, 0.0005, 0.002])
    # Poses named after ARKit channels map one to one; viseme names through their presets.
    assert pose_map_for(poses).rows["jawOpen"] == {"jawOpen": 1.0}
    visemes = pose_map_for(FacePoses({"AI": {}, "MBP": {}, "O": {}, "rest": {}}))
    assert set(visemes.rows) == {"AI", "MBP", "O"} and visemes.preset == "preston_blair"


# In Blender ---------------------------------------------------------------------------------------------------

@pytest.mark.blender
def test_marked_poses_drive_a_bone_face_through_lip_sync_with_an_editable_stored_map(scene, tmp_path):
    import bpy

    from soundmotion.operators.action_channels import fcurves_of
    from soundmotion.retarget import blender_face

    import rig_factory

    rig, action = rig_factory.little_face()
    bpy.context.view_layer.objects.active = rig
    poses = blender_face.face_poses_of(rig)
    assert poses.source == "action Visemes" and set(poses.names) == {"AI", "MBP", "O"}
    np.testing.assert_allclose(poses.poses["MBP"]["lip_lower"][0], [0, 0, 0.004], atol=1e-6)
    assert bpy.ops.soundmotion.detect_face_poses() == {"FINISHED"}
    stored = blender_face.stored_face_pose_map(rig)
    assert set(stored.rows) == {"AI", "MBP", "O"}
    # Edit a row as the user would, save the map as JSON, clear it, load it back.
    entry = next(e for e in rig.soundmotion_face_pose_map if e.pose == "AI")
    entry.weight = 0.5
    path = tmp_path / "face.json"
    assert bpy.ops.soundmotion.save_face_pose_map(filepath=str(path)) == {"FINISHED"}
    rig.soundmotion_face_pose_map.clear()
    assert bpy.ops.soundmotion.load_face_pose_map(filepath=str(path)) == {"FINISHED"}
    assert blender_face.stored_face_pose_map(rig).rows == blender_face.stored_face_pose_map(rig).rows
    assert any(abs(e.weight - 0.5) < 1e-6 for e in rig.soundmotion_face_pose_map if e.pose == "AI")

    wav, _ = speech_wav(tmp_path, "Bob bought a palm.", name="line", transcript_file=True)
    scene.soundmotion.audio_path = str(wav)
    assert bpy.ops.soundmotion.lip_sync() == {"FINISHED"}
    from soundmotion.operators.action_channels import take_action

    take = take_action(rig)
    assert take.name == "SM_face_line" and action.name in bpy.data.actions
    keyed = {fc.data_path.split('"')[1] for fc in fcurves_of(rig)}
    assert keyed == {"jaw", "lip_upper", "lip_lower"}
    jaw = next(fc for fc in fcurves_of(rig)
               if fc.data_path == 'pose.bones["jaw"].rotation_quaternion' and fc.array_index == 0)
    values = np.array([jaw.evaluate(f) for f in range(1, int(jaw.keyframe_points[-1].co[0]) + 1)])
    opened = np.degrees(2 * np.arccos(np.clip(values, -1, 1)))
    assert opened.max() > 5.0 and opened.min() < 1.0  # the jaw opens on vowels and closes again


@pytest.mark.blender
def test_pose_assets_named_after_arkit_channels_are_found(scene):
    import bpy

    from soundmotion.retarget import blender_face

    import rig_factory

    rig, marked = rig_factory.little_face()
    bpy.data.actions.remove(marked)
    action = bpy.data.actions.new("jawOpen")
    rig.animation_data.action = action
    rig.pose.bones["jaw"].rotation_quaternion = (0.966, 0.259, 0.0, 0.0)
    rig.pose.bones["jaw"].keyframe_insert("rotation_quaternion", frame=1)
    rig.animation_data.action = None
    action.asset_mark()
    poses = blender_face.face_poses_of(rig)
    assert poses.source == "pose assets" and poses.names == ["jawOpen"]
    rig_face = blender_face.face_rig_of(rig)
    assert rig_face.pose_map.rows == {"jawOpen": {"jawOpen": 1.0}}


PBM, OPEN = ("p", "b", "m"), ("a", "ɑ", "æ", "ɒ", "ɔ")


@pytest.mark.blender
def test_a_generated_rigify_human_talks_with_its_face_from_the_command_line(scene, tmp_path):
    """soundmotion talk RIG.blend line.wav --text line.txt --out out.blend on a Rigify human (face included)
    generated by Rigify itself: lips at rest on p/b/m, open on open vowels, measured on the lip deform bones."""
    import bpy

    import rig_factory

    rig_factory.rigify_armature()
    rig_blend = tmp_path / "RIG.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(rig_blend))  # the metarig stays in the file, as users keep it
    text = "Bob bought a map for Pam."  # 1.5 s: seven closures, five open vowels (the bench talks longer lines)
    wav, utterance = speech_wav(tmp_path, text, name="line", transcript_file=True)
    out = tmp_path / "out.blend"
    command = [str(pathlib.Path(sys.executable).parent / "soundmotion"), "talk", str(rig_blend), str(wav),
               "--text", str(tmp_path / "line.txt"), "--out", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    bpy.ops.wm.open_mainfile(filepath=str(out))
    scene = bpy.context.scene
    rig = bpy.data.objects["rig"]
    bones = rig.pose.bones
    rest = (rig.data.bones["DEF-lip.T.L"].head_local - rig.data.bones["DEF-lip.B.L"].head_local).length
    frames = np.arange(scene.frame_start, scene.frame_end + 1)
    opening = []
    for frame in frames:
        scene.frame_set(int(frame))
        opening.append((bones["DEF-lip.T.L"].head - bones["DEF-lip.B.L"].head).length)
    opening = np.array(opening)
    seconds = (frames - scene.frame_start) / (scene.render.fps / scene.render.fps_base)

    def during(start, end):
        return opening[(seconds >= start) & (seconds <= end)]

    closures = [during(p.start - 0.03, p.end + 0.03).min() for p in utterance.phones if p.ipa in PBM]
    vowels = [during(p.start, p.end).max() for p in utterance.phones if p.ipa.startswith(OPEN)]
    closures, vowels = np.array(closures), np.array(vowels)
    assert len(closures) >= 6 and len(vowels) >= 4
    assert abs(np.median(closures) - rest) <= 0.002 and np.mean(np.abs(closures - rest) <= 0.002) >= 0.8, \
        (closures - rest) * 1000
    assert np.median(vowels) - np.median(closures) >= 0.006, (vowels - rest) * 1000
    # The gestures landed on the body controls in the same take.
    from soundmotion.operators.action_channels import fcurves_of

    keyed = {fc.data_path.split('"')[1] for fc in fcurves_of(rig)}
    assert {"jaw_master", "lip.T", "lip.B", "lips.L"} <= keyed and "upper_arm_fk.R" in keyed
    # Face off is gestures only: the face rig was keyed (33 bones) and the report said so.
    bpy.ops.wm.open_mainfile(filepath=str(rig_blend))
    rig = bpy.data.objects["rig"]
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.talk(filepath=str(wav), face=False) == {"FINISHED"}
    keyed = {fc.data_path.split('"')[1] for fc in fcurves_of(rig)}
    assert "upper_arm_fk.R" in keyed and not {"jaw_master", "lip.T", "lip.B", "lips.L"} & keyed


@pytest.mark.blender
def test_talk_says_so_when_a_character_has_no_face_to_move(scene, tmp_path, capfd):
    import bpy

    import rig_factory

    rig = rig_factory.makehuman_armature("game_engine")  # no face bones, no shape keys
    bpy.context.view_layer.objects.active = rig
    wav, _ = speech_wav(tmp_path, "Hello there.", name="hello", transcript_file=True)
    assert bpy.ops.soundmotion.talk(filepath=str(wav)) == {"FINISHED"}
    assert "has no face shape keys and no face rig" in capfd.readouterr().out
    assert bpy.ops.soundmotion.talk(filepath=str(wav), face=False) == {"FINISHED"}  # gestures only, as asked
    assert "no face shape keys" not in capfd.readouterr().out
