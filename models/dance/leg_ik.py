"""Two-bone leg IK on the SMPL-X skeleton: hip and knee rotations that put the ankle exactly on a target."""

import numpy as np

from ...clips.rotations import Rotation
from ...clips.skeleton import Skeleton

REACH = 0.999   # never straighten the knee completely: a locked knee flips the bend direction
REST_FORWARD = np.array([0.0, -1.0, 0.0])   # where a knee points in the rest pose
STRAIGHT = np.sin(np.radians(10.0))         # solve_from: a knee bent less than about this is "straight"


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
        knee, ankle, hinge = self._joints(hip_position, ankle_target, forward)
        thigh_dir = (knee - hip_position) / a
        shin_dir = (ankle - knee) / b
        # Each bone's forward is taken square to it about the knee's hinge, never by projecting `bend` off the
        # bone: that projection turns over once the hip angle passes 90 degrees (heel folded towards the seat)
        # and turned thigh and shin half a turn about themselves for a frame (180 degrees measured at 30 fps).
        thigh_world = _frame_rotation(self.thigh / a, REST_FORWARD, thigh_dir, np.cross(hinge, thigh_dir))
        shin_world = _frame_rotation(self.shin / b, REST_FORWARD, shin_dir, np.cross(hinge, shin_dir))
        return thigh_world, shin_world

    def solve_from(self, hip_position, ankle_target, thigh_world, knee_local):
        """World rotations (scipy, T) of thigh and shin that put the ankle on `ankle_target` (T, 3) by moving a
        given leg (its thigh's world rotations and knee's local ones, scipy, T) as little as possible: the knee
        bends about the given thigh's hinge (so it never swaps sides, however straight or folded the leg), and
        each bone turns by the smallest rotation onto its new direction, so it keeps its own twist; a target
        where the given leg already has its ankle gives that leg back."""
        a, b = self.thigh_length, self.shin_length
        thigh_dir = thigh_world.apply(self.thigh / a)
        shin_dir = (thigh_world * knee_local).apply(self.shin / b)
        # The plane the given leg bends in (exact where its knee bends, so its own target gives it back), turning
        # to the thigh's hinge axis as the knee straightens, where that plane is lost in the noise.
        hinge = STRAIGHT * thigh_world.apply(np.cross(self.thigh / a, REST_FORWARD)) - np.cross(thigh_dir, shin_dir)
        to_target = ankle_target - hip_position
        knee, ankle, _ = self._joints(hip_position, ankle_target, np.cross(hinge, to_target))
        thigh = _swing(thigh_world.apply(self.thigh), knee - hip_position) * thigh_world
        shin = thigh * knee_local
        return thigh, _swing(shin.apply(self.shin), ankle - knee) * shin

    def _joints(self, hip_position, ankle_target, forward):
        """Knee and (reachable) ankle positions (T, 3) and the knee's hinge axis (T, 3, unit)."""
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
        return knee, ankle, np.cross(direction, bend)


def _swing(start, end):
    """The smallest rotations (scipy, T) that turn directions `start` (T, 3) onto `end` (T, 3)."""
    u = start / np.maximum(np.linalg.norm(start, axis=1, keepdims=True), 1e-12)
    v = end / np.maximum(np.linalg.norm(end, axis=1, keepdims=True), 1e-12)
    q = np.concatenate([np.cross(u, v), 1.0 + np.sum(u * v, axis=1, keepdims=True)], axis=1)   # x, y, z, w
    return Rotation.from_quat(q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12))


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
