"""The learned motion prior on gestures: only arms, spine and head change; fingers, feet, strokes and the elbow hinge
stay; beats stay on the accents. And arm speed while speaking per style (a BEAT speaker: about 1.1 rad/s)."""

import numpy as np
import pytest

from soundmotion.bench import espeak_truth
from soundmotion.clips import rotations
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.models.dance.prior_features import UPPER_BODY
from soundmotion.models.gesture import metrics
from soundmotion.models.gesture.pipeline import generate_gestures
from soundmotion.models.gesture.prosody import FRAME_SECONDS
from soundmotion.models.gesture.styles import GestureSettingsError
from tests.speech_fixtures import write_wav
from tests.test_gesture_pipeline import assert_feet_planted_but_when_stepping

TEXT = "Let me tell you about the longest summer of my life, when everything changed for all of us."


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    utterance = espeak_truth.synthesize(TEXT, "en-us+m3", 165)
    return write_wav(tmp_path_factory.mktemp("gesture_prior"), "speech", utterance.samples, utterance.sample_rate)


def _angles(a, b):
    step = rotations.to_rotation(a.rotations).inv() * rotations.to_rotation(b.rotations)
    return np.degrees(step.magnitude()).reshape(a.rotations.shape[:2])


@pytest.mark.parametrize("seated", [False, True])
def test_prior_moves_only_the_upper_body_and_keeps_the_elbow_a_hinge(speech, seated):
    plain = generate_gestures(speech, style="storyteller", amount=2.0, seated=seated, seed=2)
    prior = generate_gestures(speech, style="storyteller", amount=2.0, seated=seated, seed=2, prior_strength=1.0)
    assert prior.strokes == plain.strokes
    assert np.array_equal(prior.clip.root_translation, plain.clip.root_translation)
    change = _angles(plain.clip, prior.clip).max(axis=0)
    upper = [SMPLX_SKELETON.index(n) for n in UPPER_BODY]
    others = [j for j in range(len(SMPLX_SKELETON.joint_names)) if j not in upper]
    assert change[others].max() < 1e-6          # fingers, legs, feet, jaw, eyes untouched
    assert 1.0 < change[upper].max() < 30.0     # the prior does something, and not something wild
    skeleton = SMPLX_SKELETON
    for side, sign in (("left", 1.0), ("right", -1.0)):
        elbow = rotations.to_rotation(prior.clip.rotations[:, skeleton.index(f"{side}_elbow")]).as_rotvec()
        flexion = np.degrees(-sign * elbow[:, 2])
        assert flexion.min() > -1.0 and flexion.max() < 150.0
        assert np.degrees(np.abs(elbow[:, [0, 1]])).max() < 1.0
        wrist = rotations.to_rotation(prior.clip.rotations[:, skeleton.index(f"{side}_wrist")]).magnitude()
        assert np.degrees(wrist).max() < 95.0
    if not seated:
        assert_feet_planted_but_when_stepping(joint_positions(prior.clip))


def test_prior_keeps_beats_on_accents_and_hands_settling_at_the_end(speech):
    for style in ("presenter", "storyteller"):
        plain = generate_gestures(speech, style=style, seed=0)
        prior = generate_gestures(speech, style=style, seed=0, prior_strength=0.5)
        accents = plain.prosody.accents
        assert metrics.beat_consistency(accents, prior.clip) > metrics.beat_consistency(accents, plain.clip) - 0.08
        assert metrics.angular_speed(prior.clip)[-3:].max() < 0.2
        assert metrics.diversity(plain.clip, prior.clip) < 0.05    # metres: the same gestures, nudged


def test_prior_strength_out_of_range_is_refused(speech):
    with pytest.raises(GestureSettingsError, match="prior"):
        generate_gestures(speech, prior_strength=1.5)
    with pytest.raises(GestureSettingsError, match="prior"):
        generate_gestures(speech, prior_strength=-0.1)


def test_arm_speed_while_speaking_reaches_a_speakers_for_the_animated_style(speech):
    speeds = {}
    for style in ("storyteller", "presenter", "lecturer"):
        values = []
        for seed in (0, 1, 2):
            result = generate_gestures(speech, style=style, seed=seed)
            times = np.arange(result.clip.num_frames - 1) / result.clip.fps
            speaking = metrics.speaking_frames(result.prosody.active, FRAME_SECONDS, times)
            values.append(metrics.angular_speed(result.clip)[speaking].mean())
        speeds[style] = float(np.mean(values))
    assert speeds["storyteller"] > 0.9, speeds                 # a BEAT speaker: about 1.1 rad/s
    assert speeds["storyteller"] > speeds["presenter"] > speeds["lecturer"] > 0.45, speeds


def test_prior_runs_at_other_frame_rates(speech):
    plain = generate_gestures(speech, style="presenter", fps=24.0, seed=3, prior_strength=0.0)
    prior = generate_gestures(speech, style="presenter", fps=24.0, seed=3)
    assert prior.clip.fps == 24.0 and prior.clip.num_frames == plain.clip.num_frames
    change = _angles(plain.clip, prior.clip)
    assert 0.5 < change.max() < 20.0
