"""Two-bone leg IK on the SMPL-X skeleton: hip and knee rotations that put the ankle exactly on a target."""

import numpy as np

from ...clips.rotations import Rotation
from ...clips.skeleton import Skeleton

REACH = 0.999   # never straighten the knee completely: a locked knee flips the bend direction


class Leg:
    def __init__(self, skeleton: Skeleton, side: str):
        self.hip = skeleton.index(f"{side}_hip")
        self.knee = skeleton.index(f"{side}_knee")
        self.ankle = skeleton.index(f"{side}_ankle")
        self.foot = skeleton.index(f"{side}_foot")
        self.hip_offset = skeleton.offsets[self.hip]
        self.thigh = skeleton.offsets[self.knee]
        self.shin = skeleton.offsets[self.ankle]
        self.thigh_length = float(np.linalg.norm(self.thigh))
        self.shin_length = float(np.linalg.norm(self.shin))

    @property
    def length(self) -> float:
        return self.thigh_length + self.shin_length

    def solve(self, hip_position, ankle_target, forward):
        """World rotations (scipy, T) of thigh and shin; `forward` (T, 3) is where the knee should point."""
        a, b = self.thigh_length, self.shin_length
        to_target = ankle_target - hip_position
        distance = np.linalg.norm(to_target, axis=1)
        direction = to_target / np.maximum(distance, 1e-9)[:, None]
        distance = np.clip(distance, abs(a - b) + 1e-4, REACH * (a + b))
        bend = _perpendicular(forward, direction)
        cos_hip = np.clip((a * a + distance ** 2 - b * b) / (2 * a * distance), -1.0, 1.0)
        sin_hip = np.sqrt(1.0 - cos_hip ** 2)
        knee = hip_position + a * (cos_hip[:, None] * direction + sin_hip[:, None] * bend)
        ankle = hip_position + distance[:, None] * direction
        thigh_dir = (knee - hip_position) / a
        shin_dir = (ankle - knee) / b
        rest_forward = np.array([0.0, -1.0, 0.0])
        thigh_world = _frame_rotation(self.thigh / a, rest_forward, thigh_dir, bend)
        shin_world = _frame_rotation(self.shin / b, rest_forward, shin_dir, bend)
        return thigh_world, shin_world


def _perpendicular(vectors, axis):
    v = vectors - np.sum(vectors * axis, axis=1, keepdims=True) * axis
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)


def _frame_rotation(rest_axis, rest_forward, axis, forward):
    """Rotation taking the rest (axis, forward) frame onto the given one, per frame."""
    rest_f = rest_forward - np.dot(rest_forward, rest_axis) * rest_axis
    rest_f /= np.linalg.norm(rest_f)
    rest = np.stack([rest_axis, rest_f, np.cross(rest_axis, rest_f)], axis=1)        # (3, 3) columns
    f = _perpendicular(forward, axis)
    target = np.stack([axis, f, np.cross(axis, f)], axis=2)                          # (T, 3, 3) columns
    return Rotation.from_matrix(target @ rest.T)
