"""Bulk keyframe writing: whole curves through `keyframe_points.add` + `foreach_set` (handles too), one new
action per run, placed as one strip on the take's own NLA track (action_channels.place_take).

By default a take is keyed at its poses (takes/key_poses.py): keys where the performance has its poses, at each
curve's extremes and where else tolerance needs one, with aligned Bezier handles that make Blender's evaluation
reproduce the performance (broken, FREE handles where the motion turns sharply); pose keys are shown as keyframes,
extremes as extremes, in-betweens as breakdowns. A bone's rotation tolerance shrinks with the bones it carries
(key_poses.chain_scales), since errors add up along a chain.
`KeyStyle(mode="FRAMES")` keys every frame (linear), `KeyStyle(step=2)` holds constant keys on twos.
Per-key `keyframe_insert` is ~300× slower (see bench/keyframes.py) and would freeze the UI on long audio.
"""

import bpy
import numpy as np

from ..clips import rotations
from ..takes import bezier
from ..takes.key_poses import BREAKDOWN, EXTREME, POSE, CurveBlock, KeyStyle, chain_scales
from . import previous_state
from .action_channels import ActionChannels, place_take, take_on_track

INTERPOLATION = {"CONSTANT": 0, "LINEAR": 1, "BEZIER": 2}  # enum values of FCurve keyframe interpolation
FREE, ALIGNED = 0, 3                                        # enum values of the 'FREE' and 'ALIGNED' handle types
KEY_TYPE = np.zeros(3, dtype=np.int32)                      # key role → 'KEYFRAME', 'EXTREME', 'BREAKDOWN'
KEY_TYPE[[POSE, EXTREME, BREAKDOWN]] = [0, 1, 2]
KEY_ITEMS = [("POSES", "Poses", "Keys at the performance's poses and extremes, Bezier in between (editable)"),
             ("FRAMES", "Every Frame", "A key on every frame (a bake)")]


def _fill_fcurve(fcurve, frame_start: float, keys, channel: int):
    count = len(keys)
    points = fcurve.keyframe_points
    points.add(count)
    frames = keys.frames.astype(np.float64) + float(frame_start)
    values = keys.values[:, channel]
    points.foreach_set("co", np.column_stack([frames, values]).astype(np.float32).ravel())
    points.foreach_set("interpolation", np.full(count, INTERPOLATION[keys.interpolation], dtype=np.int32))
    types = KEY_TYPE[keys.roles]
    if types.any():  # new keys are plain keyframes already
        points.foreach_set("type", types)
    if keys.interpolation == "BEZIER":
        left_slopes = None if keys.left_slopes is None else keys.left_slopes[:, channel]
        left, right = bezier.handles(frames, values, keys.slopes[:, channel], left_slopes)
        points.foreach_set("handle_left", left[:, 0].astype(np.float32).ravel())
        points.foreach_set("handle_right", right[:, 0].astype(np.float32).ravel())
        kinds = np.where(keys.broken, FREE, ALIGNED).astype(np.int32)
        points.foreach_set("handle_left_type", kinds)
        points.foreach_set("handle_right_type", kinds)
    fcurve.update()


def _write_action(id_block, action_name: str, frame_start: float, groups, style: KeyStyle) -> bpy.types.Action:
    """groups: [(group name, [(data_path, first index, CurveBlock)])], each group keyed on shared frames.

    Built fully before it is placed on the datablock's NLA."""
    channels = ActionChannels(action_name, id_block)
    length = max(len(block.values) for _, blocks in groups for *_, block in blocks)
    try:
        for group, blocks in groups:
            keyed = style.reduce([block for *_, block in blocks], group)
            for (data_path, first, block), keys in zip(blocks, keyed):
                for channel in range(block.values.shape[1]):
                    _fill_fcurve(channels.new_fcurve(data_path, first + channel, group), frame_start, keys, channel)
        action = channels.action
        action.use_frame_range = True  # the strip covers the whole take, even when its last key comes earlier
        action.frame_start, action.frame_end = float(frame_start), float(frame_start + max(length - 1, 1))
        paths = [(path, first + c) for _, blocks in groups for path, first, block in blocks
                 for c in range(block.values.shape[1])]
        values = previous_state.read_values(id_block, paths)
        previous_state.store(action, values, place_take(id_block, action, channels.slot, values))
    except BaseException:
        channels.discard()
        raise
    return action


def write_shape_key_action(mesh_obj, action_name: str, frame_start: float, key_values: dict,
                           style: KeyStyle = None) -> bpy.types.Action:
    """Animate `mesh_obj`'s shape keys: key_values[key_name] is one value per frame from frame_start."""
    style = style or KeyStyle()
    key = mesh_obj.data.shape_keys
    missing = [name for name in key_values if name not in key.key_blocks]
    if missing:
        raise KeyError(f"{mesh_obj.name} has no shape keys named {', '.join(missing)}.")
    groups = []
    for name, values in key_values.items():
        path = f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'
        groups.append((name, [(path, 0, CurveBlock(values, "value", style.value_tolerance))]))
    return _write_action(key, action_name, frame_start, groups, style)


def write_property_action(obj, action_name: str, frame_start: float, name: str, values, maximum: int,
                          rest: int = 0):
    """Key an integer custom property (a 2D mouth's shape index) with constant keys where it changes; a property
    made here starts at `rest` (its value outside the take)."""
    if name not in obj:
        obj[name] = int(rest)
        obj.id_properties_ui(name).update(min=0, max=int(maximum), default=int(rest),
                                          description="Mouth shape index (SoundMotion)")
    block = CurveBlock(np.asarray(values, dtype=np.float64), "value", 0.5)
    return _write_action(obj, action_name, frame_start, [(name, [(f'["{name}"]', 0, block)])], KeyStyle(step=1))


def _rotation_channels(pose_bone, quats_wxyz: np.ndarray):
    """Curves for a bone's rotation in whatever rotation mode the user gave it (their rig stays as it is):
    (property, (T, C) values, how their error is measured)."""
    quats = rotations.make_continuous(rotations.normalize(quats_wxyz))
    mode = pose_bone.rotation_mode
    if mode == "QUATERNION":
        return "rotation_quaternion", quats, "quaternion"
    rotation = rotations.to_rotation(quats)
    if mode == "AXIS_ANGLE":
        rotvec = rotation.as_rotvec()
        angle = np.linalg.norm(rotvec, axis=1)
        axis = np.where(angle[:, None] > 1e-9, rotvec / np.maximum(angle[:, None], 1e-12), [0.0, 1.0, 0.0])
        return "rotation_axis_angle", np.column_stack([angle, axis]), "axis_angle"
    # Blender's 'ZXY' applies Z first, like scipy's extrinsic "zxy"; Blender stores the angles as (x, y, z).
    order = mode.lower()
    angles = rotation.as_euler(order)[:, [order.index(axis) for axis in "xyz"]]
    return "rotation_euler", np.unwrap(angles, axis=0), f"euler_{mode}"


def write_pose_action(armature_obj, action_name: str, frame_start: float, bone_rotations: dict,
                      bone_locations: dict = None, style: KeyStyle = None) -> bpy.types.Action:
    """Animate pose bones: local rotations (T, 4) w-first and locations (T, 3) in each bone's rest frame.

    A bone's rotation and location channels share their key frames. `style.pose_frames` may name each bone's own."""
    style = style or KeyStyle()
    bone_locations = bone_locations or {}
    pose_bones = armature_obj.pose.bones
    missing = [name for name in list(bone_rotations) + list(bone_locations) if name not in pose_bones]
    if missing:
        raise KeyError(f"{armature_obj.name} has no bones named {', '.join(sorted(set(missing)))}.")
    scale = float(np.abs(np.asarray(armature_obj.matrix_world.to_scale())).max()) or 1.0
    groups = {}
    parents = {bone.name: bone.parent.name if bone.parent else None for bone in armature_obj.data.bones}
    shares = chain_scales(parents, bone_rotations)
    for name, quats in bone_rotations.items():
        prop, channels, measure = _rotation_channels(pose_bones[name], np.asarray(quats, dtype=np.float64))
        path = f'pose.bones["{bpy.utils.escape_identifier(name)}"].{prop}'
        block = CurveBlock(channels, measure, style.rotation_tolerance * shares[name])
        groups.setdefault(name, []).append((path, 0, block))
    for name, locations in bone_locations.items():
        path = f'pose.bones["{bpy.utils.escape_identifier(name)}"].location'
        block = CurveBlock(locations, "distance", style.location_tolerance / scale)
        groups.setdefault(name, []).append((path, 0, block))
    return _write_action(armature_obj, action_name, frame_start, list(groups.items()), style)


def rekey_bone(armature_obj, take_name: str, frame_start: float, bone: str, quats_wxyz, style: KeyStyle = None):
    """The next version of the armature's take on track `take_name` with `bone`'s rotation keyed from `quats_wxyz`
    (T, 4) and every other curve as it was: a Talk take's jaw, re-applied from an edited phone track. Without
    such a take, a new one holds the bone alone."""
    style = style or KeyStyle()
    old = take_on_track(armature_obj, take_name)
    if old is None:
        return write_pose_action(armature_obj, take_name, frame_start, {bone: quats_wxyz}, style=style)
    pose_bone = armature_obj.pose.bones[bone]
    prop, values, measure = _rotation_channels(pose_bone, np.asarray(quats_wxyz, dtype=np.float64))
    path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{prop}'
    parents = {b.name: b.parent.name if b.parent else None for b in armature_obj.data.bones}
    share = chain_scales(parents, [bone])[bone]
    channels = ActionChannels.copy_of(old.action, getattr(old, "action_slot", None), armature_obj)
    try:
        channels.remove_fcurves(path)
        keys = style.reduce([CurveBlock(values, measure, style.rotation_tolerance * share)], bone)[0]
        for channel in range(values.shape[1]):
            _fill_fcurve(channels.new_fcurve(path, channel, bone), frame_start, keys, channel)
        action = channels.action
        stored = previous_state.stored_values(old.action)
        previous_state.store(action, stored, place_take(armature_obj, action, channels.slot, stored))
    except BaseException:
        channels.discard()
        raise
    return action
