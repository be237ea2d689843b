"""Hand tracks + plan → a MotionClip on SMPL-X: torso breathing and weight shift, spine and head following the
gestures (nods, shakes, tilts), collar bones, arms by two-bone IK in gesture space, wrists and fingers posed.
Standing feet stay planted by the dance model's leg IK; seated, the legs keep a chair pose.
"""

import numpy as np

from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON
from ..dance.body import SPINE_SHARE
from ..dance.leg_ik import Leg
from ..filters import gaussian_filter1d
from .arm_ik import Arm
from .motion import idle_sway
from .planning import GesturePlan
from .styles import GestureStyle

BREATHS_PER_SECOND = 0.23
FINGER_MAX_DEGREES = (70.0, 95.0, 65.0)      # knuckle, middle, tip at full curl
THUMB_MAX_DEGREES = (30.0, 35.0, 50.0)
BASE_BEND = 0.015                             # soft knees when standing
SEATED_HIP_HEIGHT = 0.5


def side_to_chest(vectors: np.ndarray, sign: float) -> np.ndarray:
    """(out, forward, up) of a hand on its own side → the chest's x (left), y (back), z (up)."""
    return np.stack([sign * vectors[:, 0], -vectors[:, 1], vectors[:, 2]], axis=1)


def build_clip(tracks: dict, plan: GesturePlan, style: GestureStyle, times: np.ndarray, fps: float, seated: bool,
               rng: np.random.Generator) -> MotionClip:
    skeleton = SMPLX_SKELETON
    index = skeleton.index
    frames = len(times)
    local = np.zeros((frames, len(skeleton), 4))
    local[..., 0] = 1.0
    torso = torso_channels(tracks, plan, style, times, fps, seated, rng)

    def euler(x, y, z):   # degrees about the world-aligned axes: x = forward pitch, y = side bend, z = turn left
        return Rotation.from_euler("xyz", np.radians(np.stack(np.broadcast_arrays(x, y, z), axis=1)))

    rest = skeleton.rest_positions()
    root = np.tile(rest[0], (frames, 1))
    root[:, 0] += torso["shift"]
    pelvis = euler(0.0 * times, torso["hip_roll"], 0.3 * torso["twist"])
    if seated:
        root[:, 2] = SEATED_HIP_HEIGHT + (rest[0, 2] - rest[index("left_hip"), 2])
        root[:, 1] += 0.02
    else:
        root[:, 2] -= BASE_BEND + torso["drop"]
    local[:, 0] = rotations.from_rotation(pelvis)
    world, position = pelvis, root
    for name, share in SPINE_SHARE.items():
        spine = euler(torso["lean"] * share + (torso["breath"] if name == "spine3" else 0.0),
                      torso["side"] * share, 0.7 * torso["twist"] * share)
        local[:, index(name)] = rotations.from_rotation(spine)
        position = position + world.apply(skeleton.offsets[index(name)])
        world = world * spine
    chest_rot, chest_pos = world, position
    local[:, index("neck")] = rotations.from_rotation(euler(0.4 * torso["nod"], 0.4 * torso["tilt"], 0.4 * torso["look"]))
    local[:, index("head")] = rotations.from_rotation(euler(0.6 * torso["nod"], 0.6 * torso["tilt"], 0.6 * torso["look"]))

    for side, sign in (("left", 1.0), ("right", -1.0)):
        track = tracks[side]
        arm = Arm(skeleton, side)
        reach = np.clip(track.position[:, 1] - 0.1, 0.0, None)
        collar = euler(0.0 * times, -sign * (track.lift + torso["breath_lift"]), -sign * 25.0 * reach)
        local[:, arm.collar] = rotations.from_rotation(collar)
        collar_world = chest_rot * collar
        collar_pos = chest_pos + chest_rot.apply(skeleton.offsets[arm.collar])
        shoulder_pos = collar_pos + collar_world.apply(skeleton.offsets[arm.shoulder])
        target = chest_pos + chest_rot.apply(side_to_chest(track.position, sign))
        pole = chest_rot.apply(np.tile([sign * 0.45, 0.55, -1.0], (frames, 1)))
        upper, fore = arm.solve(shoulder_pos, target, pole)
        # With the wrist at identity the palm faces the midline (thumb up); rolling about the hand's own axis
        # (±X at rest) turns it down (+) or up (−), the same sign on both sides.
        wrist = Rotation.from_euler("x", track.roll[:, None], degrees=True)
        local[:, arm.shoulder] = rotations.from_rotation(collar_world.inv() * upper)
        local[:, arm.elbow] = rotations.from_rotation(upper.inv() * fore)
        local[:, arm.wrist] = rotations.from_rotation(wrist)
        _pose_fingers(local, skeleton, side, sign, track.fingers)

    if seated:
        thigh = Rotation.from_euler("x", np.full((frames, 1), -88.0), degrees=True)
        for side in ("left", "right"):
            local[:, index(f"{side}_hip")] = rotations.from_rotation(pelvis.inv() * thigh)
            local[:, index(f"{side}_knee")] = rotations.from_rotation(thigh.inv())
    else:
        _plant_feet(local, skeleton, root, pelvis, frames)
    return MotionClip(fps, skeleton, rotations.make_continuous(local), root)


def torso_channels(tracks: dict, plan: GesturePlan, style: GestureStyle, times: np.ndarray, fps: float,
                   seated: bool, rng) -> dict:
    frames = len(times)
    phase = rng.uniform(0, 2 * np.pi)
    breath = np.sin(2 * np.pi * BREATHS_PER_SECOND * times * rng.uniform(0.9, 1.1) + phase)
    left, right = tracks["left"].position, tracks["right"].position
    up = np.clip((left[:, 1] + right[:, 1] - 0.1) / 0.4, 0.0, 1.0)
    lag = int(0.08 * fps)

    def follow(x, seconds=0.12):
        x = np.concatenate([np.repeat(x[:1], lag), x])[:frames]
        return gaussian_filter1d(x, seconds * fps)

    shift = 0.0 * times if seated else style.weight_shift * _weight_shifts(times, rng)
    drift = idle_sway(frames, fps, rng, 1.0, seconds=1.2)
    channels = {
        "breath": -0.8 * breath,
        "breath_lift": 0.6 * breath,
        "shift": shift,
        "hip_roll": -60.0 * shift,
        "side": 45.0 * shift + 0.6 * drift[:, 0],
        "drop": 0.0 * times,
        "lean": follow(style.torso * 0.6 * up) + (2.0 if seated else 0.0) + 0.5 * drift[:, 1],
        "twist": follow(style.torso * 3.0 * (left[:, 1] - right[:, 1]) + 4.0 * (left[:, 0] - right[:, 0])),
        "nod": -0.5 * follow(style.torso * 0.6 * up) + 1.2 * drift[:, 2],
        "tilt": 1.5 * drift[:, 0],
        "look": 3.0 * drift[:, 1] + follow(3.0 * (right[:, 1] - left[:, 1]), 0.3),
    }
    for move in plan.head:
        dt = times - move.time
        if move.kind == "nod":
            bump = np.where(dt < 0, np.exp(-0.5 * (dt / 0.08) ** 2), np.exp(-0.5 * (dt / 0.18) ** 2))
            rebound = np.exp(-0.5 * ((dt - 0.35) / 0.12) ** 2)
            channels["nod"] += 7.0 * move.strength * (bump - 0.25 * rebound)
        elif move.kind == "shake":
            window = np.clip(np.sin(np.pi * np.clip((dt + 0.1) / 0.9, 0, 1)), 0, None)
            channels["look"] += 9.0 * window * np.sin(2 * np.pi * 2.4 * (dt + 0.1))
        elif move.kind == "tilt":
            channels["tilt"] += 7.0 * np.exp(-0.5 * (dt / 0.45) ** 2)
            channels["nod"] -= 3.0 * np.exp(-0.5 * (dt / 0.45) ** 2)
    return channels


def _weight_shifts(times: np.ndarray, rng) -> np.ndarray:
    """Weight moving from foot to foot every few seconds, as people standing do (−1 left … +1 right)."""
    keys_t, keys_v, t = [times[0] - 1.0], [rng.uniform(-0.5, 0.5)], times[0]
    while t < times[-1] + 1.0:
        t += rng.uniform(4.0, 9.0)
        keys_t.append(t)
        keys_v.append(float(np.clip(-np.sign(keys_v[-1]) * rng.uniform(0.4, 1.0), -1, 1)))
    keys_t, keys_v = np.array(keys_t), np.array(keys_v)
    index = np.clip(np.searchsorted(keys_t, times, side="right") - 1, 0, len(keys_t) - 2)
    # The shift itself takes about a second; the rest of the time the weight stays put.
    u = np.clip((times - keys_t[index + 1] + 1.2) / 1.2, 0.0, 1.0)
    ease = u ** 3 * (10 - 15 * u + 6 * u * u)
    return keys_v[index] + (keys_v[index + 1] - keys_v[index]) * ease


def _pose_fingers(local, skeleton, side, sign, curls):
    for column, finger in enumerate(("thumb", "index", "middle", "ring", "pinky")):
        for joint in range(3):
            j = skeleton.index(f"{side}_{finger}{joint + 1}")
            if finger == "thumb":
                axis = np.array([0.6, sign * 0.8, 0.0])
                angle = np.radians(THUMB_MAX_DEGREES[joint]) * curls[:, column]
            else:
                axis = np.array([0.0, sign, 0.0])
                angle = np.radians(FINGER_MAX_DEGREES[joint]) * curls[:, column]
            local[:, j] = rotations.from_rotation(Rotation.from_rotvec(angle[:, None] * axis / np.linalg.norm(axis)))


def _plant_feet(local, skeleton, root, pelvis, frames):
    rest = skeleton.rest_positions()
    index = skeleton.index
    for side in ("left", "right"):
        leg = Leg(skeleton, side)
        ankle = np.tile(rest[index(f"{side}_ankle")], (frames, 1))
        forward = np.tile([0.15 if side == "left" else -0.15, -1.0, 0.0], (frames, 1))
        thigh, shin = leg.solve(root + pelvis.apply(leg.hip_offset), ankle, forward)
        local[:, leg.hip] = rotations.from_rotation(pelvis.inv() * thigh)
        local[:, leg.knee] = rotations.from_rotation(thigh.inv() * shin)
        local[:, leg.ankle] = rotations.from_rotation(shin.inv())
