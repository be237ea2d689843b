import os

import numpy as np
import pytest

from soundmotion.clips import SMPLX_SKELETON
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.rotations import slerp_resample
from soundmotion.models.dance import generate_dance
from soundmotion.models.dance.body import rest_heights
from soundmotion.models.dance.choreography import ChoreographyError
from soundmotion.models.dance.clip_moves import (ASSET, BEATS_PER_SEGMENT, JOINTS, load_library, warp_segment,
                                                 warp_times)
from soundmotion.models.dance.moves import MOVES
from soundmotion.models.dance.metrics import beat_align_score, foot_figures, foot_joint_index, kinematic_beats
from soundmotion.models.music.synth import SongPart, synthesize, write_wav

from shared_mocap import CMU, needs_cmu

UPPER = [SMPLX_SKELETON.index(n) for n in JOINTS]
LOWER = [j for j in range(len(SMPLX_SKELETON)) if j not in UPPER]


def test_asset_is_small_and_has_the_expected_shapes():
    assert os.path.getsize(ASSET) < 3e6
    library = load_library()
    n = len(library)
    assert n >= 10
    assert library.rotations.shape == (library.offsets[-1], len(JOINTS), 4)
    assert library.offsets.shape == (n + 1,) and library.offsets[0] == 0 and np.all(np.diff(library.offsets) > 0)
    assert library.beats.shape == (n, BEATS_PER_SEGMENT + 1)
    assert np.all(np.diff(library.beats, axis=1) > 0.25)
    durations = np.diff(library.offsets) / library.fps
    assert np.all(library.beats[:, 0] >= 0) and np.all(library.beats[:, -1] <= durations)
    assert np.allclose(np.linalg.norm(library.rotations, axis=-1), 1.0)
    assert library.fps == 30.0 and len(library.sources) == n


def test_warp_puts_the_segment_beats_on_the_music_beats():
    library = load_library()
    fps = 60.0
    music = np.array([1.0, 1.5, 2.0, 2.5, 3.0])          # 120 BPM, every beat exactly on a frame
    times = np.arange(int(4 * fps)) / fps
    for index in range(len(library)):
        beats = library.beats[index]
        assert np.allclose(warp_times(music, music, beats), beats)
        warped = warp_segment(library.segment(index), beats, library.fps, music, times)
        at_beats = warped[np.round(music * fps).astype(int)]
        source = slerp_resample(library.segment(index), np.arange(len(library.segment(index))) / library.fps, beats)
        assert np.allclose(np.abs(np.sum(at_beats * source, axis=-1)), 1.0, atol=1e-9)
        # Monotone: the captured motion never runs backwards.
        assert np.all(np.diff(warp_times(times, music, beats)) >= 0)


def test_unwarped_segments_pause_on_their_beats():
    """The segments were cut at their own kinematic beats: with the beats in place, the pauses are there."""
    from soundmotion.clips.motion import MotionClip

    library = load_library()
    errors = []
    for index in range(len(library)):
        segment = library.segment(index)
        local = np.zeros((len(segment), len(SMPLX_SKELETON), 4))
        local[..., 0] = 1.0
        local[:, UPPER] = segment
        clip = MotionClip(library.fps, SMPLX_SKELETON, local, np.zeros((len(segment), 3)))
        kinematic = kinematic_beats(joint_positions(clip)[:, UPPER], library.fps)
        inner = library.beats[index][1:-1]
        errors.extend(np.min(np.abs(kinematic[:, None] - inner[None]), axis=0) * library.fps)
    assert np.median(errors) <= 1.0


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    song = synthesize([SongPart(6, 120, "A"), SongPart(6, 120, "B")], seed=3, lead_in=0.3)
    path = tmp_path_factory.mktemp("music") / "song.wav"
    write_wav(song, path)
    return song, path


@pytest.fixture(scope="module")
def dances(song):
    path = song[1]
    return {
        "off": generate_dance(path, fps=30, seed=2, clip_moves=0.0, prior_strength=0.0, engine="coded"),
        "on": generate_dance(path, fps=30, seed=2, clip_moves=1.0, prior_strength=0.0, engine="coded"),
        "half": generate_dance(path, fps=30, seed=2, clip_moves=0.5, engine="coded"),
    }


def test_clip_moves_replace_the_upper_body_with_the_warped_segment(dances):
    off, on = dances["off"], dances["on"]
    full_bars = [a for a, b in zip(on.moves, on.moves[1:] + [(on.moves[-1][0] + 4,)]) if b[0] - a[0] == 4]
    assert len(on.clip_bars) == sum(1 for bar in full_bars if not MOVES[bar[1]].calm)
    assert all(not MOVES[name].calm for start, name, _ in on.moves if start in {c[0] for c in on.clip_bars})
    assert np.allclose(on.clip.rotations[:, LOWER], off.clip.rotations[:, LOWER], atol=1e-6)
    assert np.allclose(on.clip.root_translation, off.clip.root_translation)
    library = load_library()
    times = np.arange(on.clip.num_frames) / on.clip.fps
    analysis = on.analysis
    from soundmotion.models.dance.choreography import beat_times
    checked = 0
    for bar_start, segment, mirrored in on.clip_bars:
        if mirrored:
            continue
        beats = beat_times(analysis, np.arange(bar_start, bar_start + BEATS_PER_SEGMENT + 1))
        middle = np.flatnonzero((times > beats[1]) & (times < beats[3]))   # away from the bar-line cross-fades
        if len(middle) == 0:
            continue
        expected = warp_segment(library.segment(segment), library.beats[segment], library.fps, beats, times[middle])
        # Only the light low-pass against mocap jitter separates the two.
        dot = np.clip(np.abs(np.sum(on.clip.rotations[middle][:, UPPER] * expected, axis=-1)), 0.0, 1.0)
        angle = np.degrees(2 * np.arccos(dot))
        assert angle.mean() < 3.0 and angle.max() < 20.0, (angle.mean(), angle.max())
        checked += 1
    assert checked >= 2


def test_share_picks_about_that_many_bars_and_notes_it(dances):
    half = dances["half"]
    assert 0.25 <= len(half.clip_bars) / len(half.moves) <= 0.75
    assert "captured moves" in half.notes[-1]
    assert dances["off"].clip_bars == []


def test_same_seed_same_clip_moves_other_seed_other_choice(song, dances):
    again = generate_dance(song[1], fps=30, seed=2, clip_moves=0.5, engine="coded")
    assert again.clip_bars == dances["half"].clip_bars
    assert np.array_equal(again.clip.rotations, dances["half"].clip.rotations)
    others = [generate_dance(song[1], fps=30, seed=s, clip_moves=0.5, engine="coded").clip_bars for s in (3, 4)]
    assert any(o != dances["half"].clip_bars for o in others)


def test_feet_stay_clean_and_the_dance_stays_on_the_beat(song, dances):
    for name in ("on", "half"):
        clip = dances[name].clip
        positions = joint_positions(clip)
        feet = foot_figures(positions, foot_joint_index(SMPLX_SKELETON), rest_heights(), clip.fps)
        assert feet["slide_cm"] < 0.3
        assert feet["penetration_max_cm"] < 1.0
        assert feet["floating"] == 0.0
        score = beat_align_score(kinematic_beats(positions, clip.fps), song[0].beats)
        assert score > 0.3, name


def test_bad_share_is_a_clear_error(song):
    with pytest.raises(ChoreographyError, match="Clip moves"):
        generate_dance(song[1], fps=30, clip_moves=float("nan"))
    with pytest.raises(ChoreographyError, match="Clip moves"):
        generate_dance(song[1], fps=30, clip_moves=-0.5)


@needs_cmu
def test_build_script_reproduces_the_committed_asset(tmp_path):
    from soundmotion.models.dance.build_clip_moves import build

    output = tmp_path / "clip_moves.npz"
    build(str(CMU / "dance"), str(output))
    built, committed = np.load(output), np.load(ASSET)
    assert sorted(built.files) == sorted(committed.files)
    for name in committed.files:
        assert np.array_equal(built[name], committed[name]), name
