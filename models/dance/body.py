"""Pose channels, facing and foot targets → a MotionClip on the SMPL-X skeleton (feet placed by leg IK)."""

import numpy as np

from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON
from .leg_ik import Leg
from .performance import Performance

SPINE_SHARE = {"spine1": 0.3, "spine2": 0.35, "spine3": 0.35}
FINGER_CURL = 18.0       # degrees per finger joint: relaxed hands, not a flat T-pose palm


def finger_curls(skeleton=SMPLX_SKELETON) -> dict:
    """Joint index → local rotation (w first) of the relaxed, half-curled fingers (thumbs left at rest)."""
    curls = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        curl = rotations.from_rotation(Rotation.from_euler("y", sign * FINGER_CURL, degrees=True))[0]
        for j, name in enumerate(skeleton.joint_names):
            if name.startswith(side + "_") and name[len(side) + 1:-1] in ("index", "middle", "ring", "pinky"):
                curls[j] = curl
    return curls


def relax_hands(clip: MotionClip) -> MotionClip:
    """The clip with relaxed, half-curled fingers in every frame."""
    local = clip.rotations.copy()
    for j, quat in finger_curls(clip.skeleton).items():
        local[:, j] = quat
    return MotionClip(clip.fps, clip.skeleton, local, clip.root_translation)


def rest_heights(skeleton=SMPLX_SKELETON) -> dict:
    rest = skeleton.rest_positions()
    return {name: float(rest[skeleton.index(name), 2]) for name in
            ("left_ankle", "right_ankle", "left_foot", "right_foot", "pelvis")}


def build_clip(performance: Performance, fps: float, base_bend: float = 0.03) -> MotionClip:
    skeleton = SMPLX_SKELETON
    ch = performance.channels
    frames = len(performance.facing)
    local = np.zeros((frames, len(skeleton), 4))
    local[..., 0] = 1.0
    index = skeleton.index
    rest = skeleton.rest_positions()
    ankle_rest_z = rest[index("left_ankle"), 2]

    def euler(x, y, z):   # degrees about world-aligned axes: x = pitch forward, y = side bend, z = turn
        return Rotation.from_euler("xyz", np.radians(np.stack([x, y, z], axis=1)))

    pelvis_yaw = performance.facing + np.radians(-0.35 * ch["twist"])
    pelvis_rot = Rotation.from_euler("z", pelvis_yaw[:, None]) * euler(ch["hip_tilt"], ch["hip_roll"], 0 * ch["hip_roll"])
    local[:, 0] = rotations.from_rotation(pelvis_rot)
    spine_x, spine_y, spine_z = ch["lean"], ch["side"], ch["twist"] * 1.35
    for name, share in SPINE_SHARE.items():
        extra = ch["chest"] if name == "spine3" else 0.0
        local[:, index(name)] = rotations.from_rotation(euler(spine_x * share + extra, spine_y * share, spine_z * share))
    local[:, index("neck")] = rotations.from_rotation(euler(0.4 * ch["nod"], 0.4 * ch["tilt"], 0.4 * ch["look"]))
    local[:, index("head")] = rotations.from_rotation(euler(0.6 * ch["nod"], 0.6 * ch["tilt"], 0.6 * ch["look"]))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        p = side[0] + "_"
        local[:, index(f"{side}_shoulder")] = rotations.from_rotation(
            _arm_rotation(np.radians(ch[p + "el"]), np.radians(ch[p + "az"]), sign))
        local[:, index(f"{side}_elbow")] = rotations.from_rotation(
            Rotation.from_euler("z", -sign * np.radians(ch[p + "elbow"])[:, None]))
    for j, quat in finger_curls(skeleton).items():
        local[:, j] = quat

    # Pelvis over the weighted feet, as low as the knees ask and never too high for the legs to reach.
    left, right = performance.feet["L"], performance.feet["R"]
    weight = 0.5 + 0.4 * np.clip(ch["sway"], -1, 1)
    weight = weight + 0.3 * np.sin(np.pi * performance.swing["L"]) ** 2 - 0.3 * np.sin(np.pi * performance.swing["R"]) ** 2
    centre = left[:, :2] + (right[:, :2] - left[:, :2]) * np.clip(weight, 0.05, 0.95)[:, None]
    back = rest[index("pelvis"), :2] - 0.5 * (rest[index("left_ankle"), :2] + rest[index("right_ankle"), :2])
    root = np.zeros((frames, 3))
    root[:, :2] = centre + Rotation.from_euler("z", performance.facing[:, None]).apply(np.append(back, 0.0))[:, :2]
    desired_z = rest[index("pelvis"), 2] - base_bend - ch["drop"]
    ankle_targets = {}
    for foot, side in (("L", "left"), ("R", "right")):
        target = performance.feet[foot].copy()
        target[:, 2] = ankle_rest_z + target[:, 2]
        ankle_targets[side] = target
    legs = {side: Leg(skeleton, side) for side in ("left", "right")}
    reach_z = []
    for side, leg in legs.items():
        hip = pelvis_rot.apply(leg.hip_offset)
        horizontal = np.linalg.norm(root[:, :2] + hip[:, :2] - ankle_targets[side][:, :2], axis=1)
        reach = 0.985 * leg.length
        reach_z.append(ankle_targets[side][:, 2] - hip[:, 2] + np.sqrt(np.maximum(reach ** 2 - horizontal ** 2, 0.0)))
    highest = np.minimum(*reach_z)
    softness = 0.01
    root[:, 2] = desired_z - softness * np.logaddexp(0.0, (desired_z - highest) / softness)
    for side, leg in legs.items():
        foot_yaw = performance.foot_yaw[side[0].upper()]
        knee_forward = Rotation.from_euler("z", 0.5 * (foot_yaw + pelvis_yaw)[:, None]).apply([0.0, -1.0, 0.0])
        knee_forward += np.array([0.15 if side == "left" else -0.15, 0.0, 0.0])
        hip_position = root + pelvis_rot.apply(leg.hip_offset)
        thigh, shin = leg.solve(hip_position, ankle_targets[side], knee_forward)
        ankle_world = Rotation.from_euler("z", foot_yaw[:, None])
        local[:, leg.hip] = rotations.from_rotation(pelvis_rot.inv() * thigh)
        local[:, leg.knee] = rotations.from_rotation(thigh.inv() * shin)
        local[:, leg.ankle] = rotations.from_rotation(shin.inv() * ankle_world)
    local = rotations.make_continuous(local)
    return MotionClip(fps, skeleton, local, root)


def _arm_rotation(elevation, azimuth, sign):
    """Shoulder rotation pointing the arm at (elevation, azimuth); azimuth 0 = straight out sideways."""
    direction = np.stack([sign * np.cos(elevation) * np.cos(azimuth), -np.cos(elevation) * np.sin(azimuth),
                          np.sin(elevation)], axis=1)
    rest = np.array([sign, 0.0, 0.0])
    axis = np.cross(np.broadcast_to(rest, direction.shape), direction)
    sin_angle = np.linalg.norm(axis, axis=1)
    angle = np.arctan2(sin_angle, direction @ rest)
    axis = axis / np.maximum(sin_angle, 1e-9)[:, None]
    return Rotation.from_rotvec(axis * angle[:, None])
