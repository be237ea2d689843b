"""Motion files as other capture systems and generators write them, made from the shared CMU capture (no
BEAT2, EMAGE, AMASS or Bandai-Namco file is available here): the same conventions, synthetic content.

- SMPL-X `.npz` as BEAT2 and EMAGE write it: `poses` (T, 165), `trans`, `betas` (300), `expressions` (T, 100),
  `gender`, `model`, `mocap_frame_rate`, in a Y-up world; as AMASS writes it: the same keys in a Z-up world.
- A BVH laid out like Bandai-Namco's motion dataset: a still `joint_Root` at the floor above `Hips`, which
  carries all the translation; Y-up, centimetres; its spine twists one joint +45 deg and the next one back.
"""

import pathlib

import numpy as np
from scipy.spatial.transform import Rotation

from soundmotion.clips import MotionClip, rotations
from soundmotion.clips.kinematics import world_transforms
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.retarget.bone_map import BoneMap, load_preset
from soundmotion.retarget.canonical import canonical_tails
from soundmotion.retarget.motion_file import MotionSource
from soundmotion.retarget.pipeline import retarget_source
from soundmotion.retarget.rig import RigPose, RigRest
from soundmotion.retarget.sources.smplx_npz import clip_to_smplx_arrays


def smplx_clip_from(source: MotionSource) -> MotionClip:
    """The source's motion on the canonical SMPL-X skeleton (what a SMPL-X fit of the same take would hold)."""
    rig = RigRest.from_skeleton(SMPLX_SKELETON, canonical_tails(SMPLX_SKELETON))
    result = retarget_source(source, rig, load_preset("smplx_addon"), keep_feet=False)
    frames = result.num_frames
    quats = np.tile(rotations.IDENTITY_WXYZ, (frames, len(SMPLX_SKELETON), 1))
    for j, name in enumerate(SMPLX_SKELETON.joint_names):
        if name in result.bone_rotations:
            quats[:, j] = result.bone_rotations[name]
    root = rig.heads[0] + result.bone_locations["pelvis"]
    return MotionClip(source.fps, SMPLX_SKELETON, rotations.normalize(quats), root)


def write_beat2_npz(path, clip: MotionClip, up_axis: str = "Y", centimetres: bool = False):
    """BEAT2 / EMAGE layout (Y-up world) or, with up_axis="Z", AMASS's SMPL-X layout."""
    arrays = clip_to_smplx_arrays(clip, up_axis)
    if centimetres:
        arrays["trans"] = arrays["trans"] * 100.0
    np.savez(path, betas=np.zeros(300), expressions=np.zeros((clip.num_frames, 100)), gender=np.array("neutral"),
             model=np.array("smplx2020"), **arrays)
    return path


BANDAI_JOINTS = (  # (name, canonical joint, parent name)
    ("Hips", "pelvis", "joint_Root"), ("Spine", "spine1", "Hips"), ("Chest", "spine3", "Spine"),
    ("Neck", "neck", "Chest"), ("Head", "head", "Neck"),
    ("Shoulder_L", "left_collar", "Chest"), ("UpperArm_L", "left_shoulder", "Shoulder_L"),
    ("LowerArm_L", "left_elbow", "UpperArm_L"), ("Hand_L", "left_wrist", "LowerArm_L"),
    ("Shoulder_R", "right_collar", "Chest"), ("UpperArm_R", "right_shoulder", "Shoulder_R"),
    ("LowerArm_R", "right_elbow", "UpperArm_R"), ("Hand_R", "right_wrist", "LowerArm_R"),
    ("UpperLeg_L", "left_hip", "Hips"), ("LowerLeg_L", "left_knee", "UpperLeg_L"),
    ("Foot_L", "left_ankle", "LowerLeg_L"), ("Toes_L", "left_foot", "Foot_L"),
    ("UpperLeg_R", "right_hip", "Hips"), ("LowerLeg_R", "right_knee", "UpperLeg_R"),
    ("Foot_R", "right_ankle", "LowerLeg_R"), ("Toes_R", "right_foot", "Foot_R"),
)
HIDDEN_TWIST_DEG = 45.0


def write_bandai_bvh(path, clip: MotionClip, hidden_twist_deg: float = HIDDEN_TWIST_DEG):
    """A Bandai-Namco-style BVH of the canonical clip (see the module note)."""
    world, positions = world_transforms(clip)
    rest = SMPLX_SKELETON.rest_positions()
    index = {name: SMPLX_SKELETON.index(joint) for name, joint, _ in BANDAI_JOINTS}
    to_y_up = rotations.Y_UP_TO_Z_UP.inv()
    frames = clip.num_frames
    world_y = {name: to_y_up * rotations.to_rotation(world[:, j]) * to_y_up.inv() for name, j in index.items()}
    # A twist about the spine's own (vertical) axis on Spine, undone on Chest: no joint moves.
    twist = Rotation.from_rotvec(np.outer(np.full(frames, np.radians(hidden_twist_deg)), [0.0, 1.0, 0.0]))
    world_y["Spine"] = world_y["Spine"] * twist
    lines, channels = ["HIERARCHY", "ROOT joint_Root", "{", "  OFFSET 0 0 0",
                       "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"], []
    children = {}
    for name, _, parent in BANDAI_JOINTS:
        children.setdefault(parent, []).append(name)
    parents = {name: parent for name, _, parent in BANDAI_JOINTS}

    def offset_of(name):
        here = to_y_up.apply(rest[index[name]]) * 100.0
        parent = parents[name]
        return here if parent == "joint_Root" else here - to_y_up.apply(rest[index[parent]]) * 100.0

    def emit(name, depth):
        pad = "  " * depth
        lines.append(f"{pad}JOINT {name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.4f}' for v in offset_of(name))}")
        if name == "Hips":
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation")
        else:
            lines.append(f"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation")
        channels.append(name)
        for child in children.get(name, []):
            emit(child, depth + 1)
        if name not in children:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 5 0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit("Hips", 1)
    lines += ["}", "MOTION", f"Frames: {frames}", f"Frame Time: {1.0 / clip.fps:.8f}"]
    columns = [np.zeros((frames, 6))]
    for name in channels:
        parent = parents[name]
        local = world_y[name] if parent == "joint_Root" else world_y[parent].inv() * world_y[name]
        euler = local.as_euler("ZXY", degrees=True)
        if name == "Hips":
            columns.append(to_y_up.apply(positions[:, index[name]]) * 100.0)
        columns.append(euler)
    data = np.concatenate(columns, axis=1)
    lines += [" ".join(f"{v:.5f}" for v in row) for row in data]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


BANDAI_MAP = {joint: name for name, joint, _ in BANDAI_JOINTS}


# G1 Moves (MOVIN TRACIN markerless capture, CC BY 4.0) as retargeted to the Unitree G1 robot: the 30 bodies'
# world poses from MuJoCo. Another capture system than CMU, with robot proportions and joints; no head, neck,
# fingers or toes, so those ride rigidly on the torso, the feet and the hands (virtual joints below).
G1 = pathlib.Path(__file__).resolve().parents[2] / "shared" / "mocap" / "g1_moves"
# The robot has no collar bones: its shoulder joints (the pitch links, on their axes) sit on the torso.
G1_BODIES = {"pelvis": 0, "left_hip": 2, "left_knee": 4, "left_ankle": 5, "right_hip": 8, "right_knee": 10,
             "right_ankle": 11, "spine1": 15, "left_shoulder": 16, "left_elbow": 19, "left_wrist": 21,
             "right_shoulder": 23, "right_elbow": 26, "right_wrist": 28}
# Virtual joints: (name, the body they ride on, offset in metres in that body's frame: X forward, Y left, Z up).
G1_VIRTUAL = (("left_foot", "left_ankle", (0.12, 0.0, -0.03)), ("right_foot", "right_ankle", (0.12, 0.0, -0.03)),
              ("spine3", "spine1", (0.0, 0.0, 0.2)), ("neck", "spine1", (0.0, 0.0, 0.3)),
              ("head", "spine1", (0.0, 0.0, 0.42)))


def g1_source(name: str, seconds: float = 20.0) -> MotionSource:
    """A G1 Moves clip (training/*/<name>.npz) at 30 fps as a posed rig, facing -Y at its most neutral frame."""
    path = next(G1.glob(f"training/*/{name}.npz"))
    with np.load(path) as data:
        positions = np.asarray(data["body_pos_w"], dtype=np.float64)[::2]
        quats = rotations.normalize(np.asarray(data["body_quat_w"], dtype=np.float64)[::2])
        angles = np.asarray(data["joint_pos"], dtype=np.float64)[::2]
    frames = min(len(positions), int(seconds * 30))
    positions, quats, angles = positions[:frames], quats[:frames], angles[:frames]
    rest_frame = int(np.argmin(np.linalg.norm(angles, axis=1)))
    # Face -Y at the rest frame: the robot's front is its pelvis's +X.
    front = rotations.rotate(quats[rest_frame, 0], [1.0, 0.0, 0.0])
    turn = Rotation.from_rotvec([0.0, 0.0, -np.pi / 2 - np.arctan2(front[1], front[0])])
    positions = turn.apply(positions.reshape(-1, 3)).reshape(positions.shape)
    quats = rotations.multiply(rotations.from_rotation(turn)[0], quats)
    names, parents, heads, world = [], [], [], []
    body_parent = {"left_hip": "pelvis", "left_knee": "left_hip", "left_ankle": "left_knee", "right_hip": "pelvis",
                   "right_knee": "right_hip", "right_ankle": "right_knee", "spine1": "pelvis",
                   "left_shoulder": "spine3", "left_elbow": "left_shoulder", "left_wrist": "left_elbow",
                   "right_shoulder": "spine3", "right_elbow": "right_shoulder", "right_wrist": "right_elbow"}
    order = ["pelvis", "left_hip", "left_knee", "left_ankle", "left_foot", "right_hip", "right_knee",
             "right_ankle", "right_foot", "spine1", "spine3", "neck", "head", "left_shoulder", "left_elbow",
             "left_wrist", "right_shoulder", "right_elbow", "right_wrist"]
    virtual = {name: (parent, np.array(offset)) for name, parent, offset in G1_VIRTUAL}
    track = {}
    for name in order:
        if name in G1_BODIES:
            b = G1_BODIES[name]
            track[name] = (positions[:, b], quats[:, b])
        else:
            parent, offset = virtual[name]
            base, q = track[parent]
            track[name] = (base + rotations.rotate(q, offset), q)
    for name in order:
        names.append(name)
        parent = body_parent.get(name, virtual.get(name, (None,))[0])
        parents.append(order.index(parent) if parent else -1)
        heads.append(track[name][0])
        world.append(track[name][1])
    heads = np.stack(heads, axis=1)
    world = np.stack(world, axis=1)
    tails = heads[rest_frame].copy()
    for j, name in enumerate(order):
        kids = [k for k, p in enumerate(parents) if p == j]
        if kids:
            tails[j] = heads[rest_frame, kids[0]]
        else:  # the hands and the head continue their bones; the toes point forward
            tails[j] = heads[rest_frame, j] + 0.5 * (heads[rest_frame, j] - heads[rest_frame, parents[j]])
    rig = RigRest(order, parents, heads[rest_frame], tails, world[rest_frame])
    bone_map = BoneMap("g1", {name: name for name in order})
    return MotionSource(RigPose(rig, world, heads), bone_map, 30.0, f"g1:{name}")
