"""The motion-graph choreographer over captured dance: phrases on the bars, the meter, repeats, styles, warps."""

import numpy as np
import pytest

from soundmotion.bench.body_stats import clip_stats
from soundmotion.clips.kinematics import joint_positions
from soundmotion.models.dance import graph
from soundmotion.models.dance.library import load_library
from soundmotion.models.dance.meter import bar_phase
from soundmotion.models.dance.pipeline import dance_to_analysis
from soundmotion.models.music.analysis import MusicAnalysis, Section


def grid_analysis(bpm=120.0, beats_per_bar=4, bars=(8, 8, 8), labels=(0, 1, 0), loudness=(0.8, 1.0, 0.8),
                  lead_in=0.3) -> MusicAnalysis:
    """A song's analysis handed over directly (a steady grid, sections of whole bars), as the music model would
    report it, e.g. for a 3/4 waltz."""
    period = 60.0 / bpm
    total_bars = sum(bars)
    beats = lead_in + np.arange(total_bars * beats_per_bar + 1) * period
    bar_starts = np.arange(0, total_bars * beats_per_bar, beats_per_bar)
    duration = float(beats[-1] + 0.5)
    rate = 100.0
    curve = np.zeros(int(duration * rate) + 1)
    sections, bar = [], 0
    for count, label, loud in zip(bars, labels, loudness):
        start = 0.0 if bar == 0 else float(beats[bar * beats_per_bar])
        bar += count
        end = duration if bar == total_bars else float(beats[bar * beats_per_bar])
        sections.append(Section(start, end, label, loud))
        curve[int(start * rate):int(end * rate) + 1] = loud
    return MusicAnalysis(duration, bpm, beats, beats[bar_starts], 0, sections, rate, np.zeros_like(curve), curve,
                         bar_starts=bar_starts, beats_per_bar=beats_per_bar)


@pytest.fixture(scope="module")
def pop():
    analysis = grid_analysis()
    return analysis, dance_to_analysis(analysis, fps=30.0, seed=3)


@pytest.fixture(scope="module")
def waltz():
    analysis = grid_analysis(bpm=150.0, beats_per_bar=3, bars=(8, 8, 8))
    return analysis, dance_to_analysis(analysis, fps=30.0, seed=3)


def test_phrases_start_on_downbeats_two_bars_in_four_four_and_four_bars_in_three(pop, waltz):
    for (analysis, result), bars in ((pop, 2), (waltz, 4)):
        starts = [m[0] for m in result.moves]
        downbeats = set(np.round(analysis.downbeats, 6))
        inside = [s for s in starts if analysis.beats[0] <= s <= analysis.downbeats[-1]]
        assert len(inside) >= 6 and all(round(s, 6) in downbeats for s in inside)
        lengths = np.diff([analysis.beats.tolist().index(b) for b in starts if b in analysis.beats])
        assert np.all(lengths == bars * analysis.beats_per_bar)


def test_a_repeated_section_dances_its_phrases_again(pop):
    analysis, result = pop
    bars = (analysis.downbeats[0], analysis.downbeats[-1])   # the music's own bars (not a pickup or a tail)
    first = [m for m in result.moves if bars[0] <= m[0] < analysis.sections[1].start]
    again = [m for m in result.moves if analysis.sections[2].start <= m[0] <= bars[1]]
    assert [m[1] for m in first] == [m[1] for m in again]
    middle = [m for m in result.moves if analysis.sections[1].start <= m[0] < analysis.sections[2].start]
    assert [m[1] for m in middle] != [m[1] for m in first] or len(set(m[1] for m in result.moves)) > 2


def test_same_seed_same_dance_other_seed_other_dance(pop):
    analysis, result = pop
    again = dance_to_analysis(analysis, fps=30.0, seed=3)
    assert np.allclose(again.clip.rotations, result.clip.rotations, atol=1e-9)
    other = dance_to_analysis(analysis, fps=30.0, seed=4)
    assert [m[1:] for m in other.moves] != [m[1:] for m in result.moves]


def test_styles_dance_different_captures(pop):
    analysis, _ = pop
    used = {style: {m[1] for m in dance_to_analysis(analysis, fps=30.0, seed=1, style=style).moves}
            for style in ("hiphop", "calm", "disco")}
    assert used["hiphop"] != used["calm"] and used["disco"] != used["calm"]
    calm = dance_to_analysis(analysis, fps=30.0, seed=1, style="calm").clip
    hiphop = dance_to_analysis(analysis, fps=30.0, seed=1, style="hiphop").clip
    assert clip_stats(hiphop)["wrist_speed"] > clip_stats(calm)["wrist_speed"]


def test_a_pop_song_meets_issue_10s_dance_figures(pop):
    """On the canonical skeleton (the bench measures the same on the demo character, on real songs)."""
    stats = clip_stats(pop[1].clip)
    assert stats["wrist_speed"] >= 0.8 and stats["wrist_spread"] >= 0.28
    assert stats["turn_range"] >= 180 and stats["feet_still"] <= 50
    assert stats["above_head"] >= 5 and stats["foot_skate"] <= 0.06 and stats["penetration"] < 0.01


def test_three_four_goes_down_on_one_and_up_through_two_and_three(waltz):
    analysis, result = waltz
    times = np.arange(result.clip.num_frames) / result.clip.fps
    _, phase = bar_phase(analysis, times)
    pelvis = result.clip.root_translation[:, 2]
    on_one = pelvis[(phase < 0.12) & (times > 1.0)].mean()
    on_three = pelvis[(phase > 0.5) & (phase < 0.75)].mean()
    assert on_three - on_one > 0.01
    four = dance_to_analysis(grid_analysis(bpm=150.0, bars=(6, 6, 6)), fps=30.0, seed=3)
    _, phase4 = bar_phase(grid_analysis(bpm=150.0, bars=(6, 6, 6)), np.arange(four.clip.num_frames) / 30.0)
    z4 = four.clip.root_translation[:, 2]
    assert abs(z4[phase4 < 0.12].mean() - z4[(phase4 > 0.5) & (phase4 < 0.75)].mean()) < on_three - on_one


def test_warp_puts_the_stretch_ends_on_the_downbeats_and_its_stops_on_beats(pop):
    library = load_library()
    analysis, _ = pop
    chooser = graph.Choreographer(library, "groove", 1.0, 0, False, 1.5)
    phrases = graph.plan_phrases(lambda i: np.interp(i, np.arange(len(analysis.beats)), analysis.beats),
                                 [(int(s), 4) for s in analysis.bar_starts], analysis.sections, analysis.duration,
                                 lambda a, b: 1.0)
    picks = chooser.choose(phrases[:6])
    landed = []
    for phrase, pick in zip(phrases, picks):
        times, values = graph.warp_anchors(library, pick, phrase)
        assert times[0] == phrase.start and times[-1] == phrase.end
        assert values[0] == library.beat_frames[pick.start_beat] / library.fps
        assert np.all(np.diff(times) > 0) and np.all(np.diff(values) > 0)
        landed += [np.min(np.abs(phrase.beats - t)) < 1e-9 for t in times]
    assert np.mean(landed) > 0.6    # most landings are on beats, the rest on half beats


def test_in_place_stays_near_the_spot_and_a_small_floor_is_kept(pop):
    analysis, _ = pop
    still = dance_to_analysis(analysis, fps=30.0, seed=5, in_place=True).clip
    assert np.abs(still.root_translation[:, :2]).max() < 0.45
    small = dance_to_analysis(analysis, fps=30.0, seed=5, floor_half_size=1.0).clip
    assert np.abs(small.root_translation[:, :2]).max() < 1.0
    positions = joint_positions(small)
    assert positions[:, :, 2].min() > -0.01


def test_energy_sets_how_hard_the_dancer_works(pop):
    analysis, _ = pop
    calm = [clip_stats(dance_to_analysis(analysis, fps=30.0, seed=s, energy=0.3).clip) for s in (0, 1)]
    busy = [clip_stats(dance_to_analysis(analysis, fps=30.0, seed=s, energy=1.5).clip) for s in (0, 1)]
    for key in ("wrist_speed", "pelvis_speed"):
        assert np.mean([b[key] for b in busy]) > 1.15 * np.mean([c[key] for c in calm]), key


def test_six_eight_in_two_sways_from_bar_to_bar():
    analysis = grid_analysis(bpm=100.0, beats_per_bar=2, bars=(16, 16, 16), labels=(0, 1, 2))
    clip = dance_to_analysis(analysis, fps=30.0, seed=2).clip
    from soundmotion.clips.kinematics import world_transforms
    from soundmotion.clips.skeleton import SMPLX_SKELETON
    positions = world_transforms(clip)[1]
    across = positions[:, SMPLX_SKELETON.index("neck")] - positions[:, 0]
    hips = positions[:, SMPLX_SKELETON.index("left_hip")] - positions[:, SMPLX_SKELETON.index("right_hip")]
    hips /= np.linalg.norm(hips, axis=1, keepdims=True)
    lean = np.sum(across * hips, axis=1)          # the chest towards the dancer's left (+) or right (-)
    bars, phase = bar_phase(analysis, np.arange(clip.num_frames) / 30.0)
    middle = (phase > 0.3) & (phase < 0.7) & (bars >= 0)
    even, odd = middle & (np.floor(bars) % 2 == 0), middle & (np.floor(bars) % 2 == 1)
    assert lean[even].mean() - lean[odd].mean() > 0.02
