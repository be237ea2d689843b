import os

import numpy as np
import pytest

from soundmotion.clips import SMPLX_SKELETON, MotionClip
from soundmotion.clips.kinematics import joint_positions
from soundmotion.models.dance import generate_dance
from soundmotion.models.dance.body import rest_heights
from soundmotion.models.dance.metrics import beat_align_score, foot_figures, foot_joint_index, kinematic_beats
from soundmotion.models.dance.prior import WEIGHTS, apply_prior, weights_available
from soundmotion.models.dance.prior_features import (JOINT_INDEX, UPPER_BODY, from_features, mirrored,
                                                     to_features)
from soundmotion.models.music.synth import SongPart, synthesize, write_wav

needs_weights = pytest.mark.skipif(not weights_available(), reason="prior weights not trained yet")


def _random_clip(frames=50, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((frames, len(SMPLX_SKELETON), 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    return MotionClip(30.0, SMPLX_SKELETON, q, np.tile([0.0, 0.0, 0.95], (frames, 1)))


def test_6d_features_round_trip_and_mirroring_twice_is_identity():
    clip = _random_clip()
    back = from_features(to_features(clip.rotations))
    original = clip.rotations[:, JOINT_INDEX]
    assert np.allclose(np.abs(np.sum(back * original, axis=-1)), 1.0, atol=1e-9)
    assert np.allclose(mirrored(mirrored(clip.rotations)), clip.rotations)


@needs_weights
def test_weights_are_small():
    assert os.path.getsize(WEIGHTS) < 5e6


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    song = synthesize([SongPart(6, 124, "A"), SongPart(6, 124, "B")], seed=8, lead_in=0.3)
    path = tmp_path_factory.mktemp("music") / "song.wav"
    write_wav(song, path)
    return song, path


@needs_weights
def test_prior_changes_the_upper_body_only_and_is_deterministic(song):
    clip = generate_dance(song[1], fps=30, seed=1, engine="coded", prior_strength=0.0).clip
    assert apply_prior(clip, 0.0) is clip
    smoothed = apply_prior(clip, 0.5)
    assert np.array_equal(smoothed.rotations, apply_prior(clip, 0.5).rotations)
    upper = [SMPLX_SKELETON.index(n) for n in UPPER_BODY]
    others = [j for j in range(len(SMPLX_SKELETON)) if j not in upper]
    assert np.allclose(smoothed.rotations[:, others], clip.rotations[:, others])
    assert np.allclose(smoothed.root_translation, clip.root_translation)
    moved = np.linalg.norm(joint_positions(smoothed) - joint_positions(clip), axis=-1)
    assert 0.005 < moved.mean() < 0.15


@needs_weights
def test_dance_with_prior_keeps_clean_feet_and_the_beat(song):
    result = generate_dance(song[1], fps=60, seed=2, prior_strength=0.5, engine="coded")
    positions = joint_positions(result.clip)
    feet = foot_figures(positions, foot_joint_index(result.clip.skeleton), rest_heights(), 60)
    assert feet["slide_cm"] < 0.2 and feet["penetration_max_cm"] < 1.0 and feet["floating"] == 0.0
    assert beat_align_score(kinematic_beats(positions, 60), song[0].beats) > 0.3


@pytest.mark.parametrize("fps, length", [(24.0, 80), (29.97, 320)])  # 29.97: blocks of 2997 frames (100 s)
def test_a_long_clip_is_corrected_in_blocks_as_in_one_pass(fps, length, monkeypatch):
    """The prior went over a whole take at once (talk grew 35 MB a minute: 1.43 GB at 30 minutes); blocks with
    margins, starting where the prior's windows fall in one pass, give the same motion."""
    from soundmotion.clips import rotations
    from soundmotion.clips.rotations import Rotation
    from soundmotion.models.dance import prior

    monkeypatch.setattr(prior, "BLOCK_SECONDS", 20.0)  # 24 fps: an 80 s clip in 4 blocks
    count = int(length * fps)
    clip = MotionClip.rest(count, fps=fps)
    rng = np.random.default_rng(0)
    seconds = np.arange(count) / fps
    for joint in range(1, clip.rotations.shape[1]):
        turn = np.stack([0.3 * np.sin(seconds * rng.uniform(0.5, 3) + rng.uniform(0, 6)) for _ in range(3)], axis=1)
        clip.rotations[:, joint] = rotations.from_rotation(Rotation.from_rotvec(turn))
    args = (0.5, prior.load_prior(), 0.17, "nearest", 1.0)
    whole = prior._apply_prior_whole(clip, *args)
    blocked = prior.apply_prior(clip, *args)
    cosine = np.abs(np.sum(whole.rotations * blocked.rotations, axis=-1))
    assert np.degrees(2 * np.arccos(np.clip(cosine, 0, 1))).max() < 1e-3
    assert np.abs(whole.rotations - clip.rotations).max() > 0.01  # the prior does correct the motion
