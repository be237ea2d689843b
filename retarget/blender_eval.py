"""Posing a rig frame by frame to measure some of its bones (bpy adapter): matching a constrained rig's evaluated
pose (blender_rig.match_evaluated_pose) and solving its IK controls (blender_ik) each evaluate the armature once
per frame and pass. Blender then also evaluates what the measured bones never depend on: a Rigify human's face
(about half its constraints and most of its drivers) and the meshes the armature deforms. `measuring_only`
mutes those for the duration and restores them exactly (on a generated Rigify human: 10.8 → 8.7 ms of CPU per
evaluation; a character's deformed meshes are spared too).

A measured bone depends on its parents, on the bones its constraints target (recursively), on the bones an IK
constraint lower down moves it with, and on the bones its drivers read; everything else is left out.
"""

from contextlib import contextmanager

import bpy

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
