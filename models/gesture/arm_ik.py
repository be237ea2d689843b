"""Two-bone arm IK on the SMPL-X skeleton: shoulder and elbow world rotations that put the wrist on a target.

The elbow only bends one way (the frame of both bones shares the bend direction), so it cannot hyperextend.
"""

import numpy as np

from ...clips.skeleton import Skeleton
from ..dance.leg_ik import _frame_rotation, _perpendicular

REACH = 0.995
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
        distance = np.clip(distance, abs(a - b) + 0.05, REACH * (a + b))
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
