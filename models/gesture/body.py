"""Hand tracks + plan + postures → a MotionClip on SMPL-X: the pelvis over the feet (weight shifts, a little sway,
steps that turn the body towards other listeners; posture.py plans them), torso breathing, leaning and turning with
the gestures, the head moving with the voice (nods on accents, the chin following the pitch, gaze shifts, tilts,
shakes), collar bones, arms by two-bone IK in gesture space, wrists and fingers posed. Standing feet stay planted
by the dance model's leg IK wherever they are not stepping; seated, the legs keep a chair pose.
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
from .clearance import ELBOW_MARGIN, FINGERTIP_MARGIN, PALM_MARGIN, TIP_MARGIN, TIP_SHARE, WRIST_MARGIN, Torso
from .motion import idle_sway
from .planning import GesturePlan
from .posture import FOOT_FRONT, FOOT_HALF_WIDTH, Posture, plan_steps, stance_tracks
from .prosody import FPS as FPS_PROSODY
from .styles import GestureStyle

BREATHS_PER_SECOND = 0.23
FINGER_MAX_DEGREES = (70.0, 95.0, 65.0)      # knuckle, middle, tip at full curl
THUMB_MAX_DEGREES = (30.0, 35.0, 50.0)
BASE_BEND = 0.008                             # soft knees when standing
SEATED_HIP_HEIGHT = 0.5
PELVIS_SWAY_METRES = 0.016       # sway while the feet stay put: real capture standing moves the pelvis ~0.04 m/s
PITCH_NOD_DEGREES = 1.0       # chin up per semitone above the speaker's median pitch
NOD_DEGREES = 13.0
# SMPL-X's collar → shoulder bone rises about 15°; relaxed shoulders sit lower (on the demo character the rest
# collars put the shoulders 4.6 cm above its own rest: a shrug).
COLLAR_DROP_DEGREES = 10.0
MAX_WRIST_BEND_DEGREES = 70.0    # the hand bends back at most this far to keep its fingertips out of the body
# A hand on the hip (weight: the track's elbow_out) lies with its fingers spread a little along the hip (degrees
# of spread about the palm's normal, + towards the pinky) and the thumb opened away from the index.
HIP_SPREAD_DEGREES = (0.0, -8.0, -2.0, 4.0, 9.0)
HIP_THUMB_OPEN_DEGREES = 20.0
# How far a knuckle (and the thumb's base) may turn to keep its fingertip out of the body: fingers from 25°
# bent back to 90° curled at the knuckle, the thumb 35° either way.
KNUCKLE_DEGREES = (-25.0, 90.0)
THUMB_STEER_DEGREES = 35.0


def side_to_chest(vectors: np.ndarray, sign: float) -> np.ndarray:
    """(out, forward, up) of a hand on its own side → the chest's x (left), y (back), z (up)."""
    return np.stack([sign * vectors[:, 0], -vectors[:, 1], vectors[:, 2]], axis=1)


def build_clip(tracks: dict, plan: GesturePlan, style: GestureStyle, times: np.ndarray, fps: float, seated: bool,
               rng: np.random.Generator, postures: list = None, prosody=None) -> MotionClip:
    skeleton = SMPLX_SKELETON
    index = skeleton.index
    frames = len(times)
    local = np.zeros((frames, len(skeleton), 4))
    local[..., 0] = 1.0
    postures = postures or [Posture(0.0, ("rest", "rest"), 0.0, 0.0, 0.0, "right")]
    torso = torso_channels(tracks, plan, style, times, fps, seated, rng, postures, prosody)

    def euler(x, y, z):   # degrees about the world-aligned axes: x = forward pitch, y = side bend, z = turn left
        return Rotation.from_euler("xyz", np.radians(np.stack(np.broadcast_arrays(x, y, z), axis=1)))

    rest = skeleton.rest_positions()
    stance = None
    if seated:
        root = np.tile(rest[0], (frames, 1))
        root[:, 2] = SEATED_HIP_HEIGHT + (rest[0, 2] - rest[index("left_hip"), 2])
        root[:, 1] += 0.02
        yaw = 0.3 * torso["twist"]
    else:
        stance = stance_tracks(plan_steps(postures, style, rng), times, rest[index("left_ankle"), 2])
        root, yaw = _pelvis_over_feet(stance, torso, style, rest, fps, rng)
    pelvis = euler(0.0 * times, torso["hip_roll"], yaw)
    local[:, 0] = rotations.from_rotation(pelvis)
    world, position = pelvis, root
    frames_of = {index("pelvis"): (pelvis, root)}     # where the torso's parts are (clearance.Torso)
    for name, share in SPINE_SHARE.items():
        spine = euler(torso["lean"] * share + (torso["breath"] if name == "spine3" else 0.0),
                      torso["side"] * share, (0.7 * torso["twist"] + torso["chest_turn"]) * share)
        local[:, index(name)] = rotations.from_rotation(spine)
        position = position + world.apply(skeleton.offsets[index(name)])
        world = world * spine
        frames_of[index(name)] = (world, position)
    chest_rot, chest_pos = world, position
    if seated:
        thigh = Rotation.from_euler("x", np.full((frames, 1), -88.0), degrees=True)
        for side in ("left", "right"):
            local[:, index(f"{side}_hip")] = rotations.from_rotation(pelvis.inv() * thigh)
            local[:, index(f"{side}_knee")] = rotations.from_rotation(thigh.inv())
    else:
        _plant_feet(local, skeleton, root, pelvis, stance)
    for side in ("left", "right"):     # the thighs, which a hand on the hip or hanging must stay out of too
        hip = index(f"{side}_hip")
        frames_of[hip] = (pelvis * rotations.to_rotation(local[:, hip]), root + pelvis.apply(skeleton.offsets[hip]))
    local[:, index("neck")] = rotations.from_rotation(euler(0.4 * torso["nod"], 0.4 * torso["tilt"], 0.4 * torso["look"]))
    local[:, index("head")] = rotations.from_rotation(euler(0.6 * torso["nod"], 0.6 * torso["tilt"], 0.6 * torso["look"]))

    for side, sign in (("left", 1.0), ("right", -1.0)):
        track = tracks[side]
        arm = Arm(skeleton, side)
        reach = np.clip(track.position[:, 1] - 0.1, 0.0, None)
        collar = euler(0.0 * times, -sign * (track.lift + torso["breath_lift"] - COLLAR_DROP_DEGREES),
                       -sign * 25.0 * reach)
        local[:, arm.collar] = rotations.from_rotation(collar)
        collar_world = chest_rot * collar
        collar_pos = chest_pos + chest_rot.apply(skeleton.offsets[arm.collar])
        shoulder_pos = collar_pos + collar_world.apply(skeleton.offsets[arm.shoulder])
        target = chest_pos + chest_rot.apply(side_to_chest(track.position, sign))
        out = np.zeros(frames) if track.elbow_out is None else np.clip(track.elbow_out, 0.0, 1.0)
        # The elbow points down and back, or out to the side for a hand on the hip.
        pole_local = ((1 - out)[:, None] * np.array([sign * 0.45, 0.55, -1.0])
                      + out[:, None] * np.array([sign * 1.0, 0.45, -0.1]))
        # With the wrist at identity the palm faces the midline (thumb up); rolling about the hand's own axis
        # (±X at rest) turns it down (+) or up (−), the same sign on both sides.
        wrist = Rotation.from_euler("x", track.roll[:, None], degrees=True)
        body = Torso(skeleton, sign)
        upper, fore, wrist = _clear_of_body(arm, body, frames_of, shoulder_pos, target, chest_rot.apply(pole_local),
                                            wrist)
        local[:, arm.shoulder] = rotations.from_rotation(collar_world.inv() * upper)
        local[:, arm.elbow] = rotations.from_rotation(upper.inv() * fore)
        local[:, arm.wrist] = rotations.from_rotation(wrist)
        _pose_fingers(local, skeleton, side, sign, track.fingers, out)
        hand = shoulder_pos + upper.apply(arm.upper) + fore.apply(arm.fore)
        _fingertips_clear(local, skeleton, side, sign, body, frames_of, fore * wrist, hand)
    return MotionClip(fps, skeleton, rotations.make_continuous(local), root)


def _clear_of_body(arm: Arm, torso: Torso, frames: dict, shoulder, target, pole, wrist):
    """Arm IK (upper arm, forearm world rotations and the wrist's local rotation) with the palm, wrist and elbow
    kept out of the torso: the wrist target moves out by what the palm and the wrist need, the pole swings the
    elbow out (where it cannot, the wrist target moves out with the elbow), and the hand bends back at the wrist
    where its fingertips would go in (a hand on the hip lies on it). Every push is a smooth function of the pose
    (clearance.Torso.push), so nothing pops."""
    skeleton = SMPLX_SKELETON
    side = "left" if arm.sign > 0 else "right"
    knuckles = np.mean([skeleton.offsets[skeleton.index(f"{side}_{f}1")] for f in ("index", "middle", "ring", "pinky")],
                       axis=0)
    palm, tip = 0.5 * knuckles, knuckles + skeleton.offsets[skeleton.index(f"{side}_middle2")] * 2.5
    upper, fore = arm.solve(shoulder, target, pole)
    for k in range(3):
        elbow = shoulder + upper.apply(arm.upper)
        hand = elbow + fore.apply(arm.fore)
        shift = torso.push(hand + (fore * wrist).apply(palm), frames, PALM_MARGIN)
        shift = shift + torso.push(hand + shift, frames, WRIST_MARGIN)
        pole = elbow - shoulder + torso.push(elbow, frames, ELBOW_MARGIN)
        if k:   # an elbow the pole did not take out (a hand across the chest): the wrist moves out with it
            shift = shift + torso.push(elbow, frames, 0.0)
        target = target + shift
        upper, fore = arm.solve(shoulder, target, pole)
    hand = shoulder + upper.apply(arm.upper) + fore.apply(arm.fore)
    along = (fore * wrist).apply(tip)
    out = along + torso.push(hand + along, frames, TIP_MARGIN)
    axis = np.cross(along, out)
    sin = np.linalg.norm(axis, axis=1) / np.maximum(np.linalg.norm(along, axis=1) * np.linalg.norm(out, axis=1), 1e-9)
    angle = np.minimum(np.arcsin(np.clip(sin, 0.0, 1.0)), np.radians(MAX_WRIST_BEND_DEGREES))
    bend = Rotation.from_rotvec(axis / np.maximum(np.linalg.norm(axis, axis=1), 1e-12)[:, None] * angle[:, None])
    return upper, fore, fore.inv() * bend * fore * wrist


def _pelvis_over_feet(stance, torso: dict, style: GestureStyle, rest: np.ndarray, fps: float, rng):
    """Pelvis position and heading (degrees) over the feet: between them, towards the weighted foot (all the way
    over the standing foot while the other steps), swaying a little, low enough for both legs to reach."""
    left, right = stance.ankle["left"], stance.ankle["right"]
    centre = 0.5 * (left + right)
    half = 0.5 * (right - left)                       # from the centre towards the right foot
    support = stance.support
    shift_share = np.clip(style.weight_shift / FOOT_HALF_WIDTH, 0.0, 0.6)
    g = (1.0 - np.abs(support)) * torso["weight"] * shift_share + 0.65 * support
    sway = idle_sway(len(support), fps, rng, PELVIS_SWAY_METRES, seconds=1.0)
    root = np.tile(rest[0], (len(support), 1))
    facing = 0.5 * (stance.yaw["left"] + stance.yaw["right"])
    a = np.radians(facing)
    ahead = np.stack([np.sin(a), -np.cos(a)], axis=1) * FOOT_FRONT    # at rest the ankles are 2 cm behind the pelvis
    root[:, :2] = centre[:, :2] + ahead + g[:, None] * half[:, :2] + sway[:, :2]
    root[:, 2] -= BASE_BEND + torso["drop"] + 0.012 * np.abs(g)
    # Low enough that both ankles are in reach.
    hip = SMPLX_SKELETON.index("left_hip")
    hip_drop = rest[0, 2] - rest[hip, 2]
    leg = (np.linalg.norm(SMPLX_SKELETON.offsets[SMPLX_SKELETON.index("left_knee")])
           + np.linalg.norm(SMPLX_SKELETON.offsets[SMPLX_SKELETON.index("left_ankle")]))
    for ankle in (left, right):
        horizontal = np.linalg.norm(ankle[:, :2] - root[:, :2], axis=1) + 0.07
        highest = ankle[:, 2] + np.sqrt(np.maximum((0.985 * leg) ** 2 - horizontal ** 2, 0.0)) + hip_drop
        root[:, 2] = np.minimum(root[:, 2], highest)
    root[:, 2] = gaussian_filter1d(root[:, 2], 0.05 * fps)
    return root, facing + 0.3 * torso["twist"]


def torso_channels(tracks: dict, plan: GesturePlan, style: GestureStyle, times: np.ndarray, fps: float,
                   seated: bool, rng, postures: list = None, prosody=None) -> dict:
    frames = len(times)
    phase = rng.uniform(0, 2 * np.pi)
    breath = np.sin(2 * np.pi * BREATHS_PER_SECOND * times * rng.uniform(0.9, 1.1) + phase)
    left, right = tracks["left"].position, tracks["right"].position
    up = np.clip((left[:, 1] + right[:, 1] - 0.1) / 0.4, 0.0, 1.0)
    lag = int(0.08 * fps)
    postures = postures or [Posture(0.0, ("rest", "rest"), 0.0, 0.0, 0.0, "right")]
    starts = [p.start for p in postures]

    def follow(x, seconds=0.12):
        x = np.concatenate([np.repeat(x[:1], lag), x])[:frames]
        return gaussian_filter1d(x, seconds * fps)

    weight = 0.0 * times if seated else _eased(starts, [p.weight for p in postures], times, 1.0)
    lean = _eased(starts, [p.lean for p in postures], times, 1.2)
    facing = _eased(starts, [p.facing for p in postures], times, 1.0)
    drift = idle_sway(frames, fps, rng, 1.0, seconds=1.2)
    head = head_channels(plan, style, times, fps, rng, prosody)
    shift = weight * style.weight_shift / 0.03
    return {
        "breath": -0.8 * breath,
        "breath_lift": 0.6 * breath,
        "weight": weight,
        "hip_roll": -2.5 * shift,
        "side": 2.0 * shift + 0.6 * drift[:, 0],
        "drop": 0.0 * times,
        "lean": follow(style.torso * 0.6 * up) + (2.0 if seated else 0.0) + 0.5 * drift[:, 1] + lean,
        "twist": follow(style.torso * 3.0 * (left[:, 1] - right[:, 1]) + 4.0 * (left[:, 0] - right[:, 0])),
        # Seated, the chest does the turning that the feet do standing; either way it turns a little with the gaze.
        "chest_turn": (0.8 * facing if seated else 0.0 * times) + 0.25 * head["look"],
        "nod": -0.5 * follow(style.torso * 0.6 * up) + 1.2 * drift[:, 2] + head["nod"],
        "tilt": 1.5 * drift[:, 0] + head["tilt"],
        "look": 3.0 * drift[:, 1] + follow(3.0 * (right[:, 1] - left[:, 1]), 0.3) + 0.75 * head["look"],
    }


def head_channels(plan: GesturePlan, style: GestureStyle, times: np.ndarray, fps: float, rng,
                  prosody=None) -> dict:
    """Head pitch (nod), roll (tilt) and yaw (look) in degrees, driven by the voice: nods on pitch accents (the
    plan's head moves), the chin following the pitch contour, small bobs on stressed syllables, gaze shifts from
    listener to listener every few seconds (with a tilt), slower in pauses."""
    frames = len(times)
    nod, tilt, look = np.zeros(frames), np.zeros(frames), np.zeros(frames)
    gain = style.head
    if prosody is not None and len(prosody.semitones):
        index = np.clip((times * FPS_PROSODY).astype(int), 0, len(prosody.semitones) - 1)
        voiced = (prosody.voiced & prosody.active)[index]
        pitch = np.where(voiced, np.clip(prosody.semitones[index], -6.0, 8.0), 0.0)
        nod -= gain * PITCH_NOD_DEGREES * gaussian_filter1d(pitch, 0.12 * fps)
        for t in prosody.syllables[prosody.prominence > 2.0]:
            nod += gain * 2.5 * np.exp(-0.5 * ((times - t - 0.03) / 0.09) ** 2)
    # Gaze shifts from one listener to another (yaw), the head tilting a little each time.
    t, target = 0.0, rng.normal(0.0, 6.0)
    keys = [(-1.0, target, rng.normal(0.0, 2.0))]
    units = plan.units or [(0.0, plan.duration)]
    while t < plan.duration + 1.0:
        speaking = any(a <= t <= b for a, b in units)
        t += rng.uniform(1.2, 3.5) if speaking else rng.uniform(2.5, 5.0)
        target = float(np.clip(0.4 * target + rng.normal(0.0, 11.0) * gain, -20.0, 20.0))
        keys.append((t, target, float(np.clip(rng.normal(0.0, 4.0) * gain, -8.0, 8.0))))
    key_times = [k[0] for k in keys]
    look += _eased(key_times, [k[1] for k in keys], times, 0.45)
    tilt += _eased(key_times, [k[2] for k in keys], times, 0.6)
    for move in plan.head:
        dt = times - move.time
        if move.kind == "nod":
            bump = np.where(dt < 0, np.exp(-0.5 * (dt / 0.08) ** 2), np.exp(-0.5 * (dt / 0.18) ** 2))
            rebound = np.exp(-0.5 * ((dt - 0.35) / 0.12) ** 2)
            nod += NOD_DEGREES * gain * move.strength * (bump - 0.25 * rebound)
        elif move.kind == "shake":
            window = np.clip(np.sin(np.pi * np.clip((dt + 0.1) / 0.9, 0, 1)), 0, None)
            look += 9.0 * window * np.sin(2 * np.pi * 2.4 * (dt + 0.1))
        elif move.kind == "tilt":
            tilt += 7.0 * np.exp(-0.5 * (dt / 0.45) ** 2)
            nod -= 3.0 * np.exp(-0.5 * (dt / 0.45) ** 2)
    return {"nod": nod, "tilt": tilt, "look": look}


def _eased(key_times, values, times: np.ndarray, seconds: float) -> np.ndarray:
    """Piecewise constant values that change at `key_times`, each change eased (minimum jerk) over `seconds`."""
    values = np.asarray(values, float)
    out = np.full(len(times), values[0])
    for k in range(1, len(values)):
        u = np.clip((times - key_times[k]) / seconds, 0.0, 1.0)
        out += (values[k] - values[k - 1]) * u ** 3 * (10 - 15 * u + 6 * u * u)
    return out


def _pose_fingers(local, skeleton, side, sign, curls, hip=None):
    """Finger and thumb rotations from the curls; `hip` (T,) the weight of a hand on the hip, which spreads the
    fingers a little along the hip and opens the thumb away from the index (HIP_SPREAD_DEGREES)."""
    hip = np.zeros(len(curls)) if hip is None else hip
    for column, finger in enumerate(("thumb", "index", "middle", "ring", "pinky")):
        for joint in range(3):
            j = skeleton.index(f"{side}_{finger}{joint + 1}")
            if finger == "thumb":
                axis = np.array([0.6, sign * 0.8, 0.0])
                angle = np.radians(THUMB_MAX_DEGREES[joint]) * curls[:, column]
            else:
                axis = np.array([0.0, sign, 0.0])
                angle = np.radians(FINGER_MAX_DEGREES[joint]) * curls[:, column]
            rotation = Rotation.from_rotvec(angle[:, None] * axis / np.linalg.norm(axis))
            if joint == 0 and finger == "thumb":      # opened: turned about the hand's axis, away from the palm
                rotation = Rotation.from_rotvec(np.radians(HIP_THUMB_OPEN_DEGREES) * hip[:, None]
                                                * np.array([sign, 0.0, 0.0])) * rotation
            elif joint == 0:                          # spread about the palm's normal
                rotation = Rotation.from_rotvec(np.radians(HIP_SPREAD_DEGREES[column]) * hip[:, None]
                                                * np.array([0.0, 0.0, -sign])) * rotation
            local[:, j] = rotations.from_rotation(rotation)


def _fingertips_clear(local, skeleton, side, sign, torso: Torso, frames: dict, hand_rotation, hand_position):
    """Each fingertip kept FINGERTIP_MARGIN outside the body: a finger turns at its knuckle about its own bending
    axis (straightening, even bending back a little, or curling, within KNUCKLE_DEGREES), the thumb at its base
    towards the way out (THUMB_STEER_DEGREES at most). Smooth in the pose as the pushes are."""
    for finger in ("thumb", "index", "middle", "ring", "pinky"):
        chain = [skeleton.index(f"{side}_{finger}{k}") for k in (1, 2, 3)]
        for _ in range(2):
            knuckle = hand_position + hand_rotation.apply(skeleton.offsets[chain[0]])
            rotation, tip = hand_rotation, knuckle
            for k, j in enumerate(chain):
                rotation = rotation * rotations.to_rotation(local[:, j])
                following = skeleton.offsets[chain[k + 1]] if k < 2 else TIP_SHARE * skeleton.offsets[j]
                tip = tip + rotation.apply(following)
            along = tip - knuckle
            out = along + torso.push(tip, frames, FINGERTIP_MARGIN)
            first = rotations.to_rotation(local[:, chain[0]])
            if finger == "thumb":
                axis = np.cross(along, out)
                norm = np.linalg.norm(axis, axis=1)
                sin = norm / np.maximum(np.linalg.norm(along, axis=1) * np.linalg.norm(out, axis=1), 1e-9)
                angle = np.minimum(np.arcsin(np.clip(sin, 0.0, 1.0)), np.radians(THUMB_STEER_DEGREES))
                turn = Rotation.from_rotvec(axis / np.maximum(norm, 1e-12)[:, None] * angle[:, None])
                local[:, chain[0]] = rotations.from_rotation(hand_rotation.inv() * turn * hand_rotation * first)
                continue
            axis = hand_rotation.apply(np.tile([0.0, sign, 0.0], (len(along), 1)))
            a = along - np.sum(along * axis, axis=1)[:, None] * axis
            b = out - np.sum(out * axis, axis=1)[:, None] * axis
            turn = np.arctan2(np.sum(np.cross(a, b) * axis, axis=1), np.sum(a * b, axis=1))
            bend = np.dot(first.as_rotvec(), [0.0, sign, 0.0])     # the knuckle's bend now (about its axis)
            low, high = np.radians(KNUCKLE_DEGREES)
            # Within the knuckle's range (a knuckle already past it is not pushed further).
            total = np.where(turn < 0, np.maximum(bend + turn, np.minimum(low, bend)),
                             np.minimum(bend + turn, np.maximum(high, bend)))
            extra = Rotation.from_rotvec((total - bend)[:, None] * np.array([0.0, sign, 0.0]))
            local[:, chain[0]] = rotations.from_rotation(extra * first)


def _plant_feet(local, skeleton, root, pelvis, stance):
    """Legs by IK onto the stance's ankle targets, knees over the toes, each foot turned to its own yaw."""
    for side, sign in (("left", 1.0), ("right", -1.0)):
        leg = Leg(skeleton, side)
        yaw = Rotation.from_euler("z", stance.yaw[side][:, None], degrees=True)
        forward = yaw.apply(np.tile([0.15 * sign, -1.0, 0.0], (len(root), 1)))
        thigh, shin = leg.solve(root + pelvis.apply(leg.hip_offset), stance.ankle[side], forward)
        local[:, leg.hip] = rotations.from_rotation(pelvis.inv() * thigh)
        local[:, leg.knee] = rotations.from_rotation(thigh.inv() * shin)
        local[:, leg.ankle] = rotations.from_rotation(shin.inv() * yaw)
