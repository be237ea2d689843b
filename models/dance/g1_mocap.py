"""G1 Moves (Unitree G1 robot retargets of human dance capture) as SMPL-X body clips. Not used at run time.

`../shared/mocap/g1_moves/` holds human dance captured with MOVIN TRACIN and retargeted by its authors onto the
Unitree G1 humanoid: per frame the root pose and 29 joint angles (CSV), and for 19 of the 28 dance clips MuJoCo's
forward kinematics of them (NPZ). The robot's kinematic tree (link offsets, fixed link rotations, joint axes) is
not shipped with the data, so `fit_model` measures it exactly from one NPZ: each link's offset and rotation in its
parent's frame are constant apart from one revolute joint. `forward` then runs FK on any CSV (all 28 clips).

`read_g1` maps a clip onto SMPL-X by world rotations: each G1 link's rotation away from a reference pose in which
the robot stands like SMPL-X's rest (a T-pose: arms out, elbows straight) becomes the matching SMPL-X bone's world
rotation, with a small fixed correction that lines up the two skeletons' bones in that pose. The waist's rotation
is spread over SMPL-X's three spine joints; the G1 has no neck, collar or fingers, so those stay at rest (the
caller may add head motion). Root translation is scaled by the ratio of leg lengths and put on the floor.

Credit: "G1 Moves motion capture dataset by Mitch Chaiet / Experiential Technologies (dance: Jasmine Coro; karate:
Mike Gassaway), captured with MOVIN TRACIN, licensed CC BY 4.0, https://github.com/experientialtech/g1-moves."
"""

import glob
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON

DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "mocap", "g1_moves")
FPS = 60.0

JOINTS = ("left_hip_pitch", "left_hip_roll", "left_hip_yaw", "left_knee", "left_ankle_pitch", "left_ankle_roll",
          "right_hip_pitch", "right_hip_roll", "right_hip_yaw", "right_knee", "right_ankle_pitch", "right_ankle_roll",
          "waist_yaw", "waist_roll", "waist_pitch",
          "left_shoulder_pitch", "left_shoulder_roll", "left_shoulder_yaw", "left_elbow",
          "left_wrist_roll", "left_wrist_pitch", "left_wrist_yaw",
          "right_shoulder_pitch", "right_shoulder_roll", "right_shoulder_yaw", "right_elbow",
          "right_wrist_roll", "right_wrist_pitch", "right_wrist_yaw")
BODIES = ("pelvis",) + tuple(j + "_link" for j in JOINTS)   # body i + 1 is moved by joint i
BODIES = tuple(b.replace("waist_pitch_link", "torso_link") for b in BODIES)
PARENTS = (-1, 0, 1, 2, 3, 4, 5, 0, 7, 8, 9, 10, 11, 0, 13, 14, 15, 16, 17, 18, 19, 20, 21, 15, 23, 24, 25, 26, 27, 28)

# SMPL-X joint ← (G1 body whose world rotation it takes, G1 body its bone points at, or None for a link axis).
LIMBS = {
    "left_hip": ("left_hip_yaw_link", "left_knee_link"), "right_hip": ("right_hip_yaw_link", "right_knee_link"),
    "left_knee": ("left_knee_link", "left_ankle_pitch_link"),
    "right_knee": ("right_knee_link", "right_ankle_pitch_link"),
    "left_ankle": ("left_ankle_roll_link", None), "right_ankle": ("right_ankle_roll_link", None),
    "left_shoulder": ("left_shoulder_yaw_link", "left_elbow_link"),
    "right_shoulder": ("right_shoulder_yaw_link", "right_elbow_link"),
    "left_elbow": ("left_elbow_link", "left_wrist_roll_link"),
    "right_elbow": ("right_elbow_link", "right_wrist_roll_link"),
    "left_wrist": ("left_wrist_yaw_link", None), "right_wrist": ("right_wrist_yaw_link", None),
}
SPINE = ("spine1", "spine2", "spine3")
# Reference pose: the G1 standing like SMPL-X's rest, arms straight out to the sides (joint angles in radians).
T_POSE = {"left_shoulder_roll": np.pi / 2, "right_shoulder_roll": -np.pi / 2,
          "left_elbow": np.pi / 2, "right_elbow": np.pi / 2}
# The data's world is Z-up like SMPL-X's; the robot's own frames face +x, SMPL-X faces -y: the reference pose
# stands the robot facing -y (yawed by this), so world turns away from it are SMPL-X world rotations as they are.
FACING_SMPLX = Rotation.from_euler("z", -90, degrees=True)


class G1Error(ValueError):
    pass


@dataclass
class G1Model:
    offsets: np.ndarray   # (30, 3) body origin in its parent's frame
    fixed: np.ndarray     # (30, 4) w-first: body rotation in its parent's frame at joint angle 0
    axes: np.ndarray      # (30, 3) joint axis in the body's frame (zero for the pelvis)


def body_index(name: str) -> int:
    return BODIES.index(name)


def fit_model(npz_path: str) -> G1Model:
    """The G1's kinematic tree measured from one NPZ (MuJoCo FK of joint angles); raises if it is not rigid."""
    data = np.load(npz_path)
    angles = data["joint_pos"].astype(np.float64)
    positions = data["body_pos_w"].astype(np.float64)
    world = [rotations.to_rotation(data["body_quat_w"][:, b]) for b in range(len(BODIES))]
    offsets, fixed, axes = np.zeros((30, 3)), np.zeros((30, 4)), np.zeros((30, 3))
    fixed[0, 0] = 1.0
    for body in range(1, len(BODIES)):
        parent = PARENTS[body]
        offset = world[parent].inv().apply(positions[:, body] - positions[:, parent])
        relative = world[parent].inv() * world[body]
        angle = angles[:, body - 1]
        low, high = int(np.argmin(angle)), int(np.argmax(angle))
        turn = (relative[low].inv() * relative[high]).as_rotvec()
        if np.linalg.norm(turn) < 1e-3:
            raise G1Error(f"{npz_path}: joint {JOINTS[body - 1]} barely moves; fit the model on another clip.")
        axis = turn / np.linalg.norm(turn) * np.sign(angle[high] - angle[low])
        base = relative * Rotation.from_rotvec(-axis[None] * angle[:, None])
        base_q = rotations.make_continuous(rotations.from_rotation(base))
        if offset.std(axis=0).max() > 1e-4 or np.abs(base_q - base_q.mean(axis=0)).max() > 1e-3:
            raise G1Error(f"{npz_path}: body {BODIES[body]} does not move rigidly with its joint.")
        offsets[body], axes[body] = offset.mean(axis=0), axis
        fixed[body] = rotations.normalize(base_q.mean(axis=0))
    return G1Model(offsets, fixed, axes)


@lru_cache(maxsize=2)
def default_model(data: str = DEFAULT_DATA) -> G1Model:
    """The model measured on J_Dance0_StepTouch (every joint moves in it), or on the first NPZ found."""
    folder = os.path.join(data, "training", "dance")
    candidates = sorted(glob.glob(os.path.join(folder, "*.npz")))
    if not candidates:
        raise G1Error(f"No G1 Moves NPZ files under {folder}; one is needed to measure the robot.")
    preferred = os.path.join(folder, "J_Dance0_StepTouch.npz")
    return fit_model(preferred if preferred in candidates else candidates[0])


def load_csv(path: str) -> tuple:
    """(root position (T, 3), root rotation (T, 4) w-first, joint angles (T, 29)) of a G1 Moves CSV."""
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 36:
        raise G1Error(f"{path}: a G1 Moves CSV has 36 columns, this one has {table.shape[-1]}.")
    return table[:, :3], rotations.normalize(table[:, [6, 3, 4, 5]]), table[:, 7:]


def forward(model: G1Model, root_position, root_rotation, angles) -> tuple:
    """World rotations (T, 30, 4) w-first and positions (T, 30, 3) of the G1 bodies."""
    frames = len(angles)
    world = np.zeros((frames, 30, 4))
    positions = np.zeros((frames, 30, 3))
    world[:, 0], positions[:, 0] = root_rotation, root_position
    for body in range(1, 30):
        parent = PARENTS[body]
        joint = rotations.from_rotation(Rotation.from_rotvec(model.axes[body][None] * angles[:, body - 1:body]))
        local = rotations.multiply(np.broadcast_to(model.fixed[body], (frames, 4)), joint)
        world[:, body] = rotations.multiply(world[:, parent], local)
        positions[:, body] = positions[:, parent] + rotations.rotate(world[:, parent], model.offsets[body])
    return world, positions


def reference_pose(model: G1Model) -> tuple:
    """World rotations and positions (30, …) of the G1 in T_POSE, pelvis at the origin, facing SMPL-X's -y."""
    angles = np.zeros((1, len(JOINTS)))
    for name, value in T_POSE.items():
        angles[0, JOINTS.index(name)] = value
    world, positions = forward(model, np.zeros((1, 3)), rotations.from_rotation(FACING_SMPLX), angles)
    return world[0], positions[0]


def _bone_in_link(model, reference_world, reference_positions, link, tip):
    """The bone of a limb link as a direction in SMPL-X's world at the reference pose."""
    if tip is not None:
        vector = reference_positions[body_index(tip)] - reference_positions[body_index(link)]
    else:   # feet and hands: along the link's x axis (forward for a foot, down the forearm for a hand)
        vector = rotations.rotate(reference_world[body_index(link)], np.array([1.0, 0.0, 0.0]))
    return vector / np.linalg.norm(vector)


def _corrections(model: G1Model) -> dict:
    """Per SMPL-X limb joint: the world rotation its rest bone needs to point where the G1 bone points in T_POSE."""
    reference_world, reference_positions = reference_pose(model)
    rest = SMPLX_SKELETON.rest_positions()
    corrections = {}
    for name, (link, tip) in LIMBS.items():
        child = SMPLX_SKELETON.children(SMPLX_SKELETON.index(name))
        if name.endswith("wrist"):   # the hand: from the wrist along the middle finger's base
            child = [SMPLX_SKELETON.index(name.split("_")[0] + "_middle1")]
        smplx_bone = rest[child[0]] - rest[SMPLX_SKELETON.index(name)]
        g1_bone = _bone_in_link(model, reference_world, reference_positions, link, tip)
        if name.endswith("ankle"):   # a flat G1 foot means a flat SMPL-X foot: compare them in the ground plane
            smplx_bone = smplx_bone * np.array([1.0, 1.0, 0.0])
        rotation, _ = Rotation.align_vectors([g1_bone], [smplx_bone / np.linalg.norm(smplx_bone)])
        corrections[name] = rotation
    return corrections


def _leg_length(model: G1Model) -> float:
    _, positions = reference_pose(model)
    hip, ankle = positions[body_index("left_hip_pitch_link")], positions[body_index("left_ankle_roll_link")]
    return float(hip[2] - ankle[2])


def smplx_leg_length() -> float:
    rest = SMPLX_SKELETON.rest_positions()
    return float(rest[SMPLX_SKELETON.index("left_hip"), 2] - rest[SMPLX_SKELETON.index("left_ankle"), 2])


def to_smplx(model: G1Model, world: np.ndarray, positions: np.ndarray, fps: float = FPS) -> MotionClip:
    """A SMPL-X body clip from G1 world rotations and positions (as `forward` returns them)."""
    frames = len(world)
    reference_world, _ = reference_pose(model)
    corrections = _corrections(model)

    def smplx_world(body, correction=None):
        """R(t) · R(ref)⁻¹ [· C]: the link's world turn away from the reference pose."""
        turn = rotations.to_rotation(world[:, body]) * rotations.to_rotation(reference_world[body]).inv()
        return turn * correction if correction is not None else turn

    target = {"pelvis": smplx_world(0)}
    torso = smplx_world(body_index("torso_link"))
    waist = (target["pelvis"].inv() * torso).as_rotvec()
    for i, name in enumerate(SPINE):   # the waist's turn shared evenly by the three spine joints
        target[name] = target["pelvis"] * Rotation.from_rotvec(waist * (i + 1) / len(SPINE))
    for name, (link, _) in LIMBS.items():
        target[name] = smplx_world(body_index(link), corrections[name])
    local = np.zeros((frames, len(SMPLX_SKELETON), 4))
    local[..., 0] = 1.0
    for name, rotation in target.items():
        j = SMPLX_SKELETON.index(name)
        ancestor = SMPLX_SKELETON.parents[j]
        while ancestor >= 0 and SMPLX_SKELETON.joint_names[ancestor] not in target:
            ancestor = SMPLX_SKELETON.parents[ancestor]
        relative = rotation if ancestor < 0 else target[SMPLX_SKELETON.joint_names[ancestor]].inv() * rotation
        local[:, j] = rotations.from_rotation(relative)
    scale = smplx_leg_length() / _leg_length(model)
    root = positions[:, 0] * scale
    clip = MotionClip(fps, SMPLX_SKELETON, rotations.make_continuous(local), root)
    return put_on_floor(clip)


def put_on_floor(clip: MotionClip, percentile: float = 5.0) -> MotionClip:
    """Shift the clip up or down so its lowest foot joint sits on SMPL-X's floor in most frames."""
    from ...clips.kinematics import joint_positions

    positions = joint_positions(clip)
    rest = SMPLX_SKELETON.rest_positions()
    lowest = np.full(clip.num_frames, np.inf)
    for name in ("left_ankle", "right_ankle", "left_foot", "right_foot"):
        j = SMPLX_SKELETON.index(name)
        lowest = np.minimum(lowest, positions[:, j, 2] - rest[j, 2])
    root = clip.root_translation.copy()
    root[:, 2] -= np.percentile(lowest, percentile)
    return MotionClip(clip.fps, clip.skeleton, clip.rotations, root)


def ground_feet(clip: MotionClip, jump_rise: float = 0.04, window_seconds: float = 2.0) -> MotionClip:
    """The clip with its lowest foot on the floor in every frame but real jumps.

    The robot retarget keeps the human's pelvis path but not the human's legs, so when the dancer bends the
    knees in a bounce the robot's feet leave the floor instead of the pelvis dropping. A jump is told apart by
    the pelvis: it rises (more than `jump_rise` above its running median) while the feet are off the floor;
    there the floor level is carried across from the frames around it."""
    from ..filters import gaussian_filter1d, median_filter
    from ...clips.kinematics import joint_positions

    positions = joint_positions(clip)
    rest = SMPLX_SKELETON.rest_positions()
    lowest = np.min([positions[:, SMPLX_SKELETON.index(n), 2] - rest[SMPLX_SKELETON.index(n), 2]
                     for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")], axis=0)
    pelvis = clip.root_translation[:, 2]
    usual = median_filter(pelvis, size=max(3, int(window_seconds * clip.fps)) | 1, mode="nearest")
    airborne = (lowest > 0.02) & (pelvis - usual > jump_rise)
    frames = np.arange(clip.num_frames)
    floor = lowest.copy()
    if airborne.any() and not airborne.all():
        floor[airborne] = np.interp(frames[airborne], frames[~airborne], lowest[~airborne])
    root = clip.root_translation.copy()
    root[:, 2] -= gaussian_filter1d(floor, 0.5 * clip.fps / 30.0, mode="nearest")
    return MotionClip(clip.fps, clip.skeleton, clip.rotations, root)


def read_g1(csv_path: str, model: G1Model = None, grounded: bool = True) -> MotionClip:
    """One G1 Moves CSV as a SMPL-X body clip at 60 fps; `grounded`: the lowest foot on the floor but in jumps
    (ground_feet), else the robot's own root height."""
    model = model or default_model()
    root_position, root_rotation, angles = load_csv(csv_path)
    world, positions = forward(model, root_position, root_rotation, angles)
    clip = to_smplx(model, world, positions)
    return ground_feet(clip) if grounded else clip


def dance_csvs(data: str = DEFAULT_DATA) -> list:
    return sorted(glob.glob(os.path.join(data, "retarget", "dance", "*.csv")))
