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
SHORT_GAP = 0.12            # s: a gap this short between two contacts, with the foot hardly moved, is filled
LIFT_RAMP = 0.07            # s a lifted swing foot takes to rise to its clearance (and to come down)
SWING_EASE = 1.0            # share of smoothstep timing in a swing's horizontal path (clearance on)
SLIDE_SPEED = 0.15          # m/s: a free foot moving faster than this along the floor is lifted (clearance)


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


def clean_contacts(clip: MotionClip, floor_heights: dict, blend_frames: int = 3, contacts: dict = None,
                   clearance: float = 0.0) -> MotionClip:
    """Pin each contact's ankle to one spot on the floor, keep swing feet above it, and re-solve both legs.

    `contacts` ({"left": (T,) bool, "right": …}): where the feet are known to be planted (e.g. in the capture
    a dance was cut from); feet detected as planted are pinned too. `clearance` (m): a foot that travels while
    not planted is lifted so its ankle and toe clear the floor by this much (a foot sliding along the floor
    becomes a small step); 0 leaves swing heights alone."""
    world_rot, positions = world_transforms(clip)
    detected = detect_contacts(positions, clip.skeleton, floor_heights, clip.fps)
    if contacts is not None:
        contacts = {side: _drop_short(np.asarray(contacts[side], dtype=bool) | detected[side], MIN_CONTACT_FRAMES)
                    for side in ("left", "right")}
    else:
        contacts = detected
    local = clip.rotations.copy()
    for side in ("left", "right"):
        leg = Leg(clip.skeleton, side)
        ankle = positions[:, leg.ankle].copy()
        if clearance > 0:   # a foot that barely leaves the floor between two contacts stays planted
            contacts[side] = _fill_short_gaps(contacts[side], ankle, int(round(SHORT_GAP * clip.fps)), 0.05)
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
        if clearance > 0:
            target[:, :2] = ease_swings(target[:, :2], contacts[side])
            toe = positions[:, leg.foot, 2] - floor_heights[f"{side}_foot"] + (target[:, 2] - ankle[:, 2])
            target[:, 2] += swing_lift(np.minimum(target[:, 2] - floor, toe), target, contacts[side], clearance,
                                       clip.fps)
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


def ease_swings(xy, planted, share: float = SWING_EASE):
    """Horizontal ankle path with each swing between two contacts re-timed so the foot leaves and arrives
    slowly (a smoothstep time warp mixed in at `share`): feet lift before they travel, as in a real step."""
    out = xy.copy()
    for start, end in _runs(~planted):
        if start == 0 or end == len(xy) or end - start < 3:
            continue
        count = end - start
        u = (np.arange(count) + 1.0) / (count + 1.0)
        eased = (1 - share) * u + share * (u * u * (3 - 2 * u))
        source = np.arange(start - 1, end + 1, dtype=float)            # the run with its pinned neighbours
        for k in range(2):
            out[start:end, k] = np.interp(start - 1 + eased * (count + 1), source, xy[start - 1:end + 1, k])
    return out


def swing_lift(height, ankle_target, planted, clearance, fps):
    """(T,) how much to raise a swing foot: where it travels (faster than SLIDE_SPEED) lower than `clearance`,
    by the shortfall, spread over its swing; it rises within LIFT_RAMP after leaving the floor and is down
    again by the next contact (`planted`, (T,) bool)."""
    speed = np.zeros(len(height))
    if len(height) > 1:
        speed[1:] = np.linalg.norm(np.diff(ankle_target[:, :2], axis=0), axis=1) * fps
        speed[0] = speed[1]
    moving = np.clip(2.0 * speed / SLIDE_SPEED - 1.0, 0.0, 1.0)
    need = np.where(~planted, np.maximum(0.0, clearance - height) * moving, 0.0)
    if not need.any():
        return need
    from ..filters import gaussian_filter1d, maximum_filter1d
    window = max(1, int(round(0.15 * fps)))
    ramp = max(1.0, LIFT_RAMP * fps)
    lift = np.zeros(len(height))
    for start, end in _runs(~planted):
        part = maximum_filter1d(need[start:end], window, mode="nearest")
        if end - start > 2:
            part = np.maximum(part, gaussian_filter1d(part, 0.03 * fps, mode="nearest"))
        position = np.arange(end - start)
        near = np.minimum(position + 1 if start > 0 else np.inf, end - start - position if end < len(height)
                          else np.inf)
        envelope = np.clip(near / ramp, 0.0, 1.0)
        lift[start:end] = part * np.sqrt(envelope)
    return lift


def _runs(mask):
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    return list(zip(edges[0::2], edges[1::2]))


def _fill_short_gaps(mask, ankle, max_frames, max_move):
    mask = mask.copy()
    for start, end in _runs(~mask):
        if 0 < start and end < len(mask) and end - start <= max_frames and \
                np.linalg.norm(ankle[end, :2] - ankle[start - 1, :2]) < max_move:
            mask[start:end] = True
    return mask


def _drop_short(mask, minimum):
    mask = mask.copy()
    for start, end in _runs(mask):
        if end - start < minimum:
            mask[start:end] = False
    return mask
