"""Forward kinematics of a MotionClip: world joint rotations and positions per frame."""

import numpy as np

from . import rotations
from .motion import MotionClip


def world_transforms(clip: MotionClip):
    """World rotations (T, J, 4) w-first and world positions (T, J, 3) of every joint."""
    frames, joints = clip.rotations.shape[:2]
    local = rotations.normalize(clip.rotations)
    world = np.zeros((frames, joints, 4))
    positions = np.zeros((frames, joints, 3))
    offsets = clip.skeleton.offsets
    for j, parent in enumerate(clip.skeleton.parents):
        if parent < 0:
            world[:, j] = local[:, j]
            positions[:, j] = clip.root_translation
        else:
            world[:, j] = rotations.multiply(world[:, parent], local[:, j])
            positions[:, j] = positions[:, parent] + rotations.rotate(world[:, parent], offsets[j])
    return world, positions


def joint_positions(clip: MotionClip) -> np.ndarray:
    return world_transforms(clip)[1]
