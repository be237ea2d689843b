"""Shape keys set by drivers (jawOpen driven by the jaw bone's turn, as in many hand-made and Faceit/ARP-style
faces) on real Blender: Lip Sync and Talk leave them unkeyed (a driver overrides any key: a keyed jawOpen peaking
at 0.68 stayed 0.000), key the driving jaw bone instead where the rig maps one, say so, and refuse with what to do
when nothing else can move the mouth."""

import bpy
import numpy as np
import pytest

from blender_helpers import make_chain_armature, make_face_mesh
from rig_factory import synthetic_armature

from soundmotion.operators.action_channels import fcurves_of, take_action
from soundmotion.operators.targets import lip_sync_targets, no_mouth_note

pytestmark = pytest.mark.blender


def drive(mesh, key, rig, bone, expression="max(0, rx / 0.35)"):
    """key_blocks[key].value = the bone's local X turn / 0.35 rad (20° opens it fully)."""
    curve = mesh.data.shape_keys.key_blocks[key].driver_add("value")
    variable = curve.driver.variables.new()
    variable.type, variable.name = "TRANSFORMS", "rx"
    target = variable.targets[0]
    target.id, target.bone_target, target.transform_type = rig, bone, "ROT_X"
    target.transform_space, target.rotation_mode = "LOCAL_SPACE", "SWING_TWIST_X"
    curve.driver.expression = expression
    return curve


def bone_driven_face(key_names=("jawOpen", "mouthClose", "mouthFunnel")):
    rig = synthetic_armature("makehuman_default")  # maps its "jaw" bone
    mesh = make_face_mesh(key_names=key_names)
    mesh.parent = rig
    drive(mesh, "jawOpen", rig, "jaw")
    return rig, mesh


def evaluated_values(mesh, key, frames):
    values = []
    for frame in frames:
        bpy.context.scene.frame_set(int(frame))
        evaluated = mesh.evaluated_get(bpy.context.evaluated_depsgraph_get())
        values.append(evaluated.data.shape_keys.key_blocks[key].value)
    return np.array(values)


def shape_key_paths(mesh):
    return {fc.data_path for fc in fcurves_of(mesh.data.shape_keys)}


def take_frames(scene):
    return range(scene.soundmotion.frame_start, scene.frame_end + 1)


@pytest.mark.parametrize("selected", ["mesh", "armature"])
def test_lip_sync_keys_the_driving_jaw_bone_and_the_driven_key_opens_the_mouth(scene, demo_speech, selected):
    rig, mesh = bone_driven_face()
    bpy.context.view_layer.objects.active = mesh if selected == "mesh" else rig
    scene.soundmotion.audio_path = str(demo_speech)
    assert bpy.ops.soundmotion.lip_sync() == {"FINISHED"}
    assert 'key_blocks["jawOpen"].value' not in shape_key_paths(mesh)
    assert 'key_blocks["mouthClose"].value' in shape_key_paths(mesh)  # undriven keys are keyed as before
    assert {fc.data_path for fc in fcurves_of(rig)} == {'pose.bones["jaw"].rotation_quaternion'}
    jaw_open = evaluated_values(mesh, "jawOpen", take_frames(scene))
    assert jaw_open.max() > 0.3 and jaw_open.min() < 0.05  # opens on vowels, closes again (old code: 0.0 all take)


def test_the_note_names_the_driven_key_and_its_bone(scene):
    rig, mesh = bone_driven_face()
    found_mesh, shape_key_map, _, jaw_bone, face_rig = lip_sync_targets(mesh)
    assert found_mesh is mesh and jaw_bone == "jaw" and face_rig is None
    assert set(shape_key_map.rows) == {"mouthClose", "mouthFunnel"}
    note = no_mouth_note(mesh, shape_key_map, jaw_bone, face_rig)
    assert "jawOpen (driven by jaw)" in note and "jaw bone jaw is keyed" in note


def test_talk_does_not_hold_the_driven_mouth_open(scene, demo_speech):
    rig, mesh = bone_driven_face()
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.talk(filepath=str(demo_speech)) == {"FINISHED"}
    assert 'key_blocks["jawOpen"].value' not in shape_key_paths(mesh)
    jaw_open = evaluated_values(mesh, "jawOpen", take_frames(scene))
    assert jaw_open.max() > 0.3 and jaw_open.min() < 0.05


def test_all_face_keys_driven_and_no_jaw_bone_is_refused_with_what_to_do(scene, demo_speech):
    rig = make_chain_armature()  # not a humanoid: no bone map, no jaw
    mesh = make_face_mesh(key_names=("jawOpen", "mouthClose"))
    mesh.parent = rig
    drive(mesh, "jawOpen", rig, "bone2")
    drive(mesh, "mouthClose", rig, "bone1")
    bpy.context.view_layer.objects.active = mesh
    scene.soundmotion.audio_path = str(demo_speech)
    with pytest.raises(RuntimeError, match=r"set by drivers \(jawOpen \(driven by bone2\), mouthClose \(driven by "
                                           r"bone1\)\).*jaw row.*or mute those drivers"):
        bpy.ops.soundmotion.lip_sync()
    assert not bpy.data.actions and mesh.data.shape_keys.animation_data.action is None


def test_muted_drivers_and_driven_body_correctives_change_nothing(scene):
    from soundmotion.operators.targets import driven_shape_keys

    rig, mesh = bone_driven_face(("jawOpen", "mouthClose", "elbow_fix"))
    mesh.data.shape_keys.animation_data.drivers.find('key_blocks["jawOpen"].value').mute = True
    drive(mesh, "elbow_fix", rig, "lowerarm01.L")
    assert driven_shape_keys(mesh) == {"elbow_fix": ["lowerarm01.L"]}
    _, shape_key_map, _, jaw_bone, _ = lip_sync_targets(mesh)
    assert set(shape_key_map.rows) == {"jawOpen", "mouthClose"} and jaw_bone is None
    assert no_mouth_note(mesh, shape_key_map, jaw_bone, None) is None  # the corrective is no face key
    assert take_action(mesh.data.shape_keys) is None
