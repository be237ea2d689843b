"""The captured dance library: G1 Moves onto SMPL-X, the shipped library file and its build script."""

import os

import numpy as np
import pytest

from soundmotion.clips import SMPLX_SKELETON
from soundmotion.clips.kinematics import joint_positions
from soundmotion.models.dance import g1_mocap
from soundmotion.models.dance.library import (ASSET, BODY_JOINTS, beat_features, dequantise_rotations,
                                              load_library, mirror_features, quantise_rotations)

from shared_mocap import CMU

G1 = CMU.parent / "g1_moves"
needs_g1 = pytest.mark.skipif(not (G1 / "training" / "dance").is_dir(), reason="shared G1 Moves data not available")


@pytest.fixture(scope="module")
def model():
    return g1_mocap.default_model(str(G1))


@needs_g1
def test_measured_robot_reproduces_the_datasets_own_forward_kinematics(model):
    name = "J_Dance20_DWG"
    root, turn, angles = g1_mocap.load_csv(str(G1 / "retarget" / "dance" / f"{name}.csv"))
    _, positions = g1_mocap.forward(model, root, turn, angles)
    reference = np.load(G1 / "training" / "dance" / f"{name}.npz")["body_pos_w"]
    assert np.abs(positions[:len(reference)] - reference).max() < 0.002   # metres, all 30 bodies


@needs_g1
def test_smplx_limbs_point_where_the_robots_limbs_point(model):
    root, turn, angles = g1_mocap.load_csv(str(G1 / "retarget" / "dance" / "J_Dance5_Hype.csv"))
    world, positions = g1_mocap.forward(model, root[:600], turn[:600], angles[:600])
    clip = g1_mocap.to_smplx(model, world, positions)
    smplx = joint_positions(clip)
    for (a, b), (ga, gb) in {("left_shoulder", "left_elbow"): ("left_shoulder_yaw_link", "left_elbow_link"),
                             ("right_elbow", "right_wrist"): ("right_elbow_link", "right_wrist_roll_link"),
                             ("left_hip", "left_knee"): ("left_hip_yaw_link", "left_knee_link"),
                             ("right_knee", "right_ankle"): ("right_knee_link", "right_ankle_pitch_link")}.items():
        ours = smplx[:, SMPLX_SKELETON.index(b)] - smplx[:, SMPLX_SKELETON.index(a)]
        theirs = positions[:, g1_mocap.body_index(gb)] - positions[:, g1_mocap.body_index(ga)]
        cos = np.sum(ours * theirs, axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 0.5, a


@needs_g1
def test_grounded_feet_touch_the_floor_but_jumps_stay_in_the_air(model):
    clip = g1_mocap.read_g1(str(G1 / "retarget" / "dance" / "J_Dance7_Party.csv"), model)
    positions = joint_positions(clip)
    rest = SMPLX_SKELETON.rest_positions()
    lowest = np.min([positions[:, SMPLX_SKELETON.index(n), 2] - rest[SMPLX_SKELETON.index(n), 2]
                     for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")], axis=0)
    assert np.median(np.abs(lowest)) < 0.005 and np.mean(lowest > 0.05) < 0.05
    raw = g1_mocap.read_g1(str(G1 / "retarget" / "dance" / "J_Dance7_Party.csv"), model, grounded=False)
    raw_lowest = np.min([joint_positions(raw)[:, SMPLX_SKELETON.index(n), 2] - rest[SMPLX_SKELETON.index(n), 2]
                         for n in ("left_ankle", "right_ankle")], axis=0)
    assert np.mean(raw_lowest > 0.05) > 0.2   # the robot retarget's feet leave the floor in every bounce


def test_library_ships_small_credited_and_loads():
    assert os.path.getsize(ASSET) < 4e6
    library = load_library()
    names = set(library.names)
    assert any(n.startswith("G1_") for n in names) and any(n.startswith("CMU_") for n in names)
    assert not names & {"G1_J_ShortDance13_SingleLadies", "G1_J_Dance22_Thrilling"}   # famous choreographies
    assert library.seconds > 10 * 60
    assert library.rotations.shape == (library.frames, len(BODY_JOINTS), 4)
    assert np.allclose(np.linalg.norm(library.rotations, axis=-1), 1.0)
    assert np.all(np.diff(library.beat_frames) > 0) and library.beat_features.shape[0] == len(library.beat_frames)
    assert 0.3 < library.contacts.any(axis=1).mean() < 1.0
    credits = open(os.path.join(os.path.dirname(ASSET), "..", "..", "assets", "CREDITS.md"), encoding="utf-8").read()
    assert "G1 Moves" in credits and "CC BY 4.0" in credits and "mocap.cs.cmu.edu" in credits


def test_quantised_rotations_round_trip_and_mirrored_features_mirror_back():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((40, 22, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    q[0, 0] = [0.0, 0.0, 0.0, 1.0]     # half turns, where storing w from the other three would be ill-conditioned
    q[0, 1] = [0.0, 0.6, 0.8, 0.0]
    back = dequantise_rotations(*quantise_rotations(q))
    angle = np.degrees(2 * np.arccos(np.clip(np.abs(np.sum(back * q, axis=-1)), 0, 1)))
    assert angle.max() < 0.005
    library = load_library()
    features = library.beat_features[:50]
    assert np.allclose(mirror_features(mirror_features(features)), features)


def test_beat_features_are_heading_free():
    library = load_library()
    from soundmotion.models.dance.graph import to_clip
    a = library.offsets[0]
    clip = to_clip(library.rotations[a:a + 90], library.root[a:a + 90], library.fps)
    positions = joint_positions(clip)
    turned = positions.copy()
    c, s = np.cos(1.0), np.sin(1.0)
    turned[..., 0], turned[..., 1] = c * positions[..., 0] - s * positions[..., 1], \
        s * positions[..., 0] + c * positions[..., 1]
    turned[..., :2] += [3.0, -2.0]
    frames = np.array([10, 40, 70])
    assert np.allclose(beat_features(positions, frames, 30.0), beat_features(turned, frames, 30.0), atol=1e-9)


@needs_g1
def test_build_script_reproduces_the_shipped_clips(tmp_path):
    """A small mocap folder (one G1 dance, one CMU trial) builds the same clips as the shipped library."""
    from soundmotion.models.dance.build_library import build
    from soundmotion.models.dance.library import load_library as load

    for folder, name in (("g1_moves/retarget/dance", "J_Dance20_DWG.csv"),
                         ("g1_moves/training/dance", "J_Dance0_StepTouch.npz"), ("cmu/dance", "005_03.bvh")):
        os.makedirs(tmp_path / folder, exist_ok=True)
        source = G1.parent / folder / name
        os.symlink(source, tmp_path / folder / name)
    output = tmp_path / "library.npz"
    build(str(tmp_path), str(output))
    built, shipped = load.__wrapped__(str(output)), load_library()
    for name in ("G1_J_Dance20_DWG", "CMU_005_03"):
        b, s = list(built.names).index(name), list(shipped.names).index(name)
        mine = slice(built.offsets[b], built.offsets[b + 1])
        theirs = slice(shipped.offsets[s], shipped.offsets[s + 1])
        assert np.array_equal(built.rotations[mine], shipped.rotations[theirs])
        assert np.array_equal(built.root[mine], shipped.root[theirs])
        assert np.array_equal(built.contacts[mine], shipped.contacts[theirs])
        beats_b = built.beat_frames[built.beat_clip == b] - built.offsets[b]
        beats_s = shipped.beat_frames[shipped.beat_clip == s] - shipped.offsets[s]
        assert np.array_equal(beats_b, beats_s)
