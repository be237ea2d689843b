"""Jaw bone fallback (pure): jawOpen → local rotations about the jaw bone's X axis that open the mouth downward."""

import numpy as np
import pytest

from soundmotion.clips import rotations
from soundmotion.clips.arkit import ARKIT_INDEX
from soundmotion.clips.face import FaceClip
from soundmotion.retarget.jaw_bone import fit_frames, jaw_rotations, jaw_rotations_from_clip, opening_sign
from soundmotion.retarget.makehuman_rig import bone_rest_rotation
from soundmotion.retarget.rig import RigRest, forward_kinematics, tails_of

from rig_variants import synthetic_rig


def head_and_jaw(jaw_tail, roll):
    heads = np.array([[0.0, 0.0, 1.6], [0.0, -0.02, 1.6]])
    tails = np.array([[0.0, 0.0, 1.8], jaw_tail])
    rests = [rotations.from_rotation(bone_rest_rotation(h, t, roll))[0] for h, t in zip(heads, tails)]
    return RigRest(("head", "jaw"), [-1, 0], heads, tails, rests)


def jaw_tails(rest, quats):
    return tails_of(forward_kinematics(rest, {"jaw": quats}))[:, rest.index("jaw")]


@pytest.mark.parametrize("jaw_tail", [(0.0, -0.12, 1.6), (0.0, -0.1, 1.52), (0.0, -0.02, 1.48)])
@pytest.mark.parametrize("roll", [0.0, 0.3, np.pi, -2.0])
def test_opening_moves_the_jaw_tail_down_by_up_to_twenty_degrees(jaw_tail, roll):
    rest = head_and_jaw(jaw_tail, roll)
    amounts = np.array([0.0, 0.25, 0.5, 1.0, 1.5])
    quats = jaw_rotations(amounts, rest, "jaw")
    tails = jaw_tails(rest, quats)
    assert np.allclose(tails[0], jaw_tail)
    drops = tails[0, 2] - tails[:, 2]
    forward = tails[0, 1] - tails[:, 1]
    hangs_straight_down = jaw_tail[1] == rest.heads[1, 1]
    opening = forward if hangs_straight_down else drops  # a vertical bone's tail can only swing, so forward
    assert np.all(np.diff(opening[:4]) > 0) and opening[4] == pytest.approx(opening[3])
    angles = np.degrees(rotations.to_rotation(quats).magnitude())
    assert np.allclose(angles, [0.0, 5.0, 10.0, 20.0, 20.0])  # jawOpen clipped to [0, 1]
    axis = rotations.to_rotation(quats[3]).as_rotvec()[0]
    assert np.allclose(np.abs(axis / np.linalg.norm(axis)), [1.0, 0.0, 0.0])  # about the bone's local X


def test_a_forward_jaw_bone_drops_by_its_length_times_sin_twenty_degrees():
    rest = head_and_jaw((0.0, -0.12, 1.6), 0.0)
    tail = jaw_tails(rest, jaw_rotations(np.array([1.0]), rest, "jaw"))[0]
    assert tail[2] == pytest.approx(1.6 - 0.1 * np.sin(np.radians(20.0)), abs=1e-9)


def test_the_synthetic_humanoid_jaw_opens_downward_from_a_face_clip():
    rest, bone_map = synthetic_rig("makehuman_default")
    jaw = bone_map.bones["jaw"]
    weights = np.zeros((3, 52))
    weights[:, ARKIT_INDEX["jawOpen"]] = [0.0, 0.5, 1.0]
    quats = jaw_rotations_from_clip(FaceClip(30.0, weights), rest, jaw)
    tails = tails_of(forward_kinematics(rest, {jaw: quats}))[:, rest.index(jaw)]
    assert tails[2, 2] < tails[1, 2] < tails[0, 2] and opening_sign(rest, jaw) in (1.0, -1.0)


def test_fit_frames_pads_with_the_closed_mouth():
    quats = jaw_rotations(np.ones(3), head_and_jaw((0.0, -0.12, 1.6), 0.0), "jaw")
    padded = fit_frames(quats, 5)
    assert np.allclose(padded[:3], quats) and np.allclose(padded[3:], [1.0, 0.0, 0.0, 0.0])
    assert np.allclose(fit_frames(quats, 2), quats[:2])
