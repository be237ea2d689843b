"""Two-bone arm IK on the SMPL-X skeleton: shoulder and elbow world rotations that put the wrist on a target.

The elbow only bends one way (the frame of both bones shares the bend direction), so it cannot hyperextend.
Its range is eased, not clipped, at both ends (`soft_distance`). Near straight the elbow angle changes fastest for
a given change of the shoulder-wrist distance, so a hard clip at full reach stopped a forearm still turning at
~1100°/s within one frame (94 % of the frames over 300 rad/s² in a 36-take sweep: 129 such frames, now 2); and a
wrist target on the shoulder itself (a stroke's preparation pushed back and up) folded the elbow to 180° and
flipped it.
"""

import numpy as np

from ...clips.skeleton import Skeleton
from ..dance.leg_ik import _frame_rotation, _perpendicular

REACH = 0.995
REACH_KNEE = 0.85            # share of REACH where the wrist starts to ease into it
MAX_FLEXION_DEGREES = 145.0  # the elbow folds no further (as the motion prior's hinge: prior.py)
FOLD_KNEE_METRES = 0.05      # over this much distance the wrist eases into the fold limit
# At rest the arm lies along ±X; when it bends, the elbow moves backwards (+Y) while the hand comes forward.
REST_BEND = np.array([0.0, 1.0, 0.0])


class Arm:
    def __init__(self, skeleton: Skeleton, side: str):
        self.sign = 1.0 if side == "left" else -1.0
        self.collar = skeleton.index(f"{side}_collar")
        self.shoulder = skeleton.index(f"{side}_shoulder")
        self.elbow = skeleton.index(f"{side}_elbow")
        self.wrist = skeleton.index(f"{side}_wrist")
        self.upper = skeleton.offsets[self.elbow]
        self.fore = skeleton.offsets[self.wrist]
        self.upper_length = float(np.linalg.norm(self.upper))
        self.fore_length = float(np.linalg.norm(self.fore))

    @property
    def length(self) -> float:
        return self.upper_length + self.fore_length

    def solve(self, shoulder_position, wrist_target, pole):
        """World rotations (scipy, T) of upper arm and forearm; `pole` (T, 3): where the elbow should point."""
        a, b = self.upper_length, self.fore_length
        to_target = wrist_target - shoulder_position
        distance = np.linalg.norm(to_target, axis=1)
        direction = to_target / np.maximum(distance, 1e-9)[:, None]
        distance = soft_distance(distance, a, b)
        bend = _perpendicular(pole, direction)
        cos_shoulder = np.clip((a * a + distance ** 2 - b * b) / (2 * a * distance), -1.0, 1.0)
        sin_shoulder = np.sqrt(1.0 - cos_shoulder ** 2)
        elbow = shoulder_position + a * (cos_shoulder[:, None] * direction + sin_shoulder[:, None] * bend)
        wrist = shoulder_position + distance[:, None] * direction
        upper_dir = (elbow - shoulder_position) / a
        fore_dir = (wrist - elbow) / b
        upper = _frame_rotation(self.upper / a, REST_BEND, upper_dir, bend)
        fore = _frame_rotation(self.fore / b, REST_BEND, fore_dir, bend)
        return upper, fore


def soft_distance(distance: np.ndarray, a: float, b: float) -> np.ndarray:
    """Shoulder-wrist distance kept within the arm's range smoothly (continuous slope): unchanged in the middle,
    easing (tanh) into REACH·(a+b) from REACH_KNEE of it, and into the distance of a MAX_FLEXION_DEGREES bend from
    FOLD_KNEE_METRES above it; beyond, the wrist stays close to the limit."""
    far = REACH * (a + b)
    near = np.sqrt(a * a + b * b - 2 * a * b * np.cos(np.radians(180.0 - MAX_FLEXION_DEGREES)))
    knee, span = REACH_KNEE * far, (1.0 - REACH_KNEE) * far
    out = np.where(distance > knee, knee + span * np.tanh((distance - knee) / span), distance)
    knee = near + FOLD_KNEE_METRES
    return np.where(out < knee, knee - FOLD_KNEE_METRES * np.tanh((knee - out) / FOLD_KNEE_METRES), out)
