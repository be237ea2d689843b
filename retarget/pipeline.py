"""One call from a loaded motion source to keyable pose-bone curves on a target rig (pure), and the move that
starts a take where the character stands (`placed_at_start`)."""

import numpy as np

from ..clips import rotations
from .bone_map import BoneMap
from .foot_contacts import detect_contacts, plant_feet
from .motion_file import MotionSource
from .rig import RigRest, forward_kinematics
from .rig_frame import facing_forward, rest_floor
from .root_motion import RootMode, StartPose, about_vertical, placement
from .transfer import RetargetResult, retarget


def retarget_source(source: MotionSource, target: RigRest, target_map: BoneMap, root_mode=RootMode.FULL,
                    keep_feet: bool = True) -> RetargetResult:
    """Pose-bone rotations and locations for `target` (its rest in the retarget space: see rig_frame). The
    rig performs towards its own front, and its feet stand on its own rest floor, wherever its origin is."""
    target_map = target_map.restricted_to(target.names)
    target = facing_forward(target, target_map)
    result = retarget(source.pose, source.bone_map, target, target_map, source.fps, root_mode)
    if keep_feet and RootMode(root_mode) != RootMode.NONE:
        contacts = detect_contacts(source.pose, source.bone_map.restricted_to(source.pose.rest.names), source.fps)
        result = plant_feet(result, target, target_map, contacts, floor=rest_floor(target, target_map))
    return result


def placed_at_start(result: RetargetResult, rest: RigRest, bone_map: BoneMap, start: "StartPose | None"):
    """(result, Placement or None): the take moved as one rigid piece, turned about the vertical and shifted, so
    that its first frame's pelvis stands where `start` has it (horizontally) and faces its way; heights, and so
    the feet on the rig's floor, stay the take's own. `rest` is the rig's rest as read_rig_rest gives it (the
    space of `start`). A character at its rest spot (root_motion.placement), or with no start pose read (None: a
    rig without a pelvis), gets the result unchanged.

    The travel bone turns (the pelvis, or an unposed ancestor such as Rigify's torso, which then gets a
    rotation), carrying every bone below it; a posed bone outside it turns on its own; the travel bone's
    location then puts the pelvis head on the turned and shifted path."""
    if start is None:
        return result, None
    bone_map = bone_map.restricted_to(rest.names)
    pelvis, travel = bone_map.bones["pelvis"], bone_map.travel_bone
    frames = result.num_frames
    locations = {name: np.asarray(values, dtype=np.float64) for name, values in result.bone_locations.items()}
    if travel not in locations:
        locations[travel] = np.zeros((frames, 3))
    first = forward_kinematics(rest, {n: q[:1] for n, q in result.bone_rotations.items()},
                               {n: v[:1] for n, v in locations.items()}, 1, only=[pelvis])
    p = rest.index(pelvis)
    where = placement(first.world_rotations[0, p], first.heads[0, p], rest.rest_rotations[p], rest.heads[p], start)
    if where is None:
        return result, None
    turning = list(dict.fromkeys([travel] + [name for name in result.bone_rotations
                                             if not _below(rest, name, set(result.bone_rotations) | {travel})]))
    before = forward_kinematics(rest, result.bone_rotations, locations, frames, only=turning + [pelvis])
    turn = about_vertical(where.turn)
    bone_rotations = dict(result.bone_rotations)
    for name in turning:  # world' = turn · world: local' = base⁻¹ · turn · base · local
        local = np.broadcast_to(bone_rotations.get(name, rotations.IDENTITY_WXYZ), (frames, 4))
        base = rotations.multiply(before.world_rotations[:, rest.index(name)], rotations.conjugate(local))
        bone_rotations[name] = rotations.normalize(rotations.multiply(
            rotations.conjugate(base), rotations.multiply(turn, rotations.multiply(base, local))))
    turned = forward_kinematics(rest, bone_rotations, locations, frames, only=[travel, pelvis])
    t = rest.index(travel)
    base = rotations.multiply(turned.world_rotations[:, t], rotations.conjugate(bone_rotations[travel]))
    shift = where.points(before.heads[:, p]) - turned.heads[:, p]
    locations[travel] = locations[travel] + rotations.rotate(rotations.conjugate(base), shift)
    return RetargetResult(result.fps, bone_rotations, locations, result.mapped_joints, result.unmapped_joints,
                          result.leg_ratio), where


def _below(rest: RigRest, name: str, names: set) -> bool:
    """Whether one of `names` is an ancestor of bone `name`."""
    bone = rest.parents[rest.index(name)]
    while bone >= 0:
        if rest.names[bone] in names:
            return True
        bone = rest.parents[bone]
    return False
