"""Jaw bone fallback on real Blender: Lip Sync and Talk open a synthetic humanoid's jaw bone when its face
mesh has no jaw shape key, and leave the bone alone when a shape key plays jawOpen."""

import bpy
import numpy as np
import pytest
from mathutils import Vector

from blender_helpers import curve_values, make_face_mesh
from rig_factory import synthetic_armature
from speech_fixtures import speech_wav

from soundmotion.operators.action_channels import fcurves_of, take_action

pytestmark = pytest.mark.blender

JAW = "jaw"  # the makehuman_default preset's name for the canonical jaw joint


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    path, _ = speech_wav(tmp_path_factory.mktemp("speech"), "Hello, how are you today?", transcript_file=True)
    return path


def humanoid_with_face(key_names):
    rig = synthetic_armature("makehuman_default")
    mesh = make_face_mesh(key_names=key_names) if key_names is not None else None
    if mesh is not None:
        mesh.parent = rig
    bpy.context.view_layer.objects.active = rig
    return rig, mesh


def jaw_tail_heights(rig, frames):
    scene = bpy.context.scene
    heights = []
    for frame in frames:
        scene.frame_set(int(frame))
        heights.append(rig.pose.bones[JAW].tail.z)
    return np.array(heights)


def test_lip_sync_opens_the_jaw_bone_downward_when_no_shape_key_plays_jaw_open(scene, speech):
    rig, mesh = humanoid_with_face(("eyeBlinkLeft", "mouthSmileLeft"))
    rest_tail = rig.data.bones[JAW].tail_local.z
    scene.soundmotion.audio_path = str(speech)
    assert bpy.ops.soundmotion.lip_sync() == {"FINISHED"}
    assert take_action(rig).name == "SM_jaw_speech"
    assert take_action(mesh.data.shape_keys).name == "SM_face_speech"
    paths = {fc.data_path for fc in fcurves_of(rig)}
    assert paths == {f'pose.bones["{JAW}"].rotation_quaternion'}
    frames, w = curve_values(rig, f'pose.bones["{JAW}"].rotation_quaternion', 0)
    angles = np.degrees(2 * np.arccos(np.clip(w, -1, 1)))
    assert frames[0] == scene.soundmotion.frame_start and 5.0 < angles.max() <= 20.0 + 1e-3
    assert angles.min() < 1.0  # closures and pauses close the mouth again
    widest, closed = frames[np.argmax(angles)], frames[np.argmin(angles)]
    heights = jaw_tail_heights(rig, [widest, closed])
    assert heights[0] < rest_tail - 0.002 and heights[1] == pytest.approx(rest_tail, abs=5e-4)


def test_a_rig_with_only_a_jaw_bone_and_no_shape_keys_still_lip_syncs(scene, speech):
    rig, _ = humanoid_with_face(None)
    plain = bpy.data.objects.new("Body", bpy.data.meshes.new("Body"))
    scene.collection.objects.link(plain)
    plain.parent = rig
    bpy.context.view_layer.objects.active = plain
    scene.soundmotion.audio_path = str(speech)
    assert bpy.ops.soundmotion.lip_sync() == {"FINISHED"}
    assert take_action(rig).name == "SM_jaw_speech"


def test_a_jaw_shape_key_wins_over_the_jaw_bone(scene, speech):
    rig, mesh = humanoid_with_face(("jawOpen", "eyeBlinkLeft"))
    scene.soundmotion.audio_path = str(speech)
    assert bpy.ops.soundmotion.lip_sync() == {"FINISHED"}
    assert take_action(rig) is None
    curve_values(mesh.data.shape_keys, 'key_blocks["jawOpen"].value')


def test_neither_shape_keys_nor_a_jaw_bone_is_refused_with_the_shape_key_message(scene, speech):
    plain = bpy.data.objects.new("Plain", bpy.data.meshes.new("Plain"))
    scene.collection.objects.link(plain)
    bpy.context.view_layer.objects.active = plain
    scene.soundmotion.audio_path = str(speech)
    with pytest.raises(RuntimeError, match="Plain has no shape keys"):
        bpy.ops.soundmotion.lip_sync()
    assert not bpy.data.actions


def test_talk_puts_the_jaw_into_the_gesture_action(scene, speech):
    rig, mesh = humanoid_with_face(("eyeBlinkLeft", "mouthSmileLeft"))
    assert bpy.ops.soundmotion.talk(filepath=str(speech)) == {"FINISHED"}
    action = take_action(rig)
    assert action.name == "SM_gesture_speech"
    jaw_path = f'pose.bones["{JAW}"].rotation_quaternion'
    paths = {fc.data_path for fc in fcurves_of(rig)}
    assert jaw_path in paths and len(paths) > 5  # the body gestures in the same action
    frames, w = curve_values(rig, jaw_path, 0)
    angles = np.degrees(2 * np.arccos(np.clip(w, -1, 1)))
    assert 5.0 < angles.max() <= 20.0 + 1e-3
    scene.frame_set(int(frames[np.argmax(angles)]))
    # The gestures turn the head too, so compare the chin in the head's frame, mapped back to the rest pose.
    jaw, parent = rig.pose.bones[JAW], rig.pose.bones[JAW].parent
    chin_at_rest_head = parent.bone.matrix_local @ (parent.matrix.inverted() @ jaw.tail)
    assert chin_at_rest_head.z < rig.data.bones[JAW].tail_local.z - 0.002


def mixamo_body(jaw=None):
    """A Mixamo-named humanoid (the preset has no jaw) with a body mesh without shape keys, deformed by it and
    selected; `jaw`: the name of a jaw bone added under the head (hinge near the ear, tail at the chin)."""
    rig = synthetic_armature("mixamo")
    bpy.context.view_layer.objects.active = rig
    if jaw:
        bpy.ops.object.mode_set(mode="EDIT")
        head = rig.data.edit_bones["mixamorig:Head"]
        bone = rig.data.edit_bones.new(jaw)
        bone.head, bone.tail = head.head + Vector((0, -0.02, 0.03)), head.head + Vector((0, -0.11, -0.02))
        bone.parent = head
        bpy.ops.object.mode_set(mode="OBJECT")
    body = bpy.data.objects.new("BodyMesh", bpy.data.meshes.new("BodyMesh"))
    bpy.context.scene.collection.objects.link(body)
    body.parent = rig
    body.modifiers.new("Armature", "ARMATURE").object = rig
    bpy.context.view_layer.objects.active = body
    return rig, body


def test_a_jaw_bone_added_to_a_mixamo_rig_opens_the_mouth(scene, speech):
    rig, _ = mixamo_body("Bone.052")
    scene.soundmotion.audio_path = str(speech)
    assert bpy.ops.soundmotion.lip_sync() == {"FINISHED"}
    assert take_action(rig).name == "SM_jaw_speech"
    assert {fc.data_path for fc in fcurves_of(rig)} == {'pose.bones["Bone.052"].rotation_quaternion'}


def test_without_a_mapped_jaw_the_refusal_says_a_jaw_bone_can_be_picked_in_the_bone_map(scene, speech):
    rig, _ = mixamo_body()
    scene.soundmotion.audio_path = str(speech)
    with pytest.raises(RuntimeError, match=r"BodyMesh has no shape keys.*if Synthetic_mixamo has a jaw bone, pick "
                                           r"it in the jaw row of its bone map"):
        bpy.ops.soundmotion.lip_sync()
    assert not bpy.data.actions
