"""Forward kinematics of a MotionClip: world joint rotations and positions per frame."""

import numpy as np

from . import rotations
from .motion import MotionClip


def world_transforms(clip: MotionClip):
    """World rotations (T, J, 4) w-first and world positions (T, J, 3) of every joint."""
    frames, joints = clip.rotations.shape[:2]
    world_rot = [None] * joints
    positions = np.zeros((frames, joints, 3))
    offsets = clip.skeleton.offsets
    for j, parent in enumerate(clip.skeleton.parents):
        local = rotations.to_rotation(clip.rotations[:, j])
        if parent < 0:
            world_rot[j] = local
            positions[:, j] = clip.root_translation
        else:
            world_rot[j] = world_rot[parent] * local
            positions[:, j] = positions[:, parent] + world_rot[parent].apply(offsets[j])
    quats = np.stack([rotations.from_rotation(r) for r in world_rot], axis=1)
    return quats, positions


def joint_positions(clip: MotionClip) -> np.ndarray:
    return world_transforms(clip)[1]
