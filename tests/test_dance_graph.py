"""The motion-graph choreographer over captured dance: phrases on the bars, the meter, repeats, styles, warps."""

import numpy as np
import pytest

from soundmotion.bench.body_stats import clip_stats
from soundmotion.clips.kinematics import joint_positions
from soundmotion.models.dance import graph
from soundmotion.models.dance.library import load_library
from soundmotion.models.dance.meter import bar_phase
from soundmotion.models.dance.pipeline import dance_to_analysis
from soundmotion.models.filters import gaussian_filter1d
from music_grid import grid_analysis


@pytest.fixture(scope="module")
def pop():
    analysis = grid_analysis()
    return analysis, dance_to_analysis(analysis, fps=30.0, seed=3)


def test_phrases_start_on_downbeats_two_bars_in_four_four_and_four_bars_in_three(pop):
    analysis, result = pop
    starts = [m[0] for m in result.moves]
    downbeats = set(np.round(analysis.downbeats, 6))
    inside = [s for s in starts if analysis.beats[0] <= s <= analysis.downbeats[-1]]
    assert len(inside) >= 6 and all(round(s, 6) in downbeats for s in inside)
    lengths = np.diff([analysis.beats.tolist().index(b) for b in starts if b in analysis.beats])
    assert np.all(lengths == 2 * analysis.beats_per_bar)
    waltz = grid_analysis(bpm=150.0, beats_per_bar=3, bars=(8, 8, 8))
    phrases = graph.plan_phrases(lambda i: np.interp(i, np.arange(len(waltz.beats)), waltz.beats),
                                 [(int(s), 3) for s in waltz.bar_starts], waltz.sections, waltz.duration,
                                 lambda a, b: 1.0, 3)
    assert [p.bars for p in phrases] == [4] * 6 and all(len(p.beats) == 13 for p in phrases)


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


def test_three_four_goes_down_on_one_and_up_through_two_and_three():
    analysis = grid_analysis(bpm=150.0, beats_per_bar=3, bars=(8, 8, 8))
    result = dance_to_analysis(analysis, fps=30.0, seed=3)
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


def test_six_eight_in_two_sways_on_the_two_pulses_of_each_bar():
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
    music = bars >= 0
    first = music & ((phase < 0.1) | (phase > 0.9))     # around each bar's first pulse …
    second = music & (np.abs(phase - 0.5) < 0.1)        # … and its second
    assert lean[first].mean() - lean[second].mean() > 0.02
    pelvis = positions[:, 0, :2]
    side = np.sum((pelvis - gaussian_filter1d(pelvis, 30, axis=0, mode="nearest")) * hips[:, :2], axis=1)
    assert side[first].mean() - side[second].mean() > 0.03      # the weight goes from one foot to the other


def test_five_four_handed_over_dances_bars_of_five_with_phrases_on_their_downbeats_swaying_three_plus_two():
    analysis = grid_analysis(bpm=120.0, bars=(10, 10, 10))
    result = dance_to_analysis(analysis, fps=30.0, seed=2, meter="5/4")
    danced = result.analysis
    assert danced.beats_per_bar == 5 and np.all(np.diff(danced.bar_starts) == 5)
    assert any("Meter 5/4" in note for note in result.notes)
    starts = [m[0] for m in result.moves]
    downbeats = set(np.round(danced.downbeats, 6))
    inside = [s for s in starts if danced.beats[0] <= s <= danced.downbeats[-1]]
    assert len(inside) >= 8 and all(round(s, 6) in downbeats for s in inside)
    lengths = np.diff([danced.beats.tolist().index(b) for b in starts if b in danced.beats])
    assert np.all(lengths % 5 == 0) and np.median(lengths) == 10
    from soundmotion.clips.kinematics import world_transforms
    from soundmotion.clips.skeleton import SMPLX_SKELETON
    positions = world_transforms(result.clip)[1]
    hips = positions[:, SMPLX_SKELETON.index("left_hip")] - positions[:, SMPLX_SKELETON.index("right_hip")]
    hips /= np.linalg.norm(hips, axis=1, keepdims=True)
    pelvis = positions[:, 0, :2]
    side = np.sum((pelvis - gaussian_filter1d(pelvis, 30, axis=0, mode="nearest")) * hips[:, :2], axis=1)
    _, phase = bar_phase(danced, np.arange(result.clip.num_frames) / 30.0)
    times = np.arange(result.clip.num_frames) / 30.0
    music = (times > danced.beats[0]) & (times < danced.beats[-1])
    first = music & ((phase < 0.05) | (phase > 0.95))    # the one of the 3 …
    second = music & (np.abs(phase - 0.6) < 0.05)        # … and the one of the 2 (beat 4 of 5)
    assert side[first].mean() - side[second].mean() > 0.03
