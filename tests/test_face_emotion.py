"""Emotion layered over lip sync: upper and lower face, coexisting with speech (models/face/emotion.py)."""

import numpy as np
import pytest

from soundmotion.bench.scoring import CLOSED, face_classes, score
from soundmotion.models.face.emotion import EMOTIONS, add_emotion
from soundmotion.models.face.pipeline import FaceSettings, FaceSettingsError, generate_face

from speech_fixtures import speech_wav

TEXT = "Bob bought a big map of Boston. Mummy put blue boots by the pool."


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("emotion"), TEXT, "en-us", 175)


def _face(path, transcript, **emotion):
    return generate_face(path, transcript=transcript, fps=100.0, settings=FaceSettings(**emotion))


@pytest.mark.parametrize("transcript", [TEXT, ""])
def test_happy_smiles_and_squints_over_the_take_while_p_b_m_still_close(speech, transcript):
    path, utterance = speech
    neutral = _face(path, transcript)
    happy = _face(path, transcript, emotion="happy", emotion_strength=0.8)
    for channel in ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "cheekSquintRight"):
        raised = happy.clip.channel(channel) - neutral.clip.channel(channel)
        assert np.mean(raised > 0.2) > 0.9, channel  # over the take, not in a few frames
    closures_neutral = score(utterance, face_classes(neutral.clip.weights, neutral.clip.channel_names))
    scored = score(utterance, face_classes(happy.clip.weights, happy.clip.channel_names))
    assert scored.closures == closures_neutral.closures >= 14
    assert scored.closures_hit == closures_neutral.closures_hit  # every closure the neutral face makes
    assert scored.closure_rate >= 0.85
    # Where the neutral face seals the lips, the smiling one does too: nothing pulls them apart.
    sealed = face_classes(neutral.clip.weights, neutral.clip.channel_names) == CLOSED
    assert sealed.sum() > 20
    assert np.all(face_classes(happy.clip.weights, happy.clip.channel_names)[sealed] == CLOSED)


def test_each_emotion_moves_its_own_upper_and_lower_face_channels():
    weights = np.zeros((10, 52))
    from soundmotion.clips.arkit import ARKIT_INDEX

    moved = {}
    for name in EMOTIONS:
        out = add_emotion(weights.copy(), name, np.ones(10), np.zeros(10))
        moved[name] = {n for n, i in ARKIT_INDEX.items() if out[0, i] > 0}
    assert moved["neutral"] == set()
    assert {"browInnerUp", "mouthFrownLeft"} <= moved["sad"]
    assert {"browDownLeft", "mouthPressLeft"} <= moved["angry"]
    assert {"eyeWideLeft", "browOuterUpLeft", "jawOpen"} <= moved["surprised"]
    assert {"eyeWideLeft", "mouthStretchLeft"} <= moved["afraid"]
    assert {"noseSneerLeft", "mouthUpperUpLeft"} <= moved["disgusted"]
    # A seal keeps the lips shut: the disgusted upper lip and the surprised jaw do not open them.
    sealed = add_emotion(weights.copy(), "disgusted", np.ones(10), np.ones(10))
    assert sealed[0, ARKIT_INDEX["mouthUpperUpLeft"]] == 0.0


def test_strength_curve_fades_the_emotion_in_and_gains_offsets_apply_last(speech):
    path, _ = speech
    faded = _face(path, "", emotion="sad", emotion_strength=1.0, emotion_curve=[(0.0, 0.0), (2.0, 1.0)])
    inner = faded.clip.channel("mouthFrownLeft")
    assert inner[5] < 0.05 and inner[200] > 0.45
    gained = _face(path, "", channel_gains={"jawOpen": 0.5}, channel_offsets={"browInnerUp": 0.2})
    plain = _face(path, "")
    np.testing.assert_allclose(gained.clip.channel("jawOpen"), 0.5 * plain.clip.channel("jawOpen"), atol=1e-6)
    assert gained.clip.channel("browInnerUp").min() >= 0.2 - 1e-6


@pytest.mark.parametrize("wider", [{"channel_gains": {"jawOpen": 2.0}}, {"channel_offsets": {"jawOpen": 0.1}},
                                   {"channel_gains": {"jawOpen": 1.5, "mouthLowerDownLeft": 2.0},
                                    "emotion": "happy", "emotion_strength": 1.0}])
def test_a_wider_jaw_from_gains_or_offsets_still_seals_p_b_m(speech, wider):
    """Gains and offsets come last: a jaw gain of 2 or an offset of 0.1 opened every p/b/m seal (0 of 35 left)."""
    path, _ = speech
    plain = _face(path, TEXT)
    sealed = face_classes(plain.clip.weights, plain.clip.channel_names) == CLOSED
    wide = _face(path, TEXT, **wider)
    assert np.mean(wide.clip.channel("jawOpen")[~sealed]) > np.mean(plain.clip.channel("jawOpen")[~sealed]) + 0.02
    assert sealed.sum() > 20
    assert np.mean(face_classes(wide.clip.weights, wide.clip.channel_names)[sealed] == CLOSED) >= 0.95
    # mouthClose given a gain of its own is the user's to set: no seal is forced.
    loose = _face(path, TEXT, channel_gains={"jawOpen": 2.0, "mouthClose": 0.0})
    assert loose.clip.channel("mouthClose").max() == 0.0


def test_bad_emotion_settings_are_refused_with_a_sentence(speech):
    path, _ = speech
    with pytest.raises(FaceSettingsError, match="Emotion must be one of"):
        _face(path, "", emotion="bored", emotion_strength=0.5)
    with pytest.raises(FaceSettingsError, match="between 0 and 1"):
        _face(path, "", emotion="happy", emotion_strength=1.5)
    with pytest.raises(FaceSettingsError, match="ARKit"):
        _face(path, "", channel_gains={"smile": 2.0})
    # Not-a-number gains, offsets and curve points are refused before any work (NaN failed after the analysis,
    # naming no option; an infinite offset pinned its channel at 1).
    with pytest.raises(FaceSettingsError, match="The gain of jawOpen must be a number, got nan"):
        _face(path, "", channel_gains={"jawOpen": float("nan")})
    with pytest.raises(FaceSettingsError, match="The offset of browInnerUp must be a number, got inf"):
        _face(path, "", channel_offsets={"browInnerUp": float("inf")})
    with pytest.raises(FaceSettingsError, match="curve times and values must be numbers"):
        _face(path, "", emotion="sad", emotion_strength=1.0, emotion_curve=[(0.0, 0.5), (float("nan"), 1.0)])
