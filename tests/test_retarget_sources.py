"""Motion as other systems write it (BEAT2/EMAGE and AMASS SMPL-X, Bandai-Namco-style BVH; synthetic files
made from CMU capture in those conventions, see mocap_variants.py): up axis and units read from the content,
translation read wherever the BVH puts it, and spine twist shared out instead of creasing the torso."""

import numpy as np
import pytest

from soundmotion.clips import rotations
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.retarget.bone_map import load_preset
from soundmotion.retarget.errors import RetargetError
from soundmotion.retarget.fidelity import direction_errors
from soundmotion.retarget.makehuman_rig import read_makehuman_rig, standard_rig_path
from soundmotion.retarget.motion_file import load_motion_file
from soundmotion.retarget.pipeline import retarget_source
from soundmotion.retarget.sources.bvh import read_bvh
from soundmotion.retarget.sources.smplx_npz import clip_to_smplx_arrays, smplx_arrays_to_clip
from soundmotion.retarget.transfer import target_pose

import mocap_variants
from shared_mocap import CMU, needs_cmu

pytestmark = needs_cmu
HEAD, PELVIS = SMPLX_SKELETON.index("head"), SMPLX_SKELETON.index("pelvis")


@pytest.fixture(scope="module")
def walk_clip():
    """CMU 002_01 (a walk, 3 m towards the camera) on the SMPL-X skeleton."""
    return mocap_variants.smplx_clip_from(load_motion_file(CMU / "general" / "002_01.bvh", fps=30))


def _assert_same_motion(clip, reference):
    positions, expected = joint_positions(clip), joint_positions(reference)
    np.testing.assert_allclose(positions, expected, atol=2e-3)


@pytest.mark.parametrize("layout", ["beat2", "amass", "beat2_cm"])
def test_smplx_files_are_read_upright_whatever_their_up_axis_and_unit(tmp_path, walk_clip, layout):
    """BEAT2 and EMAGE write `mocap_frame_rate` like AMASS but a Y-up world: the content decides."""
    up = "Z" if layout == "amass" else "Y"
    path = mocap_variants.write_beat2_npz(tmp_path / f"{layout}.npz", walk_clip, up, layout.endswith("_cm"))
    with np.load(path) as data:
        assert "mocap_frame_rate" in data and data["poses"].shape == (walk_clip.num_frames, 165)
    source = load_motion_file(path)
    _assert_same_motion(source_clip(source), walk_clip)
    positions = joint_positions(source_clip(source))
    assert np.all(positions[:, HEAD, 2] > positions[:, PELVIS, 2] + 0.4)
    travel = positions[-1, PELVIS, :2] - positions[0, PELVIS, :2]
    assert np.linalg.norm(travel) > 2.5  # the walk walks


def source_clip(source):
    from soundmotion.clips import MotionClip

    rest = rotations.normalize(source.pose.rest.rest_rotations)
    world = source.pose.world_rotations
    local = np.empty_like(world)
    for j, parent in enumerate(source.pose.rest.parents):
        local[:, j] = world[:, j] if parent < 0 else \
            rotations.multiply(rotations.conjugate(world[:, parent]), world[:, j])
    assert np.allclose(rest, rotations.IDENTITY_WXYZ)
    return MotionClip(source.fps, SMPLX_SKELETON, local, source.pose.heads[:, 0])


def test_per_part_keys_of_amass_and_of_the_smplx_model_read_the_same_motion(walk_clip):
    arrays = clip_to_smplx_arrays(walk_clip, "Y")
    poses = arrays["poses"]
    amass = {"root_orient": poses[:, :3], "pose_body": poses[:, 3:66], "pose_jaw": poses[:, 66:69],
             "pose_eye": poses[:, 69:75], "pose_hand": poses[:, 75:], "trans": arrays["trans"], "fps": 30.0}
    model = {"global_orient": poses[:, :3], "body_pose": poses[:, 3:66], "left_hand_pose": poses[:, 75:120],
             "right_hand_pose": poses[:, 120:], "jaw_pose": poses[:, 66:69], "transl": arrays["trans"], "fps": 30.0}
    for layout in (amass, model):
        _assert_same_motion(smplx_arrays_to_clip(layout), walk_clip)


def test_up_override_and_its_bad_values(tmp_path, walk_clip):
    path = mocap_variants.write_beat2_npz(tmp_path / "beat2.npz", walk_clip)
    flat = joint_positions(source_clip(load_motion_file(path, up_axis="z")))
    assert abs(flat[0, HEAD, 2] - flat[0, PELVIS, 2]) < 0.2  # told the wrong axis, it lies down
    with pytest.raises(RetargetError, match="up axis must be one of auto, y, z"):
        load_motion_file(path, up_axis="x")


def _travel_and_fidelity(source, rig_name="game_engine", preset="unreal_ue4"):
    rig = read_makehuman_rig(standard_rig_path(rig_name))
    bone_map = load_preset(preset).restricted_to(rig.names)
    result = retarget_source(source, rig, bone_map)
    pose = target_pose(rig, result)
    fidelity = direction_errors(source.pose, source.bone_map, pose, bone_map, result.mapped_joints)
    pelvis = rig.index(bone_map.bones["pelvis"])
    return rig, bone_map, result, pose, fidelity, pose.heads[:, pelvis]


def test_bandai_style_bvh_walks_with_translation_below_its_root(tmp_path, walk_clip):
    path = mocap_variants.write_bandai_bvh(tmp_path / "bandai.bvh", walk_clip)
    motion = read_bvh(path)
    assert motion.clip.skeleton.joint_names[0] == "Hips" and "joint_Root" not in motion.clip.skeleton.joint_names
    source = load_motion_file(path, fps=30)
    assert source.bone_map.bones["pelvis"] == "Hips"
    expected = walk_clip.root_translation
    np.testing.assert_allclose(source.pose.heads[:, 0], expected, atol=2e-3)
    rig, bone_map, result, pose, fidelity, pelvis = _travel_and_fidelity(source)
    assert fidelity.mean <= 1.0 and fidelity.p95 <= 3.0, fidelity.worst()
    src_path = np.sum(np.linalg.norm(np.diff(expected[:, :2], axis=0), axis=1))
    tgt_path = np.sum(np.linalg.norm(np.diff(pelvis[:, :2], axis=0), axis=1))
    assert 0.8 <= tgt_path / (src_path * result.leg_ratio) <= 1.25
    head = pose.heads[:, rig.index(bone_map.bones["head"])]
    assert np.all(head[:, 2] > pelvis[:, 2] + 0.4)


def _twist_deg(quats, axis):
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    quats = rotations.normalize(quats)
    return np.degrees(2.0 * np.arctan2(quats[..., 1:] @ axis, quats[..., 0]))


@pytest.mark.parametrize("rig_name, preset", [("game_engine", "unreal_ue4"), ("default", "makehuman_default")])
def test_no_spine_bone_twists_beyond_the_pelvis_to_chest_twist(tmp_path, walk_clip, rig_name, preset):
    """The Bandai-style file twists Spine +45 deg and Chest back: no joint moves, but copied as it is the
    target's spine would crease (about +22, +22, -40 deg on a three-bone spine)."""
    source = load_motion_file(mocap_variants.write_bandai_bvh(tmp_path / "twist.bvh", walk_clip), fps=30)
    rig, bone_map, result, _, _, _ = _travel_and_fidelity(source, rig_name, preset)
    rest, names = source.pose.rest, source.bone_map.bones
    pelvis, chest = rest.index(names["pelvis"]), rest.index(names["spine3"])
    relative = rotations.multiply(rotations.conjugate(source.pose.world_rotations[:, pelvis]),
                                  source.pose.world_rotations[:, chest])
    allowed = np.abs(_twist_deg(relative, rest.heads[chest] - rest.heads[pelvis]))
    first, last = rig.index(bone_map.bones["spine1"]), rig.index(bone_map.bones["spine3"])
    chain = [last]
    while chain[-1] != first:
        chain.append(rig.parents[chain[-1]])
    for bone in chain[1:]:  # the bones below the chest
        twist = np.abs(_twist_deg(result.bone_rotations[rig.names[bone]], [0.0, 1.0, 0.0]))
        assert np.all(twist <= allowed + 1.0), (rig.names[bone], twist.max(), allowed.max())


def test_retarget_cli_takes_an_up_override(tmp_path, walk_clip):
    from soundmotion.cli import build_parser

    args = build_parser().parse_args(["retarget", "x.npz", "--target", "c.blend", "--out", "o.blend", "--up", "y"])
    assert args.up == "y"
    assert build_parser().parse_args(["retarget", "x.npz", "--target", "c.blend", "--out", "o.blend"]).up == "auto"
