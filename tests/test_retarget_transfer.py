import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from soundmotion.clips import MotionClip, rotations
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.retarget.bone_map import load_preset
from soundmotion.retarget.errors import RetargetError
from soundmotion.retarget.fidelity import direction_errors
from soundmotion.retarget.makehuman_rig import read_makehuman_rig, standard_rig_path
from soundmotion.retarget.rig import RigRest
from soundmotion.retarget.root_motion import RootMode
from soundmotion.retarget.sources.bvh import read_bvh
from soundmotion.retarget.transfer import retarget, source_pose_from_clip, target_pose

from rig_variants import a_posed, synthetic_rig
from shared_mocap import CMU, needs_cmu

MAKEHUMAN = {"default": "makehuman_default", "game_engine": "unreal_ue4", "mixamo": "mixamo",
             "cmu_mb": "makehuman_cmu_mb"}


def smplx_dance(frames=120, fps=30.0, seed=0) -> MotionClip:
    """Smooth random joint rotations (±40°) and a travelling, bobbing pelvis on the canonical skeleton."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / fps
    phase = rng.uniform(0, 2 * np.pi, (1, 55, 3))
    rotvec = np.radians(40) * np.sin(2 * np.pi * 0.7 * t + phase) * rng.uniform(0.2, 1.0, (1, 55, 3))
    quats = rotations.from_rotation(Rotation.from_rotvec(rotvec.reshape(-1, 3)), (frames, 55))
    root = np.tile(SMPLX_SKELETON.offsets[0], (frames, 1))
    root[:, 1] -= 0.8 * t[:, 0, 0]
    root[:, 2] += 0.05 * np.sin(4 * np.pi * t[:, 0, 0])
    return MotionClip(fps, SMPLX_SKELETON, quats, root)


def smplx_source():
    clip = smplx_dance()
    rig = RigRest.from_skeleton(clip.skeleton)
    return source_pose_from_clip(clip, rig), load_preset("smplx_addon"), clip.fps


def cmu_source(name="general/002_01.bvh"):
    motion = read_bvh(CMU / name)
    return source_pose_from_clip(motion.clip, motion.rig), load_preset("character_creator"), motion.clip.fps


def targets():
    for rig_name, preset in MAKEHUMAN.items():
        yield rig_name, read_makehuman_rig(standard_rig_path(rig_name)), load_preset(preset)
    rig = read_makehuman_rig(standard_rig_path("game_engine"))
    yield "game_engine A-pose", a_posed(rig, load_preset("unreal_ue4")), load_preset("unreal_ue4")
    for preset in ("vroid", "character_creator", "unreal_ue5", "smplx_addon"):
        rig, bone_map = synthetic_rig(preset)
        yield preset, rig, bone_map


def fidelity_of(source, source_map, target, target_map, fps):
    result = retarget(source, source_map, target, target_map, fps)
    pose = target_pose(target, result)
    return result, direction_errors(source, source_map.restricted_to(source.rest.names), pose,
                                    target_map.restricted_to(target.names), result.mapped_joints)


@pytest.mark.parametrize("label, target, target_map", list(targets()), ids=[t[0] for t in targets()])
def test_smplx_motion_fidelity(label, target, target_map):
    source, source_map, fps = smplx_source()
    result, fidelity = fidelity_of(source, source_map, target, target_map, fps)
    assert len(fidelity.segments) >= 15
    assert fidelity.mean <= 2.0 and fidelity.p95 <= 5.0, (label, fidelity.worst())


@needs_cmu
@pytest.mark.parametrize("label, target, target_map", list(targets()), ids=[t[0] for t in targets()])
def test_cmu_mocap_fidelity(label, target, target_map):
    source, source_map, fps = cmu_source()
    result, fidelity = fidelity_of(source, source_map, target, target_map, fps)
    assert fidelity.mean <= 2.0 and fidelity.p95 <= 5.0, (label, fidelity.worst())
    assert result.num_frames == source.num_frames


def test_a_pose_target_keeps_arm_directions_of_a_t_pose_source():
    source, source_map, fps = smplx_source()
    target = a_posed(*synthetic_rig("mixamo"))
    _, fidelity = fidelity_of(source, source_map, target, load_preset("mixamo"), fps)
    arm = [i for i, s in enumerate(fidelity.segments) if "elbow" in s or "shoulder→" in s]
    assert arm and fidelity.angles_deg[:, arm].max() < 0.01


def test_five_spine_bones_share_the_back_bend():
    source, source_map, fps = smplx_source()
    target = read_makehuman_rig(standard_rig_path("default"))
    result = retarget(source, source_map, target, load_preset("makehuman_default"), fps)
    angles = {name: np.degrees(Rotation.from_quat(result.bone_rotations[name][:, [1, 2, 3, 0]]).magnitude()).mean()
              for name in ("spine05", "spine04", "spine03", "spine02", "spine01")}
    assert all(a > 1.0 for a in angles.values()), angles  # the unmapped spine04/spine02 bend too


def test_root_motion_scaled_by_leg_length_and_modes():
    source, source_map, fps = smplx_source()
    target, target_map = synthetic_rig("mixamo")
    small = RigRest(target.names, target.parents, target.heads * 0.5, target.tails * 0.5, target.rest_rotations)
    full = retarget(source, source_map, small, target_map, fps)
    travel = full.bone_locations["mixamorig:Hips"]
    pelvis = source.heads[:, 0]
    assert full.leg_ratio / retarget(source, source_map, target, target_map, fps).leg_ratio == pytest.approx(0.5)
    hips_rest = Rotation.from_quat(small.rest_rotations[0][[1, 2, 3, 0]])
    world = hips_rest.apply(travel) + small.heads[0]
    np.testing.assert_allclose(world[-1, :2] - world[0, :2], full.leg_ratio * (pelvis[-1, :2] - pelvis[0, :2]),
                               atol=1e-9)
    # In place, the point between the hip joints stays put (the pelvis bone's head may swing about it).
    in_place = target_pose(small, retarget(source, source_map, small, target_map, fps, RootMode.IN_PLACE))
    hips = [small.index(f"mixamorig:{side}UpLeg") for side in ("Left", "Right")]
    centre = 0.5 * (in_place.heads[:, hips[0]] + in_place.heads[:, hips[1]])
    assert np.ptp(centre[:, 0]) < 1e-9 and np.ptp(centre[:, 1]) < 1e-9 and np.ptp(centre[:, 2]) > 0.01
    none = retarget(source, source_map, small, target_map, fps, RootMode.NONE)
    assert np.abs(none.bone_locations["mixamorig:Hips"]).max() < 1e-12


def test_non_humanoid_target_is_refused_with_the_missing_joints():
    source, source_map, fps = smplx_source()
    rig = RigRest(["Bone"], [-1], [[0, 0, 0]], [[0, 0, 1]], [[1, 0, 0, 0]])
    with pytest.raises(RetargetError, match="target armature does not look like a humanoid rig: no bone found for"):
        retarget(source, source_map, rig, load_preset("mixamo"), fps)
