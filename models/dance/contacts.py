"""Foot contacts: detect them on any clip, then pin planted feet (no slide), lift feet out of the floor, re-solve legs.

Procedural dances are clean by construction; this pass is what keeps them clean after anything that edits the
pose afterwards (the learned prior, retargeting tweaks) and what the bench measures on mocap too.
"""

import numpy as np

from ...clips import rotations
from ...clips.kinematics import world_transforms
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from .leg_ik import Leg

CONTACT_HEIGHT = 0.025      # a foot joint this close to its floor height is on the floor …
CONTACT_SPEED = 0.30        # … if it also moves slower than this (m/s)
SETTLED = 0.002             # a planted ankle higher than this above its floor is put down
MIN_CONTACT_FRAMES = 2


def foot_heights_above_floor(positions, skeleton, floor_heights: dict) -> dict:
    """Per foot: height (T,) above the floor of its lower joint (ankle or toe), and the ankle's track (T, 3)."""
    result = {}
    for side in ("left", "right"):
        ankle, toe = skeleton.index(f"{side}_ankle"), skeleton.index(f"{side}_foot")
        ankle_h = positions[:, ankle, 2] - floor_heights[f"{side}_ankle"]
        toe_h = positions[:, toe, 2] - floor_heights[f"{side}_foot"]
        result[side] = (np.minimum(ankle_h, toe_h), positions[:, ankle])
    return result


def detect_contacts(positions, skeleton, floor_heights: dict, fps: float) -> dict:
    contacts = {}
    for side, (height, track) in foot_heights_above_floor(positions, skeleton, floor_heights).items():
        speed = np.zeros(len(track))
        if len(track) > 1:
            speed[1:] = np.linalg.norm(np.diff(track[:, :2], axis=0), axis=1) * fps
            speed[0] = speed[1]
        contacts[side] = _drop_short((height < CONTACT_HEIGHT) & (speed < CONTACT_SPEED), MIN_CONTACT_FRAMES)
    return contacts


def clean_contacts(clip: MotionClip, floor_heights: dict, blend_frames: int = 3) -> MotionClip:
    """Pin each contact's ankle to one spot on the floor, keep swing feet above it, and re-solve both legs."""
    world_rot, positions = world_transforms(clip)
    contacts = detect_contacts(positions, clip.skeleton, floor_heights, clip.fps)
    local = clip.rotations.copy()
    for side in ("left", "right"):
        leg = Leg(clip.skeleton, side)
        ankle = positions[:, leg.ankle].copy()
        target = ankle.copy()
        floor = floor_heights[f"{side}_ankle"]
        weight = np.zeros(len(ankle))
        for start, end in _runs(contacts[side]):
            spot = np.median(ankle[start:end], axis=0)
            hovering = spot[2] - floor > SETTLED   # a planted foot hanging above the floor is put down on it
            target[start:end, :2] = spot[:2]
            target[start:end, 2] = floor if hovering else ankle[start:end, 2]
            weight[start:end] = 1.0
            # Carry the edge frames' correction a few frames out, fading, so the pin does not pop.
            for edge, direction in ((start, -1), (end - 1, 1)):
                correction = spot[:2] - ankle[edge, :2]
                for k in range(1, blend_frames + 1):
                    t = edge + direction * k
                    w = 1.0 - k / (blend_frames + 1)
                    if 0 <= t < len(ankle) and weight[t] < w:
                        target[t, :2] = ankle[t, :2] + correction * w
                        weight[t] = w
        target[:, 2] = np.maximum(target[:, 2], floor)
        if np.allclose(target, ankle, atol=1e-5):
            continue
        hip_position = positions[:, leg.hip]
        knee_dir = positions[:, leg.knee] - 0.5 * (hip_position + ankle)
        forward = rotations.to_rotation(world_rot[:, leg.ankle]).apply([0.0, -1.0, 0.0]) + 2.0 * knee_dir
        thigh, shin = leg.solve(hip_position, target, forward)
        parent = rotations.to_rotation(world_rot[:, clip.skeleton.parents[leg.hip]])
        ankle_world = rotations.to_rotation(world_rot[:, leg.ankle])
        if np.any(contacts[side]):   # planted feet lie flat with one heading per contact: the toes stay put too
            x_axis = ankle_world.apply([1.0, 0.0, 0.0])
            heading = np.arctan2(x_axis[:, 1], x_axis[:, 0])
            for start, end in _runs(contacts[side]):
                heading[start:end] = heading[(start + end) // 2]
            flat_q = rotations.from_rotation(Rotation.from_euler("z", heading[:, None]))
            keep_q = rotations.from_rotation(ankle_world)
            ankle_world = rotations.to_rotation(np.where(weight[:, None] > 0.5, flat_q, keep_q))
        local[:, leg.hip] = rotations.from_rotation(parent.inv() * thigh)
        local[:, leg.knee] = rotations.from_rotation(thigh.inv() * shin)
        local[:, leg.ankle] = rotations.from_rotation(shin.inv() * ankle_world)
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), clip.root_translation.copy())


def _runs(mask):
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    return list(zip(edges[0::2], edges[1::2]))


def _drop_short(mask, minimum):
    mask = mask.copy()
    for start, end in _runs(mask):
        if end - start < minimum:
            mask[start:end] = False
    return mask
