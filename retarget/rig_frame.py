"""Where a rig stands: the frame that carries an armature's own space into the retarget space (metres, Z-up,
facing -Y), and the floor its rest feet stand on.

Nothing here assumes the armature origin is at the feet or that its space is Z-up or in metres. Blender's
side (blender_rig.py) measures the object's world rotation and scale (parents included) and the scene's unit
scale; the rig's own rest pose says where its floor is (its lowest rest foot point) and which way it faces
(the line from its right hip to its left hip). Pose-bone rotations are relative to the rest pose, so they
do not depend on the frame; only locations change, by the scale.
"""

from dataclasses import dataclass, field

import numpy as np

from ..clips import rotations
from ..clips.rotations import Rotation
from .bone_map import BoneMap
from .errors import RetargetError
from .rest_pose import shortest_arc
from .rig import RigRest

UP = np.array([0.0, 0.0, 1.0])
MIN_FACING_CORRECTION_DEG = 1.0


@dataclass(frozen=True)
class RigFrame:
    """retarget space = scale · rotation · armature space (about the armature origin)."""

    rotation: np.ndarray = field(default_factory=lambda: rotations.IDENTITY_WXYZ.copy())
    scale: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "rotation", rotations.normalize(np.asarray(self.rotation, dtype=np.float64)))
        if not np.isfinite(self.scale) or self.scale <= 0:
            raise RetargetError(f"An armature's scale must be positive, got {self.scale:g}.")

    def then(self, rotation: Rotation) -> "RigFrame":
        """This frame followed by a further rotation of the retarget space (e.g. a facing correction)."""
        return RigFrame(rotations.from_rotation(rotation * rotations.to_rotation(self.rotation))[0], self.scale)

    def points_to_retarget(self, points: np.ndarray) -> np.ndarray:
        return self.scale * rotations.rotate(self.rotation, np.asarray(points, dtype=np.float64))

    def rotations_to_retarget(self, quats: np.ndarray) -> np.ndarray:
        return rotations.multiply(self.rotation, np.asarray(quats, dtype=np.float64))

    def locations_to_armature(self, locations: dict) -> dict:
        """Pose-bone locations (in each bone's rest frame) from retarget units to the armature's units."""
        return {name: np.asarray(values, dtype=np.float64) / self.scale for name, values in locations.items()}


def upright_frame(armature_up: np.ndarray, scale: float = 1.0) -> RigFrame:
    """The frame that turns the armature's own `armature_up` (world up seen from the armature) into +Z.

    Only a tilt: the turn about the vertical is left to `facing_forward`, which reads it from the rig."""
    up = np.asarray(armature_up, dtype=np.float64)
    if np.linalg.norm(up) < 1e-9:
        raise RetargetError("The armature's transform has no up direction (zero scale?).")
    tilt = shortest_arc(up, UP)[0]
    return RigFrame(rotations.from_rotation(tilt)[0], float(scale))


def in_frame(rest: RigRest, frame: RigFrame) -> RigRest:
    """`rest` (armature space) expressed in the retarget space of `frame`."""
    return RigRest(rest.names, rest.parents, frame.points_to_retarget(rest.heads), frame.points_to_retarget(rest.tails),
                   frame.rotations_to_retarget(rest.rest_rotations), frame)


def facing_rotation(rest: RigRest, bone_map: BoneMap) -> Rotation:
    """The turn about +Z that makes the rig face -Y: its left hip on +X, as Blender's rigs stand."""
    left, right = bone_map.get("left_hip"), bone_map.get("right_hip")
    if not left or not right or left not in rest.names or right not in rest.names:
        return Rotation.identity()
    across = rest.heads[rest.index(left)] - rest.heads[rest.index(right)]
    across[2] = 0.0
    if np.linalg.norm(across) < 1e-6:
        return Rotation.identity()
    angle = np.arctan2(across[1], across[0])
    if abs(np.degrees(angle)) < MIN_FACING_CORRECTION_DEG:
        return Rotation.identity()
    return Rotation.from_rotvec([0.0, 0.0, -angle])


def facing_forward(rest: RigRest, bone_map: BoneMap) -> RigRest:
    """The rig turned about the vertical so that it faces -Y (the source's facing): a character performs
    towards its own front, whichever way its armature space points."""
    turn = facing_rotation(rest, bone_map)
    if turn.magnitude() < 1e-12:
        return rest
    frame = (rest.frame or RigFrame()).then(turn)
    quat = rotations.from_rotation(turn)[0]
    return RigRest(rest.names, rest.parents, rotations.rotate(quat, rest.heads), rotations.rotate(quat, rest.tails),
                   rotations.multiply(quat, rest.rest_rotations), frame)


def foot_rest_points(rest: RigRest, bone_map: BoneMap, side: str) -> np.ndarray:
    """(P, 3) rest points of one foot: ankle head, toe head and tip (or the ankle's tail without a toe)."""
    ankle = rest.index(bone_map.bones[f"{side}_ankle"])
    toe = bone_map.get(f"{side}_foot")
    if toe and toe in rest.names:
        t = rest.index(toe)
        return np.stack([rest.heads[ankle], rest.heads[t], rest.tails[t]])
    return np.stack([rest.heads[ankle], rest.tails[ankle]])


def rest_floor(rest: RigRest, bone_map: BoneMap) -> float:
    """Height of the floor the rig stands on at rest: its lowest rest foot point (not the armature origin,
    which sits at the hips on MakeHuman's game-engine and CMU rigs and anywhere on others)."""
    return float(min(foot_rest_points(rest, bone_map, side)[:, 2].min() for side in ("left", "right")))
