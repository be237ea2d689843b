"""The dance library at run time: real dance capture on SMPL-X (built by build_library.py), its kinematic beats
and the pose features the choreographer matches transitions with. Plain numpy; loaded once per process.

`dance_library.npz` holds about 17 minutes of dance at 30 fps from two sources that allow shipping what is made
from them (see build_library.py and assets/CREDITS.md):
- G1 Moves motion capture dataset by Mitch Chaiet / Experiential Technologies (dance: Jasmine Coro), captured
  with MOVIN TRACIN, licensed CC BY 4.0, https://github.com/experientialtech/g1-moves (via the Unitree G1 retarget);
- CMU Graphics Lab Motion Capture Database, subject 5: "The data used in this project was obtained from
  mocap.cs.cmu.edu. The database was created with funding from NSF EIA-0196217."
"""

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...clips import rotations
from ...clips.skeleton import SMPLX_SKELETON

ASSET = os.path.join(os.path.dirname(__file__), "dance_library.npz")
LIBRARY_FPS = 30.0
BODY_JOINTS = SMPLX_SKELETON.joint_names[:22]
FEATURE_JOINTS = ("pelvis", "left_ankle", "right_ankle", "left_knee", "right_knee", "left_elbow", "right_elbow",
                  "left_wrist", "right_wrist", "head")
QUANT = 32767.0


class LibraryError(ValueError):
    pass


def quantise_rotations(quats: np.ndarray) -> tuple:
    """(…, 4) unit quaternions → ((…, 3) int16, (…,) uint8): "smallest three" compression — the largest
    component is dropped (made positive, its index kept) and the other three, within ±1/√2, are scaled to int16.
    Worst error about 0.003°."""
    q = rotations.normalize(quats)
    largest = np.argmax(np.abs(q), axis=-1)
    q = q * np.where(np.take_along_axis(q, largest[..., None], -1) < 0, -1.0, 1.0)
    keep = np.array([[j for j in range(4) if j != i] for i in range(4)])[largest]
    rest = np.take_along_axis(q, keep, -1)
    return np.round(rest * np.sqrt(2.0) * QUANT).astype(np.int16), largest.astype(np.uint8)


def dequantise_rotations(parts: np.ndarray, largest: np.ndarray) -> np.ndarray:
    rest = parts.astype(np.float64) / (np.sqrt(2.0) * QUANT)
    big = np.sqrt(np.maximum(0.0, 1.0 - np.sum(rest * rest, axis=-1)))
    out = np.zeros(parts.shape[:-1] + (4,))
    keep = np.array([[j for j in range(4) if j != i] for i in range(4)])[largest.astype(int)]
    np.put_along_axis(out, keep, rest, -1)
    np.put_along_axis(out, largest.astype(int)[..., None], big[..., None], -1)
    return rotations.normalize(out)


def heading_of(positions: np.ndarray) -> np.ndarray:
    """(T,) facing angle (radians; 0 = facing -y) from the hip line of SMPL-X world positions (T, 55, 3)."""
    across = positions[:, SMPLX_SKELETON.index("left_hip")] - positions[:, SMPLX_SKELETON.index("right_hip")]
    return np.unwrap(np.arctan2(across[:, 1], across[:, 0]))


def _to_heading_frame(vectors: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """Rotate (T, K, 3) world vectors by -heading about z."""
    c, s = np.cos(-heading)[:, None], np.sin(-heading)[:, None]
    out = vectors.copy()
    out[..., 0] = c * vectors[..., 0] - s * vectors[..., 1]
    out[..., 1] = s * vectors[..., 0] + c * vectors[..., 1]
    return out


def beat_features(positions: np.ndarray, frames: np.ndarray, fps: float) -> np.ndarray:
    """(len(frames), D) pose features at the given frames of SMPL-X world positions (T, 55, 3): the
    FEATURE_JOINTS relative to the pelvis in the dancer's heading frame (height kept), their velocities in that
    frame (m/s), and the turning rate (rad/s)."""
    index = [SMPLX_SKELETON.index(n) for n in FEATURE_JOINTS]
    frames = np.asarray(frames, dtype=int)
    last = len(positions) - 1
    before, after = np.clip(frames - 1, 0, last), np.clip(frames + 1, 0, last)
    heading = heading_of(positions)
    pelvis = positions[frames, 0].copy()
    pelvis[:, 2] = 0.0
    relative = _to_heading_frame(positions[frames][:, index] - pelvis[:, None], heading[frames])
    span = np.maximum(after - before, 1)[:, None, None] / fps
    velocity = _to_heading_frame((positions[after][:, index] - positions[before][:, index]) / span, heading[frames])
    turning = (heading[after] - heading[before]) / span[:, 0, 0]
    return np.concatenate([relative.reshape(len(frames), -1), velocity.reshape(len(frames), -1),
                           turning[:, None]], axis=1)


def mirror_features(features: np.ndarray) -> np.ndarray:
    """The features of the left↔right mirrored pose (x → -x, sides swapped, turning reversed)."""
    count = len(FEATURE_JOINTS)
    swap = [FEATURE_JOINTS.index(n.replace("left_", "@").replace("right_", "left_").replace("@", "right_"))
            for n in FEATURE_JOINTS]
    out = features.copy()
    for block in (0, 3 * count):
        part = features[:, block:block + 3 * count].reshape(len(features), count, 3)[:, swap].copy()
        part[..., 0] *= -1.0
        out[:, block:block + 3 * count] = part.reshape(len(features), -1)
    out[:, 6 * count] *= -1.0
    return out


@dataclass
class DanceLibrary:
    names: np.ndarray          # (C,) clip names ("G1_…", "CMU_…")
    offsets: np.ndarray        # (C + 1,) clip c is frames offsets[c]:offsets[c + 1]
    has_head: np.ndarray       # (C,) the capture moves the neck and head (G1 Moves does not: no neck)
    rotations: np.ndarray      # (F, 22, 4) local body rotations, w first
    root: np.ndarray           # (F, 3) metres
    usable: np.ndarray         # (F,) False near capture glitches
    contacts: np.ndarray       # (F, 2) left, right foot planted
    beat_frames: np.ndarray    # (B,) kinematic beats, global frame index, ascending
    beat_depth: np.ndarray     # (B,) 0..1, how complete a stop the beat is
    beat_features: np.ndarray  # (B, D) pose features (beat_features)
    beat_effort: np.ndarray    # (B,) mean joint speed (m/s) from this beat to the next
    beat_footwork: np.ndarray  # (B,) mean horizontal speed of the faster ankle from this beat to the next
    fps: float

    @property
    def frames(self) -> int:
        return len(self.root)

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def clip_of_frame(self, frames) -> np.ndarray:
        return np.searchsorted(self.offsets, frames, side="right") - 1

    @property
    def beat_clip(self) -> np.ndarray:
        return self.clip_of_frame(self.beat_frames)


def available(path: str = ASSET) -> bool:
    return os.path.isfile(path)


@lru_cache(maxsize=2)
def load_library(path: str = ASSET) -> DanceLibrary:
    if not os.path.isfile(path):
        raise LibraryError(f"The dance library is missing ({path}); reinstall SoundMotion.")
    data = np.load(path)
    if tuple(str(j) for j in data["joints"]) != BODY_JOINTS or \
            tuple(str(j) for j in data["feature_joints"]) != FEATURE_JOINTS:
        raise LibraryError(f"{path} was built for other joints; rebuild it with build_library.py.")
    frames = int(data["offsets"][-1])
    return DanceLibrary(
        names=np.array([str(n) for n in data["names"]]), offsets=data["offsets"].astype(int),
        has_head=data["has_head"].astype(bool),
        rotations=dequantise_rotations(data["rotations"], data["rotation_largest"]),
        root=data["root_mm"].astype(np.float64) / 1000.0,
        usable=np.unpackbits(data["usable"])[:frames].astype(bool),
        contacts=np.unpackbits(data["contacts"])[:2 * frames].reshape(frames, 2).astype(bool),
        beat_frames=data["beat_frames"].astype(int), beat_depth=data["beat_depth"].astype(np.float64),
        beat_features=data["beat_features"].astype(np.float64), beat_effort=data["beat_effort"].astype(np.float64),
        beat_footwork=data["beat_footwork"].astype(np.float64), fps=float(data["fps"]))
