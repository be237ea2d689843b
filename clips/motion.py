"""MotionClip: body motion on a Skeleton, the exchange format between motion models and retargeting."""

from dataclasses import dataclass

import numpy as np

from . import rotations
from .errors import ClipError
from .npz_io import read_npz, require_keys, scalar_fps, write_npz
from .skeleton import SMPLX_SKELETON, Skeleton

UNIT_TOLERANCE = 1e-3
VALIDATE_FRAMES = 4096
MOTION_KEYS = ("fps", "joint_names", "parents", "offsets", "rotations", "root_translation")


@dataclass(eq=False)
class MotionClip:
    """Local joint rotations (T, J, 4) as unit quaternions, w first, and root translation (T, 3).

    Metres, Z-up, character facing -Y. `root_translation[t]` is the root joint's world position,
    so a clip at rest has `root_translation[t] == skeleton.offsets[0]`.
    """

    fps: float
    skeleton: Skeleton
    rotations: np.ndarray
    root_translation: np.ndarray

    def __post_init__(self):
        self.fps = float(self.fps)
        self.rotations = np.asarray(self.rotations, dtype=np.float64)
        self.root_translation = np.asarray(self.root_translation, dtype=np.float64)
        self.validate()

    @classmethod
    def rest(cls, frames: int, fps: float = 30.0, skeleton: Skeleton = SMPLX_SKELETON) -> "MotionClip":
        rot = np.zeros((frames, len(skeleton), 4))
        rot[..., 0] = 1.0
        return cls(fps, skeleton, rot, np.tile(skeleton.offsets[0], (frames, 1)))

    @property
    def num_frames(self) -> int:
        return self.rotations.shape[0]

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def validate(self):
        frames, joints = self.rotations.shape[0], len(self.skeleton)
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise ClipError(f"MotionClip fps must be positive, got {self.fps}.")
        if self.rotations.shape != (frames, joints, 4):
            raise ClipError(
                f"MotionClip rotations must be (frames, {joints}, 4) for its {joints}-joint skeleton, "
                f"got {self.rotations.shape}.")
        if self.root_translation.shape != (frames, 3):
            raise ClipError(f"MotionClip root_translation must be ({frames}, 3), got {self.root_translation.shape}.")
        if not np.all(np.isfinite(self.root_translation)):
            raise ClipError("MotionClip contains NaN or infinite values.")
        for first in range(0, frames, VALIDATE_FRAMES):  # a block at a time: an hour of motion makes no copies
            block = self.rotations[first:first + VALIDATE_FRAMES]
            if not np.all(np.isfinite(block)):
                raise ClipError("MotionClip contains NaN or infinite values.")
            norms = np.linalg.norm(block, axis=-1)
            if np.max(np.abs(norms - 1.0)) > UNIT_TOLERANCE:
                worst = np.unravel_index(np.argmax(np.abs(norms - 1.0)), norms.shape)
                raise ClipError(
                    f"MotionClip rotations must be unit quaternions; frame {first + worst[0]} joint "
                    f"{self.skeleton.joint_names[worst[1]]!r} has length {norms[worst]:.4f}.")

    def resampled(self, fps: float) -> "MotionClip":
        """The same motion at another frame rate: slerp for rotations, linear for translation."""
        fps = float(fps)
        if fps == self.fps:
            return MotionClip(fps, self.skeleton, self.rotations.copy(), self.root_translation.copy())
        src_times = np.arange(self.num_frames) / self.fps
        count = max(1, int(round(self.duration * fps)))
        dst_times = np.arange(count) / fps
        rot = rotations.slerp_resample(self.rotations, src_times, dst_times)
        trans = np.stack([np.interp(dst_times, src_times, self.root_translation[:, k]) for k in range(3)], -1)
        return MotionClip(fps, self.skeleton, rot, trans)

    def trimmed(self, frames: int) -> "MotionClip":
        """The first `frames` frames (all of them when the clip is shorter)."""
        return MotionClip(self.fps, self.skeleton, self.rotations[:frames], self.root_translation[:frames])

    def save(self, path):
        write_npz(path, fps=np.float64(self.fps), joint_names=np.array(self.skeleton.joint_names),
                  parents=self.skeleton.parents, offsets=self.skeleton.offsets,
                  rotations=self.rotations.astype(np.float32), root_translation=self.root_translation.astype(np.float32))

    @classmethod
    def load(cls, path) -> "MotionClip":
        return cls.from_arrays(read_npz(path, MOTION_KEYS), path)

    @classmethod
    def from_arrays(cls, data: dict, label="arrays") -> "MotionClip":
        """A clip from the arrays of the documented .npz schema (already loaded)."""
        require_keys(data, MOTION_KEYS, label)
        if np.ndim(data["rotations"]) < 1 or len(data["rotations"]) == 0:
            raise ClipError(f"{label} has no frames of motion; choose a clip with at least one frame.")
        skeleton = Skeleton(tuple(str(n) for n in data["joint_names"]), data["parents"], data["offsets"])
        rot = rotations.normalize(data["rotations"]) if _nearly_unit(data["rotations"]) else data["rotations"]
        return cls(scalar_fps(data["fps"]), skeleton, rot, data["root_translation"])


def _nearly_unit(quats) -> bool:
    # float32 storage loses ~1e-7 of length; renormalise that, but let real errors reach validate().
    q = np.asarray(quats, dtype=np.float64)
    return q.ndim == 3 and q.shape[-1] == 4 and bool(np.all(np.abs(np.linalg.norm(q, axis=-1) - 1) < 1e-5))
