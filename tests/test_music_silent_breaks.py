"""A long silence inside a song (a hidden track after a gap, a long pause in a live recording) gets no beats, and the
dancer stands and waits through it; a short stop keeps its beats and the count goes on through it."""

import numpy as np
import pytest
import soundfile

from soundmotion.clips.kinematics import joint_positions
from soundmotion.models.audio.load import Audio
from soundmotion.models.dance import generate_dance
from soundmotion.models.dance.body import rest_heights
from soundmotion.models.music import analyse_music
from soundmotion.models.music.analysis import MusicAnalysis
from soundmotion.models.music.beat_markers import beats_document, marker_frames
from soundmotion.models.music.synth import SongPart, synthesize
from test_music_beats import _f_measure

GAP = 10.0


@pytest.fixture(scope="module")
def song():
    return synthesize([SongPart(8, 120, "A"), SongPart(8, 120, "B")], seed=5, lead_in=0.3)


def _with_gap(song, seconds, fill="zeros"):
    """(samples with `seconds` of silence inserted just before the ninth bar, its start s, the true beats and
    downbeats moved with the music after it)."""
    rate = song.sample_rate
    cut = int(round((song.downbeats[8] - 0.05) * rate))
    gap = np.zeros(int(round(seconds * rate)), np.float32)
    if fill == "noise":            # a recording's floor at -70 dB full scale instead of digital zeros
        gap = (10 ** (-70 / 20) * np.random.default_rng(1).standard_normal(len(gap))).astype(np.float32)
    start = cut / rate
    move = lambda times: np.where(times < start, times, times + seconds)
    return np.concatenate([song.samples[:cut], gap, song.samples[cut:]]), start, move(song.beats), \
        move(song.downbeats)


@pytest.mark.parametrize("fill", ["zeros", "noise"])
def test_a_long_silence_gets_no_beats_and_a_short_stop_keeps_them(song, fill):
    samples, start, beats, downbeats = _with_gap(song, GAP, fill)
    end = start + GAP
    analysis = analyse_music(Audio(samples, song.sample_rate))
    assert not analysis.fallback and analysis.beats_per_bar == 4
    found = analysis.beats
    assert not np.any((found > start + 0.2) & (found < end - 0.2)), found[(found > start) & (found < end)]
    before, after = found < start + 0.2, found > end - 0.2
    assert _f_measure(found[before], beats[beats < start]) >= 0.9
    assert _f_measure(found[after], beats[beats > start]) >= 0.9       # the beats resume with the music
    assert _f_measure(analysis.downbeats[analysis.downbeats > end - 0.2], downbeats[downbeats > start]) >= 0.9
    note = next(n for n in analysis.notes if n.startswith("Silent "))
    first, last = (float(x) for x in note[len("Silent "):note.index(" s:")].split("-"))
    assert abs(first - start) < 0.3 and abs(last - end) < 0.3 and note.endswith("no beats there.")
    document = beats_document(analysis)               # the JSON contract holds
    assert set(document["beats"]) >= set(document["downbeats"]) and document["beats_per_bar"] == 4
    assert document["tempo"] == pytest.approx(120, rel=0.02)
    names = [name for _, name in marker_frames(analysis, 30)]
    bars = [int(name.split()[1]) for name in names if name.startswith("Bar ")]
    assert len(set(names)) == len(names) and bars == list(range(bars[0], bars[0] + len(bars)))   # the count goes on
    # A stop of 1.5 s (three beats at 120 BPM) is music the band counts through: it keeps its beats and bars.
    samples, start, _, _ = _with_gap(song, 1.5, fill)
    stop = analyse_music(Audio(samples, song.sample_rate))
    assert np.sum((stop.beats > start + 0.2) & (stop.beats < start + 1.3)) >= 2
    assert np.all(np.diff(stop.bar_starts) == 4) and np.max(np.diff(stop.beats)) < 0.7
    assert not any(n.startswith("Silent ") for n in stop.notes)


def test_beats_after_a_break_are_named_as_a_new_bar_of_their_own():
    # 8 beats, silence, then a pickup of one beat before the next downbeat: "3.4" then "Bar 4", no repeated names
    beats = np.concatenate([0.5 + 0.5 * np.arange(8), 14.5 + 0.5 * np.arange(9)])
    analysis = MusicAnalysis(20.0, 120.0, beats, beats[[0, 4, 9, 13]], 0, [], 100.0, np.zeros(10), np.zeros(10),
                             bar_starts=np.array([0, 4, 9, 13]), beats_per_bar=4)
    names = [name for _, name in marker_frames(analysis, 30)]
    assert names[6:11] == ["2.3", "2.4", "3.4", "Bar 4", "4.2"]
    assert len(set(names)) == len(names)


def test_a_meter_asked_for_counts_its_bars_afresh_after_a_break():
    """`--meter 3/4` regrouped the bars straight across a silent break from the first downbeat, so after it the bars
    started wherever the count fell; now, as the tracker's own count, from its first downbeat after the break."""
    from soundmotion.models.music.meter import in_meter

    beats = np.concatenate([0.5 + 0.5 * np.arange(8), 14.5 + 0.5 * np.arange(10)])   # a two-beat pickup after it
    analysis = MusicAnalysis(20.0, 120.0, beats, beats[[0, 4, 10, 14]], 0, [], 100.0, np.zeros(10), np.zeros(10),
                             bar_starts=np.array([0, 4, 10, 14]), beats_per_bar=4)
    waltz = in_meter(analysis, "3/4")
    assert waltz.beats_per_bar == 3 and list(waltz.bar_starts) == [0, 3, 6, 10, 13, 16]
    np.testing.assert_allclose(waltz.downbeats, beats[[0, 3, 6, 10, 13, 16]])


@pytest.fixture(scope="module")
def gap_file(song, tmp_path_factory):
    samples, start, _, _ = _with_gap(song, GAP)
    path = tmp_path_factory.mktemp("gap") / "gap.wav"
    soundfile.write(str(path), samples, song.sample_rate)
    return path, start


@pytest.mark.parametrize("engine, meter", [("captured", "auto"), ("captured", "3/4"), ("coded", "auto")])
def test_the_dancer_stands_still_through_a_long_silence_and_dances_on(gap_file, engine, meter):
    path, start = gap_file
    end = start + GAP
    fps = 30
    result = generate_dance(path, fps=fps, engine=engine, meter=meter, prior_strength=0.0)
    positions = joint_positions(result.clip)
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=2).mean(axis=1) * fps     # m/s, mean over joints
    seconds = (np.arange(len(speed)) + 0.5) / fps
    still = speed[(seconds > start + 1.0) & (seconds < end - 1.0)]     # after an ease of at most 1 s either side
    dancing = speed[(seconds < start - 1.0) | (seconds > end + 0.5)]
    assert len(still) > 200 and still.max() < 0.01 * dancing.mean() and dancing.mean() > 0.1
    assert speed[(seconds > end + 0.2) & (seconds < end + 3.0)].mean() > 0.3 * dancing.mean()   # on with the music
    # The stand: both feet flat on the floor, the pelvis between them, the wrists down by the hips.
    skeleton = result.clip.skeleton
    middle = positions[int((start + end) / 2 * fps)]
    ankles = [middle[skeleton.index(f"{side}_ankle")] for side in ("left", "right")]
    assert all(abs(a[2] - rest_heights()["left_ankle"]) < 0.01 for a in ankles)
    assert np.linalg.norm(middle[0, :2] - 0.5 * (ankles[0][:2] + ankles[1][:2])) < 0.12
    assert all(middle[skeleton.index(f"{side}_wrist"), 2] < middle[0, 2] + 0.1 for side in ("left", "right"))
    # No foot slides on the floor from the last beat before the silence to the first after it.
    last, first = result.beats[result.beats < start + 0.2][-1], result.beats[result.beats > end - 0.2][0]
    window = (seconds > last) & (seconds < first)
    for side in ("left", "right"):
        ankle = positions[:, skeleton.index(f"{side}_ankle")]
        on_floor = ankle[:-1, 2] < ankle[:, 2].min() + 0.005
        slide = np.linalg.norm(np.diff(ankle[:, :2], axis=0), axis=1) * fps
        assert slide[window & on_floor].max(initial=0.0) < 0.05, side
    assert any("stands still" in note for note in result.notes) and any(n.startswith("Silent ") for n in result.notes)
