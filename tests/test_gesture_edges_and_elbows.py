"""Co-speech gesture at its edges and at the arm's limits: the elbow never flips or locks out, the hands never
jump, and a take starts and ends settled (hands at rest and still, feet planted).

Before: on the bundled demo line the elbow turned 145° within one frame (the wrist target on the shoulder folded
the arm past 180°, and the motion prior then read the fold as straight) and the hand moved at 14 m/s; the take
started with the hands up at the chest, moving at 0.6–1.7 m/s; about one take in five ended mid-step."""

from pathlib import Path

import numpy as np
import pytest

from soundmotion.clips import rotations
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.rotations import Rotation
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.models.gesture.arm_ik import REACH, Arm
from soundmotion.models.gesture.pipeline import generate_gestures
from soundmotion.models.gesture.prior import _hinge
from tests.speech_fixtures import speech_wav
from tests.test_gesture_pipeline import REST_HEIGHT

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo_speech.wav"   # its transcript lies beside it
LIST = "There are three things to remember. One, two, three. First, be kind. Second, be honest. Third, be brave."
STYLES = ("presenter", "storyteller", "lecturer")
MAX_ELBOW_STEP_DEGREES = 35.0    # per frame at 30 fps (the fastest strokes: 25–31°; the flips were 141–145°)
MAX_HAND_SPEED = 4.0             # m/s, world (fastest strokes: about 2.8; the flips 12–16)
MAX_FLEXION_DEGREES = 145.0       # the elbow folds no further (the motion prior's hinge range)
STILL = 0.15                     # m/s: a hand resting still (breathing and idle sway move it 0.02–0.1)
EASING_IN = 0.2                  # m/s over the first frame: a raise into a stroke on the first word may start (0.14)


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edges")
    fast, _ = speech_wav(folder, LIST, rate=190, name="list", transcript_file=True)
    out = {}
    for style in STYLES:
        for seed in range(6):
            out[("demo", style, seed)] = generate_gestures(DEMO, style=style, seed=seed)
        for seed in range(3):
            out[("list", style, seed)] = generate_gestures(fast, style=style, seed=seed)
    return out


def test_elbows_never_flip_and_hands_never_jump(takes):
    index = SMPLX_SKELETON.index
    for key, result in takes.items():
        clip = result.clip
        positions = joint_positions(clip)
        for side, sign in (("left", 1.0), ("right", -1.0)):
            elbow = rotations.to_rotation(clip.rotations[:, index(f"{side}_elbow")])
            step = np.degrees((elbow[:-1].inv() * elbow[1:]).magnitude())
            assert step.max() < MAX_ELBOW_STEP_DEGREES, (key, side, step.max(), np.argmax(step))
            assert np.degrees(-sign * elbow.as_rotvec()[:, 2]).max() < MAX_FLEXION_DEGREES + 1.0, (key, side)
            speed = np.linalg.norm(np.diff(positions[:, index(f"{side}_wrist")], axis=0), axis=1) * clip.fps
            assert speed.max() < MAX_HAND_SPEED, (key, side, speed.max(), np.argmax(speed))


def settled(result, frame: int, other: int, still: float = STILL) -> None:
    """On `frame` the hands rest (low) and are still relative to the pelvis (under `still` m/s), the feet stand
    planted, the pelvis barely moves (`other`: the neighbouring frame to take speeds from)."""
    clip = result.clip
    index = SMPLX_SKELETON.index
    positions = joint_positions(clip)
    pelvis = positions[:, 0]
    rest = SMPLX_SKELETON.rest_positions()
    for side in ("left", "right"):
        wrist = positions[:, index(f"{side}_wrist")] - pelvis
        assert wrist[frame, 2] < REST_HEIGHT, (side, wrist[frame, 2])
        assert np.linalg.norm(wrist[frame] - wrist[other]) * clip.fps < still, side
        ankle = positions[:, index(f"{side}_ankle")]
        assert abs(ankle[frame, 2] - rest[index(f"{side}_ankle"), 2]) < 0.003, (side, "foot in the air")
        assert np.linalg.norm(ankle[frame] - ankle[other]) * clip.fps < 0.02, (side, "foot moving")
    assert np.linalg.norm(pelvis[frame] - pelvis[other]) * clip.fps < 0.1


def test_take_starts_at_rest_and_raises_the_hands_from_there(takes):
    for key, result in takes.items():
        try:
            settled(result, 0, 1, EASING_IN)      # before: 0.56–1.7 m/s, the hands up at the chest
        except AssertionError as error:
            raise AssertionError(f"{key}: {error}") from error
    # The demo line's voice starts at once; its first strokes still come, raised from rest.
    assert all(result.strokes and result.strokes[0] < 1.0 for key, result in takes.items() if key[0] == "demo")


def test_take_ends_settled_with_no_step_or_shift_cut_off(takes):
    for key, result in takes.items():
        try:
            settled(result, -1, -2)
        except AssertionError as error:
            raise AssertionError(f"{key}: {error}") from error


def test_arm_eases_into_its_reach_and_never_folds_onto_the_shoulder():
    arm = Arm(SMPLX_SKELETON, "right")
    shoulder = np.zeros((1, 3))
    pole = np.array([[0.0, 0.5, -1.0]])

    def flexion(target):
        upper, fore = arm.solve(np.repeat(shoulder, len(target), 0), target, np.repeat(pole, len(target), 0))
        return np.degrees((upper.inv() * fore).magnitude())

    # A wrist target on the shoulder itself, or just beside it: the elbow folds no further than its limit.
    assert flexion(np.array([[-0.005, 0.0, 0.0], [-0.02, -0.03, 0.01], [-0.1, 0.0, 0.0]])).max() <= MAX_FLEXION_DEGREES
    # A target moving out through the reach at a steady 1 m/s: the elbow slows into straight, it does not stop dead.
    times = np.arange(0.0, 1.0, 1.0 / 30.0)
    target = np.stack([-(0.3 + 0.4 * times), 0.0 * times, -0.0 * times], axis=1)
    angle = np.radians(flexion(target))
    speed = np.diff(angle) * 30.0
    acceleration = np.abs(np.diff(speed)) * 30.0
    assert acceleration.max() < 50.0, acceleration.max()      # 9.5 rad/s²; the hard clip: 177 (a stop in a frame)
    assert angle[-1] < np.radians(20.0) and np.linalg.norm(target[-1]) > REACH * arm.length


def test_prior_hinge_reads_a_fold_past_180_degrees_as_folded():
    for sign in (1.0, -1.0):
        degrees = np.array([30.0, 140.0, 179.0, 185.0, 200.0])
        rotvec = np.zeros((len(degrees), 3))
        rotvec[:, 2] = -sign * np.radians(degrees)
        hinge = _hinge(rotations.from_rotation(Rotation.from_rotvec(rotvec)), sign)
        flexion = np.degrees(-sign * rotations.to_rotation(hinge).as_rotvec()[:, 2])
        assert np.allclose(flexion, [30.0, 140.0, 145.0, 145.0, 145.0], atol=0.01), flexion
