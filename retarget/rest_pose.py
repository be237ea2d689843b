"""Rest-pose alignment: for each mapped joint, the constant rotation that carries the target bone's rest
orientation onto the source's, so T-pose ↔ A-pose and different bone rolls need no user setup.

Each joint gets two reference vectors measured on each rig at rest: its aim (towards the next mapped
joint, e.g. elbow → wrist) and a twist reference (hips or shoulders line, palm line, world up or the
facing direction). The aim is matched exactly, the twist reference as closely as the aim allows.
"""

import numpy as np

from ..clips.rotations import Rotation
from .bone_map import BoneMap
from .canonical import ACROSS, AIMS, UPRIGHT_WITHIN_DEG, twist_reference
from .rig import RigRest

UP = np.array([0.0, 0.0, 1.0])
MIN_LENGTH = 1e-4


def aim_joint(joint: str, mapped: set):
    return next((c for c in AIMS.get(joint, ()) if c in mapped), None)


def segment(joint: str, mapped: set):
    """The two canonical joints whose line is `joint`'s direction (e.g. elbow → wrist), or None."""
    if joint in ACROSS:
        start, end = ACROSS[joint]
        return (start, end) if start in mapped and end in mapped else None
    aim = aim_joint(joint, mapped)
    return (joint, aim) if aim else None


def aim_vector(rig: RigRest, bone_map: BoneMap, joint: str, mapped: set) -> np.ndarray:
    """Rest direction of `joint`'s bone: along its segment, else along the bone, else the parent's; the
    vertical for a head bone that points elsewhere than up the skull (canonical.UPRIGHT_WITHIN_DEG)."""
    vector = _bone_aim(rig, bone_map, joint, mapped)
    limit = UPRIGHT_WITHIN_DEG.get(joint)
    if limit is not None and vector @ UP < np.cos(np.radians(limit)):
        return UP.copy()
    return vector


def _bone_aim(rig, bone_map, joint, mapped):
    pair = segment(joint, mapped)
    if pair and pair[0] != joint:
        start, end = (rig.heads[rig.index(bone_map.bones[j])] for j in pair)
        return _unit(end - start)
    bone = rig.index(bone_map.bones[joint])
    target = aim_joint(joint, mapped)
    end = rig.heads[rig.index(bone_map.bones[target])] if target else rig.tails[bone]
    vector = end - rig.heads[bone]
    while np.linalg.norm(vector) < MIN_LENGTH and rig.parents[bone] >= 0:
        parent = rig.parents[bone]
        vector = rig.heads[bone] - rig.heads[parent]
        bone = parent
    return _unit(vector)


def _lateral(rig, bone_map, mapped, left, right):
    if left in mapped and right in mapped:
        vector = rig.heads[rig.index(bone_map.bones[left])] - rig.heads[rig.index(bone_map.bones[right])]
        if np.linalg.norm(vector) > MIN_LENGTH:
            return _unit(vector)
    return None


def twist_vector(rig: RigRest, bone_map: BoneMap, joint: str, mapped: set) -> np.ndarray:
    hips = _lateral(rig, bone_map, mapped, "left_hip", "right_hip")
    if hips is None:
        hips = np.array([1.0, 0.0, 0.0])
    kind = twist_reference(joint)
    if kind == "hips":
        return hips
    if kind == "shoulders":
        shoulders = _lateral(rig, bone_map, mapped, "left_shoulder", "right_shoulder")
        return shoulders if shoulders is not None else hips
    if kind == "up":
        return UP
    if kind.startswith("palm_"):
        side = kind[len("palm_"):]
        for far in ("pinky1", "ring1", "middle1"):
            palm = _lateral(rig, bone_map, mapped, f"{side}_index1", f"{side}_{far}")
            if palm is not None:
                return palm
    facing = np.cross(hips, UP)
    return _unit(facing)


def alignment(source: RigRest, source_map: BoneMap, target: RigRest, target_map: BoneMap, joint: str,
              mapped: set) -> Rotation:
    """A with A·(target rest vectors) = source rest vectors: aim exactly, twist reference best-fit."""
    src = np.stack([aim_vector(source, source_map, joint, mapped), twist_vector(source, source_map, joint, mapped)])
    tgt = np.stack([aim_vector(target, target_map, joint, mapped), twist_vector(target, target_map, joint, mapped)])
    if np.linalg.norm(np.cross(src[0], src[1])) < 1e-3 or np.linalg.norm(np.cross(tgt[0], tgt[1])) < 1e-3:
        return shortest_arc(tgt[0], src[0])
    rotation, _ = Rotation.align_vectors(src, tgt, weights=[np.inf, 1.0])
    return rotation


def shortest_arc(start: np.ndarray, end: np.ndarray) -> Rotation:
    """The smallest rotations taking unit vectors start → end, broadcast over leading axes."""
    start, end = np.broadcast_arrays(np.atleast_2d(start), np.atleast_2d(end))
    start = start / np.linalg.norm(start, axis=-1, keepdims=True)
    end = end / np.linalg.norm(end, axis=-1, keepdims=True)
    axis = np.cross(start, end)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.sum(start * end, axis=-1)
    angle = np.arctan2(sin, cos)
    unit_axis = np.where(sin[:, None] > 1e-12, axis / np.maximum(sin, 1e-12)[:, None], _perpendicular(start))
    rotation = Rotation.from_rotvec(unit_axis * angle[:, None])
    return rotation


def _perpendicular(vectors):
    other = np.where(np.abs(vectors[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    perpendicular = np.cross(vectors, other)
    return perpendicular / np.linalg.norm(perpendicular, axis=-1, keepdims=True)


def _unit(vector):
    vector = np.asarray(vector, dtype=np.float64)
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 1e-12 else np.array([0.0, 0.0, 1.0])
