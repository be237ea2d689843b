"""Real dance as extra moves: one-bar upper-body segments of CMU modern dance, time-warped onto the music's beats.

The segments (`clip_moves.npz`, built by `build_clip_moves.py`) were cut at kinematic beats, so each holds
BEATS_PER_SEGMENT + 1 moments where the dancer's motion pauses. A time warp through those moments sends them onto
the bar's music beats and the rotations are slerp-resampled at the warped times: the captured dancer's accents
land on the beat (then a light low-pass, SMOOTHING_SECONDS, keeps mocap noise from turning into jerk). The warp is piecewise cubic and monotone (PCHIP) rather than piecewise linear, so the playback
speed does not jump at a beat, where a jump would shift the pause off it. Only the upper body is replaced; the legs and root stay with the leg IK, so feet stay clean.
Bars whose plan repeats (same move, same side) get the same segment, so phrases still repeat with the music.

The segments come from the CMU Graphics Lab Motion Capture Database, subject 5 (modern dance): "The data used in
this project was obtained from mocap.cs.cmu.edu. The database was created with funding from NSF EIA-0196217."
"""

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON
from ..filters import gaussian_filter1d
from ..interpolate import PchipInterpolator
from .moves import MOVES
from .prior_features import PRIOR_JOINTS, from_features, mirrored, to_features
from ...errors import SoundMotionError

ASSET = os.path.join(os.path.dirname(__file__), "clip_moves.npz")
STORE_FPS = 30.0
BEATS_PER_SEGMENT = 4                       # one 4/4 bar
JOINTS = ("spine1", "spine2", "spine3", "neck", "head", "left_collar", "right_collar", "left_shoulder",
          "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
MAX_WARP = 1.8                              # a segment is played at most this much faster or slower than captured
SMOOTHING_SECONDS = 0.04                    # σ of the low-pass on captured motion (2.4 frames at 60 fps)
CROSSFADE_BEATS = 0.35                      # half-width of the blend across a bar line into or out of a clip move


class ClipMovesError(SoundMotionError):
    pass


@dataclass
class ClipMoveLibrary:
    rotations: np.ndarray     # (frames, len(JOINTS), 4), all segments one after another, at `fps`
    offsets: np.ndarray       # (N + 1,) segment i is rotations[offsets[i]:offsets[i + 1]]
    beats: np.ndarray         # (N, BEATS_PER_SEGMENT + 1) kinematic beats, s from the segment's first frame
    sources: np.ndarray       # (N,) CMU trial of each segment
    fps: float

    def __len__(self):
        return len(self.beats)

    def segment(self, index: int) -> np.ndarray:
        return self.rotations[self.offsets[index]:self.offsets[index + 1]]

    def tempo_ratio(self, beat_interval: float) -> np.ndarray:
        """How much faster (> 1) each segment would play if its mean beat interval became `beat_interval`."""
        return (np.diff(self.beats[:, [0, -1]], axis=1)[:, 0] / BEATS_PER_SEGMENT) / beat_interval


def available(path: str = ASSET) -> bool:
    return os.path.isfile(path)


@lru_cache(maxsize=2)
def load_library(path: str = ASSET) -> ClipMoveLibrary:
    if not os.path.isfile(path):
        raise ClipMovesError(f"Clip moves not found at {path}; reinstall SoundMotion or set clip moves to 0.")
    data = np.load(path)
    if tuple(str(j) for j in data["joints"]) != JOINTS:
        raise ClipMovesError(f"{path} was built for other joints; rebuild it with build_clip_moves.py.")
    return ClipMoveLibrary(rotations.normalize(data["rotations"].astype(np.float64)), data["offsets"].astype(int),
                           data["beats"].astype(np.float64), data["sources"], float(data["fps"]))


def warp_times(times: np.ndarray, music_beats: np.ndarray, segment_beats: np.ndarray) -> np.ndarray:
    """Segment time for each music time: piecewise linear through (music_beats[i], segment_beats[i]), extended
    past both ends with the end intervals' rates."""
    times = np.asarray(times, dtype=np.float64)
    warped = PchipInterpolator(music_beats, segment_beats)(np.clip(times, music_beats[0], music_beats[-1]))
    first_rate = (segment_beats[1] - segment_beats[0]) / (music_beats[1] - music_beats[0])
    last_rate = (segment_beats[-1] - segment_beats[-2]) / (music_beats[-1] - music_beats[-2])
    warped = np.where(times < music_beats[0], segment_beats[0] + (times - music_beats[0]) * first_rate, warped)
    return np.where(times > music_beats[-1], segment_beats[-1] + (times - music_beats[-1]) * last_rate, warped)


def warp_segment(segment: np.ndarray, segment_beats: np.ndarray, fps: float, music_beats: np.ndarray,
                 times: np.ndarray) -> np.ndarray:
    """(len(times), J, 4) rotations of `segment` (sampled at `fps`) with its beats moved onto `music_beats`."""
    source_times = np.arange(len(segment)) / fps
    return rotations.slerp_resample(segment, source_times, warp_times(times, music_beats, segment_beats))


def apply_clip_moves(clip: MotionClip, music_beat_times, bar_moves: list, share: float, seed: int = 0,
                     library: ClipMoveLibrary = None):
    """The clip with about `share` (0..1) of its bars (4-beat, not calm) danced with captured upper-body motion.

    `music_beat_times(indices)` gives the time (s) of global beat indices; `bar_moves` is the plan's
    (bar start beat, move name, mirrored) per bar. Returns (clip, [(bar start beat, segment index, mirrored)]).
    """
    if share <= 0 or not bar_moves:
        return clip, []
    library = library or load_library()
    rng = np.random.default_rng([int(seed), 0xC11])
    starts = [b[0] for b in bar_moves]
    lengths = np.diff(starts + [starts[-1] + 4])
    bar_beats = [music_beat_times(np.arange(s, s + BEATS_PER_SEGMENT + 1)) for s in starts]
    # Bars with the same move on the same side share a segment, so repeated phrases stay repeated.
    groups = {}
    for bar, (start, name, mirror) in enumerate(bar_moves):
        # Quiet sections keep their calm coded moves: the captured modern dance is never that still.
        if lengths[bar] == BEATS_PER_SEGMENT and not (name in MOVES and MOVES[name].calm):
            groups.setdefault((name, bool(mirror)), []).append(bar)
    order = sorted(groups)
    rng.shuffle(order)
    target = share * len(bar_moves)
    chosen, covered = {}, 0
    for key in order:
        bars = groups[key]
        if abs(covered + len(bars) - target) >= abs(covered - target):
            continue   # this group would overshoot the share more than leaving it out undershoots it
        interval = float(np.median([np.mean(np.diff(bar_beats[b])) for b in bars]))
        ratio = library.tempo_ratio(interval)
        fitting = np.flatnonzero((ratio < MAX_WARP) & (ratio > 1.0 / MAX_WARP))
        if len(fitting) == 0:
            continue
        segment = int(fitting[rng.integers(len(fitting))])
        for bar in bars:
            chosen[bar] = (segment, key[1])
        covered += len(bars)
    if not chosen:
        return clip, []

    joints = [SMPLX_SKELETON.index(n) for n in JOINTS]
    times = np.arange(clip.num_frames) / clip.fps
    procedural = clip.rotations[:, joints]
    segments = {}

    def layer(bar, frames):
        if bar not in chosen or bar < 0 or bar >= len(bar_moves):
            return procedural[frames]
        index, mirror = chosen[bar]
        if (index, mirror) not in segments:
            rots = library.segment(index)
            if mirror:
                full = np.zeros((len(rots), len(SMPLX_SKELETON), 4))
                full[..., 0] = 1.0
                full[:, joints] = rots
                rots = mirrored(full)[:, joints]
            segments[(index, mirror)] = rots
        return warp_segment(segments[(index, mirror)], library.beats[index], library.fps, bar_beats[bar],
                            times[frames])

    result = procedural.copy()
    for bar in sorted(chosen):
        t0, t1 = bar_beats[bar][0], bar_beats[bar][-1]
        inside = np.flatnonzero((times >= t0) & (times < t1))
        if len(inside):
            result[inside] = layer(bar, inside)
    # Cross-fade across every bar line that has a clip move on either side.
    lines = sorted({b for b in chosen} | {b + 1 for b in chosen})
    for bar in lines:
        if bar <= 0 or bar >= len(bar_moves) + 1:
            continue
        line = bar_beats[bar][0] if bar < len(bar_moves) else bar_beats[bar - 1][-1]
        beat = float(np.mean(np.diff(bar_beats[min(bar, len(bar_moves) - 1)])))
        half = CROSSFADE_BEATS * beat
        frames = np.flatnonzero((times > line - half) & (times < line + half))
        if len(frames) == 0:
            continue
        u = (times[frames] - (line - half)) / (2 * half)
        u = u * u * (3 - 2 * u)
        left, right = layer(bar - 1, frames), layer(bar, frames)
        result[frames] = _slerp(left, right, u)
    local = clip.rotations.copy()
    local[:, joints] = result
    touched = np.zeros(clip.num_frames, dtype=bool)
    for bar in chosen:
        beat = float(np.mean(np.diff(bar_beats[bar])))
        touched |= (times > bar_beats[bar][0] - beat) & (times < bar_beats[bar][-1] + beat)
    local = _smoothed_upper_body(local, touched, SMOOTHING_SECONDS * clip.fps)
    used = [(bar_moves[b][0], chosen[b][0], chosen[b][1]) for b in sorted(chosen)]
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), clip.root_translation.copy()), used


def _smoothed_upper_body(local, frames, sigma):
    """Low-pass the upper body on `frames` (6D rotations, Gaussian in time): mocap noise and the kinks of slerp
    between the stored 30 fps samples would otherwise turn into jerk, the more so when the warp speeds a move up."""
    if sigma <= 0 or not np.any(frames):
        return local
    smoothed = from_features(gaussian_filter1d(to_features(local), sigma, axis=0, mode="nearest"))
    local = local.copy()
    for name in JOINTS:
        local[frames, SMPLX_SKELETON.index(name)] = smoothed[frames, PRIOR_JOINTS.index(name)]
    return local


def _slerp(a, b, u):
    """Per frame, the rotation u of the way from a to b (both (T, J, 4))."""
    start, end = rotations.to_rotation(a), rotations.to_rotation(b)
    weights = np.repeat(u, a.shape[1])[:, None]
    return rotations.from_rotation(start * Rotation.from_rotvec((start.inv() * end).as_rotvec() * weights), a.shape[:-1])
