"""Motion files as other capture systems and generators write them, made from the shared CMU capture (no
BEAT2, EMAGE, AMASS or Bandai-Namco file is available here): the same conventions, synthetic content.

- SMPL-X `.npz` as BEAT2 and EMAGE write it: `poses` (T, 165), `trans`, `betas` (300), `expressions` (T, 100),
  `gender`, `model`, `mocap_frame_rate`, in a Y-up world; as AMASS writes it: the same keys in a Z-up world.
- A BVH laid out like Bandai-Namco's motion dataset: a still `joint_Root` at the floor above `Hips`, which
  carries all the translation; Y-up, centimetres; its spine twists one joint +45 deg and the next one back.
"""

import numpy as np
from scipy.spatial.transform import Rotation

from soundmotion.clips import MotionClip, rotations
from soundmotion.clips.kinematics import world_transforms
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.retarget.bone_map import load_preset
from soundmotion.retarget.canonical import canonical_tails
from soundmotion.retarget.motion_file import MotionSource
from soundmotion.retarget.pipeline import retarget_source
from soundmotion.retarget.rig import RigRest
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
