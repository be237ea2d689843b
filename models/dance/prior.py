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


def apply_prior(clip: MotionClip, strength: float = DEFAULT_STRENGTH, prior: MotionPrior = None,
                smoothing_seconds: float = None, smoothing_mode: str = "reflect",
                pose_bias_seconds: float = 0.0) -> MotionClip:
    """The clip with `strength` (0..1) of the prior's correction added to its upper-body rotations.

    The correction is computed at the prior's 30 fps, smoothed (over `smoothing_seconds`, default one of the
    prior's frames; minus its part slower than `pose_bias_seconds` when that is set) and spline-interpolated to
    the clip's rate, then added to the clip's own full-rate rotations (6D), so no detail or timing is lost.
    """
    if strength <= 0 or clip.num_frames < 2:
        return clip
    prior = prior or load_prior()
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
