"""CMU mocap (Character Creator `CC_Base_*` BVH) as SMPL-X body rotations, for the bench's reference figures and
for training the motion prior. Not used at run time."""

import numpy as np

from ...clips import rotations
from ...clips.kinematics import world_transforms
from ...clips.motion import MotionClip
from ...clips.skeleton import SMPLX_SKELETON

CC_TO_SMPLX = {
    "CC_Base_Pelvis": "pelvis", "CC_Base_L_Thigh": "left_hip", "CC_Base_R_Thigh": "right_hip",
    "CC_Base_Waist": "spine1", "CC_Base_L_Calf": "left_knee", "CC_Base_R_Calf": "right_knee",
    "CC_Base_Spine01": "spine2", "CC_Base_L_Foot": "left_ankle", "CC_Base_R_Foot": "right_ankle",
    "CC_Base_Spine02": "spine3", "CC_Base_L_ToeBase": "left_foot", "CC_Base_R_ToeBase": "right_foot",
    "CC_Base_NeckTwist01": "neck", "CC_Base_L_Clavicle": "left_collar", "CC_Base_R_Clavicle": "right_collar",
    "CC_Base_Head": "head", "CC_Base_L_Upperarm": "left_shoulder", "CC_Base_R_Upperarm": "right_shoulder",
    "CC_Base_L_Forearm": "left_elbow", "CC_Base_R_Forearm": "right_elbow",
    "CC_Base_L_Hand": "left_wrist", "CC_Base_R_Hand": "right_wrist",
}
BODY_JOINTS = tuple(CC_TO_SMPLX.values())


def read_cmu(path):
    """(the file's own clip with frame 0's T-pose dropped, SMPL-X body clip with the same world joint rotations)."""
    from ...retarget.sources.bvh import read_bvh

    source = read_bvh(path).clip
    world, positions = world_transforms(source)
    world, positions = world[1:], positions[1:]
    corrections = _rest_corrections(source.skeleton)
    source = MotionClip(source.fps, source.skeleton, source.rotations[1:], source.root_translation[1:])
    frames = source.num_frames
    target_world = np.zeros((frames, len(SMPLX_SKELETON), 4))
    target_world[..., 0] = 1.0
    for cc_name, name in CC_TO_SMPLX.items():
        j = SMPLX_SKELETON.index(name)
        target_world[:, j] = rotations.multiply(world[:, source.skeleton.index(cc_name)],
                                                np.broadcast_to(corrections[name], (frames, 4)))
    # Joints without a counterpart (hands, face) follow their parent: local identity.
    local = np.zeros_like(target_world)
    local[..., 0] = 1.0
    for j, parent in enumerate(SMPLX_SKELETON.parents):
        name = SMPLX_SKELETON.joint_names[j]
        if name not in BODY_JOINTS:
            continue
        if parent < 0:
            local[:, j] = target_world[:, j]
        else:
            ancestor = parent
            while SMPLX_SKELETON.joint_names[ancestor] not in BODY_JOINTS:
                ancestor = SMPLX_SKELETON.parents[ancestor]
            local[:, j] = rotations.multiply(_inverse(target_world[:, ancestor]), target_world[:, j])
    root = positions[:, source.skeleton.index("CC_Base_Pelvis")]
    body = MotionClip(source.fps, SMPLX_SKELETON, rotations.make_continuous(rotations.normalize(local)), root)
    return source, body


def cc_positions(source: MotionClip) -> tuple:
    """World positions (T, 22, 3) of the CC joints that match SMPL-X body joints, in BODY_JOINTS order."""
    positions = world_transforms(source)[1]
    return positions[:, [source.skeleton.index(cc) for cc in CC_TO_SMPLX]]


# The bone each joint's correction aligns (joint -> child); wrists and toes reuse their parent's.
_BONE_CHILD = {"pelvis": "spine1", "left_hip": "left_knee", "right_hip": "right_knee", "spine1": "spine2",
               "left_knee": "left_ankle", "right_knee": "right_ankle", "spine2": "spine3", "left_ankle": "left_foot",
               "right_ankle": "right_foot", "spine3": "neck", "neck": "head", "left_collar": "left_shoulder",
               "right_collar": "right_shoulder", "left_shoulder": "left_elbow", "right_shoulder": "right_elbow",
               "left_elbow": "left_wrist", "right_elbow": "right_wrist"}


def _rest_corrections(cc_skeleton) -> dict:
    """Per SMPL-X joint, the rotation C with world_cc · C acting on SMPL-X's T-pose bone as world_cc on CC's rest
    bone: the CC rest (the file's first frame) is not a T-pose, SMPL-X's is."""
    from ...clips.rotations import Rotation

    cc_rest = cc_skeleton.rest_positions()
    smplx_rest = SMPLX_SKELETON.rest_positions()
    smplx_to_cc = {v: k for k, v in CC_TO_SMPLX.items()}
    corrections = {}
    for name in BODY_JOINTS:
        child = _BONE_CHILD.get(name)
        if child is None:
            continue
        cc_bone = cc_rest[cc_skeleton.index(smplx_to_cc[child])] - cc_rest[cc_skeleton.index(smplx_to_cc[name])]
        smplx_bone = smplx_rest[SMPLX_SKELETON.index(child)] - smplx_rest[SMPLX_SKELETON.index(name)]
        rotation, _ = Rotation.align_vectors([cc_bone], [smplx_bone])
        corrections[name] = rotations.from_rotation(rotation)[0]
    for name, parent in (("head", "neck"), ("left_wrist", "left_elbow"), ("right_wrist", "right_elbow"),
                         ("left_foot", "left_ankle"), ("right_foot", "right_ankle")):
        corrections[name] = corrections[parent]
    return corrections


def _inverse(q):
    inv = np.array(q, dtype=np.float64, copy=True)
    inv[..., 1:] *= -1.0
    return inv
