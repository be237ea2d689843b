"""FaceClip: ARKit-52 blendshape weights over time, the exchange format of the face pipeline."""

from dataclasses import dataclass, field

import numpy as np

from .arkit import ARKIT_BLENDSHAPES
from .errors import ClipError
from .npz_io import read_npz, scalar_fps, write_npz

FACE_KEYS = ("fps", "channel_names", "weights")
# How far float32 weights may stray past [0, 1] and still be clamped on load (rounding in other tools' exports);
# weights in percent (0..100) were clamped too, turning 99 % of them fully on without a word.
FLOAT32_SLACK = 1e-4


@dataclass(eq=False)
class FaceClip:
    """`weights[t, c]` in [0, 1] for channel `channel_names[c]` (the 52 ARKit names, Apple's order)."""

    fps: float
    weights: np.ndarray
    channel_names: tuple = field(default=ARKIT_BLENDSHAPES)

    def __post_init__(self):
        self.fps = float(self.fps)
        self.weights = np.asarray(self.weights, dtype=np.float64)
        self.channel_names = tuple(str(n) for n in self.channel_names)
        self.validate()

    @classmethod
    def neutral(cls, frames: int, fps: float = 30.0) -> "FaceClip":
        return cls(fps, np.zeros((frames, len(ARKIT_BLENDSHAPES))))

    @property
    def num_frames(self) -> int:
        return self.weights.shape[0]

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def channel(self, name: str) -> np.ndarray:
        return self.weights[:, self.channel_names.index(name)]

    def validate(self):
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise ClipError(f"FaceClip fps must be positive, got {self.fps}.")
        if self.channel_names != ARKIT_BLENDSHAPES:
            wrong = sorted(set(self.channel_names) ^ set(ARKIT_BLENDSHAPES))
            detail = f"differing names: {', '.join(wrong[:6])}" if wrong else "same names, different order"
            raise ClipError(f"FaceClip channels must be the 52 ARKit blendshapes in Apple's order ({detail}).")
        if self.weights.ndim != 2 or self.weights.shape[1] != len(ARKIT_BLENDSHAPES):
            raise ClipError(f"FaceClip weights must be (frames, 52), got {self.weights.shape}.")
        if not np.all(np.isfinite(self.weights)):
            raise ClipError("FaceClip weights contain NaN or infinite values.")
        if self.weights.size and (self.weights.min() < -1e-6 or self.weights.max() > 1 + 1e-6):
            raise ClipError(
                f"FaceClip weights must lie in [0, 1], got {self.weights.min():.3f}..{self.weights.max():.3f}.")

    def resampled(self, fps: float) -> "FaceClip":
        fps = float(fps)
        src_times = np.arange(self.num_frames) / self.fps
        count = max(1, int(round(self.duration * fps)))
        dst_times = np.arange(count) / fps
        weights = np.stack([np.interp(dst_times, src_times, self.weights[:, c])
                            for c in range(self.weights.shape[1])], axis=-1)
        return FaceClip(fps, weights)

    def save(self, path):
        write_npz(path, fps=np.float64(self.fps), channel_names=np.array(self.channel_names),
                  weights=self.weights.astype(np.float32))

    @classmethod
    def load(cls, path) -> "FaceClip":
        data = read_npz(path, FACE_KEYS)
        weights = data["weights"]
        if weights.dtype == np.float32 and weights.size and np.all(np.isfinite(weights)) \
                and weights.min() >= -FLOAT32_SLACK and weights.max() <= 1 + FLOAT32_SLACK:
            weights = np.clip(weights, 0.0, 1.0)  # float32 rounding only: anything further is validate()'s to refuse
        return cls(scalar_fps(data["fps"]), weights, tuple(str(n) for n in data["channel_names"]))
