import numpy as np

from soundmotion.clips.arkit import ARKIT_INDEX
from soundmotion.models.face.arkit_curves import jali_scales, mouth_weights
from soundmotion.models.face.mouth_cues import mouth_cues
from soundmotion.models.face.visemes import VISEME_INDEX, VISEMES, jaw_weights, phone_viseme, viseme_weights
from soundmotion.models.speech.segments import PhoneSegment

FPS = 100.0


def segments(*items):
    """('AA', 0.0, 0.2), … → PhoneSegments."""
    return [PhoneSegment(phone, start, end) for phone, start, end in items]


def times(seconds):
    return np.arange(int(seconds * FPS)) / FPS


def test_mixture_rows_sum_to_one_and_silence_is_rest():
    weights = viseme_weights(segments(("SIL", 0, 0.3), ("AA", 0.3, 0.5), ("SIL", 0.5, 1.0)), times(1.0))
    assert np.allclose(weights.sum(axis=1), 1.0)
    assert weights[5, VISEME_INDEX["sil"]] > 0.99 and weights[95, VISEME_INDEX["sil"]] > 0.99
    assert weights[40].argmax() == VISEME_INDEX["aa"]
    assert np.allclose(viseme_weights([], times(0.5))[:, VISEME_INDEX["sil"]], 1.0)


def test_a_closure_shorter_than_a_frame_still_closes_the_lips():
    phones = segments(("AA", 0.0, 0.2), ("B", 0.2, 0.205), ("AA", 0.205, 0.4))
    weights = viseme_weights(phones, np.arange(0, 0.4, 1 / 24))  # 24 fps: frames 42 ms apart
    assert weights[:, VISEME_INDEX["PP"]].max() >= 0.97


def test_rounding_is_anticipated_but_closures_are_not_smeared():
    phones = segments(("S", 0.0, 0.15), ("UW", 0.15, 0.35), ("M", 0.35, 0.45), ("AA", 0.45, 0.7))
    weights = viseme_weights(phones, times(0.7))
    assert weights[12, VISEME_INDEX["ou"]] > 0.2  # 30 ms before the vowel the lips start rounding
    assert weights[36:44, VISEME_INDEX["PP"]].min() >= 0.97
    assert weights[55, VISEME_INDEX["PP"]] < 0.05  # 100 ms after the closure it is gone


def test_weak_consonants_take_their_neighbours_shape():
    phones = segments(("AA", 0.0, 0.15), ("HH", 0.15, 0.2), ("AA", 0.2, 0.35))
    weights = viseme_weights(phones, times(0.35))
    assert weights[17].argmax() == VISEME_INDEX["aa"]


def test_short_ah_is_a_schwa_and_long_ah_is_open():
    assert phone_viseme("AH", 0.05) == "ax" and phone_viseme("AH", 0.15) == "aa"
    assert phone_viseme("B", 0.05) == "PP" and phone_viseme("XYZ", 0.1) == "ax"


def test_sealed_lips_meet_however_far_the_jaw_opens():
    visemes = np.zeros((3, len(VISEMES)))
    visemes[:, VISEME_INDEX["PP"]] = 1.0
    loud = mouth_weights(visemes, np.full(3, 1.4), np.full(3, 1.2), FPS, articulation=2.0, smoothing=0.0)
    jaw, close = loud[:, ARKIT_INDEX["jawOpen"]], loud[:, ARKIT_INDEX["mouthClose"]]
    assert np.allclose(jaw, close) and jaw.max() > 0.1
    assert loud[:, ARKIT_INDEX["mouthLowerDownLeft"]].max() == 0.0


def test_loud_speech_opens_the_jaw_wider_than_quiet_speech():
    decibels = np.concatenate([np.full(50, -10.0), np.full(50, -30.0)])
    jaw, lips = jali_scales(decibels, np.zeros(100), np.ones(100, bool), expressiveness=1.0)
    assert jaw[20] > 1.2 * jaw[80]
    assert 0.5 <= lips.min() and lips.max() <= 1.4


def test_mouth_cues_merge_flicker_but_keep_closures():
    visemes = np.zeros((100, len(VISEMES)))
    visemes[:, VISEME_INDEX["sil"]] = 1.0
    visemes[20:50] = 0
    visemes[20:50, VISEME_INDEX["aa"]] = 1.0
    visemes[35:36] = 0
    visemes[35:36, VISEME_INDEX["PP"]] = 1.0  # one 10 ms closure
    visemes[45:47] = 0
    visemes[45:47, VISEME_INDEX["E"]] = 1.0  # 20 ms flicker
    cues = mouth_cues(visemes, times(1.0), 1.0)
    assert cues == [(0.0, "X"), (0.2, "D"), (0.35, "A"), (0.36, "D"), (0.5, "X")]


def test_the_mouth_is_at_rest_from_a_pauses_first_frame(monkeypatch):
    from soundmotion.models.face import arkit_curves

    weights = np.full((100, len(ARKIT_INDEX)), 0.5)
    pauses = [(0.305, 0.605), (0.80, 0.90)]  # at 100 fps: frames 31-60 inside the first; the second is too short
    rested = arkit_curves.rest_in_pauses(weights.copy(), pauses, 100.0)
    jaw = rested[:, ARKIT_INDEX["jawOpen"]]
    assert np.all(jaw[31:61] == 0.0) and jaw[30] == 0.5 and jaw[61] == 0.5
    assert np.all(jaw[80:91] == 0.5)
    # The former 20 ms fade left the lips moving in the pause's first and last two frames.
    monkeypatch.setattr(arkit_curves, "REST_FADE_SECONDS", 0.02)
    faded = arkit_curves.rest_in_pauses(weights.copy(), pauses, 100.0)[:, ARKIT_INDEX["jawOpen"]]
    assert faded[31] > 0.06 and faded[60] > 0.06 and np.all(faded[33:59] == 0.0)


def test_the_jaw_rises_for_a_short_t_between_open_vowels_while_the_lips_still_round_ahead():
    phones = segments(("AA", 0.0, 0.15), ("T", 0.15, 0.19), ("AA", 0.19, 0.35))
    lips, jaw = viseme_weights(phones, times(0.35)), jaw_weights(phones, times(0.35))
    ones = np.ones(35)
    shared = mouth_weights(lips, ones, ones, FPS)[:, ARKIT_INDEX["jawOpen"]]
    own = mouth_weights(lips, ones, ones, FPS, jaw_visemes=jaw)[:, ARKIT_INDEX["jawOpen"]]
    assert own[0] > 0.58 and own[34] > 0.58              # the vowels open the jaw as before
    assert own[17] < 0.3 and shared[17] > 0.35           # in a 40 ms "t" the jaw comes up (the lips' mixture: less)
    rounding = segments(("S", 0.0, 0.15), ("UW", 0.15, 0.35))
    ahead = viseme_weights(rounding, times(0.35))[12, VISEME_INDEX["ou"]]
    assert ahead > 0.2 > jaw_weights(rounding, times(0.35))[12, VISEME_INDEX["ou"]]  # the lips round through the "s"
