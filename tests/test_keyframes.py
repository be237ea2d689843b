"""The bulk keyframe writer on real Blender (runs on both the 5.0 and the 4.2 bpy)."""

import bpy
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from blender_helpers import curve_values, make_chain_armature, make_face_mesh
from soundmotion.clips import rotations
from soundmotion.operators.action_channels import fcurves_of, has_slotted_actions
from soundmotion.operators.keyframes import write_pose_action, write_shape_key_action

pytestmark = pytest.mark.blender


def test_shape_key_action_has_one_key_per_frame_from_the_offset(scene):
    mesh = make_face_mesh()
    values = np.linspace(0.0, 1.0, 50)
    action = write_shape_key_action(mesh, "SM_face_test", 11, {"jawOpen": values, "mouthClose": values[::-1]})
    assert action.name == "SM_face_test"
    frames, written = curve_values(mesh.data.shape_keys, 'key_blocks["jawOpen"].value')
    np.testing.assert_array_equal(frames, np.arange(11, 61))
    np.testing.assert_allclose(written, values, atol=1e-6)
    scene.frame_set(35)
    assert mesh.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(values[24], abs=1e-6)
    assert mesh.data.shape_keys.key_blocks["mouthClose"].value == pytest.approx(values[::-1][24], abs=1e-6)


def test_new_action_keeps_the_previous_one_with_a_fake_user(scene):
    mesh = make_face_mesh()
    first = write_shape_key_action(mesh, "SM_face_take", 1, {"jawOpen": np.ones(5)})
    second = write_shape_key_action(mesh, "SM_face_take", 1, {"jawOpen": np.zeros(5)})
    assert second.name == "SM_face_take.001"
    assert mesh.data.shape_keys.animation_data.action == second
    assert first.use_fake_user and first.name in bpy.data.actions
    np.testing.assert_allclose(list(first.frame_range), [1, 5])


def test_unknown_shape_key_raises_before_creating_an_action(scene):
    mesh = make_face_mesh()
    before = len(bpy.data.actions)
    with pytest.raises(KeyError, match="browDownLeft"):
        write_shape_key_action(mesh, "SM_face_bad", 1, {"browDownLeft": np.ones(3)})
    assert len(bpy.data.actions) == before and mesh.data.shape_keys.animation_data is None


@pytest.mark.parametrize("mode", ["QUATERNION", "XYZ", "ZXY", "AXIS_ANGLE"])
def test_pose_rotations_evaluate_to_the_requested_quaternions_in_any_rotation_mode(scene, mode):
    rig = make_chain_armature()
    for bone in rig.pose.bones:
        bone.rotation_mode = mode
    quats = rotations.from_rotation(Rotation.random(40, random_state=3), (40,))
    locations = np.random.default_rng(0).normal(size=(40, 3)) * 0.1
    write_pose_action(rig, "SM_body_test", 1, {"bone1": quats}, {"bone0": locations})
    assert rig.pose.bones["bone1"].rotation_mode == mode  # the user's rig is left as it was
    for frame in (1, 17, 40):
        scene.frame_set(frame)
        got = np.array(rig.pose.bones["bone1"].matrix_basis.to_quaternion())
        expected = quats[frame - 1]
        assert abs(np.dot(got, expected)) == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(rig.pose.bones["bone0"].location, locations[frame - 1], atol=1e-6)


def test_quaternion_curves_are_sign_continuous(scene):
    rig = make_chain_armature()
    quats = rotations.from_rotation(Rotation.from_euler("x", np.linspace(0, 340, 30)[:, None], degrees=True), (30,))
    quats[::2] *= -1.0  # same rotations, alternating hemispheres
    write_pose_action(rig, "SM_body_spin", 1, {"bone0": quats})
    _, w = curve_values(rig, 'pose.bones["bone0"].rotation_quaternion', 0)
    _, x = curve_values(rig, 'pose.bones["bone0"].rotation_quaternion', 1)
    steps = np.linalg.norm(np.diff(np.column_stack([w, x]), axis=0), axis=1)
    assert steps.max() < 0.2


def test_curves_live_where_this_blender_version_keeps_them(scene):
    rig = make_chain_armature()
    action = write_pose_action(rig, "SM_body_layout", 1, {"bone0": np.tile([1.0, 0, 0, 0], (3, 1))})
    paths = sorted({(fc.data_path, fc.array_index) for fc in fcurves_of(rig)})
    assert paths == [('pose.bones["bone0"].rotation_quaternion', i) for i in range(4)]
    if has_slotted_actions():
        assert rig.animation_data.action_slot == action.slots[0]
        assert action.slots[0].target_id_type == "OBJECT"
    assert all(fc.group.name == "bone0" for fc in fcurves_of(rig))


def test_restore_gives_back_the_previous_action_and_static_values(scene, registered_addon):
    mesh = make_face_mesh()
    keys = mesh.data.shape_keys
    keys.key_blocks["jawOpen"].value = 0.3
    keys.key_blocks["mouthClose"].value = 0.1
    write_shape_key_action(mesh, "SM_face_one", 1, {"jawOpen": np.linspace(0, 1, 10), "mouthClose": np.ones(10)})
    take_two = write_shape_key_action(mesh, "SM_face_two", 1, {"jawOpen": np.ones(10)})
    scene.frame_set(5)
    assert keys.key_blocks["jawOpen"].value == pytest.approx(1.0)
    bpy.context.view_layer.objects.active = mesh
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert keys.animation_data.action.name == "SM_face_one" and take_two.use_fake_user
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert keys.animation_data.action is None
    assert keys.key_blocks["jawOpen"].value == pytest.approx(0.3)
    assert keys.key_blocks["mouthClose"].value == pytest.approx(0.1)


def test_restore_puts_a_posed_bone_back(scene, registered_addon):
    rig = make_chain_armature()
    rig.pose.bones["bone1"].rotation_quaternion = (0.0, 1.0, 0.0, 0.0)
    write_pose_action(rig, "SM_body_take", 1, {"bone1": np.tile([1.0, 0, 0, 0], (4, 1))})
    scene.frame_set(2)
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert rig.animation_data.action is None
    np.testing.assert_allclose(rig.pose.bones["bone1"].rotation_quaternion, [0, 1, 0, 0], atol=1e-6)
