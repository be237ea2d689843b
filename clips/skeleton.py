"""The canonical humanoid skeleton: the SMPL-X joint set, order and parent table.

Using SMPL-X means SMPL, SMPL-X and AMASS motion (and generators such as EDGE, EMAGE or TalkSHOW,
which output them) load without a joint remap. Rest frames of all joints are aligned with the world,
as in SMPL: a joint's local rotation is its rotation relative to its parent in that shared frame.
"""

from dataclasses import dataclass

import numpy as np

from .errors import ClipError

# smplx.joint_names.JOINT_NAMES[:55]: body 22, jaw, eyes, left hand 15, right hand 15.
SMPLX_JOINT_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "jaw", "left_eye_smplhf", "right_eye_smplhf",
    "left_index1", "left_index2", "left_index3", "left_middle1", "left_middle2", "left_middle3",
    "left_pinky1", "left_pinky2", "left_pinky3", "left_ring1", "left_ring2", "left_ring3",
    "left_thumb1", "left_thumb2", "left_thumb3",
    "right_index1", "right_index2", "right_index3", "right_middle1", "right_middle2", "right_middle3",
    "right_pinky1", "right_pinky2", "right_pinky3", "right_ring1", "right_ring2", "right_ring3",
    "right_thumb1", "right_thumb2", "right_thumb3",
)

SMPLX_PARENTS = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19,
    15, 15, 15,
    20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
    21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53,
)

# Left-hand finger offsets from their parent (metres, Z-up, hand in T-pose along +X, palm down,
# thumb towards -Y = the character's front). The right hand mirrors X.
_LEFT_FINGERS = {
    "index": ((0.090, -0.025, 0.000), (0.035, 0.0, 0.0), (0.025, 0.0, 0.0)),
    "middle": ((0.095, -0.005, 0.000), (0.038, 0.0, 0.0), (0.027, 0.0, 0.0)),
    "pinky": ((0.080, 0.030, -0.005), (0.025, 0.0, 0.0), (0.020, 0.0, 0.0)),
    "ring": ((0.088, 0.013, -0.003), (0.033, 0.0, 0.0), (0.025, 0.0, 0.0)),
    "thumb": ((0.025, -0.030, -0.015), (0.030, -0.015, 0.000), (0.025, -0.010, 0.000)),
}

_LEFT_BODY = {
    "pelvis": (0.0, 0.0, 0.95),
    "left_hip": (0.06, 0.0, -0.09),
    "spine1": (0.0, 0.0, 0.11),
    "left_knee": (0.04, 0.0, -0.38),
    "spine2": (0.0, 0.0, 0.13),
    "left_ankle": (0.0, 0.02, -0.40),
    "spine3": (0.0, 0.0, 0.05),
    "left_foot": (0.0, -0.12, -0.05),
    "neck": (0.0, 0.01, 0.21),
    "left_collar": (0.07, 0.0, 0.12),
    "head": (0.0, -0.01, 0.09),
    "left_shoulder": (0.11, 0.01, 0.03),
    "left_elbow": (0.26, 0.0, 0.0),
    "left_wrist": (0.25, 0.0, 0.0),
    "jaw": (0.0, -0.03, -0.02),
    "left_eye_smplhf": (0.03, -0.08, 0.05),
}


def _default_offsets() -> np.ndarray:
    offsets = np.zeros((len(SMPLX_JOINT_NAMES), 3))
    for i, name in enumerate(SMPLX_JOINT_NAMES):
        mirrored = name.startswith("right_")
        left_name = "left_" + name[len("right_"):] if mirrored else name
        if left_name in _LEFT_BODY:
            value = np.array(_LEFT_BODY[left_name])
        else:
            finger, segment = left_name[len("left_"):-1], int(left_name[-1]) - 1
            value = np.array(_LEFT_FINGERS[finger][segment])
        if mirrored:
            value[0] = -value[0]
        offsets[i] = value
    return offsets


@dataclass(frozen=True, eq=False)
class Skeleton:
    """Joint names, parent indices (-1 for the root, parents before children) and rest offsets.

    `offsets[j]` is joint j's rest position relative to its parent, metres, Z-up, facing -Y; for the
    root it is the rest position of the root above the floor origin.
    """

    joint_names: tuple
    parents: np.ndarray
    offsets: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "joint_names", tuple(str(n) for n in self.joint_names))
        object.__setattr__(self, "parents", np.asarray(self.parents, dtype=np.int64))
        object.__setattr__(self, "offsets", np.asarray(self.offsets, dtype=np.float64))
        self.validate()

    def validate(self):
        count = len(self.joint_names)
        if len(set(self.joint_names)) != count:
            raise ClipError("Skeleton joint names must be unique.")
        if self.parents.shape != (count,):
            raise ClipError(f"Skeleton has {count} joint names but {self.parents.shape[0]} parent entries.")
        if self.offsets.shape != (count, 3):
            raise ClipError(f"Skeleton offsets must be ({count}, 3), got {self.offsets.shape}.")
        if not np.all(np.isfinite(self.offsets)):
            raise ClipError("Skeleton offsets contain NaN or infinite values.")
        if count == 0 or self.parents[0] != -1 or np.any(self.parents[1:] < 0):
            raise ClipError("Skeleton must have exactly one root, first, with parent -1.")
        if np.any(self.parents[1:] >= np.arange(1, count)):
            raise ClipError("Every joint's parent must come before it in the joint order.")

    def __len__(self):
        return len(self.joint_names)

    def index(self, joint_name: str) -> int:
        try:
            return self.joint_names.index(joint_name)
        except ValueError:
            raise ClipError(f"Skeleton has no joint named {joint_name!r}.") from None

    def children(self, joint: int) -> list:
        return [int(c) for c in np.flatnonzero(self.parents == joint)]

    def same_topology(self, other: "Skeleton") -> bool:
        return self.joint_names == other.joint_names and np.array_equal(self.parents, other.parents)

    def rest_positions(self) -> np.ndarray:
        """World rest position of every joint, (J, 3)."""
        positions = np.zeros_like(self.offsets)
        for j, parent in enumerate(self.parents):
            positions[j] = self.offsets[j] + (positions[parent] if parent >= 0 else 0.0)
        return positions


SMPLX_SKELETON = Skeleton(SMPLX_JOINT_NAMES, np.array(SMPLX_PARENTS), _default_offsets())
