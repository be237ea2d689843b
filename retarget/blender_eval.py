"""Posing a rig frame by frame to measure some of its bones (bpy adapter): matching a constrained rig's evaluated
pose (blender_rig.match_evaluated_pose) and solving its IK controls (blender_ik) each evaluate the armature once
per frame and pass. Blender then also evaluates what the measured bones never depend on: a Rigify human's face
(about half its constraints and most of its drivers) and the meshes the armature deforms. `measuring_only`
mutes those for the duration and restores them exactly (on a generated Rigify human: 10.8 → 8.7 ms of CPU per
evaluation; a character's deformed meshes are spared too).

A measured bone depends on its parents, on the bones its constraints target (recursively), on the bones an IK
constraint lower down moves it with, and on the bones its drivers read; everything else is left out.

`evaluate_poses` poses many frames at once: their values go into one temporary action, keyed a frame each, and the
scene steps through its frames. A pose set bone by bone must be tagged, and a tagged armature is copied whole into
the evaluated scene before it is evaluated (a generated Rigify human: 706 bones), where a step of the frame only
evaluates the animation: the same matrices (to float precision), about half the time per frame.
"""

from contextlib import contextmanager

import bpy
import numpy as np

BONE_PATH = 'pose.bones["'


def _bone_of(path: str):
    if not path.startswith(BONE_PATH):
        return None
    return path[len(BONE_PATH):].partition('"]')[0]


def _targets(constraint) -> list:
    names = [getattr(constraint, attr, "") for attr in ("subtarget", "pole_subtarget")]
    names += [getattr(t, "subtarget", "") for t in (getattr(constraint, "targets", None) or [])]
    return [n for n in names if n]


def _ik_chain(pose_bone, constraint) -> list:
    count = getattr(constraint, "chain_count", 0) or 10 ** 6
    chain = []
    while pose_bone is not None and len(chain) < count:
        chain.append(pose_bone.name)
        pose_bone = pose_bone.parent
    return chain


def needed_bones(armature, measured) -> set:
    """The bones whose evaluation the measured bones depend on (see the module note)."""
    bones = armature.pose.bones
    reads = {}  # bone → bones its drivers read
    animation = armature.animation_data
    for driver in (animation.drivers if animation else []):
        owner = _bone_of(driver.data_path)
        if owner is None:
            continue
        for variable in driver.driver.variables:
            for target in variable.targets:
                if target.id is not None and target.id in (armature, armature.data):
                    names = [target.bone_target, _bone_of(target.data_path or "")]
                    reads.setdefault(owner, set()).update(n for n in names if n)
    moved_by = {}  # bone → owners of IK constraints whose chain moves it
    for pose_bone in bones:
        for constraint in pose_bone.constraints:
            if constraint.type in ("IK", "SPLINE_IK"):
                for name in _ik_chain(pose_bone, constraint):
                    moved_by.setdefault(name, set()).add(pose_bone.name)
    needed, stack = set(), [n for n in measured if n in bones]
    while stack:
        name = stack.pop()
        if name in needed or name not in bones:
            continue
        needed.add(name)
        pose_bone = bones[name]
        if pose_bone.parent is not None:
            stack.append(pose_bone.parent.name)
        for constraint in pose_bone.constraints:
            stack.extend(_targets(constraint))
        stack.extend(moved_by.get(name, ()))
        stack.extend(reads.get(name, ()))
    return needed


@contextmanager
def measuring_only(armature, measured):
    """Within the block, Blender evaluates only what the `measured` bones depend on: constraints and drivers of
    other bones are muted and the armature modifiers of the meshes it deforms are off; all restored after."""
    import bpy

    needed = needed_bones(armature, measured)
    switched = []  # (struct, attribute, value to restore)

    def switch(struct, attribute, value):
        if getattr(struct, attribute) == value:
            return
        try:
            old = getattr(struct, attribute)
            setattr(struct, attribute, value)
            switched.append((struct, attribute, old))
        except (AttributeError, TypeError, RuntimeError):  # linked or overridden data may refuse: evaluate it
            pass

    try:
        for pose_bone in armature.pose.bones:
            if pose_bone.name not in needed:
                for constraint in pose_bone.constraints:
                    switch(constraint, "mute", True)
        animation = armature.animation_data
        for driver in (animation.drivers if animation else []):
            owner = _bone_of(driver.data_path)
            if owner is not None and owner not in needed:
                switch(driver, "mute", True)
        for obj in bpy.context.view_layer.objects:
            for modifier in getattr(obj, "modifiers", ()):
                if modifier.type == "ARMATURE" and modifier.object == armature:
                    switch(modifier, "show_viewport", False)
        yield needed
    finally:
        for struct, attribute, value in reversed(switched):
            setattr(struct, attribute, value)
        if switched:
            armature.update_tag(refresh={"DATA"})
            bpy.context.view_layer.update()


def posed_matrices(armature, rotations, locations, matrices):
    """Pose every bone of `armature` (quaternions (B, 4) and locations (B, 3), in pose-bone order), evaluate, and
    return the bones' pose matrices (B, 4, 4) row-major, read into `matrices` (B, 4, 4; reused between frames)."""
    pose_bones = armature.pose.bones
    pose_bones.foreach_set("rotation_quaternion", rotations.ravel())
    pose_bones.foreach_set("location", locations.ravel())
    # foreach_set skips the RNA update that tags the depsgraph; untagged, view_layer.update() keeps the stale pose
    # (a plain rig in 4.2 and 5.0, Rigify's in 4.2): every measurement would be the same.
    armature.update_tag(refresh={"DATA"})
    bpy.context.view_layer.update()
    pose_bones.foreach_get("matrix", matrices.ravel())
    return matrices.transpose(0, 2, 1)  # foreach_get gives column-major matrices


# Evaluate in bulk: through a temporary action stepped frame by frame, the IK controls starting from what matching
# the pose last measured (blender_rig.key_retarget). False: pose and tag the armature frame by frame and measure
# again, as before; bench/retarget_speed.py and tests/test_retarget_rigify_speed.py compare the two.
BULK = True
CONSTANT = 0  # enum value of the 'CONSTANT' keyframe interpolation


def keyed(animation) -> bool:
    """Whether animation data (an ID's animation_data, or None) plays keys: an action or NLA tracks."""
    return animation is not None and (animation.action is not None or len(animation.nla_tracks) > 0)


def time_free(armature) -> bool:
    """Whether the armature's evaluated pose depends on nothing that a change of frame moves: none of its constraints
    that are on looks at another object (which may be animated), none of its drivers reads another datablock or
    the frame, and no object above it is animated. Otherwise evaluate_poses poses it frame by frame, at the
    current frame, as before."""
    for pose_bone in armature.pose.bones:
        for constraint in pose_bone.constraints:
            if constraint.mute:
                continue
            targets = [getattr(constraint, attr, None) for attr in ("target", "pole_target", "space_object")]
            targets += [getattr(t, "target", None) for t in (getattr(constraint, "targets", None) or [])]
            if any(t is not None and t != armature for t in targets):
                return False
    for owner in (armature, armature.data):
        animation = owner.animation_data
        for driver in (animation.drivers if animation else ()):
            if driver.mute:
                continue
            if "frame" in driver.driver.expression:
                return False
            for variable in driver.driver.variables:
                used = variable.targets[:2 if variable.type in ("LOC_DIFF", "ROTATION_DIFF") else 1]
                if any(t.id not in (armature, armature.data) for t in used):
                    return False
    if any(not c.mute for c in armature.constraints):  # a character in a vehicle: Child Of a moving object
        return False
    if keyed(armature.data.animation_data):  # e.g. a keyed custom property that sets an influence
        return False
    parent = armature.parent
    while parent is not None:
        if parent.animation_data is not None or parent.constraints:
            return False
        parent = parent.parent
    return True


# Data whose animation a change of the scene's frame evaluates (and writes back to the data: a value the user set
# without keying it would be lost).
_ANIMATABLE = ("objects", "shape_keys", "meshes", "armatures", "materials", "node_groups", "cameras", "lights",
               "worlds", "scenes", "curves", "grease_pencils", "textures", "particles")


def scene_still_between_frames(armature) -> bool:
    """Whether stepping the scene's frame changes nothing but the armature: no other datablock is animated (an
    action or NLA tracks; a driver that reads the frame). Stepping re-evaluates all animation and writes it back,
    so an empty the user moved without keying it jumped back to its keys, and a shape key set to 0.9 by hand went
    back to its keyed 0.48 (the character's own mesh after a face take, too): evaluate_poses then poses frame by
    frame at the current frame, as before."""
    own = {armature.as_pointer(), armature.data.as_pointer()}
    for name in _ANIMATABLE:
        for block in getattr(bpy.data, name, ()):
            animation = getattr(block, "animation_data", None)
            if animation is None or block.as_pointer() in own:
                continue
            if keyed(animation):
                return False
            if any(not d.mute and "frame" in d.driver.expression for d in animation.drivers):
                return False
    return True


def evaluate_poses(armature, base_rotations, base_locations, rotated, rotation_values, located, location_values,
                   wanted):
    """(N, W, 4, 4) armature-space matrices of the bones at pose-bone indices `wanted`, for N poses: every bone at
    `base_rotations` (B, 4) / `base_locations` (B, 3), except the bones at indices `rotated` (rotations (N, R, 4))
    and `located` (locations (N, L, 3)), both given for all N poses (R or L may be 0). The caller sets the
    rotation modes and takes the armature's own action and NLA off meanwhile, as for posed_matrices."""
    frames = len(rotation_values)
    out = np.zeros((frames, len(wanted), 4, 4))
    matrices = np.zeros((len(armature.pose.bones), 4, 4))
    if frames == 0:
        return out
    scene = bpy.context.scene
    animation = armature.animation_data
    if not BULK or scene.render.frame_map_old != scene.render.frame_map_new or \
            (animation is not None and animation.use_tweak_mode) or not time_free(armature) or \
            not scene_still_between_frames(armature):
        for t in range(frames):  # pose and evaluate frame by frame
            current = base_rotations.copy()
            current[rotated] = rotation_values[t]
            locations = base_locations.copy()
            locations[located] = location_values[t]
            out[t] = posed_matrices(armature, current, locations, matrices)[wanted]
        return out
    from ..operators.action_channels import ActionChannels

    pose_bones = armature.pose.bones
    pose_bones.foreach_set("rotation_quaternion", np.ascontiguousarray(base_rotations, dtype=np.float64).ravel())
    pose_bones.foreach_set("location", np.ascontiguousarray(base_locations, dtype=np.float64).ravel())
    channels = ActionChannels("SM_measure", armature)
    created = animation is None
    animation = animation or armature.animation_data_create()
    kept = {name: getattr(animation, name) for name in ("action", "action_blend_type", "action_influence",
                                                         "action_extrapolation", "use_nla")}
    kept_slot = getattr(animation, "action_slot", None)
    kept_frame = scene.frame_current
    try:
        times = np.arange(1, frames + 1, dtype=np.float32)
        names = [pose_bones[i].name for i in range(len(pose_bones))]
        for prop, columns, values in (("rotation_quaternion", rotated, rotation_values),
                                      ("location", located, location_values)):
            for k, b in enumerate(columns):
                path = f'pose.bones["{bpy.utils.escape_identifier(names[b])}"].{prop}'
                for channel in range(values.shape[-1]):
                    points = channels.new_fcurve(path, channel, names[b]).keyframe_points
                    points.add(frames)
                    points.foreach_set("co", np.column_stack([times, values[:, k, channel]]).astype(np.float32).ravel())
                    points.foreach_set("interpolation", np.full(frames, CONSTANT, dtype=np.int32))
        animation.use_nla = False
        animation.action = channels.action
        if channels.slot is not None:
            animation.action_slot = channels.slot
        animation.action_blend_type, animation.action_influence = "REPLACE", 1.0
        animation.action_extrapolation = "HOLD"
        # A few bones read one by one cost a tenth of reading every bone of a big rig at once.
        few = [pose_bones[i] for i in wanted] if 8 * len(wanted) < len(pose_bones) else None
        for t in range(frames):
            scene.frame_current = t + 1  # the depsgraph evaluates the frame's keys; nothing is copied
            bpy.context.view_layer.update()
            if few is not None:
                out[t] = [bone.matrix for bone in few]
            else:
                pose_bones.foreach_get("matrix", matrices.ravel())
                out[t] = matrices.transpose(0, 2, 1)[wanted]
    finally:
        animation.action = kept["action"]
        if kept_slot is not None:
            animation.action_slot = kept_slot
        for name in ("action_blend_type", "action_influence", "action_extrapolation", "use_nla"):
            setattr(animation, name, kept[name])
        channels.discard()
        if created:
            armature.animation_data_clear()
        scene.frame_current = kept_frame
        pose_bones.foreach_set("rotation_quaternion", np.ascontiguousarray(base_rotations, dtype=np.float64).ravel())
        pose_bones.foreach_set("location", np.ascontiguousarray(base_locations, dtype=np.float64).ravel())
    return out
