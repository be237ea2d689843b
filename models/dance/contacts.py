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
# A foot given as planted (`contacts`: a capture's flags, sampled and cross-faded at phrase joins) is trusted only
# where it moves slower than this along the floor: the flags stay on through captured slides (5-7 cm a frame) and
# cross-fades, and pinning such a run to one spot made the foot jump 10-43 cm in one frame between two runs.
PLANTED_SPEED = 0.5         # m/s
# A planted foot lies flat at its contact's heading, and follows the capture's heading where that turns further
# from it than this (a pivot on the floor): one heading per contact snapped a pivoting foot round by up to 90 degrees
# in one frame at the contact's edges. In the captured dances a contact's heading strays from its median by at most
# 0.4 degrees on the median contact and 4.6 at the 90th percentile, so this still holds a planted foot still.
PIVOT = np.radians(10.0)
# A swing whose ankle rises higher than this (m) above its standing height is not re-timed (ease_swings): the warp
# spreads over the whole swing, and in a high kick it put the ankle target up to 65 cm from the captured one,
# where the leg could not follow (legs flipped 160-178 degrees in a frame in 4 of 17 takes measured, all calm).
SWING_EASE_HEIGHT = (0.10, 0.20)   # m: fully re-timed up to the first, not at all from the second
# Ankle clearance for other rigs (tilt_clearance): a rig whose legs, feet and hips sit otherwise in its rest pose than
# SMPL-X's, its legs copied rotation for rotation, can have its ankle lower than ours; retargeters keep toes above
# the floor, not the ankle above its standing height. Measured on the demo character (MakeHuman's game-engine rig;
# retargeted without foot planting its ankles sit 0.8 cm low on a typical frame of the calm style, up to 4.6 cm
# where the pelvis is bent far forward or back): so ankles keep this much above their standing height, planted
# ones standing on the ball of the foot (heel lifted, toes down). Sideways tilt did not matter there.
ANKLE_MARGIN = 0.004        # m always …
ANKLE_MARGIN_PITCH = 0.04   # … plus m per radian of the pelvis's forward or backward tilt
HEEL = np.array([0.0, 0.04, -0.08])   # the heel's place from the ankle joint in SMPL-X's rest pose (on the floor)
HEEL_SHARE = 0.6            # share of that margin made by lifting the heel (the rest lifts the whole foot a little)


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
        contacts[side] = _drop_short((height < CONTACT_HEIGHT) & (_speed(track, fps) < CONTACT_SPEED),
                                     MIN_CONTACT_FRAMES)
    return contacts


def clean_contacts(clip: MotionClip, floor_heights: dict, blend_frames: int = 3, contacts: dict = None,
                   clearance: float = 0.0, tilt_clearance: bool = False) -> MotionClip:
    """Pin each contact's ankle to one spot on the floor, keep swing feet above it, and re-solve both legs.

    `contacts` ({"left": (T,) bool, "right": …}): where the feet are known to be planted (e.g. in the capture
    a dance was cut from), trusted where the foot moves slower than PLANTED_SPEED; feet detected as planted are
    pinned too. `clearance` (m): a foot that travels while
    not planted is lifted so its ankle and toe clear the floor by this much (a foot sliding along the floor
    becomes a small step); 0 leaves swing heights alone. `tilt_clearance`: keep every ankle above its standing
    height by ankle_margin() (more where the pelvis tilts), planted feet heel-up on the ball of the foot, so the
    dance keeps its heels out of the floor on rigs proportioned otherwise."""
    world_rot, positions = world_transforms(clip)
    margin = ankle_margin(world_rot[:, 0]) if tilt_clearance else np.zeros(clip.num_frames)
    detected = detect_contacts(positions, clip.skeleton, floor_heights, clip.fps)
    if contacts is not None:
        slow = {side: _speed(positions[:, clip.skeleton.index(f"{side}_ankle")], clip.fps) < PLANTED_SPEED
                for side in ("left", "right")}
        contacts = {side: _drop_short((np.asarray(contacts[side], dtype=bool) & slow[side]) | detected[side],
                                      MIN_CONTACT_FRAMES) for side in ("left", "right")}
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
        anchor = np.arange(len(ankle))   # the contact frame each (faded) pinned frame takes its flat foot from
        for start, end in _runs(contacts[side]):
            spot = np.median(ankle[start:end], axis=0)
            hovering = spot[2] - floor > SETTLED   # a planted foot hanging above the floor is put down on it
            target[start:end, :2] = spot[:2]
            target[start:end, 2] = floor if hovering else ankle[start:end, 2]
            weight[start:end] = 1.0
            anchor[start:end] = np.arange(start, end)
            # Carry the edge frames' correction a few frames out, fading, so the pin does not pop.
            for edge, direction in ((start, -1), (end - 1, 1)):
                correction = spot[:2] - ankle[edge, :2]
                for k in range(1, blend_frames + 1):
                    t = edge + direction * k
                    w = 1.0 - k / (blend_frames + 1)
                    if 0 <= t < len(ankle) and weight[t] < w:
                        target[t, :2] = ankle[t, :2] + correction * w
                        weight[t] = w
                        anchor[t] = edge
        target[:, 2] = np.maximum(target[:, 2], floor + margin)
        if tilt_clearance:   # a foot in the air flexed toes-up keeps its heel above the floor too
            heel = rotations.rotate(world_rot[:, leg.ankle], np.tile(HEEL, (len(target), 1)))[:, 2]
            short = np.maximum(margin - (target[:, 2] - floor + heel - HEEL[2]), 0.0)
            target[:, 2] += (1.0 - weight) * short   # faded in with the pin, not switched on at its edge
        if clearance > 0:   # steps near the floor are re-timed; a kick high in the air keeps its own timing
            low, high = SWING_EASE_HEIGHT
            share = np.ones(len(ankle))
            for start, end in _runs(~contacts[side]):
                share[start:end] = np.clip((high - np.max(ankle[start:end, 2] - floor)) / (high - low), 0.0, 1.0)
            target[:, :2] += share[:, None] * (ease_swings(target[:, :2], contacts[side]) - target[:, :2])
            toe = positions[:, leg.foot, 2] - floor_heights[f"{side}_foot"] + (target[:, 2] - ankle[:, 2])
            target[:, 2] += swing_lift(np.minimum(target[:, 2] - floor, toe), target, contacts[side], clearance,
                                       clip.fps)
        if np.allclose(target, ankle, atol=1e-5):
            continue
        hip_position = positions[:, leg.hip]
        thigh_c = rotations.to_rotation(world_rot[:, leg.hip])
        knee_c = rotations.to_rotation(clip.rotations[:, leg.knee])
        ankle_world = world_rot[:, leg.ankle]
        if np.any(contacts[side]):   # planted feet lie flat, heel up by the lift; the toes stay put too
            # The flat foot's lift and heading are the contact frames', carried to the faded frames around them,
            # and the foot turns flat by the pin's weight: switched flat at the weight's half way, with the heel
            # lifted for that frame's height (the foot still 15-25 cm up), it pointed its toes straight down for a
            # frame, the ankle turning 80-115 degrees.
            lift = np.where(contacts[side], np.maximum(target[:, 2] - floor, 0.0), 0.0)[anchor] if tilt_clearance \
                else np.zeros(len(target))
            pitch, shift = heel_lift(clip.skeleton, side, HEEL_SHARE * lift)
            heading = _contact_headings(rotations.rotate(ankle_world, np.tile([1.0, 0.0, 0.0], (len(target), 1))),
                                        contacts[side])[anchor]
            flat = Rotation.from_euler("z", heading[:, None]) * Rotation.from_euler("x", pitch[:, None])
            ankle_world = _blend(ankle_world, rotations.from_rotation(flat), weight)
            if tilt_clearance:   # the ball of the foot stays where it was: the ankle comes forward over it
                forward = np.stack([np.sin(heading), -np.cos(heading)], axis=1)
                target[:, :2] += forward * (weight * shift)[:, None]
        # The legs move from the dance's own pose by the least turn: solved afresh with the knee pointed mostly
        # along the foot, they turned thigh and shin half a turn in a frame where a heel folded up to the seat,
        # and re-posed legs that had not moved at all.
        thigh, shin = leg.solve_from(hip_position, target, thigh_c, knee_c)
        parent = rotations.to_rotation(world_rot[:, clip.skeleton.parents[leg.hip]])
        local[:, leg.hip] = rotations.from_rotation(parent.inv() * thigh)
        local[:, leg.knee] = rotations.from_rotation(thigh.inv() * shin)
        local[:, leg.ankle] = rotations.from_rotation(shin.inv() * rotations.to_rotation(ankle_world))
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), clip.root_translation.copy())


def ankle_margin(pelvis_world: np.ndarray) -> np.ndarray:
    """(T,) metres an ankle keeps above its standing height for the pelvis world rotations (T, 4)."""
    q = rotations.to_rotation(pelvis_world)
    up = q.apply([0.0, 0.0, 1.0])
    across = q.apply([1.0, 0.0, 0.0])
    across[:, 2] = 0.0
    across /= np.maximum(np.linalg.norm(across, axis=1, keepdims=True), 1e-9)
    ahead = np.stack([-across[:, 1], across[:, 0], np.zeros(len(up))], axis=1)
    pitch = np.abs(np.arcsin(np.clip(np.sum(up * ahead, axis=1), -1.0, 1.0)))
    return ANKLE_MARGIN + ANKLE_MARGIN_PITCH * pitch


def heel_lift(skeleton, side: str, lift: np.ndarray) -> tuple:
    """(heel-up pitch in radians (T,), metres the ankle moves forward (T,)) that raise a flat foot's ankle by `lift`
    (T,) while the ball of the foot (the `foot` joint) stays where it was on the floor."""
    rest = skeleton.rest_positions()
    v = rest[skeleton.index(f"{side}_foot")] - rest[skeleton.index(f"{side}_ankle")]
    length, drop, ahead = float(np.linalg.norm(v)), float(-v[2]), float(np.linalg.norm(v[:2]))
    base = np.arctan2(drop, ahead)
    angle = np.arcsin(np.clip((drop + lift) / length, -1.0, 1.0)) - base
    return angle, ahead - length * np.cos(base + angle)


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


def _contact_headings(across, planted):
    """(T,) headings (radians about z) of flat feet whose across-the-foot axis is `across` (T, 3): on each contact
    (`planted` (T,) bool) its median heading, followed by the capture's own where that turns more than PIVOT from it
    (less PIVOT, so the foot turns on without a jump); elsewhere the capture's."""
    heading = np.unwrap(np.arctan2(across[:, 1], across[:, 0]))
    out = heading.copy()
    for start, end in _runs(planted):
        middle = np.median(heading[start:end])
        turn = heading[start:end] - middle
        out[start:end] = middle + np.sign(turn) * np.maximum(np.abs(turn) - PIVOT, 0.0)
    return out


def _blend(a, b, weight):
    """Quaternions (T, 4, w x y z) from `a` towards `b` by `weight` (T,), normalized linear blend."""
    b = np.where(np.sum(a * b, axis=1, keepdims=True) < 0.0, -b, b)
    out = a + weight[:, None] * (b - a)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _speed(track, fps):
    """(T,) speed (m/s) along the floor of a joint's track (T, 3)."""
    speed = np.zeros(len(track))
    if len(track) > 1:
        speed[1:] = np.linalg.norm(np.diff(track[:, :2], axis=0), axis=1) * fps
        speed[0] = speed[1]
    return speed


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
