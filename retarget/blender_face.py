"""The bpy side of bone-driven faces: find an armature's face poses (an Action with one marked pose per viseme
or ARKit channel, Blender pose assets, or a built-in face rig such as Rigify's), read them into a FacePoses,
and keep the map from face channels to poses on the armature (edited in the Face Rig panel, saved in the .blend).
"""

import bpy
import numpy as np
from mathutils import Euler, Quaternion

from ..clips import rotations
from ..operators.action_channels import has_slotted_actions
from .blender_rig import back_up_override_map, overrides_with_maps, read_rig_rest
from .face_poses import FacePoses, load_face_preset, matching_face_preset, pose_map_for, preset_face_poses
from .shape_keys import ShapeKeyMap

STORED_MAP = "soundmotion_face_pose_map"        # Object collection property (operators/face_rig_panel.py)
STORED_SOURCE = "soundmotion_face_pose_action"  # None (auto) or an action with marked poses (travels when linked)
STORED_MAP_JSON = "soundmotion_face_pose_map_json"  # the same map as one string: it survives on library overrides
BONE_PATH = 'pose.bones["'


def action_fcurves(action) -> list:
    """Every F-curve of an action, legacy (4.2/4.3) or layered (4.4+, all slots)."""
    if not has_slotted_actions() or not getattr(action, "is_action_layered", False):
        return list(getattr(action, "fcurves", []))
    curves = []
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                curves.extend(bag.fcurves)
    return curves


def _bone_curves(action, armature) -> dict:
    """{bone: [(property, index, fcurve)]} for curves that animate this armature's bones."""
    bones = armature.pose.bones
    found = {}
    for fcurve in action_fcurves(action):
        path = fcurve.data_path
        if not path.startswith(BONE_PATH):
            continue
        name, _, prop = path[len(BONE_PATH):].partition('"].')
        if name in bones and prop in ("location", "rotation_quaternion", "rotation_euler", "rotation_axis_angle"):
            found.setdefault(name, []).append((prop, fcurve.array_index, fcurve))
    return found


def _pose_at(curves: dict, armature, frame: float) -> dict:
    """{bone: (location, rotation w-first)} of the curves evaluated at `frame`, rotations in any mode."""
    pose = {}
    for bone, channels in curves.items():
        values = {"location": [0.0, 0.0, 0.0], "rotation_quaternion": [1.0, 0.0, 0.0, 0.0],
                  "rotation_euler": [0.0, 0.0, 0.0], "rotation_axis_angle": [0.0, 0.0, 1.0, 0.0]}
        used = set()
        for prop, index, fcurve in channels:
            values[prop][index] = fcurve.evaluate(frame)
            used.add(prop)
        mode = armature.pose.bones[bone].rotation_mode
        if "rotation_quaternion" in used:
            quat = Quaternion(values["rotation_quaternion"])
        elif "rotation_euler" in used:
            order = mode if mode not in ("QUATERNION", "AXIS_ANGLE") else "XYZ"
            quat = Euler(values["rotation_euler"], order).to_quaternion()
        elif "rotation_axis_angle" in used:
            angle, *axis = values["rotation_axis_angle"]
            quat = Quaternion(axis, angle)
        else:
            quat = Quaternion()
        quat.normalize()
        pose[bone] = (np.array(values["location"]), np.array(tuple(quat)))
    return pose


def poses_from_marked_action(action, armature) -> FacePoses:
    """One pose per pose marker of the action (the marker's name is the pose's name)."""
    curves = _bone_curves(action, armature)
    poses = {marker.name: _pose_at(curves, armature, marker.frame) for marker in action.pose_markers}
    return FacePoses({k: v for k, v in poses.items() if v}, f"action {action.name}").without_still_bones()


def poses_from_assets(armature) -> FacePoses:
    """Blender pose assets (actions marked as assets) that pose this armature's bones, by asset name."""
    poses = {}
    for action in bpy.data.actions:
        if action.asset_data is None:
            continue
        curves = _bone_curves(action, armature)
        if curves:
            poses[action.name] = _pose_at(curves, armature, action.frame_range[0])
    return FacePoses(poses, "pose assets").without_still_bones()


def _marked_actions(armature) -> list:
    return [a for a in bpy.data.actions if len(a.pose_markers) and _bone_curves(a, armature)]


def face_poses_of(armature) -> FacePoses:
    """The armature's face poses: the marked action named on it, else an action with marked poses for its
    bones, else pose assets, else a built-in face rig it matches; None when it has none."""
    action = getattr(armature, STORED_SOURCE, None)
    if action is not None:
        return poses_from_marked_action(action, armature)
    marked = _marked_actions(armature)
    if marked:
        return poses_from_marked_action(marked[0], armature)
    assets = poses_from_assets(armature)
    if assets.poses:
        return assets
    preset = matching_face_preset(armature.data.bones.keys())
    if not preset:
        return None
    poses = preset_face_poses(preset, read_rig_rest(armature, to_animate=False))
    return calibrated(armature, poses, load_face_preset(preset))


def calibrated(armature, poses: FacePoses, preset: dict) -> FacePoses:
    """Fit a built-in rig's mouthClose so that jawOpen + mouthClose put the lower lip back where it sits at rest
    relative to the upper one, measured on this very rig's lip deform bones (its controls drive the lips
    through constraints the math cannot see, and an opened jaw also carries the lower lip backwards)."""
    upper, lower = preset.get("lips", (None, None))
    bones = armature.pose.bones
    closing = poses.poses.get("mouthClose", {})
    if "jawOpen" not in poses.poses or len(closing) != 1 or upper not in bones or lower not in bones:
        return poses
    (control, (location, rotation)), = closing.items()

    def lips(weights):
        return _evaluated(armature, poses, weights,
                          lambda: (np.array(bones[upper].head - bones[lower].head),
                                   np.array(bones[control].matrix.to_3x3().normalized())))

    at_rest, _ = lips({})
    location = np.array(location, dtype=np.float64)
    for _ in range(6):
        apart, axes = lips({"jawOpen": 1.0, "mouthClose": 1.0})
        residual = apart - at_rest  # the lower lip must move by this much more
        if np.linalg.norm(residual) < 1e-4 * max(np.linalg.norm(at_rest), 1e-2):
            break
        location = location + axes.T @ residual
        poses.poses["mouthClose"] = {control: (location.copy(), rotation)}
    return poses


def _evaluated(armature, poses, weights, measure):
    """`measure()` with the poses blended by `weights` applied to the armature, everything restored after."""
    rots, locs = poses.bone_keys({k: np.array([v]) for k, v in weights.items()}) if weights else ({}, {})
    bones = armature.pose.bones
    saved = {b: (bones[b].rotation_mode, tuple(bones[b].rotation_quaternion), tuple(bones[b].location))
             for b in poses.bones}
    animation = armature.animation_data
    kept = animation.action if animation else None
    kept_slot = getattr(animation, "action_slot", None) if animation else None
    kept_nla = animation.use_nla if animation else True
    try:
        if animation:
            animation.action = None
            animation.use_nla = False
        for bone in poses.bones:
            bones[bone].rotation_mode = "QUATERNION"
            bones[bone].rotation_quaternion = rots[bone][0] if bone in rots else (1.0, 0.0, 0.0, 0.0)
            bones[bone].location = locs[bone][0] if bone in locs else (0.0, 0.0, 0.0)
        bpy.context.view_layer.update()
        return measure()
    finally:
        for bone, (mode, quat, loc) in saved.items():
            bones[bone].rotation_quaternion, bones[bone].location = quat, loc
            bones[bone].rotation_mode = mode
        if animation:
            animation.action = kept
            if kept_slot is not None:
                animation.action_slot = kept_slot
            animation.use_nla = kept_nla
        bpy.context.view_layer.update()


def stored_face_pose_map(armature):
    """The map saved on the armature (edited in the Face Rig panel), or None."""
    entries = getattr(armature, STORED_MAP, None)
    mirror = getattr(armature, STORED_MAP_JSON, "")
    if armature.override_library is not None and mirror:
        # Blender keeps only part of a Python collection edited on an override; its string copy is whole.
        stored = ShapeKeyMap.from_json(mirror)
        return stored if stored.rows else None
    if not entries:
        return None
    rows = {}
    for entry in entries:
        if entry.pose:
            row = rows.setdefault(entry.pose, {})
            row[entry.channel] = row.get(entry.channel, 0.0) + entry.weight
    return ShapeKeyMap(rows)


def store_face_pose_map(armature, pose_map: ShapeKeyMap):
    entries = getattr(armature, STORED_MAP)
    entries.clear()
    for pose, row in pose_map.rows.items():
        for channel, weight in row.items():
            entry = entries.add()
            entry.pose, entry.channel, entry.weight = pose, channel, weight
    mirror_face_pose_map(armature)


def mirror_face_pose_map(armature):
    """Copy the stored rows into the map's string copy (after detection, loading or an edit in the panel)."""
    entries = getattr(armature, STORED_MAP, None)
    if entries is None or not hasattr(armature, STORED_MAP_JSON):
        return
    rows = {}
    for entry in entries:
        if entry.pose:
            row = rows.setdefault(entry.pose, {})
            row[entry.channel] = row.get(entry.channel, 0.0) + entry.weight
    text = ShapeKeyMap(rows).to_json() if rows else ""
    if getattr(armature, STORED_MAP_JSON) != text:
        setattr(armature, STORED_MAP_JSON, text)
    back_up_override_map(armature, STORED_MAP_JSON)


def restore_override_face_pose_maps():
    """After a file loads (and when the add-on is enabled with a file open): rebuild the panel rows of library
    overrides from their whole string copies (blender_rig.overrides_with_maps)."""
    for obj in overrides_with_maps(STORED_MAP_JSON):
        store_face_pose_map(obj, stored_face_pose_map(obj))


class FaceRig:
    """An armature's face poses and the map that drives them: bone keys for a face clip."""

    def __init__(self, armature_name: str, poses: FacePoses, pose_map: ShapeKeyMap):
        self.armature_name, self.poses, self.pose_map = armature_name, poses, pose_map

    def keys(self, clip, frames: int = None) -> tuple:
        """({bone: (T, 4)}, {bone: (T, 3)}) for the clip, cut or padded with the rest pose to `frames`."""
        rots, locs = self.poses.keys_for(clip, self.pose_map)
        if frames is None:
            return rots, locs
        def fit(values, rest):
            return np.concatenate([values[:frames], np.tile(rest, (max(0, frames - len(values)), 1))])

        return ({b: fit(q, rotations.IDENTITY_WXYZ) for b, q in rots.items()},
                {b: fit(v, np.zeros(3)) for b, v in locs.items()})


def face_rig_of(armature):
    """A FaceRig for the armature, or None when it has no face poses that any face channel drives."""
    if armature is None or armature.type != "ARMATURE":
        return None
    poses = face_poses_of(armature)
    if poses is None or not poses.poses:
        return None
    pose_map = pose_map_for(poses, stored_face_pose_map(armature))
    if not pose_map.rows:
        return None
    return FaceRig(armature.name, poses, pose_map)
