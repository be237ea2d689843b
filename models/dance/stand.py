"""A quiet stand through a long silence in the music (a silent break: the beat tracker finds no beats there).

The dance itself is held there (pipeline.music_times_through_breaks: it slows to a stop over the beat after the
music's last beat and starts again over the beat before its first one); over STAND_EASE_SECONDS from the last
beat the dancer eases from that held dance pose into a quiet stand and, as long before the first beat, back: the
pelvis upright over the feet, facing where the dance faced, spine and head upright, arms down (the coded moves'
neutral arms), both feet flat on the floor where they were in the held pose (a foot in the air comes straight
down); a foot that goes on moving where the dance is held travels lifted (STEP_CLEARANCE), so nothing slides.
"""

import numpy as np

from ...clips import rotations as quats
from ...clips.kinematics import world_transforms
from ...clips.motion import MotionClip
from .body import _arm_rotation, rest_heights
from .leg_ik import Leg
from .moves import NEUTRAL

STAND_EASE_SECONDS = 0.8   # into the stand and back, at most (two beats where those are shorter)
# A foot the dance has elsewhere than the stand at the frames it blends from (the swing the contact clean-up
# re-timed goes on while the music is held) travels in the air, lifted by as much as it travels, up to this (m).
STEP_CLEARANCE = 0.05
STAND_BEND = 0.03          # m the knees are soft in the stand (as the coded dance's base bend)
UPRIGHT = ("spine1", "spine2", "spine3", "neck", "head", "left_collar", "right_collar", "left_wrist",
           "right_wrist", "left_foot", "right_foot")


def stand_through(clip: MotionClip, holds: list) -> MotionClip:
    """The clip with a quiet stand in each of `holds` [(last beat s, next beat s, beat period s)]: eased in over
    min(STAND_EASE_SECONDS, two beats) from the last beat, eased out as long before the next."""
    if not holds:
        return clip
    local = clip.rotations.copy()
    root = clip.root_translation.copy()
    times = np.arange(clip.num_frames) / clip.fps
    for last, following, period in holds:
        ease = stand_ease(period)
        inside = np.flatnonzero((times > last) & (times < following))
        if len(inside) < 3:
            continue
        u = np.minimum(np.clip((times[inside] - last) / ease, 0.0, 1.0),
                       np.clip((following - times[inside]) / ease, 0.0, 1.0))
        weight = u * u * (3.0 - 2.0 * u)
        held = int(inside[np.argmin(np.abs(times[inside] - (last + period)))])   # the dance's held pose
        _stand(clip, local, root, inside, weight, held)
    return MotionClip(clip.fps, clip.skeleton, quats.make_continuous(local), root)


def stand_ease(period: float) -> float:
    """Seconds over which the dancer eases into the stand (and out of it) at a beat `period` (s)."""
    return min(STAND_EASE_SECONDS, 2.0 * period)


def _stand(clip: MotionClip, local: np.ndarray, root: np.ndarray, frames: np.ndarray, weight: np.ndarray,
           held: int):
    """Blend `local` and `root` (in place) at `frames` towards the stand made from frame `held`, by `weight`."""
    skeleton = clip.skeleton
    index = skeleton.index
    world, positions = world_transforms(clip)
    heights = rest_heights(skeleton)
    rest = skeleton.rest_positions()
    legs = [Leg(skeleton, side) for side in ("left", "right")]
    # The stand: facing where the held pose faces, feet flat on the floor where they are.
    across = quats.rotate(world[held, 0][None], np.array([[1.0, 0.0, 0.0]]))[0]
    heading = float(np.arctan2(across[1], across[0]))
    stand = local[held].copy()
    stand[0] = _about_z(heading)
    for name in UPRIGHT:
        stand[index(name)] = (1.0, 0.0, 0.0, 0.0)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        p = side[0] + "_"
        stand[index(f"{side}_shoulder")] = quats.from_rotation(_arm_rotation(
            np.radians([NEUTRAL[p + "el"]]), np.radians([NEUTRAL[p + "az"]]), sign))[0]
        elbow = np.radians(NEUTRAL[p + "elbow"])
        stand[index(f"{side}_elbow")] = (np.cos(0.5 * elbow), 0.0, 0.0, -sign * np.sin(0.5 * elbow))
    ankles, facings = [], []
    for side, leg in zip(("left", "right"), legs):
        ankle = positions[held, leg.ankle].copy()
        ankle[2] = heights[f"{side}_ankle"]
        forward = quats.rotate(world[held, leg.ankle][None], np.array([[0.0, -1.0, 0.0]]))[0]
        ankles.append(ankle)
        facings.append(_about_z(float(np.arctan2(forward[0], -forward[1]))))
    back = rest[0, :2] - 0.5 * (rest[index("left_ankle"), :2] + rest[index("right_ankle"), :2])
    c, s = np.cos(heading), np.sin(heading)
    pelvis = np.zeros(3)
    pelvis[:2] = 0.5 * (ankles[0][:2] + ankles[1][:2]) + (c * back[0] - s * back[1], s * back[0] + c * back[1])
    pelvis[2] = rest[0, 2] - STAND_BEND
    for leg, ankle in zip(legs, ankles):   # never higher than the legs reach (a wide stance sits lower)
        hip = quats.rotate(stand[0][None], leg.hip_offset[None])[0]
        flat = np.linalg.norm(pelvis[:2] + hip[:2] - ankle[:2])
        reach = 0.985 * leg.length
        pelvis[2] = min(pelvis[2], ankle[2] - hip[2] + np.sqrt(max(reach ** 2 - flat ** 2, 0.0)))
    # Blend the body (all but the legs) and the pelvis's place, then solve the legs onto the blended feet.
    w = weight[:, None]
    moved = local[frames].copy()
    keep = {j for leg in legs for j in (leg.hip, leg.knee, leg.ankle)}
    for j in range(len(skeleton)):
        if j not in keep:
            moved[:, j] = _nlerp(moved[:, j], np.broadcast_to(stand[j], moved[:, j].shape), w)
    moved_root = root[frames] * (1.0 - w) + pelvis * w
    world_now, now = world_transforms(MotionClip(clip.fps, skeleton, moved, moved_root))
    for leg, ankle, facing in zip(legs, ankles, facings):
        target = positions[frames, leg.ankle] * (1.0 - w) + ankle * w
        apart = np.linalg.norm(positions[frames, leg.ankle, :2] - ankle[:2], axis=1)   # a foot that travels lifts
        target[:, 2] += 4.0 * weight * (1.0 - weight) * np.minimum(apart, STEP_CLEARANCE)
        foot = _nlerp(world[frames, leg.ankle], np.broadcast_to(facing, (len(frames), 4)), w)
        hip = now[:, leg.hip]
        knee = now[:, leg.knee] - 0.5 * (hip + now[:, leg.ankle])
        forward = quats.rotate(foot, np.tile([0.0, -1.0, 0.0], (len(frames), 1))) + 2.0 * knee
        thigh, shin = leg.solve(hip, target, forward)
        parent = quats.to_rotation(world_now[:, skeleton.parents[leg.hip]])
        moved[:, leg.hip] = quats.from_rotation(parent.inv() * thigh)
        moved[:, leg.knee] = quats.from_rotation(thigh.inv() * shin)
        moved[:, leg.ankle] = quats.from_rotation(shin.inv() * quats.to_rotation(foot))
    local[frames] = moved
    root[frames] = moved_root


def _about_z(angle: float) -> np.ndarray:
    return np.array([np.cos(0.5 * angle), 0.0, 0.0, np.sin(0.5 * angle)])


def _nlerp(a, b, w):
    sign = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return quats.normalize(a * (1 - w) + b * sign * w)
