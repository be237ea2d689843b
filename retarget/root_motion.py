"""Where the target's pelvis goes: the source's pelvis path scaled by the ratio of leg lengths, so a shorter
character takes shorter steps instead of skating."""

from enum import Enum

import numpy as np

from .bone_map import BoneMap
from .errors import RetargetError
from .rig import RigRest


class RootMode(str, Enum):
    FULL = "full"              # travel and height, scaled by leg length
    IN_PLACE = "in_place"      # no horizontal travel; height changes (crouches, jumps) kept
    KEEP_HEIGHT = "keep_height"  # horizontal travel kept; pelvis height fixed at the target's rest height
    NONE = "none"              # the pelvis stays at its rest position


def leg_length(rig: RigRest, bone_map: BoneMap, side: str = "left") -> float:
    """Hip → knee → ankle at rest."""
    heads = [rig.heads[rig.index(bone_map.bones[f"{side}_{j}"])] for j in ("hip", "knee", "ankle")]
    return float(np.linalg.norm(heads[1] - heads[0]) + np.linalg.norm(heads[2] - heads[1]))


def standing_height(rig: RigRest, bone_map: BoneMap, ankle_height: float = None) -> float:
    """Pelvis height with straight legs and ankles at `ankle_height` (their rest height unless given). The
    rest pose itself may not be standing (BVH files whose first frame is mid-stride), and a source's floor
    need not be at zero: a planted ankle's height in the clip carries the floor with it."""
    heads = {j: np.mean([rig.heads[rig.index(bone_map.bones[f"{s}_{j}"])] for s in ("left", "right")], axis=0)
             for j in ("hip", "ankle")}
    pelvis = rig.heads[rig.index(bone_map.bones["pelvis"])][2]
    legs = np.mean([leg_length(rig, bone_map, s) for s in ("left", "right")])
    ankle = heads["ankle"][2] if ankle_height is None else ankle_height
    return float(pelvis - heads["hip"][2] + legs + ankle)


def standing_hip_height(rig: RigRest, bone_map: BoneMap, ankle_height: float = None) -> float:
    """Height of the point between the hip joints with straight legs and ankles at `ankle_height` (their rest
    height unless given)."""
    ankle = np.mean([rig.heads[rig.index(bone_map.bones[f"{s}_ankle"]), 2] for s in ("left", "right")])
    legs = np.mean([leg_length(rig, bone_map, s) for s in ("left", "right")])
    return float(legs + (ankle if ankle_height is None else ankle_height))


def leg_ratio(source: RigRest, source_map: BoneMap, target: RigRest, target_map: BoneMap) -> float:
    src = np.mean([leg_length(source, source_map, s) for s in ("left", "right")])
    tgt = np.mean([leg_length(target, target_map, s) for s in ("left", "right")])
    if src < 1e-3 or tgt < 1e-3:
        raise RetargetError("A rig's legs have no length; check the hip, knee and ankle bones of the map.")
    return float(tgt / src)


def target_root_path(source_path: np.ndarray, source_rest: np.ndarray, target_rest: np.ndarray, ratio: float,
                     mode=RootMode.FULL) -> np.ndarray:
    """Target pelvis world positions (T, 3) from the source pelvis positions (T, 3)."""
    mode = RootMode(mode)
    path = np.tile(np.asarray(target_rest, dtype=np.float64), (len(source_path), 1))
    delta = (np.asarray(source_path) - np.asarray(source_rest)) * ratio
    if mode in (RootMode.FULL, RootMode.KEEP_HEIGHT):
        path[:, :2] += delta[:, :2]
    if mode in (RootMode.FULL, RootMode.IN_PLACE):
        path[:, 2] += delta[:, 2]
    if mode == RootMode.IN_PLACE:
        path[:, :2] += delta[:1, :2]
    return path
