"""The learned motion prior at run time, in plain numpy: nudges a dance's upper body towards captured human motion.

A denoising MLP (see train_prior.py) over 0.4 s windows of body rotations, trained on CMU mocap. It runs at 30 fps
on overlapping windows; its output is blended into the upper body only, so the legs keep their IK-placed feet.

Weights (`prior_weights.npz`, float16, 1.5 MB) were trained by `train_prior.py` on the CMU Graphics Lab Motion
Capture Database: "The data used in this project was obtained from mocap.cs.cmu.edu. The database was created
with funding from NSF EIA-0196217."
"""

import os
from functools import lru_cache

import numpy as np

from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.skeleton import SMPLX_SKELETON
from ..filters import gaussian_filter1d
from ..interpolate import CubicSpline
from .prior_features import PRIOR_JOINTS, UPPER_BODY, from_features, to_features
from ...errors import SoundMotionError

WEIGHTS = os.path.join(os.path.dirname(__file__), "prior_weights.npz")
DEFAULT_STRENGTH = 0.5


class PriorError(SoundMotionError):
    pass


def weights_available(path: str = WEIGHTS) -> bool:
    return os.path.isfile(path)


class MotionPrior:
    def __init__(self, path: str = WEIGHTS):
        if not os.path.isfile(path):
            raise PriorError(f"Motion prior weights not found at {path}; reinstall SoundMotion or turn the prior off.")
        data = np.load(path)
        self.mean, self.std = data["mean"].astype(np.float64), data["std"].astype(np.float64)
        self.window, self.fps = int(data["window"]), float(data["fps"])
        count = sum(1 for k in data.files if k[0] == "w" and k[1:].isdigit())
        self.layers = [(data[f"w{i}"].astype(np.float64), data[f"b{i}"].astype(np.float64)) for i in range(count)]

    def denoise(self, windows: np.ndarray) -> np.ndarray:
        """(N, window, D) features → the prior's clean version, same shape."""
        x = (windows.reshape(len(windows), -1) - self.mean) / self.std
        for i, (weight, bias) in enumerate(self.layers):
            x = x @ weight + bias
            if i < len(self.layers) - 1:
                x = x / (1.0 + np.exp(-x))    # SiLU
        return (x * self.std + self.mean).reshape(windows.shape)

    def smooth_features(self, features: np.ndarray) -> np.ndarray:
        """Denoise a whole (T, D) sequence with half-overlapping windows, cross-faded."""
        frames, window = len(features), self.window
        if frames < window:
            features = np.concatenate([features, np.repeat(features[-1:], window - frames, axis=0)])
        hop = window // 2
        starts = list(range(0, len(features) - window + 1, hop))
        if starts[-1] != len(features) - window:
            starts.append(len(features) - window)
        output = self.denoise(np.stack([features[s:s + window] for s in starts]))
        fade = np.hanning(window + 2)[1:-1][:, None]
        total = np.zeros_like(features)
        weight = np.zeros((len(features), 1))
        for s, chunk in zip(starts, output):
            total[s:s + window] += chunk * fade
            weight[s:s + window] += fade
        return (total / np.maximum(weight, 1e-9))[:frames]


@lru_cache(maxsize=1)
def load_prior(path: str = WEIGHTS) -> MotionPrior:
    return MotionPrior(path)


# A long take (a 30-minute talk) is corrected a block of this many seconds at a time, each with MARGIN_SECONDS of
# the take either side (far beyond the 0.4 s windows and the smoothing's 4 sigma, 4 s at the gesture's 1 s pose
# bias), so memory stays bounded: the whole take's features at once grew talk by 35 MB a minute (1.43 GB at 30
# minutes). Blocks start where the prior's windows would in one pass (_aligned_frames).
BLOCK_SECONDS = 120.0
MARGIN_SECONDS = 10.0


def apply_prior(clip: MotionClip, strength: float = DEFAULT_STRENGTH, prior: MotionPrior = None,
                smoothing_seconds: float = None, smoothing_mode: str = "reflect",
                pose_bias_seconds: float = 0.0) -> MotionClip:
    """The clip with `strength` (0..1) of the prior's correction added to its upper-body rotations.

    The correction is computed at the prior's 30 fps, smoothed (over `smoothing_seconds`, default one of the
    prior's frames; minus its part slower than `pose_bias_seconds` when that is set) and spline-interpolated to
    the clip's rate, then added to the clip's own full-rate rotations (6D), so no detail or timing is lost.
    Takes longer than 1.5 BLOCK_SECONDS go a block at a time (see BLOCK_SECONDS).
    """
    if strength <= 0 or clip.num_frames < 2:
        return clip
    prior = prior or load_prior()
    unit = _aligned_frames(clip.fps, prior)
    block = unit * max(1, int(round(BLOCK_SECONDS * clip.fps / unit)))
    margin = unit * max(1, int(np.ceil(MARGIN_SECONDS * clip.fps / unit)))
    if clip.num_frames <= 1.5 * block:
        return _apply_prior_whole(clip, strength, prior, smoothing_seconds, smoothing_mode, pose_bias_seconds)
    local = clip.rotations.copy()
    for start in range(0, clip.num_frames, block):
        low, high = max(0, start - margin), min(clip.num_frames, start + block + margin)
        part = MotionClip(clip.fps, clip.skeleton, clip.rotations[low:high], clip.root_translation[low:high])
        corrected = _apply_prior_whole(part, strength, prior, smoothing_seconds, smoothing_mode, pose_bias_seconds)
        local[start:start + block] = corrected.rotations[start - low:start - low + block]
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), clip.root_translation.copy())


def _aligned_frames(fps: float, prior: MotionPrior) -> int:
    """The fewest clip frames (at most two minutes' worth) after which the prior's frames and its windows' hops
    start again on the same time (6 at 30 fps, 24 at 24, 2997 at 29.97): blocks starting there are corrected
    exactly as in one pass. Else whole seconds' worth (30000/1001 fps: within 0.4° of one pass)."""
    hop_seconds = (prior.window // 2) / prior.fps
    for frames in range(1, int(120 * fps) + 1):
        hops = frames / fps / hop_seconds
        if abs(hops - round(hops)) < 1e-6:
            return frames
    return max(1, int(round(fps)))


def _apply_prior_whole(clip: MotionClip, strength: float, prior: MotionPrior, smoothing_seconds: float,
                       smoothing_mode: str, pose_bias_seconds: float) -> MotionClip:
    """apply_prior on the whole clip in one pass."""
    low = clip.resampled(prior.fps) if clip.fps != prior.fps else clip
    features = to_features(low.rotations)
    raw = prior.smooth_features(features) - features
    sigma = 1.0 if smoothing_seconds is None else smoothing_seconds * prior.fps
    correction = gaussian_filter1d(raw, sigma, axis=0, mode=smoothing_mode)
    if pose_bias_seconds > 0:
        correction -= gaussian_filter1d(raw, pose_bias_seconds * prior.fps, axis=0, mode=smoothing_mode)
    src_times = np.arange(low.num_frames) / prior.fps
    dst_times = np.clip(np.arange(clip.num_frames) / clip.fps, 0.0, src_times[-1])
    if len(src_times) >= 4:
        correction = CubicSpline(src_times, correction, axis=0)(dst_times)
    else:
        correction = np.stack([np.interp(dst_times, src_times, c) for c in correction.T], axis=1)
    corrected = from_features(to_features(clip.rotations) + float(min(strength, 1.0)) * correction)
    local = clip.rotations.copy()
    for name in UPPER_BODY:
        local[:, SMPLX_SKELETON.index(name)] = corrected[:, PRIOR_JOINTS.index(name)]
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), clip.root_translation.copy())
