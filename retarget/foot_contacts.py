"""Keep planted feet planted: find the source's foot contacts, then pin the target's ankles during them
with two-bone leg IK (hip → knee → ankle), blended in and out over a few frames so knees do not pop.
Also lifts any foot that would go through the floor: the ankle may not sink more than ANKLE_TOLERANCE below its
rest height, the toes not more than TOE_TOLERANCE below the rest floor (rig_frame.rest_floor, the lowest rest
foot point; the sole lies below the bones, and the source's foot may be pitched more steeply than the rig's
rest foot). A leg that is straight at rest cannot be lifted by a hair without bending its knee.

A contact is a run of frames where the source ankle is near its lowest height in the clip and nearly
still. During it the target ankle holds its mean horizontal position plus whatever the source ankle itself
drifts (scaled by the leg-length ratio: a pivot or a slow shuffle stays one, and a foot the source plants
exactly stays exactly planted); height follows the retarget.
"""

from dataclasses import dataclass

import numpy as np

from ..clips import rotations
from .bone_map import BoneMap
from .rest_pose import shortest_arc
from .rig import RigPose, RigRest, forward_kinematics, tails_of
from .transfer import RetargetResult

CONTACT_HEIGHT = 0.05      # metres above the ankle's lowest point in the clip
CONTACT_SPEED = 0.35       # metres per second, horizontal
MIN_CONTACT_FRAMES = 3
BLEND_SECONDS = 0.1
MAX_REACH = 0.995          # of thigh + shin: a straight knee would snap, keep a hair of bend
ANKLE_TOLERANCE = 0.001    # metres the ankle may dip below its rest height before the leg is lifted (a heel
                           # 5 mm into the floor shows on a flat foot: dance on Rigify and MakeHuman rigs)
TOE_TOLERANCE = 0.02       # metres the toe points may dip below the rest floor


@dataclass
class Contact:
    side: str
    start: int
    end: int  # inclusive
    drift: np.ndarray = None  # (end - start + 1, 2) source ankle, horizontal, minus its mean over the contact


def detect_contacts(pose: RigPose, bone_map: BoneMap, fps: float) -> list:
    contacts = []
    for side in ("left", "right"):
        ankle = pose.heads[:, pose.rest.index(bone_map.bones[f"{side}_ankle"])]
        height = ankle[:, 2] - np.percentile(ankle[:, 2], 1)
        speed = np.zeros(len(ankle))
        if len(ankle) > 1:
            step = np.linalg.norm(np.diff(ankle[:, :2], axis=0), axis=1) * fps
            speed[1:] = step
            speed[0] = step[0]
            speed[:-1] = np.minimum(speed[:-1], step)  # a frame is still if either neighbour step is small
        planted = (height < CONTACT_HEIGHT) & (speed < CONTACT_SPEED)
        for a, b in _runs(planted):
            if b - a + 1 >= MIN_CONTACT_FRAMES:
                path = ankle[a:b + 1, :2]
                contacts.append(Contact(side, int(a), int(b), path - path.mean(axis=0)))
    return contacts


def _runs(mask):
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def slide_of(points: np.ndarray, contact: Contact) -> float:
    """Largest horizontal distance the point travels from where the contact began."""
    path = points[contact.start:contact.end + 1, :2]
    return float(np.max(np.linalg.norm(path - path[0], axis=1)))


def foot_points(pose: RigPose, bone_map: BoneMap, side: str) -> np.ndarray:
    """(T, P, 3): ankle head, toe head and toe tip (where the rig has them)."""
    rest = pose.rest
    ankle = rest.index(bone_map.bones[f"{side}_ankle"])
    points = [pose.heads[:, ankle]]
    toe = bone_map.bones.get(f"{side}_foot")
    if toe in rest.names:
        points += [pose.heads[:, rest.index(toe)], tails_of(pose, [rest.index(toe)])[:, 0]]
    else:
        points.append(tails_of(pose, [ankle])[:, 0])
    return np.stack(points, axis=1)


def plant_feet(result: RetargetResult, target: RigRest, target_map: BoneMap, contacts: list,
               floor: float = 0.0) -> RetargetResult:
    """Adjust the leg rotations of `result` in place of the contacts and the floor; returns a new result."""
    legs = [target_map.bones[f"{side}_{joint}"] for side in ("left", "right") for joint in ("ankle", "foot")
            if target_map.bones.get(f"{side}_{joint}") in target.names]
    pose = forward_kinematics(target, result.bone_rotations, result.bone_locations, result.num_frames, only=legs)
    frames = result.num_frames
    blend = max(1, int(round(BLEND_SECONDS * result.fps)))
    rotations_out = dict(result.bone_rotations)
    for side in ("left", "right"):
        names = [target_map.bones[f"{side}_{j}"] for j in ("hip", "knee", "ankle")]
        hip, knee, ankle = (target.index(n) for n in names)
        current = pose.heads[:, ankle]
        goal = current.copy()
        weight = np.zeros(frames)
        pinned = np.zeros((frames, 2))
        for contact in (c for c in contacts if c.side == side):
            anchor = current[contact.start:contact.end + 1, :2].mean(axis=0)
            drift = contact.drift if contact.drift is not None else np.zeros((contact.end - contact.start + 1, 2))
            lo, hi = max(0, contact.start - blend), min(frames - 1, contact.end + blend)
            for t in range(lo, hi + 1):
                if t < contact.start:
                    w = 1.0 - (contact.start - t) / (blend + 1)
                elif t > contact.end:
                    w = 1.0 - (t - contact.end) / (blend + 1)
                else:
                    w = 1.0
                w = 0.5 - 0.5 * np.cos(np.pi * w)  # ease in/out
                if w > weight[t]:
                    weight[t] = w
                    pinned[t] = anchor + result.leg_ratio * drift[min(max(t - contact.start, 0), len(drift) - 1)]
        goal[:, :2] += weight[:, None] * (pinned - current[:, :2])
        points = foot_points(pose, target_map, side)[..., 2]
        allowed = np.full(points.shape[1], floor - TOE_TOLERANCE)
        allowed[0] = target.heads[ankle, 2] - ANKLE_TOLERANCE
        goal[:, 2] += np.maximum(0.0, np.max(allowed - points, axis=1))
        active = np.flatnonzero(np.linalg.norm(goal - current, axis=1) > 1e-6)
        if active.size == 0:
            continue
        _solve_leg(pose, target, rotations_out, (hip, knee, ankle), goal, active)
    return RetargetResult(result.fps, rotations_out, result.bone_locations, result.mapped_joints,
                          result.unmapped_joints, result.leg_ratio)


def _solve_leg(pose, target, rotations_out, bones, goal, frames_to_fix):
    hip, knee, ankle = bones
    H, K, A = (pose.heads[frames_to_fix, b] for b in bones)
    T = goal[frames_to_fix]
    upper = np.linalg.norm(target.heads[knee] - target.heads[hip])
    lower = np.linalg.norm(target.heads[ankle] - target.heads[knee])
    to_goal = T - H
    distance = np.linalg.norm(to_goal, axis=1)
    longest = MAX_REACH * (upper + lower)
    # Out of reach (a straight source leg): the ankle keeps the goal's place on the floor and rises the hair the
    # leg is short of it, instead of being pulled towards the hip along the leg, which would slide a planted foot.
    across_floor = np.linalg.norm(to_goal[:, :2], axis=1)
    lift = (distance > longest) & (across_floor < longest)
    if lift.any():
        rise = np.sqrt(longest ** 2 - across_floor[lift] ** 2)
        to_goal = to_goal.copy()
        to_goal[lift, 2] = np.where(to_goal[lift, 2] < 0.0, -rise, rise)
        distance = np.linalg.norm(to_goal, axis=1)
    axis = to_goal / np.maximum(distance, 1e-9)[:, None]
    reach = np.clip(distance, abs(upper - lower) + 1e-4, longest)
    along = (upper ** 2 - lower ** 2 + reach ** 2) / (2 * reach)
    across = np.sqrt(np.maximum(upper ** 2 - along ** 2, 0.0))
    # The knee's bend measured from the leg's own hip-to-ankle line, then carried onto the goal's line: measured
    # from the goal's line, a nearly straight knee's side is where the goal moved, not where the knee bends.
    line = (A - H) / np.maximum(np.linalg.norm(A - H, axis=1, keepdims=True), 1e-12)
    bend = (K - H) - np.sum((K - H) * line, axis=1, keepdims=True) * line
    bend = shortest_arc(A - H, to_goal).apply(bend)
    bend = bend - np.sum(bend * axis, axis=1, keepdims=True) * axis
    bend_norm = np.linalg.norm(bend, axis=1, keepdims=True)
    forward = np.array([0.0, -1.0, 0.0])  # knees bend forward when the leg is straight
    fallback = forward - np.sum(forward * axis, axis=1, keepdims=True) * axis
    bend = np.where(bend_norm > 1e-5, bend / np.maximum(bend_norm, 1e-12),
                    fallback / np.maximum(np.linalg.norm(fallback, axis=1, keepdims=True), 1e-12))
    new_knee = H + along[:, None] * axis + across[:, None] * bend
    new_ankle = H + reach[:, None] * axis
    turn_hip = shortest_arc(K - H, new_knee - H)
    turn_knee = shortest_arc(turn_hip.apply(A - K), new_ankle - new_knee)

    def world(b):
        return rotations.to_rotation(pose.world_rotations[frames_to_fix, b])

    def local(b):
        name = target.names[b]
        if name in rotations_out:
            return rotations.to_rotation(rotations_out[name][frames_to_fix])
        return rotations.to_rotation(np.tile([1.0, 0.0, 0.0, 0.0], (len(frames_to_fix), 1)))

    def store(b, value):
        name = target.names[b]
        full = rotations_out.get(name)
        full = np.tile([1.0, 0.0, 0.0, 0.0], (pose.num_frames, 1)) if full is None else full.copy()
        full[frames_to_fix] = rotations.from_rotation(value, (len(frames_to_fix),))
        rotations_out[name] = full

    hip_world, knee_world, ankle_world = world(hip), world(knee), world(ankle)
    hip_base, knee_base, ankle_base = hip_world * local(hip).inv(), knee_world * local(knee).inv(), \
        ankle_world * local(ankle).inv()
    store(hip, hip_base.inv() * turn_hip * hip_world)
    store(knee, (turn_hip * knee_base).inv() * turn_knee * turn_hip * knee_world)
    store(ankle, (turn_knee * turn_hip * ankle_base).inv() * ankle_world)
