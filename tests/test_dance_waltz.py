"""Music in three is danced as a waltz: three steps to the bar, figures, rise and fall, facing the audience."""

import numpy as np
import pytest

from soundmotion.bench.body_stats import clip_stats
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.models.dance.body import rest_heights
from soundmotion.models.dance.meter import bar_phase
from soundmotion.models.dance.metrics import beat_align_score, kinematic_beats
from soundmotion.models.dance.pipeline import dance_to_analysis
from soundmotion.models.dance.waltz import FIGURE_NAMES
from music_grid import grid_analysis

AIRBORNE = 0.012     # m: the ball of a foot this high above its standing height is off the floor


@pytest.fixture(scope="module")
def waltz():
    analysis = grid_analysis(bpm=150.0, beats_per_bar=3, bars=(8, 8, 8), loudness=(0.7, 1.0, 0.7))
    return analysis, dance_to_analysis(analysis, fps=30.0, seed=3)


def landings(clip) -> list:
    """(time, foot) where the ball of a foot comes back down onto the floor, from the clip's joints alone."""
    positions = joint_positions(clip)
    out = []
    for foot, name in enumerate(("left_foot", "right_foot")):
        height = positions[:, SMPLX_SKELETON.index(name), 2] - rest_heights()[name]
        up = height > AIRBORNE
        for frame in np.flatnonzero(up[:-1] & ~up[1:]):
            out.append(((frame + 1) / clip.fps, foot))
    return sorted(out)


def test_three_steps_to_the_bar_on_the_beats_feet_alternating(waltz):
    analysis, result = waltz
    steps = landings(result.clip)
    times = np.array([t for t, _ in steps])
    beat = np.round(analysis.beat_position(times)).astype(int)         # the beat each step lands nearest to
    bars = (beat - analysis.bar_starts[0]) // analysis.beats_per_bar
    music = (times > analysis.beats[0] + 0.1) & (times < analysis.beats[-2])
    counts = np.bincount(bars[music])
    counts = counts[counts > 0]
    assert len(counts) >= 20 and np.mean(counts == 3) >= 0.75, counts
    on_beat = np.min(np.abs(times[music, None] - analysis.beats[None]), axis=1) < 0.08
    assert np.mean(on_beat) > 0.9
    feet = np.array([f for _, f in steps])[music]
    assert np.mean(feet[1:] != feet[:-1]) > 0.85
    # 4/4 stays the captured dance: no waltz there.
    pop = dance_to_analysis(grid_analysis(bpm=120.0, bars=(6, 6, 6)), fps=30.0, seed=3)
    assert not any(str(move[1]).startswith("waltz") for move in pop.moves)


def test_the_body_moves_on_the_beat_not_after_it():
    """The motion's stops (kinematic beats, as the Beat Align Score finds them) fall on the beats, as a waltzer's
    steps, weight and low point do: a quarter beat late they scored 0.03-0.12 on the beat and 0.63-0.75 shifted."""
    for bpm in (150.0, 90.0):
        analysis = grid_analysis(bpm=bpm, beats_per_bar=3)
        clip = dance_to_analysis(analysis, fps=60.0, seed=0).clip
        moments = kinematic_beats(joint_positions(clip)[:, :22], clip.fps)
        period = 60.0 / bpm
        score = {shift: beat_align_score(moments, analysis.beats + shift * period) for shift in (-0.25, 0, 0.25, 0.5)}
        assert score[0] > 0.5 and score[0] == max(score.values()), (bpm, score)


def test_figures_the_waltz_is_made_of_repeat_with_the_music(waltz):
    analysis, result = waltz
    names = [move[1] for move in result.moves]
    assert all(name.startswith("waltz: ") and name[7:] in FIGURE_NAMES for name in names)
    assert len(set(names)) >= 4 and sum("box" in name for name in names) >= 2
    starts = np.array([move[0] for move in result.moves])
    first = [n for s, n in zip(starts, names) if s < analysis.sections[1].start]
    again = [n for s, n in zip(starts, names) if s >= analysis.sections[2].start]
    assert first[:len(again)] == again[:len(first)] and len(again) >= 3


def test_rise_and_fall_down_on_one_up_on_the_balls_of_the_feet_on_three(waltz):
    analysis, result = waltz
    clip = result.clip
    times = np.arange(clip.num_frames) / clip.fps
    _, phase = bar_phase(analysis, times)
    music = (times > analysis.beats[1]) & (times < analysis.beats[-2])
    pelvis = clip.root_translation[:, 2]
    one, three = music & (phase < 0.12), music & (phase > 0.55) & (phase < 0.75)
    assert pelvis[three].mean() - pelvis[one].mean() > 0.06
    positions = joint_positions(clip)
    heels = [positions[:, SMPLX_SKELETON.index(f"{side}_ankle"), 2] - rest_heights()[f"{side}_ankle"]
             for side in ("left", "right")]
    balls = [positions[:, SMPLX_SKELETON.index(f"{side}_foot"), 2] - rest_heights()[f"{side}_foot"]
             for side in ("left", "right")]
    on_balls = [(b < 0.004) & (h > 0.03) for h, b in zip(heels, balls)]     # heel up, ball on the floor
    assert np.mean((on_balls[0] | on_balls[1])[three]) > 0.5
    assert np.mean((on_balls[0] | on_balls[1])[one]) < 0.2


def test_it_faces_the_audience_most_of_the_time_and_turns_as_it_travels(waltz):
    _, result = waltz
    positions = joint_positions(result.clip)
    across = positions[:, SMPLX_SKELETON.index("left_hip")] - positions[:, SMPLX_SKELETON.index("right_hip")]
    heading = np.degrees(np.arctan2(across[:, 1], across[:, 0]))
    assert np.mean(np.abs(heading) < 50) > 0.7
    stats = clip_stats(result.clip)
    assert stats["turn_range"] >= 180
    assert 0.1 < np.abs(result.clip.root_translation[:, :2]).max() < 1.5       # it travels, on the floor


def test_planted_feet_stay_put_and_above_the_floor(waltz):
    _, result = waltz
    stats = clip_stats(result.clip)
    assert stats["foot_skate"] < 0.03 and stats["penetration"] < 0.002
    assert stats["feet_still"] < 50 and stats["pelvis_height_spread"] >= 0.12
    assert stats["wrist_speed"] >= 0.8 and stats["above_head"] >= 5


def test_a_meter_handed_over_wins_and_seeds_and_in_place_hold(waltz):
    pop = grid_analysis(bpm=120.0, bars=(6, 6, 6))
    as_waltz = dance_to_analysis(pop, fps=30.0, seed=3, meter="3/4")
    assert all(str(move[1]).startswith("waltz") for move in as_waltz.moves)
    assert any("Meter 3/4" in note for note in as_waltz.notes)
    analysis, result = waltz
    again = dance_to_analysis(analysis, fps=30.0, seed=3)
    assert np.allclose(again.clip.rotations, result.clip.rotations, atol=1e-9)
    other = dance_to_analysis(analysis, fps=30.0, seed=4)
    assert [m[1] for m in other.moves] != [m[1] for m in result.moves]
    still = dance_to_analysis(analysis, fps=30.0, seed=3, in_place=True).clip
    assert np.abs(still.root_translation[:, :2]).max() < 0.4
