"""Music long enough to be danced in parts (long_music.py, parts shrunk to 40 s here) keeps the whole dance on the
floor area and the feet on or above the floor where the parts are cross-faded, as a song danced in one piece."""

import types

import numpy as np
import pytest

from soundmotion.bench.body_stats import clip_stats
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.models.dance import library, long_music, pipeline
from soundmotion.models.dance.body import rest_heights
from soundmotion.models.music.analysis import fallback_analysis
from music_grid import grid_analysis

FLOOR = 1.5          # m: the default floor area's half size
FEET = ("left_ankle", "right_ankle", "left_foot", "right_foot")


def danced_in_parts(monkeypatch, analysis, seed):
    if not library.available():
        pytest.skip("no dance library in this checkout")
    monkeypatch.setattr(long_music, "PART_SECONDS", 40.0)
    monkeypatch.setattr(pipeline, "analyse_music", lambda audio: analysis)
    cuts = []
    real = long_music._cut_frames
    monkeypatch.setattr(long_music, "_cut_frames", lambda *args: cuts.extend(real(*args)) or list(cuts))
    audio = types.SimpleNamespace(sample_rate=pipeline.SAMPLE_RATE, duration=analysis.duration)
    result = pipeline.dance_from_audio(audio, fps=30.0, seed=seed)
    assert len(cuts) >= 4, cuts     # three parts at least: two joins
    return result.clip, cuts[1:-1]


@pytest.mark.parametrize("meter, seed", [("3/4", 2), ("4/4", 0)])
def test_parts_stay_on_the_floor_area_with_feet_above_the_floor(monkeypatch, meter, seed):
    """Left where the dancer stood at a join, later parts danced up to 2.1-2.3 m from the middle (here: the waltz
    of seed 2, the captured 4/4 dance of seed 0), and the cross-faded legs sank 4-6 cm into the floor."""
    if meter == "3/4":
        analysis = grid_analysis(bpm=150.0, beats_per_bar=3, bars=(30, 30, 30))
    else:
        analysis = fallback_analysis(120.0, "steady", bpm=120.0)
    clip, joins = danced_in_parts(monkeypatch, analysis, seed)
    assert np.abs(clip.root_translation[:, :2]).max() < FLOOR
    positions = joint_positions(clip)
    heights = rest_heights()
    overlap = long_music._overlap_frames(analysis, 0.0, clip.fps)
    for join in joins:
        fade = slice(join - overlap, join + 1)
        for name in FEET:
            lowest = (positions[fade, SMPLX_SKELETON.index(name), 2] - heights[name]).min()
            assert lowest > -0.003, (join, name, lowest)
    stats = clip_stats(clip)
    assert stats["penetration"] < 0.003 and stats["foot_skate"] < 0.05, stats
