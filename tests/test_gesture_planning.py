"""Gesture planning on espeak-ng speech: strokes on accents, gesture units over short pauses, rest in long
pauses, word cues from a transcript."""

import numpy as np
import pytest

from soundmotion.bench import espeak_truth
from soundmotion.models.audio.load import load_audio
from soundmotion.models.gesture import metrics
from soundmotion.models.gesture.pipeline import generate_gestures
from soundmotion.models.gesture.planning import LONG_PAUSE_SECONDS
from soundmotion.models.gesture.prosody import analyse_prosody
from tests.speech_fixtures import write_wav

FIRST = "We built the new bridge across the river in only two years, and the whole town came to see it."
SECOND = "Nobody believed it would work, but the engineers kept going every single day."


def _speech_with_pause(tmp_path, pause_seconds, name):
    a, b = espeak_truth.synthesize(FIRST, "en-us", 170), espeak_truth.synthesize(SECOND, "en+f3", 170)
    gap = np.zeros(int(pause_seconds * a.sample_rate), np.float32)
    samples = np.concatenate([a.samples, gap, b.samples])
    return write_wav(tmp_path, name, samples, a.sample_rate), a.duration, a.duration + pause_seconds


@pytest.fixture(scope="module")
def long_pause(tmp_path_factory):
    return _speech_with_pause(tmp_path_factory.mktemp("gesture"), 3.5, "long_pause")


def test_strokes_land_on_pitch_accents_and_the_hands_stop_there(long_pause):
    path, _, _ = long_pause
    result = generate_gestures(path, style="storyteller", seed=3)
    prosody = result.prosody
    assert len(prosody.accents) >= 2
    accent_strokes = [s for s in result.plan.strokes if s.cue == "accent"]
    assert len(accent_strokes) >= 0.6 * len(prosody.accents)
    for stroke in accent_strokes:
        assert np.min(np.abs(prosody.accents - stroke.time)) < 0.06
    # The hand making the stroke is (nearly) still at its apex: a kinematic beat on the accent.
    positions = metrics.arm_positions(result.clip, metrics.HANDS)
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=2) * result.clip.fps
    still = 0
    for stroke in result.plan.strokes:
        frame = int(round(stroke.time * result.clip.fps))
        hand = 0 if stroke.hands == "left" else 1
        window = speed[max(0, frame - 9):frame + 9, hand]
        still += speed[frame - 1:frame + 1, hand].min() < 0.25 * window.max()
    assert still >= 0.8 * len(result.plan.strokes)


def test_hands_settle_in_a_long_pause_and_move_while_speaking(long_pause):
    path, pause_start, pause_end = long_pause
    result = generate_gestures(path, style="storyteller", seed=0)
    clip = result.clip
    assert len(result.plan.units) == 2
    assert result.plan.units[0][1] < pause_start + 0.1 and result.plan.units[1][0] > pause_end - 0.1
    times = np.arange(clip.num_frames - 1) / clip.fps
    speed = metrics.angular_speed(clip)
    settled = (times > pause_start + 1.2) & (times < pause_end - 0.8)
    speaking = metrics.speaking_frames(result.prosody.active, 0.01, times)
    assert speed[speaking].mean() > 0.4
    assert speed[settled].mean() < 0.1
    assert speed[speaking].mean() > 8 * speed[settled].mean()
    wrists = metrics.arm_positions(clip, metrics.HANDS)[1:][settled]
    assert np.all(wrists[..., 2] < 0.15)      # hands at rest: hanging, clasped at the belly or on the hip


def test_short_pauses_keep_one_gesture_unit(tmp_path):
    path, _, _ = _speech_with_pause(tmp_path, 0.9, "short_pause")
    prosody = analyse_prosody(load_audio(path))
    result = generate_gestures(path, seed=1)
    assert 0.9 < LONG_PAUSE_SECONDS
    assert len(prosody.regions()) >= 2
    assert len(result.plan.units) == 1
    # No full rest inside the unit: through the short pause a hand stays above where it hangs at rest (it may
    # dip towards it between the phrases).
    times = np.arange(result.clip.num_frames) / result.clip.fps
    inside = (times > 0.8) & (times < result.plan.units[0][1] - 0.5)
    hands = metrics.arm_positions(result.clip, metrics.HANDS)[inside]
    assert hands[..., 2].max(axis=1).min() > -0.04


def test_transcript_words_choose_deixis_size_negation_question_and_counting(tmp_path):
    text = ("I would like to show you the map. It is really big. First the river, second the bridge. "
            "It is not far at all. Would you like to see it?")
    utterance = espeak_truth.synthesize(text, "en-us", 150)
    path = write_wav(tmp_path, "cues", utterance.samples, utterance.sample_rate)
    result = generate_gestures(path, transcript=text, seed=0)
    shapes = {s.shape for s in result.plan.strokes}
    cues = {s.cue: s for s in result.plan.strokes if s.word}
    assert {"self", "point_you", "big", "count", "wipe", "palms_up"} <= shapes
    assert cues["negation"].word == "not"
    assert cues["question"].word == "it"
    counts = sorted(s.count for s in result.plan.strokes if s.shape == "count")
    assert counts == [1, 2]
    assert any(move.kind == "shake" for move in result.plan.head)
    assert any(move.kind == "tilt" for move in result.plan.head)
    # Fingers take the shape: at the pointing apex the index is straight and the middle finger curled.
    point = next(s for s in result.plan.strokes if s.shape == "point_you")
    frame = int(round(point.time * result.clip.fps))
    skeleton = result.clip.skeleton
    side = point.hands

    def bend(joint):
        q = result.clip.rotations[frame, skeleton.index(f"{side}_{joint}")]
        return np.degrees(2 * np.arccos(min(1.0, abs(q[0]))))
    assert bend("index1") < 15.0 and bend("middle1") > 50.0


def test_handedness_picks_the_hand_for_single_handed_strokes(long_pause):
    path, _, _ = long_pause
    left = generate_gestures(path, handedness="left", seed=2)
    right = generate_gestures(path, handedness="right", seed=2)
    assert sum(s.hands == "left" for s in left.plan.strokes) > sum(s.hands == "right" for s in left.plan.strokes)
    assert sum(s.hands == "right" for s in right.plan.strokes) > sum(s.hands == "left" for s in right.plan.strokes)


def test_amount_scales_the_number_of_strokes(long_pause):
    path, _, _ = long_pause
    few = generate_gestures(path, amount=0.4, seed=0)
    many = generate_gestures(path, amount=1.6, seed=0)
    none = generate_gestures(path, amount=0.0, seed=0)
    assert len(many.strokes) > len(few.strokes) >= 1
    assert none.strokes == [] and any("amount 0" in n for n in none.notes)
