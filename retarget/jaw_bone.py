"""Opening a character's jaw bone from a face clip's jawOpen, for meshes without a jaw shape key.

The jaw turns about its bone's local X axis (the hinge, left-right on any sensibly rolled jaw bone) by up to
MAX_OPEN_DEGREES. Which way opens depends on the bone's direction and roll, so the sign is read from the
rest pose: opening must move the bone's tail down (and forward when the bone hangs straight down).
"""

import numpy as np

from ..clips import rotations
from ..clips.arkit import ARKIT_INDEX
from ..clips.face import FaceClip
from ..clips.rotations import Rotation
from .rig import RigRest

MAX_OPEN_DEGREES = 20.0
_FORWARD_PREFERENCE = 0.25  # breaks the tie for a vertical jaw bone: chin forward (-Y) rather than back


def opening_sign(rest: RigRest, bone: str) -> float:
    """+1 when a positive turn about the bone's local X moves its tail down (armature space, Z-up, facing -Y)."""
    index = rest.index(bone)
    hinge = rotations.to_rotation(rest.rest_rotations[index]).apply([1.0, 0.0, 0.0])[0]
    tail_velocity = np.cross(hinge, rest.tails[index] - rest.heads[index])
    opening = -tail_velocity[2] - _FORWARD_PREFERENCE * tail_velocity[1]
    return 1.0 if opening >= 0.0 else -1.0


def jaw_rotations(jaw_open: np.ndarray, rest: RigRest, bone: str, max_degrees: float = MAX_OPEN_DEGREES) -> np.ndarray:
    """(T, 4) w-first pose-bone local quaternions of the jaw bone for jawOpen weights (T,) in [0, 1]."""
    amount = np.clip(np.asarray(jaw_open, dtype=np.float64), 0.0, 1.0)
    angles = opening_sign(rest, bone) * np.radians(max_degrees) * amount
    rotvecs = np.zeros((len(amount), 3))
    rotvecs[:, 0] = angles
    return rotations.from_rotation(Rotation.from_rotvec(rotvecs), (len(amount),))


def jaw_rotations_from_clip(clip: FaceClip, rest: RigRest, bone: str, max_degrees: float = MAX_OPEN_DEGREES):
    return jaw_rotations(clip.weights[:, ARKIT_INDEX["jawOpen"]], rest, bone, max_degrees)


def fit_frames(quaternions: np.ndarray, num_frames: int) -> np.ndarray:
    """Cut or pad (with the rest pose, mouth closed) to `num_frames`, to share another clip's action."""
    out = np.tile([1.0, 0.0, 0.0, 0.0], (num_frames, 1))
    count = min(num_frames, len(quaternions))
    out[:count] = quaternions[:count]
    return out
