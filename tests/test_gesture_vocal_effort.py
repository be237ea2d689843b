"""Co-speech gestures follow the voice's effort: a whispered line gets small, low, slow gestures, a raised voice
larger and faster ones, and the recording's gain changes nothing (a line played 20 dB louder is not a shout).

Before: whispered, normal and raised readings of one sentence gave the same gestures (a user sweep); nothing
measured the voice's effort."""

from pathlib import Path

import numpy as np
import pytest
import soundfile

from soundmotion.bench import espeak_truth
from soundmotion.models.audio.load import Audio, resample
from soundmotion.models.gesture import metrics
from soundmotion.models.gesture.pipeline import gestures_from_audio, generate_gestures
from soundmotion.models.gesture.prosody import analyse_prosody

TEXT = ("I told you to put the box on the table before we left for the station. "
        "Now it is gone, and nobody knows where it went.")
RATE = 16000
SEEDS = (0, 1, 2)
VOICE_QUALITY = Path(__file__).resolve().parent.parent / "bench" / "data" / "voice_quality"


def _spoken(text, voice="en-us"):
    utterance = espeak_truth.synthesize(text, voice, 175)
    samples = resample(utterance.samples, utterance.sample_rate, RATE)
    return (0.9 * samples / np.abs(samples).max()).astype(np.float32)


def _raised(text):
    """The line as a raised voice: eSpeak NG's highest pitch (embedded command 99P: ~175 Hz for this voice, against
    ~105), with the spectral tilt flattened by +6 dB an octave from 600 Hz to 4 kHz (pressed phonation's stronger
    high harmonics; read speech's voiced frames measure -15..-4 dB in 1-4 kHz over 60 Hz-1 kHz, this about +5)."""
    samples = _spoken("\x0199P " + text).astype(np.float64)
    frequencies = np.fft.rfftfreq(len(samples), 1.0 / RATE)
    tilted = np.fft.irfft(np.fft.rfft(samples) * np.clip(frequencies / 600.0, 1.0, 4000.0 / 600.0), len(samples))
    return (0.9 * tilted / np.abs(tilted).max()).astype(np.float32)


@pytest.fixture(scope="module")
def lines():
    return {"normal": _spoken(TEXT), "whispered": _spoken(TEXT, "en-us+whisper"), "raised": _raised(TEXT)}


def _takes(samples, **kwargs):
    return [gestures_from_audio(Audio(samples, RATE), seed=seed, prior_strength=0.0, **kwargs) for seed in SEEDS]


def _wrists(result):
    """(mean wrist distance from its place in the first frame, m; mean wrist speed, m/s), relative to the pelvis,
    over the frames while the voice speaks and the hands can be up."""
    clip = result.clip
    wrists = metrics.arm_positions(clip, metrics.HANDS)
    times = np.arange(clip.num_frames) / clip.fps
    start, end = result.plan.units[0][0], result.plan.units[-1][1]
    speaking = (times >= start) & (times <= end)
    excursion = np.linalg.norm(wrists - wrists[:1], axis=2).mean(axis=1)
    speed = np.linalg.norm(np.diff(wrists, axis=0), axis=2).mean(axis=1) * clip.fps
    return float(excursion[speaking].mean()), float(speed[speaking[1:]].mean())


def _mean_wrists(results):
    return np.mean([_wrists(r) for r in results], axis=0)


@pytest.fixture(scope="module")
def takes(lines):
    return {name: _takes(samples) for name, samples in lines.items()}


def test_vocal_effort_tells_whispered_normal_and_raised_apart(lines):
    effort = {name: analyse_prosody(Audio(samples, RATE)).effort for name, samples in lines.items()}
    assert effort["normal"] == pytest.approx(1.0, abs=0.03), effort
    assert effort["whispered"] < 0.6, effort
    assert effort["raised"] > 1.25, effort


def test_whisper_gives_small_slow_gestures_and_says_so(takes):
    normal, whispered = _mean_wrists(takes["normal"]), _mean_wrists(takes["whispered"])
    assert whispered[0] < 0.75 * normal[0], (whispered, normal)      # excursion from rest
    assert whispered[1] < 0.75 * normal[1], (whispered, normal)      # wrist speed
    assert sum(len(r.strokes) for r in takes["whispered"]) < sum(len(r.strokes) for r in takes["normal"])
    nods = [sum(m.strength for m in r.plan.head if m.kind == "nod") for r in takes["whispered"]]
    assert np.mean(nods) < np.mean([sum(m.strength for m in r.plan.head if m.kind == "nod") for r in takes["normal"]])
    assert all("Whispered: small gestures." in r.notes for r in takes["whispered"])
    assert not any(n.startswith(("Whispered", "Raised", "Shouted")) for r in takes["normal"] for n in r.notes)


def test_raised_voice_gives_larger_faster_gestures_within_the_limits(takes):
    normal, raised = _mean_wrists(takes["normal"]), _mean_wrists(takes["raised"])
    assert raised[0] > 1.15 * normal[0], (raised, normal)
    assert raised[1] > 1.15 * normal[1], (raised, normal)
    assert all(any(n.startswith(("Shouted", "Raised voice")) for n in r.notes) for r in takes["raised"])
    for result in takes["raised"]:
        clip = result.clip
        names = ("left_wrist", "right_wrist", "head")
        positions = metrics.arm_positions(clip, names)
        assert positions[:, :2, 2].max() < positions[:, 2, 2].min(), "a hand went above the head joint"
        speed = np.linalg.norm(np.diff(positions[:, :2], axis=0), axis=2) * clip.fps
        assert speed.max() < 4.0       # tests/test_gesture_edges_and_elbows.py's limit


def test_gain_does_not_change_the_gestures(lines, tmp_path):
    """The same line 20 dB louder and 20 dB quieter (peaks 0.9, 0.09, 0.009; float files, no clipping) is the same
    line: the same effort, the same gestures (loading raises a recording quieter than -20 dBFS to that peak)."""
    base = lines["normal"] * np.float32(0.1)
    efforts, wrists = [], []
    for gain in (10.0, 1.0, 0.1):
        samples = (base * np.float32(gain)).astype(np.float32)
        efforts.append(analyse_prosody(Audio(samples, RATE)).effort)
        path = tmp_path / f"gain_{gain:g}.wav"
        soundfile.write(str(path), samples, RATE, subtype="FLOAT")
        wrists.append(_mean_wrists([generate_gestures(path, seed=seed, prior_strength=0.0) for seed in SEEDS]))
    assert efforts == pytest.approx([1.0] * 3, abs=0.03), efforts
    for other in (wrists[0], wrists[2]):
        assert other == pytest.approx(wrists[1], rel=0.05), wrists
    # ...and a whisper played 20 dB louder is still a whisper.
    assert analyse_prosody(Audio(lines["whispered"], RATE)).effort == pytest.approx(
        analyse_prosody(Audio(lines["whispered"] * np.float32(0.1), RATE)).effort, abs=0.03)


def test_a_louder_phrase_gets_bigger_gestures_than_a_quieter_aside():
    """Two phrases by one voice, the second 12 dB quieter (an aside): the first's strokes are made larger."""
    loud = _spoken("I told you to put the box on the table before we left for the station.")
    aside = _spoken("Now it is gone, and nobody knows where it went.") * np.float32(0.25)
    samples = np.concatenate([loud, np.zeros(int(0.8 * RATE), np.float32), aside])
    prosody = analyse_prosody(Audio(samples, RATE))
    assert prosody.effort == pytest.approx(1.0, abs=0.03)    # the take as a whole: read speech
    first, second = prosody.effort_at(1.0), prosody.effort_at(len(samples) / RATE - 1.0)
    assert first > 1.05 and second < 0.95, (first, second)
    for result in _takes(samples):
        split = len(loud) / RATE + 0.4
        before = [s.effort for s in result.plan.strokes if s.time < split]
        after = [s.effort for s in result.plan.strokes if s.time > split]
        assert min(before) > max(after), (before, after)


@pytest.mark.parametrize("name", ["whisper", "mfa_whisper"])
def test_real_whispered_clip_comes_out_whispered(name):
    """MFA's test recordings of a person whispering (bench/data/voice_quality, SOURCE.md)."""
    path = VOICE_QUALITY / f"{name}.flac"
    if not path.exists():
        pytest.skip(f"{path.name} is not in this checkout")
    result = generate_gestures(path, seed=0, prior_strength=0.0)
    assert result.prosody.effort < 0.6, result.prosody.effort_cues
    assert "Whispered: small gestures." in result.notes


def test_real_creaky_voice_is_not_taken_for_a_whisper():
    """A creaky voice is as unvoiced to the pitch tracker as a whisper, but its low band stays strong."""
    path = VOICE_QUALITY / "mfa_creaky.flac"
    if not path.exists():
        pytest.skip(f"{path.name} is not in this checkout")
    samples, rate = soundfile.read(str(path), dtype="float32")
    assert analyse_prosody(Audio(samples, rate)).effort == pytest.approx(1.0, abs=0.05)
