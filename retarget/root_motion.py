"""Where the target's pelvis goes: the source's pelvis path scaled by the ratio of leg lengths, so a shorter
character takes shorter steps instead of skating; and where a take starts (`placement`): where the character
already stands when the animator's own animation has moved it away from its rest spot."""

from dataclasses import dataclass
from enum import Enum

import numpy as np

from ..clips import rotations
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


# A character whose pelvis stands closer than this to its rest spot, turned less than this from its rest facing, is
# at its rest spot: its take is not moved (keys exactly as without placement, e.g. after a take that swayed a little).
PLACE_MIN_DISTANCE = 0.05  # metres
PLACE_MIN_TURN_DEG = 5.0


def yaw(turns: np.ndarray) -> np.ndarray:
    """The turn about the vertical (+Z, radians, counter-clockwise seen from above) of rotations (..., 4) w-first:
    the twist part of each rotation, whatever tilt it has about horizontal axes."""
    q = np.asarray(turns, dtype=np.float64)
    return np.angle(np.exp(2j * np.arctan2(q[..., 3], q[..., 0])))  # q and -q: the same turn


def about_vertical(angle: float) -> np.ndarray:
    """The rotation (4,) w-first by `angle` radians about +Z."""
    return np.array([np.cos(angle / 2.0), 0.0, 0.0, np.sin(angle / 2.0)])


@dataclass(frozen=True, eq=False)
class StartPose:
    """The pelvis bone's world rotation (4,) w-first and head (3,) at a take's start frame, in the retarget space of
    the rig's rest (read_rig_rest), as the animator's animation has it before the take."""

    rotation: np.ndarray
    head: np.ndarray


@dataclass(frozen=True, eq=False)
class Placement:
    """Where a take is moved to start where the character stands: turned by `turn` radians about the vertical
    through its first-frame pelvis (`origin`, horizontal), which lands on `target`. `distance` (metres) and
    `heading` (radians) say how far the character stood from its rest spot and facing."""

    turn: float
    origin: np.ndarray
    target: np.ndarray
    distance: float
    heading: float

    def note(self, character: str, frame: int) -> str:
        """The sentence the operator's report gives, e.g. 'Placed where DemoRig stands at frame 50: 1.50 m from its
        rest spot, turned 90° to its left.'"""
        degrees = float(np.degrees(self.heading))
        side = "left" if degrees > 0 else "right"
        turned = f", turned {abs(degrees):.0f}° to its {side}" if abs(degrees) >= 0.5 else ""
        return f"Placed where {character} stands at frame {frame}: {self.distance:.2f} m from its rest spot{turned}."

    def points(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) take positions where the placed take has them; heights are kept."""
        return rotations.rotate(about_vertical(self.turn), np.asarray(points) - self.origin) + self.target


def placement(first_rotation: np.ndarray, first_head: np.ndarray, rest_rotation: np.ndarray, rest_head: np.ndarray,
              start: StartPose) -> "Placement | None":
    """How to move a take whose pelvis starts with world rotation `first_rotation` at `first_head` so that its first
    frame stands at the start pose's horizontal position, facing its way (each facing measured as the pelvis's turn
    about the vertical from its rest rotation `rest_rotation`); the take keeps its own heights. None when the start
    pose is at the rest spot (`rest_head`), within PLACE_MIN_DISTANCE and PLACE_MIN_TURN_DEG: the take stays as
    it is, as for a character nobody has moved."""
    to_rest = rotations.conjugate(rotations.normalize(rest_rotation))
    heading = float(yaw(rotations.multiply(rotations.normalize(start.rotation), to_rest)))
    offset = (np.asarray(start.head, dtype=np.float64) - rest_head)[:2]
    distance = float(np.linalg.norm(offset))
    if distance < PLACE_MIN_DISTANCE and abs(np.degrees(heading)) < PLACE_MIN_TURN_DEG:
        return None
    own = float(yaw(rotations.multiply(rotations.normalize(first_rotation), to_rest)))
    turn = float(np.angle(np.exp(1j * (heading - own))))
    origin = np.array([first_head[0], first_head[1], 0.0])
    target = np.array([start.head[0], start.head[1], 0.0])
    return Placement(turn, origin, target, distance, heading)
