"""Rest-pose-aware world-space rotation transfer from a posed source rig onto a target rig's rest pose.

Every mapped target bone takes the source joint's world rotation change, applied after the rest alignment
of rest_pose.py: W_target(t) = D_source(t) · A · R_target_rest, so bone directions match the source's
whatever the rolls, local axes or rest poses. Unmapped bones keep their rest relation to their parent,
except along the spine and neck, where extra target bones share the rotation. All work is per bone on
(T,) rotation arrays: no loop over frames.

The spine bones between the pelvis and the chest take their twist from the pelvis and the chest, shared out
by height (their aim still follows the source exactly): some skeletons twist one spine joint one way and the
next one back (a crease in the torso that bone directions do not show), and no bone in between should twist
beyond what the chest does relative to the pelvis.

The jaw and the eyes, leaves with no direction skeletons agree on, take the source joint's turn relative to
the head instead, carried through the head's alignment (canonical.RELATIVE_TO): still in the clip, at rest
on the head.
"""

from dataclasses import dataclass, field

import numpy as np

from ..clips import rotations
from ..clips.rotations import Rotation
from .bone_map import BoneMap
from .canonical import CANONICAL_JOINTS, DISTRIBUTED, RELATIVE_TO
from .errors import RetargetError
from .rest_pose import aim_joint, alignment, segment, shortest_arc
from .rig import RigPose, RigRest, forward_kinematics
from .root_motion import RootMode, leg_ratio, standing_hip_height, target_root_path


@dataclass(eq=False)
class RetargetResult:
    """Pose-bone local rotations {bone: (T, 4)} and locations {bone: (T, 3)}, ready for write_pose_action."""

    fps: float
    bone_rotations: dict
    bone_locations: dict
    mapped_joints: list
    unmapped_joints: list = field(default_factory=list)
    leg_ratio: float = 1.0

    @property
    def num_frames(self) -> int:
        return len(next(iter(self.bone_rotations.values())))


def retarget(source: RigPose, source_map: BoneMap, target: RigRest, target_map: BoneMap, fps: float,
             root_mode=RootMode.FULL) -> RetargetResult:
    source_map = source_map.restricted_to(source.rest.names)
    target_map = target_map.restricted_to(target.names)
    source_map.require_humanoid("The source skeleton")
    target_map.require_humanoid("The target armature")
    mapped = {j for j in CANONICAL_JOINTS if j in source_map and j in target_map}
    joints = [j for j in CANONICAL_JOINTS if j in mapped]
    frames = source.num_frames

    world, posed = _target_world_rotations(source, source_map, target, target_map, joints, mapped, frames)
    rest_rot = rotations.normalize(target.rest_rotations)
    bone_rotations = {}
    for b in sorted(posed):
        base = _rest_chain(target, rest_rot, b, world)
        local = rotations.multiply(rotations.conjugate(base), world[b])
        # Hemisphere continuity is left to the keyframe writer, which enforces it on whatever it is given.
        bone_rotations[target.names[b]] = np.broadcast_to(local, (frames, 4)).copy()

    ratio = leg_ratio(source.rest, source_map, target, target_map)
    tgt_pelvis = target.index(target_map.bones["pelvis"])
    path = _pelvis_path(source, source_map, target, target_map, world[tgt_pelvis], rest_rot[tgt_pelvis], ratio,
                        root_mode)
    # The travel bone (the pelvis, or an unposed ancestor such as Rigify's torso) moves the pelvis head
    # by the same offset it is given.
    travel = target.index(target_map.travel_bone)
    location = rotations.rotate(rotations.conjugate(rest_rot[travel]), path - target.heads[tgt_pelvis])
    unmapped = [j for j in target_map.bones if j not in mapped]
    return RetargetResult(fps, bone_rotations, {target.names[travel]: location}, joints, unmapped, ratio)


def _hip_centre(heads, rig, bone_map):
    """Midpoint of the two hip joints, (..., 3) for heads (..., B, 3)."""
    left, right = (rig.index(bone_map.bones[f"{side}_hip"]) for side in ("left", "right"))
    return 0.5 * (heads[..., left, :] + heads[..., right, :])


def _pelvis_path(source, source_map, target, target_map, pelvis_world, pelvis_rest, ratio, root_mode):
    """(T, 3) target pelvis heads. What travels is the point between the hip joints, which every skeleton
    agrees on (a pelvis bone may start at the hips, at the waist, or 14 cm above the hips as on the G1 robot):
    the source's hip centre, its height over the floor from straight legs standing on the source's lowest
    ankles, scaled by the leg-length ratio; the pelvis head follows at its rest offset, turned with the pelvis."""
    mode = RootMode(root_mode)
    pelvis_head = target.heads[target.index(target_map.bones["pelvis"])]
    if mode == RootMode.NONE:
        return np.tile(pelvis_head, (source.num_frames, 1))
    ankles = [source.rest.index(source_map.bones[f"{s}_ankle"]) for s in ("left", "right")]
    ankle_height = float(np.percentile(source.heads[:, ankles, 2], 1))
    source_standing = _hip_centre(source.rest.heads, source.rest, source_map)
    source_standing[2] = standing_hip_height(source.rest, source_map, ankle_height)
    target_rest_centre = _hip_centre(target.heads, target, target_map)
    target_standing = target_rest_centre.copy()
    target_standing[2] = standing_hip_height(target, target_map)
    centre = target_root_path(_hip_centre(source.heads, source.rest, source_map), source_standing, target_standing,
                              ratio, mode)
    if mode == RootMode.KEEP_HEIGHT:
        centre[:, 2] = target_rest_centre[2]
    pelvis_turn = rotations.multiply(pelvis_world, rotations.conjugate(pelvis_rest))
    return centre - rotations.rotate(pelvis_turn, target_rest_centre - pelvis_head)


def _rest_chain(target, rest_rot, bone, world):
    """World rotation a bone would have if every unposed ancestor stayed at rest relative to its parent."""
    parent = target.parents[bone]
    if parent < 0:
        return rest_rot[bone]
    if parent not in world:
        # An unposed parent keeps its rest relation: cache its world rotation like a posed one.
        world[parent] = _rest_chain(target, rest_rot, parent, world)
    return rotations.multiply(world[parent], _rest_relation(rest_rot, parent, bone))


def _rest_relation(rest_rot, parent, bone):
    """The bone's rest rotation in its parent's frame."""
    return rotations.multiply(rotations.conjugate(rest_rot[parent]), rest_rot[bone])


def _target_world_rotations(source, source_map, target, target_map, joints, mapped, frames) -> dict:
    """{target bone index: (T, 4) world rotations} for mapped bones and the chain bones that share theirs."""
    rest_rot = rotations.normalize(target.rest_rotations)
    source_rest = rotations.normalize(source.rest.rest_rotations)
    by_bone = {target.index(target_map.bones[j]): j for j in joints}
    world, posed = {}, set()
    for b in range(len(target)):
        joint = by_bone.get(b)
        if joint is None or b in world or RELATIVE_TO.get(joint) in mapped:
            continue
        delta = _source_delta(source, source_map, source_rest, joint)
        if joint in SPINE_BETWEEN:
            delta = _spine_twist_shared(source, source_map, source_rest, joint, mapped, delta)
        align = rotations.from_rotation(alignment(source.rest, source_map, target, target_map, joint, mapped))[0]
        desired = _exact_aim(source, source_map, target, target_map, joint, mapped,
                             rotations.multiply(delta, rotations.multiply(align, rest_rot[b])), rest_rot[b])
        world[b] = desired
        posed.add(b)
        if joint in DISTRIBUTED:
            posed.update(_distribute(target, target_map, rest_rot, world, b, joint, mapped, desired))
    for b, joint in by_bone.items():
        if RELATIVE_TO.get(joint) in mapped:
            world[b] = _relative_world(source, source_map, source_rest, target, target_map, rest_rot, world, joint,
                                       mapped)
            posed.add(b)
    return world, posed


def _relative_world(source, source_map, source_rest, target, target_map, rest_rot, world, joint, mapped):
    """(T, 4) world rotation of a leaf joint (jaw, eye) that keeps its rest relation to its reference joint (the
    head) and adds the source joint's turn relative to the source's reference, carried into the target's rest
    frame by the reference's alignment A:
    W = W_ref · R_ref⁻¹ · A⁻¹ · (D_ref⁻¹ · D_joint) · A · R_joint."""
    reference = RELATIVE_TO[joint]
    ref = target.index(target_map.bones[reference])
    b = target.index(target_map.bones[joint])
    turn = rotations.multiply(rotations.conjugate(_source_delta(source, source_map, source_rest, reference)),
                              _source_delta(source, source_map, source_rest, joint))
    align = rotations.from_rotation(alignment(source.rest, source_map, target, target_map, reference, mapped))[0]
    turn = rotations.multiply(rotations.conjugate(align), rotations.multiply(turn, align))
    relation = rotations.multiply(rotations.conjugate(rest_rot[ref]), rotations.multiply(turn, rest_rot[b]))
    return rotations.multiply(world[ref], relation)


SPINE_BETWEEN = ("spine1", "spine2")


def _source_delta(source, source_map, source_rest, joint):
    """(T, 4) world rotation of the source joint relative to its rest."""
    s = source.rest.index(source_map.bones[joint])
    return rotations.multiply(rotations.normalize(source.world_rotations[:, s]), rotations.conjugate(source_rest[s]))


def _spine_twist_shared(source, source_map, source_rest, joint, mapped, delta):
    """The pelvis's and the chest's rotations blended by the joint's height between them (slerp): a spine
    bone's twist then lies between theirs. The swing is put right afterwards by _exact_aim."""
    chest = next((j for j in ("spine3", "spine2") if j in mapped and j != joint and
                  CANONICAL_JOINTS.index(j) > CANONICAL_JOINTS.index(joint)), None)
    if chest is None or "pelvis" not in mapped:
        return delta
    heights = [source.rest.heads[source.rest.index(source_map.bones[j]), 2] for j in ("pelvis", joint, chest)]
    span = heights[2] - heights[0]
    if span <= 1e-6:
        return delta
    fraction = float(np.clip((heights[1] - heights[0]) / span, 0.0, 1.0))
    pelvis = _source_delta(source, source_map, source_rest, "pelvis")
    top = _source_delta(source, source_map, source_rest, chest)
    step = (rotations.to_rotation(pelvis).inv() * rotations.to_rotation(top)).as_rotvec()
    blended = rotations.to_rotation(pelvis) * Rotation.from_rotvec(step * fraction)
    return rotations.from_rotation(blended, (len(delta),))


def _exact_aim(source, source_map, target, target_map, joint, mapped, desired, rest):
    """Turn the bone so its aim matches the source segment's direction exactly, also where the source has
    unmapped bones in between (e.g. two neck-twist bones below the head) that bend the segment."""
    pair = segment(joint, mapped)
    if pair is None:
        return desired
    start, end = pair
    src_start = source.heads[:, source.rest.index(source_map.bones[start])]
    src_end = source.heads[:, source.rest.index(source_map.bones[end])]
    tgt_segment = target.heads[target.index(target_map.bones[end])] - target.heads[target.index(target_map.bones[start])]
    predicted = rotations.rotate(desired, rotations.rotate(rotations.conjugate(rest), tgt_segment))
    wanted = src_end - src_start
    if np.linalg.norm(tgt_segment) < 1e-6 or np.any(np.linalg.norm(wanted, axis=1) < 1e-6):
        return desired
    return rotations.multiply(rotations.from_rotation(shortest_arc(predicted, wanted)), desired)


def _chain_between(target: RigRest, top: int, bottom: int):
    """Bones from `top` down to (excluding) `bottom`, or None when bottom is not below top."""
    chain = []
    bone = target.parents[bottom]
    while bone >= 0 and bone != top:
        chain.append(bone)
        bone = target.parents[bone]
    return [top] + chain[::-1] if bone == top else None


def _distribute(target, target_map, rest_rot, world, bone, joint, mapped, desired):
    """Spread `bone`'s local rotation evenly over it and the unmapped bones down to its aim joint, then
    turn the whole chain so the aim joint lands exactly where the single-bone solution put it."""
    aim = aim_joint(joint, mapped)
    if aim is None:
        return []
    end = target.index(target_map.bones[aim])
    chain = _chain_between(target, bone, end)
    if chain is None or len(chain) < 2:
        return []
    base = _rest_chain(target, rest_rot, bone, world)
    local = rotations.to_rotation(rotations.multiply(rotations.conjugate(base), desired))
    share = rotations.from_rotation(Rotation.from_rotvec(local.as_rotvec() / len(chain)))
    frames = len(desired)
    reach = np.zeros((frames, 3))
    rotations_along = []
    current = rotations.multiply(base, share)
    for index, b in enumerate(chain):
        if index > 0:
            relation = _rest_relation(rest_rot, chain[index - 1], b)
            current = rotations.multiply(rotations.multiply(rotations_along[-1], relation), share)
        rotations_along.append(current)
        following = chain[index + 1] if index + 1 < len(chain) else end
        reach += rotations.rotate(current, rotations.rotate(rotations.conjugate(rest_rot[b]),
                                                            target.heads[following] - target.heads[b]))
    wanted = rotations.rotate(desired, rotations.rotate(rotations.conjugate(rest_rot[bone]),
                                                        target.heads[end] - target.heads[bone]))
    correction = rotations.from_rotation(shortest_arc(reach, wanted))
    for b, rotation in zip(chain, rotations_along):
        world[b] = rotations.multiply(correction, rotation)
    return chain


def source_pose_from_clip(clip, rig: RigRest) -> RigPose:
    """A MotionClip (world-aligned joint frames) as a posed rig."""
    from ..clips.kinematics import world_transforms

    quats, positions = world_transforms(clip)
    if len(rig) != len(clip.skeleton):
        raise RetargetError("The clip's skeleton and its rig disagree on the joint count.")
    return RigPose(rig, quats, positions)


def target_pose(target: RigRest, result: RetargetResult) -> RigPose:
    return forward_kinematics(target, result.bone_rotations, result.bone_locations, result.num_frames)
