"""The bulk keyframe writer on real Blender (runs on both the 5.0 and the 4.2 bpy): every frame or key poses,
evaluated by Blender itself, and each take as one NLA strip on its own track."""

import bpy
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from blender_helpers import curve_values, make_chain_armature, make_face_mesh
from soundmotion.clips import rotations
from soundmotion.operators.action_channels import fcurves_of, has_slotted_actions, take_action, take_strips
from soundmotion.operators.keyframes import write_pose_action, write_property_action, write_shape_key_action
from soundmotion.takes.key_poses import KeyStyle

pytestmark = pytest.mark.blender
FRAMES = KeyStyle("FRAMES")


def wavy(count, seed=0):
    t = np.arange(count) / 30.0
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + sum(0.15 * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t + rng.uniform(0, 6))
                             for _ in range(3)), 0, 1)


def fcurve(id_block, data_path, index=0):
    return next(fc for fc in fcurves_of(id_block) if fc.data_path == data_path and fc.array_index == index)


def test_every_frame_is_one_linear_key_per_frame_from_the_offset(scene):
    mesh = make_face_mesh()
    values = np.linspace(0.0, 1.0, 50)
    action = write_shape_key_action(mesh, "SM_face_test", 11, {"jawOpen": values, "mouthClose": values[::-1]},
                                    FRAMES)
    assert action.name == "SM_face_test"
    frames, written = curve_values(mesh.data.shape_keys, 'key_blocks["jawOpen"].value')
    np.testing.assert_array_equal(frames, np.arange(11, 61))
    np.testing.assert_allclose(written, values, atol=1e-6)
    assert {k.interpolation for k in fcurve(mesh.data.shape_keys, 'key_blocks["jawOpen"].value').keyframe_points} \
        == {"LINEAR"}
    scene.frame_set(35)
    assert mesh.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(values[24], abs=1e-6)
    assert mesh.data.shape_keys.key_blocks["mouthClose"].value == pytest.approx(values[::-1][24], abs=1e-6)


def test_key_poses_are_few_and_blender_evaluates_them_within_tolerance(scene):
    mesh = make_face_mesh()
    values = wavy(240)
    write_shape_key_action(mesh, "SM_face_poses", 5, {"jawOpen": values, "mouthClose": np.full(240, 0.3)})
    curve = fcurve(mesh.data.shape_keys, 'key_blocks["jawOpen"].value')
    points = curve.keyframe_points
    assert 6 < len(points) < 240 / 6
    evaluated = np.array([curve.evaluate(5 + f) for f in range(240)])
    assert np.abs(evaluated - values).max() <= 0.02 + 1e-5
    assert {p.interpolation for p in points} == {"BEZIER"}
    assert {p.handle_left_type for p in points} == {p.handle_right_type for p in points} == {"ALIGNED"}
    assert {"KEYFRAME", "EXTREME"} <= {p.type for p in points}
    assert len(fcurve(mesh.data.shape_keys, 'key_blocks["mouthClose"].value').keyframe_points) == 1
    for frame in (5, 77, 190, 244):  # the whole take plays as Blender evaluates the scene, held key included
        scene.frame_set(frame)
        assert mesh.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(values[frame - 5], abs=0.0201)
        assert mesh.data.shape_keys.key_blocks["mouthClose"].value == pytest.approx(0.3, abs=1e-6)


@pytest.mark.parametrize("mode", ["QUATERNION", "XYZ", "ZXY", "AXIS_ANGLE"])
def test_pose_rotations_evaluate_within_tolerance_in_any_rotation_mode(scene, mode):
    rig = make_chain_armature()
    for bone in rig.pose.bones:
        bone.rotation_mode = mode
    t = np.arange(90)[:, None] / 30.0
    quats = rotations.from_rotation(Rotation.from_rotvec(np.hstack([np.sin(t), 0.5 * np.cos(1.7 * t), 0.3 * t])),
                                    (90,))
    locations = np.column_stack([np.sin(np.arange(90) / 9.0), np.zeros(90), np.linspace(0, 0.5, 90)]) * 0.2
    write_pose_action(rig, "SM_body_test", 1, {"bone1": quats}, {"bone0": locations})
    assert rig.pose.bones["bone1"].rotation_mode == mode  # the user's rig is left as it was
    keyed = {len(fc.keyframe_points) for fc in fcurves_of(rig) if "bone1" in fc.data_path}
    assert len(keyed) == 1 and keyed.pop() < 30  # one set of key frames for the bone's channels
    for frame in range(1, 91, 7):
        scene.frame_set(frame)
        got = np.array(rig.pose.bones["bone1"].matrix_basis.to_quaternion())
        angle = 2 * np.degrees(np.arccos(min(1.0, abs(np.dot(got, quats[frame - 1])))))
        assert angle <= 0.31
        assert np.linalg.norm(np.array(rig.pose.bones["bone0"].location) - locations[frame - 1]) <= 0.0051


def test_quaternion_curves_are_sign_continuous(scene):
    rig = make_chain_armature()
    quats = rotations.from_rotation(Rotation.from_euler("x", np.linspace(0, 340, 30)[:, None], degrees=True), (30,))
    quats[::2] *= -1.0  # same rotations, alternating hemispheres
    write_pose_action(rig, "SM_body_spin", 1, {"bone0": quats}, style=FRAMES)
    _, w = curve_values(rig, 'pose.bones["bone0"].rotation_quaternion', 0)
    _, x = curve_values(rig, 'pose.bones["bone0"].rotation_quaternion', 1)
    steps = np.linalg.norm(np.diff(np.column_stack([w, x]), axis=0), axis=1)
    assert steps.max() < 0.2


def test_stepped_face_keys_are_constant_on_twos(scene):
    mesh = make_face_mesh()
    write_shape_key_action(mesh, "SM_face_steps", 1, {"jawOpen": wavy(60)}, KeyStyle(step=2))
    points = fcurve(mesh.data.shape_keys, 'key_blocks["jawOpen"].value').keyframe_points
    frames = [p.co[0] for p in points]
    assert {p.interpolation for p in points} == {"CONSTANT"} and all((f - 1) % 2 == 0 for f in frames)
    scene.frame_set(4)
    assert mesh.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(wavy(60)[2], abs=1e-6)


def test_mouth_index_property_is_keyed_constant_where_it_changes(scene):
    plane = make_face_mesh("Sprite", key_names=())
    write_property_action(plane, "SM_mouth_test", 1, "soundmotion_mouth", [8, 8, 0, 0, 0, 3, 3, 8], 8)
    points = fcurve(plane, '["soundmotion_mouth"]').keyframe_points
    assert [(p.co[0], p.co[1]) for p in points] == [(1, 8), (3, 0), (6, 3), (8, 8)]
    assert {p.interpolation for p in points} == {"CONSTANT"}
    scene.frame_set(7)
    assert plane["soundmotion_mouth"] == 3


def test_unknown_shape_key_raises_before_creating_an_action(scene):
    mesh = make_face_mesh()
    before = len(bpy.data.actions)
    with pytest.raises(KeyError, match="browDownLeft"):
        write_shape_key_action(mesh, "SM_face_bad", 1, {"browDownLeft": np.ones(3)})
    assert len(bpy.data.actions) == before and mesh.data.shape_keys.animation_data is None


def test_each_take_is_one_strip_on_its_own_track(scene):
    rig = make_chain_armature()
    action = write_pose_action(rig, "SM_dance_song", 10, {"bone0": np.tile([1.0, 0, 0, 0], (30, 1))})
    tracks = rig.animation_data.nla_tracks
    assert [t.name for t in tracks] == ["SM_static", "SM_dance_song"] and len(tracks[1].strips) == 1
    strip = tracks[1].strips[0]
    assert strip.action == action and (strip.frame_start, strip.frame_end) == (10, 39)
    assert strip.extrapolation == "HOLD_FORWARD" and rig.animation_data.action is None  # a body holds its last pose
    if has_slotted_actions():
        assert strip.action_slot == action.slots[0] and action.slots[0].target_id_type == "OBJECT"
    assert all(fc.group.name == "bone0" for fc in fcurves_of(rig))


def _turn(angle_degrees, count=20):
    return rotations.from_rotation(Rotation.from_euler("x", np.full((count, 1), angle_degrees), degrees=True), (count,))


def test_rerunning_a_take_replaces_only_its_strip_and_corrections_above_survive(scene):
    rig = make_chain_armature()
    write_pose_action(rig, "SM_gesture_line", 1, {"bone0": _turn(10), "bone1": _turn(5)})
    write_pose_action(rig, "SM_dance_song", 40, {"bone0": _turn(-30)})
    # The animator corrects bone1 on a layer above the takes (the active action, blended with Combine).
    correction = bpy.data.actions.new("fix")
    rig.animation_data.action = correction
    rig.animation_data.action_blend_type = "COMBINE"
    # Posed to 20 degrees over the take's 5 and keyed, the layer holds the 15-degree difference.
    bone1 = rig.pose.bones["bone1"]
    bone1.rotation_quaternion = rotations.from_rotation(Rotation.from_euler("x", [20], degrees=True))[0]
    bone1.keyframe_insert("rotation_quaternion", frame=1)
    scene.frame_set(5)
    assert np.degrees(Rotation.from_quat(np.roll(bone1.matrix_basis.to_quaternion(), -1)).magnitude()) \
        == pytest.approx(20, abs=0.5)
    second = write_pose_action(rig, "SM_gesture_line", 1, {"bone0": _turn(15), "bone1": _turn(8)})
    assert second.name == "SM_gesture_line.001"
    assert rig.animation_data.action == correction  # the correction layer is untouched
    names = sorted((t.name, [s.action.name for s in t.strips]) for t in rig.animation_data.nla_tracks)
    assert names == [("SM_dance_song", ["SM_dance_song"]), ("SM_gesture_line", ["SM_gesture_line.001"]),
                     ("SM_static", ["SM_static_Rig"])]
    scene.frame_set(5)
    assert np.degrees(Rotation.from_quat(np.roll(bone1.matrix_basis.to_quaternion(), -1)).magnitude()) \
        == pytest.approx(23, abs=0.5)  # the new take's 8 degrees plus the animator's 15 on top
    assert take_action(rig).name == "SM_gesture_line.001" and take_action(rig, "SM_dance").name == "SM_dance_song"


def _shape_values(scene, keys, frames, names=("jawOpen", "mouthClose")):
    values = []
    for frame in frames:
        scene.frame_set(frame)
        values.append([keys.key_blocks[name].value for name in names])
    return np.array(values)


def test_outside_its_takes_a_face_keeps_its_static_values(scene):
    mesh = make_face_mesh()
    keys = mesh.data.shape_keys
    keys.key_blocks["jawOpen"].value, keys.key_blocks["mouthClose"].value = 0.3, 0.1
    write_shape_key_action(mesh, "SM_face_one", 10, {"jawOpen": np.linspace(0.5, 0.9, 20)})
    write_shape_key_action(mesh, "SM_face_two", 50, {"jawOpen": np.full(20, 0.6), "mouthClose": np.full(20, 0.8)})
    values = _shape_values(scene, keys, [1, 9, 10, 29, 30, 45, 50, 69, 70, 200])
    np.testing.assert_allclose(values[:, 0], [0.3, 0.3, 0.5, 0.9, 0.3, 0.3, 0.6, 0.6, 0.3, 0.3], atol=0.021)
    np.testing.assert_allclose(values[:, 1], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.8, 0.8, 0.1, 0.1], atol=1e-6)
    static = keys.animation_data.nla_tracks[0]
    assert static.name == "SM_static" and static.strips[0].extrapolation == "HOLD"
    assert [s.extrapolation for t in keys.animation_data.nla_tracks[1:] for s in t.strips] == ["NOTHING"] * 2


def _bone_angles(scene, rig, frames, bone="bone0"):
    angles = []
    for frame in frames:
        scene.frame_set(frame)
        quat = np.array(rig.pose.bones[bone].matrix_basis.to_quaternion())
        angles.append(np.degrees(Rotation.from_quat(np.roll(quat, -1)).as_rotvec()[0]))
    return np.array(angles)


def test_a_body_take_holds_its_last_pose_until_the_next_take_and_the_static_pose_before(scene):
    rig = make_chain_armature()
    rig.pose.bones["bone0"].rotation_quaternion = _turn(-20, 1)[0]  # the animator's static pose
    write_pose_action(rig, "SM_gesture_line", 10, {"bone0": _turn(10)})
    write_pose_action(rig, "SM_dance_song", 50, {"bone0": _turn(30)})
    angles = _bone_angles(scene, rig, [1, 9, 10, 29, 30, 49, 50, 69, 70, 300])
    np.testing.assert_allclose(angles, [-20, -20, 10, 10, 10, 10, 30, 30, 30, 30], atol=0.35)


def test_a_take_placed_before_a_later_one_does_not_cover_it(scene):
    rig = make_chain_armature()
    write_pose_action(rig, "SM_dance_song", 50, {"bone0": _turn(30)})
    write_pose_action(rig, "SM_gesture_line", 10, {"bone0": _turn(10)})  # a higher track, earlier in time
    strips = {t.name: t.strips[0] for t in rig.animation_data.nla_tracks}
    assert strips["SM_gesture_line"].extrapolation == "NOTHING"  # a hold would cover the dance
    assert strips["SM_dance_song"].extrapolation == "HOLD_FORWARD"
    angles = _bone_angles(scene, rig, [5, 20, 40, 60, 100])
    np.testing.assert_allclose(angles, [0, 10, 0, 30, 30], atol=0.35)


def test_a_plain_active_action_is_set_aside_and_given_back_by_restore(scene, registered_addon):
    mesh = make_face_mesh()
    keys = mesh.data.shape_keys
    own = bpy.data.actions.new("hand_keyed")
    keys.animation_data_create().action = own
    write_shape_key_action(mesh, "SM_face_line", 1, {"jawOpen": np.ones(10)})
    assert keys.animation_data.action is None and own.use_fake_user
    bpy.context.view_layer.objects.active = mesh
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert keys.animation_data.action == own and not take_strips(keys)


def test_restore_gives_back_the_previous_take_and_static_values(scene, registered_addon):
    mesh = make_face_mesh()
    keys = mesh.data.shape_keys
    keys.key_blocks["jawOpen"].value = 0.3
    keys.key_blocks["mouthClose"].value = 0.1
    write_shape_key_action(mesh, "SM_face_one", 1, {"jawOpen": np.linspace(0, 1, 10), "mouthClose": np.ones(10)})
    take_two = write_shape_key_action(mesh, "SM_face_one", 1, {"jawOpen": np.ones(10)})
    scene.frame_set(5)
    assert keys.key_blocks["jawOpen"].value == pytest.approx(1.0)
    bpy.context.view_layer.objects.active = mesh
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert take_action(keys).name == "SM_face_one" and take_two.use_fake_user
    assert [s.action.name for s, _ in take_strips(keys)] == ["SM_face_one"]
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert take_action(keys) is None and len(keys.animation_data.nla_tracks) == 0
    assert keys.key_blocks["jawOpen"].value == pytest.approx(0.3)
    assert keys.key_blocks["mouthClose"].value == pytest.approx(0.1)
    assert bpy.ops.soundmotion.restore_previous() == {"CANCELLED"}


def test_restore_puts_a_posed_bone_back(scene, registered_addon):
    rig = make_chain_armature()
    rig.pose.bones["bone1"].rotation_quaternion = (0.0, 1.0, 0.0, 0.0)
    write_pose_action(rig, "SM_body_take", 1, {"bone1": np.tile([1.0, 0, 0, 0], (4, 1))})
    scene.frame_set(2)
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert not take_strips(rig)
    np.testing.assert_allclose(rig.pose.bones["bone1"].rotation_quaternion, [0, 1, 0, 0], atol=1e-6)
