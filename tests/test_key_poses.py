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
from soundmotion.takes.key_poses import (BREAKDOWN, EXTREME, POSE, CurveBlock, KeyStyle, chain_scales, key_poses,
                                         stepped)
from soundmotion.takes.pose_times import gesture_pose_times


def smooth_curve(frames=300, seed=0):
    t = np.arange(frames) / 30.0
    rng = np.random.default_rng(seed)
    return sum(rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * rng.uniform(0.2, 2.0) * t + rng.uniform(0, 6))
               for _ in range(4)) + 0.5


def evaluated(keys, frames):
    """As Blender evaluates the keys: Hermite segments through both handles (a broken key's differ)."""
    return bezier.evaluate(keys.frames, keys.values, keys.slopes, np.arange(frames), keys.left_slopes)


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


def test_pose_frames_are_keyed_where_the_curve_arrives_and_skipped_where_it_holds_or_passes_through():
    values = np.concatenate([np.zeros(60), np.linspace(0, 1, 30), np.ones(60)])
    keys = key_poses([CurveBlock(values, "value", 0.01)], pose_frames=[20, 40, 60, 75, 89, 120, 140])[0]
    poses = set(keys.frames[keys.roles == POSE])
    assert {60, 89} <= poses                     # the ramp starts and arrives: the curve stops there
    assert 75 not in poses                       # half-way up the ramp: the curve only passes through
    assert not {20, 40, 120, 140} & poses        # nothing moves between their neighbouring poses


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


def strikes(frames=240, seed=0):
    """A hand's swing angle (radians) striking and stopping dead, as beats do: moves that accelerate into each
    apex and stop there, then a slow rebound. Returns (values, frames where a move starts or stops)."""
    rng = np.random.default_rng(seed)
    values, turns, level = [], [], 0.0
    while len(values) < frames:
        turns.append(max(len(values) - 1, 0))
        target, length = level + rng.uniform(-0.6, 0.6), int(rng.integers(6, 10))
        u = np.arange(1, length + 1) / length
        values += list(level + (target - level) * u ** 2)  # accelerates into the apex, no slowing
        turns.append(len(values) - 1)
        rebound = target - 0.15 * (target - level)
        values += list(target + (rebound - target) * np.sin(np.linspace(0, np.pi / 2, 12)))
        level = rebound
    return np.array(values[:frames]), np.array(turns)


def test_least_squares_slopes_key_strikes_with_fewer_keys_and_break_handles_only_where_moves_start_or_stop():
    values, turns = strikes()
    block = CurveBlock(values, "value", 0.005)
    fitted, local = key_poses([block])[0], key_poses([block], fit="LOCAL")[0]
    for keys in (fitted, local):
        assert np.abs(evaluated(keys, len(values))[:, 0] - values).max() <= 0.005 + 1e-9
    assert len(fitted) < 0.8 * len(local)
    assert not local.broken.any()
    broken = fitted.frames[fitted.broken]
    assert len(turns) // 2 <= len(broken) < len(fitted)
    assert np.abs(broken[:, None] - turns[None, :]).min(axis=1).max() <= 2  # where the motion starts or stops
    assert not fitted.broken[[0, -1]].any()  # the outer handles shape nothing


def test_pose_frames_may_be_given_per_group():
    values = np.concatenate([np.zeros(30), np.linspace(0, 1, 30), np.ones(30)])
    style = KeyStyle(pose_frames={"hand_r": (30, 59)})
    hand = style.reduce([CurveBlock(values, "value", 0.01)], "hand_r")[0]
    spine = style.reduce([CurveBlock(values, "value", 0.01)], "spine")[0]
    assert {30, 59} <= set(hand.frames[hand.roles == POSE])
    assert set(spine.frames[spine.roles == POSE]) == {0, 89}  # only the take's ends
    with pytest.raises(ValueError, match="fit"):
        KeyStyle(fit="GLOBAL")


def test_bones_that_carry_others_get_a_tighter_rotation_tolerance():
    parents = {"root": None, "pelvis": "root", "spine": "pelvis", "hand": "spine", "finger1": "hand",
               "finger2": "finger1", "head": "spine", "prop": "hand"}
    shares = chain_scales(parents, ["pelvis", "spine", "hand", "finger1", "finger2", "head"])
    assert shares["finger2"] == shares["head"] == 1.0                          # carry nothing
    assert shares["finger1"] == pytest.approx(2 ** -0.15)
    assert shares["pelvis"] == pytest.approx(6 ** -0.15)                      # 5 keyed bones below
    assert shares["pelvis"] < shares["spine"] < shares["hand"] < 1.0
    assert "root" not in shares and "prop" not in shares                       # not keyed


def test_gesture_pose_times_go_to_each_part_of_the_body_and_the_hands_stop_there(demo_speech):
    from soundmotion.clips.kinematics import joint_positions
    from soundmotion.clips.skeleton import SMPLX_JOINT_NAMES
    from soundmotion.models.gesture.pipeline import generate_gestures

    result = generate_gestures(demo_speech, demo_speech.with_suffix(".txt").read_text(), fps=30.0)
    parts = result.pose_times
    assert set(parts) == {"left_arm", "right_arm", "head", "body"} and len(parts["right_arm"]) > 10
    bones = {"right_wrist": "hand_r", "right_index1": "index_01_r", "neck": "neck_01", "pelvis": "pelvis"}
    times = gesture_pose_times(result, bones)
    assert times["hand_r"] == parts["right_arm"] and times["neck_01"] == parts["head"]
    assert times["pelvis"] == parts["body"] and "index_01_r" not in times  # fingers trail the hand: no poses
    wrist = joint_positions(result.clip)[:, SMPLX_JOINT_NAMES.index("right_wrist")]
    speed = np.linalg.norm(np.gradient(wrist, axis=0), axis=1)
    frames = np.array([round(t * 30) for t in parts["right_arm"] if t * 30 < len(speed) - 1])
    near = np.array([speed[max(f - 2, 0):f + 3].min() for f in frames])
    assert np.median(near) < 0.2 * np.percentile(speed, 95)  # the hand (nearly) stops at its poses


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
