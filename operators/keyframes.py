"""Bulk keyframe writing: whole curves through `keyframe_points.add` + `foreach_set`, one new action per run.

Per-key `keyframe_insert` is ~300× slower (see bench/keyframes.py) and would freeze the UI on long audio.
"""

import bpy
import numpy as np

from ..clips import rotations
from . import previous_state
from .action_channels import ActionChannels

LINEAR = 1  # enum value of 'LINEAR' in FCurve keyframe interpolation


def _fill_fcurve(fcurve, frames: np.ndarray, values: np.ndarray):
    count = len(frames)
    points = fcurve.keyframe_points
    points.add(count)
    coordinates = np.empty((count, 2), dtype=np.float32)
    coordinates[:, 0] = frames
    coordinates[:, 1] = values
    points.foreach_set("co", coordinates.ravel())
    points.foreach_set("interpolation", np.full(count, LINEAR, dtype=np.int32))
    fcurve.update()


def _write_action(id_block, action_name: str, curves) -> bpy.types.Action:
    """curves: iterable of (data_path, index, group, frames, values). Built fully before it is assigned."""
    channels = ActionChannels(action_name, id_block)
    try:
        for data_path, index, group, frames, values in curves:
            _fill_fcurve(channels.new_fcurve(data_path, index, group), frames, values)
        previous_state.remember(channels.action, id_block, [(path, index) for path, index, *_ in curves])
    except BaseException:
        channels.discard()
        raise
    channels.assign()
    return channels.action


def _frames(frame_start: float, count: int) -> np.ndarray:
    return float(frame_start) + np.arange(count, dtype=np.float64)


def write_shape_key_action(mesh_obj, action_name: str, frame_start: float, key_values: dict) -> bpy.types.Action:
    """Animate `mesh_obj`'s shape keys: key_values[key_name] is one value per frame from frame_start."""
    key = mesh_obj.data.shape_keys
    missing = [name for name in key_values if name not in key.key_blocks]
    if missing:
        raise KeyError(f"{mesh_obj.name} has no shape keys named {', '.join(missing)}.")
    curves = []
    for name, values in key_values.items():
        values = np.asarray(values, dtype=np.float64)
        path = f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'
        curves.append((path, 0, name, _frames(frame_start, len(values)), values))
    return _write_action(key, action_name, curves)


def _rotation_channels(pose_bone, quats_wxyz: np.ndarray):
    """Curves for a bone's rotation in whatever rotation mode the user gave it (their rig stays as it is)."""
    quats = rotations.make_continuous(rotations.normalize(quats_wxyz))
    mode = pose_bone.rotation_mode
    if mode == "QUATERNION":
        return "rotation_quaternion", quats
    rotation = rotations.to_rotation(quats)
    if mode == "AXIS_ANGLE":
        rotvec = rotation.as_rotvec()
        angle = np.linalg.norm(rotvec, axis=1)
        axis = np.where(angle[:, None] > 1e-9, rotvec / np.maximum(angle[:, None], 1e-12), [0.0, 1.0, 0.0])
        return "rotation_axis_angle", np.column_stack([angle, axis])
    # Blender's 'ZXY' applies Z first, like scipy's extrinsic "zxy"; Blender stores the angles as (x, y, z).
    order = mode.lower()
    angles = rotation.as_euler(order)[:, [order.index(axis) for axis in "xyz"]]
    return "rotation_euler", np.unwrap(angles, axis=0)


def write_pose_action(armature_obj, action_name: str, frame_start: float, bone_rotations: dict,
                      bone_locations: dict = None) -> bpy.types.Action:
    """Animate pose bones: local rotations (T, 4) w-first and locations (T, 3) in each bone's rest frame."""
    bone_locations = bone_locations or {}
    pose_bones = armature_obj.pose.bones
    missing = [name for name in list(bone_rotations) + list(bone_locations) if name not in pose_bones]
    if missing:
        raise KeyError(f"{armature_obj.name} has no bones named {', '.join(sorted(set(missing)))}.")
    curves = []
    for name, quats in bone_rotations.items():
        prop, channels = _rotation_channels(pose_bones[name], np.asarray(quats, dtype=np.float64))
        path = f'pose.bones["{bpy.utils.escape_identifier(name)}"].{prop}'
        frames = _frames(frame_start, len(channels))
        curves.extend((path, i, name, frames, channels[:, i]) for i in range(channels.shape[1]))
    for name, locations in bone_locations.items():
        locations = np.asarray(locations, dtype=np.float64)
        path = f'pose.bones["{bpy.utils.escape_identifier(name)}"].location'
        frames = _frames(frame_start, len(locations))
        curves.extend((path, i, name, frames, locations[:, i]) for i in range(3))
    return _write_action(armature_obj, action_name, curves)
