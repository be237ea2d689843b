"""Floor, scale, facing and root from the rig's own rest pose, whatever its armature origin, object transform
(scale 0.01 and 100, tilted like an FBX import, turned, parented to a transformed empty), root-bone convention
and the scene's unit scale. Everything is measured in world space from Blender's evaluated pose, independently
of the add-on's own frame code: world directions against the source's turned to the character's facing."""

import bpy
import numpy as np
import pytest
from mathutils import Matrix
from scipy.spatial.transform import Rotation

from soundmotion.retarget import blender_rig
from soundmotion.retarget.bone_map import load_preset
from soundmotion.retarget.fidelity import segment_pairs
from soundmotion.retarget.foot_contacts import detect_contacts, slide_of
from soundmotion.retarget.makehuman_rig import read_makehuman_rig, standard_rig_path
from soundmotion.retarget.motion_file import MotionSource, load_motion_file
from soundmotion.retarget.rig import RigPose

import rig_factory
from rig_variants import hip_origin, transformed
from shared_mocap import CMU, needs_cmu

pytestmark = [pytest.mark.blender, needs_cmu]
WALK = CMU / "general" / "002_01.bvh"
FRAMES = 90


def _matrix(rotation=None, scale=1.0, location=(0.0, 0.0, 0.0)):
    matrix = np.eye(4)
    matrix[:3, :3] = (rotation or Rotation.identity()).as_matrix() * scale
    matrix[:3, 3] = location
    return matrix


# name: (MakeHuman rig, preset, hip origin, object rotation, object scale, unit scale, parent matrix, armature turn)
CASES = {
    "hip-origin game_engine (UE root at the floor)": ("game_engine", "unreal_ue4", True, None, 1.0, 1.0, None, None),
    "hip-origin cmu_mb (hips root)": ("cmu_mb", "makehuman_cmu_mb", True, None, 1.0, 1.0, None, None),
    "mixamo, object scale 0.01 (bones in cm)": ("mixamo", "mixamo", False, None, 0.01, 1.0, None, None),
    "default, object scale 100": ("default", "makehuman_default", False, None, 100.0, 1.0, None, None),
    "game_engine, Y-up armature tilted like an FBX import": (
        "game_engine", "unreal_ue4", False, Rotation.from_euler("x", 90, degrees=True), 1.0, 1.0, None, None),
    "cmu_mb hip-origin, turned 90 deg": (
        "cmu_mb", "makehuman_cmu_mb", True, Rotation.from_euler("z", 90, degrees=True), 1.0, 1.0, None, None),
    "mixamo, armature facing +Y": ("mixamo", "mixamo", False, None, 1.0, 1.0, None,
                                   Rotation.from_euler("z", 180, degrees=True)),
    "game_engine under a turned, scaled, tilted empty": (
        "game_engine", "unreal_ue4", False, None, 1.0, 1.0,
        _matrix(Rotation.from_euler("xz", [90, 30], degrees=True), 0.5, (2.0, -1.0, 0.3)), None),
    "default, scene in centimetres": ("default", "makehuman_default", False, None, 1.0, 0.01, None, None),
}


def _place(rig_name, preset, at_hips, rotation, scale, unit, parent_matrix, turn):
    """The rig standing upright in the world (metres), built in an armature space that makes it so."""
    rig = read_makehuman_rig(standard_rig_path(rig_name))
    bone_map = load_preset(preset).restricted_to(rig.names)
    if at_hips:
        rig = hip_origin(rig, bone_map)
    if turn is not None:
        rig = transformed(rig, turn)
    scene = bpy.context.scene
    if unit != 1.0:
        scene.unit_settings.system = "METRIC"
        scene.unit_settings.scale_length = unit
    world = _matrix(rotation)
    world[:3, :3] *= scale
    parent = None
    if parent_matrix is not None:
        parent = bpy.data.objects.new("Holder", None)
        scene.collection.objects.link(parent)
        parent.matrix_world = Matrix(parent_matrix.tolist())
        basis = np.linalg.inv(parent_matrix) @ world
    else:
        basis = world
    # Armature space = the world rig (in scene units) taken back through the object's whole transform.
    inverse = np.linalg.inv(world)
    local = transformed(rig, Rotation.from_matrix(inverse[:3, :3] * scale), 1.0 / (scale * unit))
    return rig_factory.build_armature(local, "Character", basis, parent), bone_map


def _world_heads(obj, names, frames, unit):
    scene = bpy.context.scene
    out = np.zeros((len(frames), len(names), 3))
    for i, frame in enumerate(frames):
        scene.frame_set(frame)
        world = np.array(obj.matrix_world)
        for b, name in enumerate(names):
            head = np.append(np.array(obj.pose.bones[name].head), 1.0)
            out[i, b] = (world @ head)[:3] * unit
    return out


def _yaw_of(heads, bone_map, names):
    across = heads[names.index(bone_map.bones["left_hip"])] - heads[names.index(bone_map.bones["right_hip"])]
    return Rotation.from_rotvec([0.0, 0.0, np.arctan2(across[1], across[0])])


@pytest.mark.parametrize("case", list(CASES))
def test_rig_performs_upright_on_its_own_floor_whatever_its_transform(case):
    rig_factory.empty_scene(30)
    unit = CASES[case][5]
    obj, bone_map = _place(*CASES[case])
    loaded = load_motion_file(WALK, fps=30)
    pose = loaded.pose
    source = MotionSource(RigPose(pose.rest, pose.world_rotations[:FRAMES], pose.heads[:FRAMES]), loaded.bone_map,
                          loaded.fps, loaded.label)
    _, result = blender_rig.retarget_onto_armature(source, obj, bone_map, frame_start=1)
    names = [bone_map.bones[j] for j in result.mapped_joints]
    world = np.array(obj.matrix_world)
    rest = np.array([(world @ np.append(np.array(obj.data.bones[n].head_local), 1.0))[:3] * unit for n in names])
    posed = _world_heads(obj, names, range(1, result.num_frames + 1), unit)
    facing = _yaw_of(rest, bone_map, names)

    # Bone directions, hip and shoulder lines in the world, against the source's turned to the rig's facing.
    joints = result.mapped_joints
    src_map = source.bone_map
    pairs = segment_pairs(joints)
    src_index = [[source.pose.rest.index(src_map.bones[j]) for j in pair] for pair in pairs]
    tgt_index = [[joints.index(j) for j in pair] for pair in pairs]
    src_dirs = np.stack([source.pose.heads[:, b] - source.pose.heads[:, a] for a, b in src_index], axis=1)
    tgt_dirs = np.stack([posed[:, b] - posed[:, a] for a, b in tgt_index], axis=1)
    src_dirs = facing.apply(src_dirs.reshape(-1, 3)).reshape(src_dirs.shape)
    cos = np.sum(src_dirs * tgt_dirs, axis=-1) / np.linalg.norm(src_dirs, axis=-1) / np.linalg.norm(tgt_dirs, axis=-1)
    angles = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    assert angles.mean() <= 1.0 and np.percentile(angles, 95) <= 3.0, (
        angles.mean(), np.percentile(angles, 95), sorted(zip(angles.mean(axis=0).round(1), pairs))[-4:])

    # Upright on the rest floor: head above the pelvis, feet never below their rest height.
    pelvis, head = names.index(bone_map.bones["pelvis"]), names.index(bone_map.bones["head"])
    ankles = [names.index(bone_map.bones[f"{s}_ankle"]) for s in ("left", "right")]
    assert np.all(posed[:, head, 2] > posed[:, pelvis, 2] + 0.3)
    assert posed[:, ankles, 2].min() >= rest[ankles, 2].min() - 0.01

    # The hips travel the source's path, turned to the rig's facing and scaled by the leg-length ratio.
    src_pelvis = source.pose.heads[:, source.pose.rest.index(src_map.bones["pelvis"])]
    legs = lambda heads, ids: sum(np.linalg.norm(heads[ids[k + 1]] - heads[ids[k]]) for k in range(2))  # noqa: E731
    tgt_leg = legs(rest, [names.index(bone_map.bones[f"left_{j}"]) for j in ("hip", "knee", "ankle")])
    src_rest = source.pose.rest.heads
    src_leg = legs(src_rest, [source.pose.rest.index(src_map.bones[f"left_{j}"]) for j in ("hip", "knee", "ankle")])
    expected = facing.apply(src_pelvis[-1] - src_pelvis[0]) * tgt_leg / src_leg
    travelled = posed[-1, pelvis] - posed[0, pelvis]
    assert np.linalg.norm(travelled[:2] - expected[:2]) <= 0.05 * np.linalg.norm(expected[:2]), (travelled, expected)

    # Planted feet stay planted (no more slide than the source's, scaled to the rig).
    for contact in detect_contacts(source.pose, src_map, source.fps):
        src = slide_of(source.pose.heads[:, source.pose.rest.index(src_map.bones[f"{contact.side}_ankle"])], contact)
        tgt = slide_of(posed[:, names.index(bone_map.bones[f"{contact.side}_ankle"])], contact)
        assert tgt <= src * tgt_leg / src_leg + 0.01, (contact, src, tgt)


def test_opaque_named_hip_origin_a_posed_rolled_rig_is_detected_and_retargeted(registered_addon):
    """b001, b002, ...: Detect Bone Map finds the humanoid from its structure, stores a confidence per row, and
    Retarget Motion follows the source as closely as on the named rig."""
    from soundmotion.retarget.fidelity import direction_errors
    from rig_variants import a_posed, opaque_names, rolled

    rig_factory.empty_scene(30)
    rig = read_makehuman_rig(standard_rig_path("cmu_mb"))
    named = load_preset("makehuman_cmu_mb").restricted_to(rig.names)
    rig, truth = opaque_names(rolled(hip_origin(a_posed(rig, named), named), seed=5), named, seed=11)
    obj = rig_factory.build_armature(rig, "Opaque")
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.soundmotion.detect_bone_map() == {"FINISHED"}
    stored = blender_rig.stored_bone_map(obj)
    assert stored.bones == truth.bones
    assert all(0.5 <= c <= 1.0 for c in stored.confidence.values()) and min(stored.confidence.values()) < 1.0
    obj.soundmotion_bone_map[0].bone = truth.bones["pelvis"]  # a row the user sets is certain
    assert obj.soundmotion_bone_map[0].confidence == 1.0
    source = load_motion_file(WALK, fps=30)
    _, result = blender_rig.retarget_onto_armature(source, obj, frame_start=1)
    pose = blender_rig.read_rig_motion(obj, 1, result.num_frames)
    fidelity = direction_errors(source.pose, source.bone_map, pose, truth, result.mapped_joints)
    assert fidelity.mean <= 1.0 and fidelity.p95 <= 3.0, fidelity.worst()
