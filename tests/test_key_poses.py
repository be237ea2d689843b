"""Key poses without Blender: the reduction (takes/key_poses.py), Blender's Bezier segments (takes/bezier.py),
the phone track's edits (takes/phone_track.py) and mouth style (models/face/mouth_style.py)."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from soundmotion.clips import rotations
from soundmotion.models.face.mouth_style import hold_phones, mouth_indices
from soundmotion.models.face.visemes import VISEME_INDEX, VISEMES
from soundmotion.models.speech.segments import PhoneSegment
from soundmotion.takes import bezier, phone_track
from soundmotion.takes.key_poses import BREAKDOWN, EXTREME, POSE, CurveBlock, KeyStyle, key_poses, stepped


def smooth_curve(frames=300, seed=0):
    t = np.arange(frames) / 30.0
    rng = np.random.default_rng(seed)
    return sum(rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * rng.uniform(0.2, 2.0) * t + rng.uniform(0, 6))
               for _ in range(4)) + 0.5


def evaluated(keys, frames):
    return bezier.evaluate(keys.frames, keys.values, keys.slopes, np.arange(frames))


def test_bezier_segments_are_hermite_curves_with_handles_at_thirds():
    frames, values = np.array([0.0, 6.0, 9.0]), np.array([[0.0], [1.0], [0.5]])
    slopes = np.array([[0.3], [0.0], [-0.2]])
    curve = bezier.evaluate(frames, values, slopes, np.linspace(0, 9, 91))
    np.testing.assert_allclose(curve[[0, 60, 90], 0], [0.0, 1.0, 0.5])
    np.testing.assert_allclose(np.gradient(curve[:, 0], 0.1)[[1, 89]], [0.3, -0.2], atol=0.02)
    left, right = bezier.handles(frames, values, slopes)
    np.testing.assert_allclose(right[0, 0], [2.0, 0.6])                  # a third of the 6-frame segment
    np.testing.assert_allclose(left[1, 0], [4.0, 1.0])
    np.testing.assert_allclose(right[1, 0], [7.0, 1.0])                  # a third of the 3-frame segment
    direction_left, direction_right = values[2, 0] - left[2, 0, 1], right[2, 0, 1] - values[2, 0]
    assert direction_left == pytest.approx(direction_right)              # aligned: both along slope -0.2


def test_poses_keep_a_smooth_curve_within_tolerance_with_far_fewer_keys():
    values = smooth_curve()
    keys = key_poses([CurveBlock(values, "value", 0.02)])[0]
    assert 8 < len(keys) < len(values) / 6
    assert np.abs(evaluated(keys, len(values))[:, 0] - values).max() <= 0.02 + 1e-9
    assert keys.frames[0] == 0 and keys.frames[-1] == len(values) - 1
    extremes = keys.frames[keys.roles == EXTREME]
    turning = (values[extremes] - values[extremes - 1]) * (values[extremes + 1] - values[extremes]) <= 0
    assert len(extremes) >= 4 and turning.all()  # extreme keys sit on the curve's turning points


def test_pose_frames_are_keyed_where_the_curve_moves_and_skipped_where_it_holds():
    values = np.concatenate([np.zeros(60), np.linspace(0, 1, 30), np.ones(60)])
    keys = key_poses([CurveBlock(values, "value", 0.01)], pose_frames=[20, 40, 75, 120, 140])[0]
    poses = set(keys.frames[keys.roles == POSE])
    assert {40, 75, 120} <= poses                # the curve moves between their neighbouring poses
    assert 20 not in poses and 140 not in poses  # nothing moves between theirs


def test_a_flat_curve_is_one_key():
    keys = key_poses([CurveBlock(np.full(100, 0.25), "value", 0.01)])[0]
    assert list(keys.frames) == [0] and keys.values[0, 0] == 0.25


def test_quaternion_channels_share_frames_and_stay_within_the_angle():
    t = np.arange(240)[:, None] / 30.0
    rotvec = np.hstack([0.8 * np.sin(1.3 * t), 0.5 * np.sin(0.7 * t + 1), 0.3 * np.cos(2.1 * t)])
    quats = rotations.make_continuous(rotations.from_rotation(Rotation.from_rotvec(rotvec), (240,)))
    tolerance = np.radians(0.3)
    keys = key_poses([CurveBlock(quats, "quaternion", tolerance)])[0]
    assert keys.values.shape == (len(keys), 4) and len(keys) < 240 / 5
    approx = rotations.normalize(evaluated(keys, 240))  # Blender normalises before posing the bone
    angle = 2 * np.arccos(np.clip(np.abs(np.sum(approx * quats, axis=1)), 0, 1))
    assert angle.max() <= tolerance + 1e-9


def test_blocks_reduced_together_share_their_frames():
    rotation = CurveBlock(np.column_stack([np.cos(np.linspace(0, 1, 90)), np.sin(np.linspace(0, 1, 90)),
                                           np.zeros(90), np.zeros(90)]), "quaternion", np.radians(0.3))
    location = CurveBlock(np.column_stack([smooth_curve(90, 3), smooth_curve(90, 4), smooth_curve(90, 5)]),
                          "distance", 0.005)
    keys = key_poses([rotation, location])
    np.testing.assert_array_equal(keys[0].frames, keys[1].frames)
    assert np.linalg.norm(evaluated(keys[1], 90) - location.values, axis=1).max() <= 0.005 + 1e-9


def test_editing_one_stretch_leaves_the_other_stretches_keys_as_they_were():
    values = smooth_curve(400, seed=2)
    edited = values.copy()
    edited[200:230] += 0.2 * np.sin(np.linspace(0, np.pi, 30))
    poses = list(range(10, 400, 25))
    before = key_poses([CurveBlock(values, "value", 0.02)], poses)[0]
    after = key_poses([CurveBlock(edited, "value", 0.02)], poses)[0]
    keep_before = before.frames[(before.frames < 180) | (before.frames > 260)]
    keep_after = after.frames[(after.frames < 180) | (after.frames > 260)]
    np.testing.assert_array_equal(keep_before, keep_after)
    assert not np.array_equal(before.frames, after.frames)


def test_stepped_keys_hold_on_twos_without_repeats():
    values = np.repeat([0.0, 0.5, 0.5, 0.2], 6)
    keys = stepped(CurveBlock(values, "value", 0.02), 2)
    assert keys.interpolation == "CONSTANT"
    assert np.all(keys.frames % 2 == 0) and list(keys.values[:, 0]) == [0.0, 0.5, 0.2]
    assert KeyStyle(step=3).reduce([CurveBlock(values, "value", 0.02)])[0].frames.tolist() == [0, 6, 18]
    assert KeyStyle("FRAMES").reduce([CurveBlock(values, "value", 0.02)])[0].interpolation == "LINEAR"
    with pytest.raises(ValueError, match="POSES or FRAMES"):
        KeyStyle("SOME")


def test_minimum_hold_absorbs_short_shapes_but_keeps_lip_closures():
    phones = [PhoneSegment("HH", 0.0, 0.05, "hi"), PhoneSegment("AY", 0.05, 0.30, "hi"),
              PhoneSegment("B", 0.30, 0.33, "bob"), PhoneSegment("AA", 0.33, 0.36, "bob"),
              PhoneSegment("B", 0.36, 0.60, "bob")]
    held = hold_phones(phones, 0.08)
    durations = {p.phone: p.end - p.start for p in held}
    assert "HH" not in durations and "AA" not in durations        # too short: their time goes to neighbours
    closures = [p for p in held if p.phone == "B"]
    assert len(closures) == 2 and min(p.end - p.start for p in closures) >= 0.08 - 1e-9
    assert held[0].start == 0.0 and held[-1].end == pytest.approx(0.60)
    assert hold_phones(phones, 0.0) == phones


def test_mouth_index_follows_the_chart():
    visemes = np.zeros((3, len(VISEMES)))
    visemes[0, VISEME_INDEX["PP"]] = visemes[1, VISEME_INDEX["aa"]] = visemes[2, VISEME_INDEX["sil"]] = 1.0
    assert mouth_indices(visemes, "RHUBARB").tolist() == [0, 3, 8]          # A, D, X
    assert mouth_indices(visemes, "PRESTON_BLAIR").tolist() == [8, 1, 0]    # MBP, AI, rest


def test_track_edits_keep_the_track_gapless():
    segments = [PhoneSegment("SIL", 0.0, 0.2), PhoneSegment("HH", 0.2, 0.3, "hello"),
                PhoneSegment("AH", 0.3, 0.4, "hello"), PhoneSegment("L", 0.4, 0.5, "hello"),
                PhoneSegment("OW", 0.5, 0.7, "hello"), PhoneSegment("SIL", 0.7, 1.0)]
    words, phones = phone_track.words_and_phones(segments, 1, 30.0)
    assert [(w.text, w.start, w.end) for w in words] == [("hello", pytest.approx(7.0), pytest.approx(22.0))]
    assert [p.word for p in phones] == [-1, 0, 0, 0, 0, -1]
    phone_track.rescale_word(phones, 0, (7.0, 22.0), (10.0, 25.0))
    assert phones[1].start == pytest.approx(10.0) and phones[4].end == pytest.approx(25.0)
    phone_track.insert_after(phones, 2, "EH")
    assert [p.phone for p in phones][2:4] == ["AH", "EH"] and phones[2].end == phones[3].start
    phone_track.delete(phones, 3)
    assert [p.phone for p in phones][2:4] == ["AH", "L"] and phones[2].end == phones[3].start
    back = phone_track.segments(phones, words, 1, 30.0)
    assert back[1].word == "hello" and back[1].start == pytest.approx(0.3)
    with pytest.raises(ValueError, match="not a phone"):
        phone_track.insert_after(phones, 0, "QQ")
