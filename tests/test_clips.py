import importlib.util
import pathlib

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from soundmotion.clips import ARKIT_BLENDSHAPES, ClipError, FaceClip, MotionClip, SMPLX_SKELETON, Skeleton
from soundmotion.clips import rotations
from soundmotion.clips.kinematics import joint_positions


def _smplx_joint_names():
    # smplx/__init__ imports torch; the joint table itself is a plain module, so load just that file.
    package_dir = pathlib.Path(importlib.util.find_spec("smplx").submodule_search_locations[0])
    spec = importlib.util.spec_from_file_location("smplx_joint_names", package_dir / "joint_names.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.JOINT_NAMES


def random_motion(frames=20, fps=30.0, seed=0):
    rng = np.random.default_rng(seed)
    quats = rotations.from_rotation(Rotation.random(frames * len(SMPLX_SKELETON), random_state=seed),
                                    (frames, len(SMPLX_SKELETON)))
    return MotionClip(fps, SMPLX_SKELETON, quats, rng.normal(size=(frames, 3)))


def test_canonical_skeleton_is_smplx_joint_set_and_order():
    assert SMPLX_SKELETON.joint_names == tuple(_smplx_joint_names()[:55])
    assert len(SMPLX_SKELETON) == 55
    assert SMPLX_SKELETON.parents[SMPLX_SKELETON.index("left_wrist")] == SMPLX_SKELETON.index("left_elbow")
    assert SMPLX_SKELETON.parents[SMPLX_SKELETON.index("jaw")] == SMPLX_SKELETON.index("head")
    assert SMPLX_SKELETON.parents[SMPLX_SKELETON.index("right_thumb1")] == SMPLX_SKELETON.index("right_wrist")


def test_rest_pose_is_a_z_up_t_pose_with_left_on_plus_x():
    rest = SMPLX_SKELETON.rest_positions()
    name = SMPLX_SKELETON.index
    assert 1.45 < rest[name("head")][2] < 1.7
    assert rest[name("left_foot")][2] < 0.1 and rest[name("left_foot")][1] < rest[name("left_ankle")][1]
    assert rest[name("left_wrist")][0] > 0.6 and rest[name("right_wrist")][0] < -0.6
    assert abs(rest[name("left_wrist")][2] - rest[name("left_shoulder")][2]) < 1e-9
    np.testing.assert_allclose(rest[name("left_index3")] * [-1, 1, 1], rest[name("right_index3")])


def test_motion_clip_npz_round_trip_keeps_schema(tmp_path):
    clip = random_motion()
    clip.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        assert sorted(data.files) == sorted(["fps", "joint_names", "parents", "offsets", "rotations", "root_translation"])
        assert data["rotations"].shape == (20, 55, 4) and data["joint_names"][0] == "pelvis"
        assert data["parents"][0] == -1 and data["fps"].shape == ()
    loaded = MotionClip.load(tmp_path / "m.npz")
    assert loaded.fps == 30.0 and loaded.skeleton.same_topology(SMPLX_SKELETON)
    np.testing.assert_allclose(loaded.rotations, clip.rotations, atol=1e-6)
    np.testing.assert_allclose(loaded.root_translation, clip.root_translation, atol=1e-6)


def test_face_clip_npz_round_trip(tmp_path):
    weights = np.random.default_rng(1).uniform(size=(15, 52))
    FaceClip(24, weights).save(tmp_path / "f.npz")
    with np.load(tmp_path / "f.npz") as data:
        assert tuple(data["channel_names"]) == ARKIT_BLENDSHAPES and data["weights"].shape == (15, 52)
    loaded = FaceClip.load(tmp_path / "f.npz")
    assert loaded.fps == 24.0
    np.testing.assert_allclose(loaded.weights, weights, atol=1e-6)


def test_resample_rotations_uses_slerp():
    quats = np.zeros((2, 55, 4))
    quats[:, :, 0] = 1.0
    quats[1, 3] = rotations.from_rotation(Rotation.from_euler("z", 90, degrees=True))[0]
    clip = MotionClip(1.0, SMPLX_SKELETON, quats, np.zeros((2, 3)))
    doubled = clip.resampled(2.0)  # times 0, 0.5 (halfway), clamped
    assert doubled.num_frames == 4
    halfway = rotations.to_rotation(doubled.rotations[1, 3]).as_euler("xyz", degrees=True)[0]
    np.testing.assert_allclose(halfway, [0, 0, 45], atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(doubled.rotations, axis=-1), 1.0, atol=1e-12)


def test_resample_changes_frame_count_with_duration_and_keeps_motion():
    clip = random_motion(frames=60, fps=60.0)
    at_30 = clip.resampled(30.0)
    assert at_30.num_frames == 30 and at_30.fps == 30.0
    np.testing.assert_allclose(at_30.rotations[5], clip.rotations[10], atol=1e-9)
    np.testing.assert_allclose(at_30.root_translation[5], clip.root_translation[10], atol=1e-9)


def test_face_resample_is_linear():
    weights = np.zeros((3, 52))
    weights[:, 17] = [0.0, 1.0, 0.0]
    doubled = FaceClip(10, weights).resampled(20)
    np.testing.assert_allclose(doubled.channel("jawOpen")[:5], [0.0, 0.5, 1.0, 0.5, 0.0])


@pytest.mark.parametrize("corrupt, message", [
    (lambda r, t: r.__setitem__((3, 2, 1), np.nan), "NaN"),
    (lambda r, t: r.__setitem__((3, 2), [2.0, 0, 0, 0]), "unit quaternions"),
    (lambda r, t: t.__setitem__((0, 0), np.inf), "NaN"),
])
def test_motion_validation_names_the_problem(corrupt, message):
    clip = random_motion()
    rot, trans = clip.rotations.copy(), clip.root_translation.copy()
    corrupt(rot, trans)
    with pytest.raises(ClipError, match=message):
        MotionClip(30, SMPLX_SKELETON, rot, trans)


def test_motion_validation_rejects_shape_mismatch():
    with pytest.raises(ClipError, match=r"\(frames, 55, 4\)"):
        MotionClip(30, SMPLX_SKELETON, np.tile([1.0, 0, 0, 0], (10, 54, 1)), np.zeros((10, 3)))
    with pytest.raises(ClipError, match="root_translation"):
        MotionClip(30, SMPLX_SKELETON, np.tile([1.0, 0, 0, 0], (10, 55, 1)), np.zeros((9, 3)))


def test_face_validation_rejects_wrong_names_range_and_nan():
    names = list(ARKIT_BLENDSHAPES)
    names[17] = "JawOpen"
    with pytest.raises(ClipError, match="JawOpen"):
        FaceClip(30, np.zeros((4, 52)), tuple(names))
    with pytest.raises(ClipError, match=r"\[0, 1\]"):
        FaceClip(30, np.full((4, 52), 1.5))
    with pytest.raises(ClipError, match="NaN"):
        FaceClip(30, np.full((4, 52), np.nan))
    with pytest.raises(ClipError, match=r"\(frames, 52\)"):
        FaceClip(30, np.zeros((4, 51)))


def test_skeleton_rejects_child_before_parent():
    with pytest.raises(ClipError, match="parent must come before"):
        Skeleton(("a", "b", "c"), [-1, 2, 0], np.zeros((3, 3)))


def test_load_reports_missing_keys(tmp_path):
    np.savez(tmp_path / "bad.npz", fps=30.0, rotations=np.zeros((1, 1, 4)))
    with pytest.raises(ClipError, match="joint_names"):
        MotionClip.load(tmp_path / "bad.npz")


def test_forward_kinematics_of_rest_pose_matches_rest_positions():
    positions = joint_positions(MotionClip.rest(3))
    np.testing.assert_allclose(positions[2], SMPLX_SKELETON.rest_positions(), atol=1e-12)


def test_forward_kinematics_rotates_children_about_the_parent():
    clip = MotionClip.rest(1)
    elbow = SMPLX_SKELETON.index("left_elbow")
    clip.rotations[0, elbow] = rotations.from_rotation(Rotation.from_euler("z", 90, degrees=True))[0]
    positions = joint_positions(clip)[0]
    forearm = positions[SMPLX_SKELETON.index("left_wrist")] - positions[elbow]
    np.testing.assert_allclose(forearm, [0.0, 0.25, 0.0], atol=1e-12)
