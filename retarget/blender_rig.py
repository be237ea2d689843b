"""The thin bpy side of retargeting: read an armature's rest pose (and, for rig-to-rig, its animation) into
plain arrays, and write a RetargetResult as one new action through operators.keyframes."""

import bpy
import numpy as np

from ..clips import rotations
from ..clips.rotations import Rotation
from .bone_map import BoneMap, load_preset
from .detect import detect_bone_map
from .errors import RetargetError
from .motion_file import MotionSource, load_motion_file
from .pipeline import retarget_source
from .rig import RigPose, RigRest, forward_kinematics, sort_parents_first
from .root_motion import RootMode
from .transfer import RetargetResult


def require_armature(obj, role: str = "target"):
    if obj is None or obj.type != "ARMATURE":
        kind = obj.type.lower().replace("_", " ") if obj is not None else ""
        name = f"'{obj.name}' is {'an' if kind[:1] in 'aeiou' else 'a'} {kind} object" if obj else "nothing is selected"
        raise RetargetError(f"The {role} must be an armature, but {name}. Select the character's armature.")
    return obj


def read_rig_rest(armature_obj) -> RigRest:
    """Bone names, parents and rest matrices in armature space."""
    require_armature(armature_obj)
    bones = armature_obj.data.bones
    parents = {b.name: (b.parent.name if b.parent else None) for b in bones}
    order = sort_parents_first([b.name for b in bones], parents)
    index = {name: i for i, name in enumerate(order)}
    heads = np.array([tuple(bones[n].head_local) for n in order], dtype=np.float64)
    tails = np.array([tuple(bones[n].tail_local) for n in order], dtype=np.float64)
    matrices = np.array([[tuple(row) for row in bones[n].matrix_local.to_3x3()] for n in order], dtype=np.float64)
    rest = rotations.from_rotation(Rotation.from_matrix(matrices), (len(order),))
    parent_index = [index[parents[n]] if parents[n] else -1 for n in order]
    return RigRest(order, parent_index, heads, tails, rest)


STORED_MAP = "soundmotion_bone_map"  # Object collection property registered by operators/retarget_motion.py
TRAVEL_ENTRY = "travel"  # the stored entry naming BoneMap.root_bone


def stored_bone_map(armature_obj):
    """The map saved on the armature in the .blend (edited in the panel), or None."""
    entries = getattr(armature_obj, STORED_MAP, None)
    if not entries:
        return None
    bones = {e.joint: e.bone for e in entries if e.bone and e.joint != TRAVEL_ENTRY}
    travel = next((e.bone for e in entries if e.joint == TRAVEL_ENTRY), "")
    return BoneMap("stored", bones, "", travel)


def store_bone_map(armature_obj, bone_map: BoneMap):
    from .canonical import CANONICAL_JOINTS

    entries = getattr(armature_obj, STORED_MAP)
    entries.clear()
    for joint in CANONICAL_JOINTS:
        entry = entries.add()
        entry.joint = joint
        entry.bone = bone_map.bones.get(joint, "")
    entry = entries.add()
    entry.joint = TRAVEL_ENTRY
    entry.bone = bone_map.root_bone


def bone_map_for(armature_obj, map_spec=None) -> BoneMap:
    """`map_spec`: None (the map stored on the armature, else detect), a preset name, a JSON path, a BoneMap."""
    if isinstance(map_spec, BoneMap):
        return map_spec
    if map_spec:
        spec = str(map_spec)
        return BoneMap.load(spec) if spec.lower().endswith(".json") else load_preset(spec)
    stored = stored_bone_map(armature_obj)
    if stored is not None:
        return stored
    return detect_bone_map(read_rig_rest(armature_obj), f"Armature '{armature_obj.name}'")


def read_rig_motion(armature_obj, frame_start: int, frame_end: int, scene=None) -> RigPose:
    """The armature's evaluated pose over a frame range (constraints and drivers included)."""
    scene = scene or bpy.context.scene
    rest = read_rig_rest(require_armature(armature_obj, "source"))
    pose_bones = [armature_obj.pose.bones[n] for n in rest.names]
    frames = list(range(int(frame_start), int(frame_end) + 1))
    if not frames:
        raise RetargetError("The source frame range is empty.")
    matrices = np.zeros((len(frames), len(rest), 4, 4))
    current = scene.frame_current
    try:
        for i, frame in enumerate(frames):
            scene.frame_set(frame)
            for b, pose_bone in enumerate(pose_bones):
                matrices[i, b] = np.array(pose_bone.matrix)
    finally:
        scene.frame_set(current)
    world = rotations.from_rotation(Rotation.from_matrix(_orthonormal(matrices[..., :3, :3]).reshape(-1, 3, 3)),
                                    (len(frames), len(rest)))
    return RigPose(rest, world, matrices[..., :3, 3])


def _orthonormal(matrices):
    u, _, vt = np.linalg.svd(matrices)
    return u @ vt


def has_constraints(armature_obj) -> bool:
    return any(pose_bone.constraints for pose_bone in armature_obj.pose.bones)


def match_evaluated_pose(armature_obj, rest: RigRest, result: RetargetResult, passes: int = 16,
                         tolerance_deg: float = 0.05) -> RetargetResult:
    """Rigs with constraints (Rigify: FK controls under MCH bones that copy other bones) do not follow the
    plain parent chain the math assumes. Pose each frame in Blender, compare every animated bone's
    evaluated world rotation with the intended one, and fold the difference into its local rotation;
    repeat until parents and children agree (one pass settles one more level of the hierarchy)."""
    frames = result.num_frames
    intended = forward_kinematics(rest, result.bone_rotations, result.bone_locations, frames)
    pose_bones = armature_obj.pose.bones
    order = [pb.name for pb in pose_bones]
    # Constrained bones (Rigify's MCH-) are driven by their constraints: keys on them would do nothing.
    constrained = {n for n in result.bone_rotations if pose_bones[n].constraints}
    animated = [n for n in order if n in result.bone_rotations and n not in constrained]
    columns = [order.index(n) for n in animated]
    wanted = rotations.to_rotation(intended.world_rotations[:, [rest.index(n) for n in animated]])
    local = np.stack([result.bone_rotations[n] for n in animated], axis=1)
    base = np.zeros((len(order), 4))
    pose_bones.foreach_get("rotation_quaternion", base.ravel())
    base_locations = np.zeros((len(order), 3))
    pose_bones.foreach_get("location", base_locations.ravel())
    located = {order.index(n): v for n, v in result.bone_locations.items()}
    modes = {name: pose_bones[name].rotation_mode for name in animated}
    animation = armature_obj.animation_data
    kept_action = animation.action if animation else None
    kept_slot = getattr(animation, "action_slot", None) if animation else None
    kept_nla = animation.use_nla if animation else True
    matrices = np.zeros((len(order), 4, 4))
    try:
        if animation:
            animation.action = None
            animation.use_nla = False  # earlier takes on the NLA would pose the bones over the values set here
        for name in modes:
            pose_bones[name].rotation_mode = "QUATERNION"
        for _ in range(passes):
            evaluated = np.zeros((frames, len(order), 4, 4))
            for t in range(frames):
                current = base.copy()
                current[columns] = local[t]
                pose_bones.foreach_set("rotation_quaternion", current.ravel())
                locations = base_locations.copy()
                for b, values in located.items():
                    locations[b] = values[t]
                pose_bones.foreach_set("location", locations.ravel())
                # foreach_set skips the RNA update that tags the depsgraph; untagged, view_layer.update() keeps
                # the stale pose (a plain rig in 4.2 and 5.0, Rigify's in 4.2), so every pass measured the same.
                armature_obj.update_tag(refresh={"DATA"})
                bpy.context.view_layer.update()
                pose_bones.foreach_get("matrix", matrices.ravel())
                evaluated[t] = matrices.transpose(0, 2, 1)  # foreach_get gives column-major matrices
            actual = Rotation.from_matrix(_orthonormal(evaluated[:, columns, :3, :3]).reshape(-1, 3, 3))
            error = actual.inv() * wanted
            if np.degrees(error.magnitude()).max() < tolerance_deg:
                break
            local = rotations.from_rotation(rotations.to_rotation(local) * error, (frames, len(animated)))
    finally:
        pose_bones.foreach_set("rotation_quaternion", base.ravel())
        pose_bones.foreach_set("location", base_locations.ravel())
        for name, mode in modes.items():
            pose_bones[name].rotation_mode = mode
        if animation:
            animation.action = kept_action
            if kept_slot is not None:
                animation.action_slot = kept_slot
            animation.use_nla = kept_nla
        armature_obj.update_tag(refresh={"DATA"})
        bpy.context.view_layer.update()
    rotations_out = {n: q for n, q in result.bone_rotations.items() if n not in constrained}
    rotations_out.update({n: local[:, i] for i, n in enumerate(animated)})
    return RetargetResult(result.fps, rotations_out, result.bone_locations, result.mapped_joints,
                          result.unmapped_joints, result.leg_ratio)


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def apply_retarget(armature_obj, result: RetargetResult, action_name: str, frame_start: int, style=None):
    """`style`: a takes.key_poses.KeyStyle (key poses by default, or every frame)."""
    from ..operators.keyframes import write_pose_action

    return write_pose_action(armature_obj, action_name, frame_start, result.bone_rotations, result.bone_locations,
                             style=style)


def key_retarget(armature_obj, rest: RigRest, result: RetargetResult, action_name: str, frame_start: int,
                 style=None):
    """Write a retarget result as a new action, matching the evaluated pose first on constrained rigs (Rigify).

    Returns (action, the result as written)."""
    if has_constraints(armature_obj):
        result = match_evaluated_pose(armature_obj, rest, result)
    return apply_retarget(armature_obj, result, action_name, frame_start, style), result


def retarget_onto_armature(source: MotionSource, target_obj, target_map=None, root_mode=RootMode.FULL,
                           frame_start: int = 1, action_name: str = None, keep_feet: bool = True, style=None):
    """Retarget and write one new action on `target_obj`. Everything is checked before the scene changes.

    Captured motion is keyed on every frame unless `style` (a takes.key_poses.KeyStyle) asks for key poses."""
    if style is None:
        from ..takes.key_poses import KeyStyle

        style = KeyStyle("FRAMES")
    require_armature(target_obj)
    target_rest = read_rig_rest(target_obj)
    bone_map = bone_map_for(target_obj, target_map)
    result = retarget_source(source, target_rest, bone_map, root_mode, keep_feet)
    return key_retarget(target_obj, target_rest, result, action_name or f"{source.label} → {target_obj.name}",
                        frame_start, style)


def source_from_armature(source_obj, frame_start: int, frame_end: int, scene=None, map_spec=None) -> MotionSource:
    scene = scene or bpy.context.scene
    pose = read_rig_motion(source_obj, frame_start, frame_end, scene)
    return MotionSource(pose, bone_map_for(source_obj, map_spec), scene_fps(scene), source_obj.name)


def find_armature(armature_name: str = None):
    armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    if armature_name:
        obj = bpy.data.objects.get(armature_name)
        if obj is None or obj.type != "ARMATURE":
            raise RetargetError(f"No armature named {armature_name!r}; armatures here: "
                                f"{', '.join(o.name for o in armatures) or 'none'}.")
        return obj
    if len(armatures) != 1:
        raise RetargetError(f"The file has {len(armatures)} armatures ({', '.join(o.name for o in armatures)}); "
                            f"name one as FILE.blend:ARMATURE.")
    return armatures[0]


def retarget_file_onto_blend(source_path, blend_path, out_path, armature_name: str = None, map_spec=None,
                             root_mode=RootMode.FULL, frame_start: int = None, keep_feet: bool = True,
                             style=None) -> RetargetResult:
    """CLI entry: open `blend_path`, retarget a .bvh/.npz onto its armature, save as `out_path`."""
    from ..operators.character_files import open_blend

    open_blend(blend_path)
    scene = bpy.context.scene
    target = find_armature(armature_name)
    source = load_motion_file(source_path, fps=scene_fps(scene))
    start = scene.frame_start if frame_start is None else frame_start
    _, result = retarget_onto_armature(source, target, map_spec, root_mode, start, keep_feet=keep_feet, style=style)
    scene.frame_end = max(scene.frame_end, start + result.num_frames - 1)
    bpy.ops.wm.save_as_mainfile(filepath=str(out_path))
    return result


def bone_map_of_blend(blend_path, armature_name: str = None) -> BoneMap:
    """CLI entry for `soundmotion bonemap`: the detected map of an armature in a .blend."""
    from ..operators.character_files import open_blend

    open_blend(blend_path)
    return bone_map_for(find_armature(armature_name))
