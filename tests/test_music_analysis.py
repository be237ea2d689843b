import numpy as np
import pytest

from soundmotion.models.audio.load import Audio
from soundmotion.models.music import analyse_music, beat_position
from soundmotion.models.music.synth import SongPart, synthesize, standard_song


def _recall(found, truth, tolerance=0.07):
    return float(np.mean(np.min(np.abs(np.asarray(found)[:, None] - truth[None]), axis=0) < tolerance))


def _analyse(song):
    return analyse_music(Audio(song.samples, song.sample_rate))


@pytest.fixture(scope="module")
def song120():
    song = standard_song(seed=1, bpm=120)
    return song, _analyse(song)


def test_beats_tempo_and_downbeats_on_a_steady_song(song120):
    song, analysis = song120
    assert not analysis.fallback
    assert analysis.tempo == pytest.approx(120, rel=0.02)
    assert _recall(analysis.beats, song.beats) >= 0.95
    assert _recall(analysis.downbeats, song.downbeats) >= 0.9


@pytest.mark.parametrize("bpm", [80, 150])
def test_tempo_octave_is_right_for_slow_and_fast_songs(bpm):
    song = synthesize([SongPart(12, bpm, "A"), SongPart(12, bpm, "B")], seed=2, lead_in=0.3)
    analysis = _analyse(song)
    assert analysis.tempo == pytest.approx(bpm, rel=0.04)
    assert _recall(analysis.beats, song.beats) >= 0.9


def test_beats_follow_a_tempo_change():
    song = standard_song(seed=1, bpm=100, bpm_after=128)
    analysis = _analyse(song)
    assert _recall(analysis.beats, song.beats) >= 0.9
    late = song.beats[song.beats > song.sections[3][0] + 4]
    assert _recall(analysis.beats, late) >= 0.95
    # Bars are tracked, not assumed every four beats: a glitch at the change must not shift every later bar.
    assert _recall(analysis.downbeats, song.downbeats) >= 0.9


def test_sections_find_the_quiet_break_and_the_repeat(song120):
    song, analysis = song120
    quiet_start = song.sections[2][0]
    quiet = [s for s in analysis.sections if s.loudness < 0.4]
    assert len(quiet) == 1 and abs(quiet[0].start - quiet_start) < 2.1
    loud_labels = [s.label for s in analysis.sections if s.loudness >= 0.4]
    assert len(loud_labels) > len(set(loud_labels)), "the repeated verse should reuse a label"


def test_beat_position_extrapolates_outside_the_beats():
    beats = np.array([1.0, 1.5, 2.0, 2.5])
    assert np.allclose(beat_position(beats, np.array([0.5, 1.25, 3.0])), [-1.0, 0.5, 4.0])


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_no_beat_gives_a_steady_fallback_with_a_note(kind):
    rate = 22050
    rng = np.random.default_rng(0)
    samples = np.zeros(rate * 6, np.float32) if kind == "silence" else (0.3 * rng.standard_normal(rate * 6)).astype(np.float32)
    analysis = analyse_music(Audio(samples, rate))
    assert analysis.fallback
    assert analysis.notes and "steady" in analysis.notes[0]
    assert np.allclose(np.diff(analysis.beats), 60.0 / analysis.tempo)
