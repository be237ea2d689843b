"""bench/beat_nets.py runs the whole analysis with another set of beat nets, then puts the shipped set back."""

import pathlib

import soundfile

from soundmotion.bench import beat_nets
from soundmotion.models.audio.load import Audio
from soundmotion.models.music import analysis as music_analysis
from soundmotion.models.music.beat_net import WEIGHTS_PATH, WEIGHTS_PATHS

SPEECH = pathlib.Path(__file__).resolve().parents[1] / "assets" / "demo_speech.wav"


def test_a_set_of_nets_replaces_the_shipped_set_for_one_analysis():
    samples, rate = soundfile.read(str(SPEECH), dtype="float32")
    audio = Audio(samples, rate)
    first_alone = beat_nets.analyse_with((WEIGHTS_PATH,), audio)
    shipped = beat_nets.analyse_with(tuple(WEIGHTS_PATHS), audio)
    assert shipped.confidence == music_analysis.analyse_music(audio).confidence
    assert abs(first_alone.confidence - shipped.confidence) > 0.05    # the first net alone hears this speech otherwise
    assert first_alone.fallback and shipped.fallback


def test_octave_errors_are_tempo_ratios_beyond_eight_percent():
    truth = [0.5 * i for i in range(20)]
    assert not beat_nets.octave_error([0.5 * i + 0.1 for i in range(20)], truth)
    assert beat_nets.octave_error([0.25 * i for i in range(40)], truth)
    assert beat_nets.octave_error([0.55 * i for i in range(20)], truth)
