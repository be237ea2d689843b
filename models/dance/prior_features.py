"""Features the motion prior sees: 6D rotations (two matrix columns) of the body joints below the pelvis, per frame."""

import numpy as np

from ...clips import rotations
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON

PRIOR_FPS = 30.0
WINDOW = 12                     # frames at PRIOR_FPS: 0.4 s, about a beat at dance tempos
PRIOR_JOINTS = ("left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
                "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
                "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
UPPER_BODY = ("spine1", "spine2", "spine3", "neck", "head", "left_collar", "right_collar", "left_shoulder",
              "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
JOINT_INDEX = [SMPLX_SKELETON.index(n) for n in PRIOR_JOINTS]
MIRROR_INDEX = [PRIOR_JOINTS.index(n.replace("left_", "@").replace("right_", "left_").replace("@", "right_"))
                for n in PRIOR_JOINTS]


def to_features(local_quats: np.ndarray) -> np.ndarray:
    """(T, 55, 4) local rotations → (T, len(PRIOR_JOINTS) * 6)."""
    q = local_quats[:, JOINT_INDEX]
    matrices = rotations.to_rotation(q).as_matrix().reshape(q.shape[0], q.shape[1], 3, 3)
    return matrices[..., :2].transpose(0, 1, 3, 2).reshape(q.shape[0], -1)


def from_features(features: np.ndarray) -> np.ndarray:
    """(T, J*6) → (T, J, 4) unit quaternions, w first (Gram-Schmidt on the two columns)."""
    frames = features.shape[0]
    pairs = features.reshape(frames, -1, 2, 3)
    a = pairs[:, :, 0] / np.maximum(np.linalg.norm(pairs[:, :, 0], axis=-1, keepdims=True), 1e-9)
    b = pairs[:, :, 1] - np.sum(a * pairs[:, :, 1], axis=-1, keepdims=True) * a
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-9)
    c = np.cross(a, b)
    matrices = np.stack([a, b, c], axis=-1)
    return rotations.from_rotation(Rotation.from_matrix(matrices.reshape(-1, 3, 3)), (frames, pairs.shape[1]))


def mirrored(local_quats: np.ndarray) -> np.ndarray:
    """The motion reflected left↔right (x → -x): swap sides, negate the quaternions' y and z parts."""
    q = local_quats.copy()
    q[..., 2:] *= -1.0
    swapped = q.copy()
    for j, name in enumerate(SMPLX_SKELETON.joint_names):
        if name.startswith(("left_", "right_")):
            other = name.replace("left_", "@").replace("right_", "left_").replace("@", "right_")
            swapped[:, j] = q[:, SMPLX_SKELETON.index(other)]
    return swapped
