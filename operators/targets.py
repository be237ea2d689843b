"""Finding what the user meant to animate, and refusing clearly when it cannot be animated."""

import bpy

from ..retarget import blender_rig
from ..retarget.errors import RetargetError
from ..retarget.shape_keys import map_shape_keys
from .background_job import UserFacingError
from .stored_shape_key_map import stored_shape_key_map


def face_mesh_for(obj):
    """The mesh whose shape keys receive the face: the active mesh, or the armature's best child mesh."""
    if obj is None:
        raise UserFacingError("Select the character's face mesh (or its armature) first.")
    if obj.type == "MESH":
        if obj.data.shape_keys is None or len(obj.data.shape_keys.key_blocks) < 2:
            raise UserFacingError(
                f"{obj.name} has no shape keys. Add facial shape keys (ARKit names such as jawOpen work "
                "directly) or select the mesh that has them.")
        return _editable(obj)
    if obj.type == "ARMATURE":
        meshes = [child for child in obj.children_recursive
                  if child.type == "MESH" and child.data.shape_keys is not None]
        if not meshes:
            raise UserFacingError(f"No mesh with shape keys is parented to {obj.name}. Select the face mesh instead.")
        return _editable(max(meshes, key=lambda m: len(map_shape_keys(m.data.shape_keys.key_blocks.keys()[1:]).rows)))
    raise UserFacingError(f"{obj.name} is {blender_rig.object_kind(obj)}; select a mesh with shape keys or its "
                          f"armature." + blender_rig.instance_hint(obj))


def _editable(mesh):
    """The face mesh, if its shape keys can hold keys saved with this file (not linked without an override)."""
    blender_rig.require_editable(mesh)
    key = mesh.data.shape_keys
    if key.library is not None:
        raise RetargetError(
            f"{mesh.name}'s shape keys are linked from {bpy.path.basename(key.library.filepath)} and cannot be "
            f"animated in this file. Make a library override of its mesh data too (Outliner: right-click the mesh "
            f"under {mesh.name} > Library Override > Make > Selected) and run again.")
    return mesh


def face_shape_key_map(mesh):
    """The map stored on the mesh (Detect/Load Shape-Key Map, edited in the panel), else the detected one."""
    names = [block.name for block in mesh.data.shape_keys.key_blocks[1:]]
    stored = stored_shape_key_map(mesh)
    if stored is not None:
        stored.rows = {key: row for key, row in stored.rows.items() if key in names}
        if not stored.rows:
            raise UserFacingError(
                f"The shape-key map stored on {mesh.name} drives none of its shape keys. "
                "Run Detect Shape-Key Map or load a map that names its keys.")
        return stored
    shape_key_map = map_shape_keys(names)
    if not shape_key_map.rows:
        raise UserFacingError(
            f"None of {mesh.name}'s shape keys ({', '.join(names[:5])}{'…' if len(names) > 5 else ''}) "
            "match a face channel. Rename them to ARKit names (jawOpen, mouthClose, …) or load a shape-key map preset.")
    return shape_key_map


def armature_of(obj):
    """The armature that deforms (or parents) the selected object, the object itself when it is one."""
    if obj is None:
        return None
    if obj.type == "ARMATURE":
        return obj
    if obj.type == "MESH":
        armature = obj.find_armature()
        if armature is not None:
            return armature
    parent = obj.parent
    return parent if parent is not None and parent.type == "ARMATURE" else None


def jaw_bone_of(armature):
    """The bone playing the canonical "jaw" joint in the armature's bone map, or None."""
    if armature is None:
        return None
    try:
        bone = blender_rig.bone_map_for(armature).bones.get("jaw")
    except RetargetError:
        return None
    return bone if bone and bone in armature.data.bones else None


def face_rig_for(armature, shape_key_map=None):
    """The armature's bone-driven face (retarget.blender_face.FaceRig: marked poses, pose assets or a built-in
    face rig such as Rigify's) unless shape keys already play the mouth (jawOpen); else None."""
    if armature is None or (shape_key_map is not None and "jawOpen" in shape_key_map.mapped_channels):
        return None
    from ..retarget.blender_face import face_rig_of

    try:
        return face_rig_of(armature)
    except RetargetError:
        return None


def no_face_note(armature) -> str:
    """What Talk says when a character has neither face shape keys nor a face rig to move."""
    return (f"{armature.name} has no face shape keys and no face rig (no Rigify face, pose assets or action with one "
            f"marked pose per viseme), so only the body moves; add ARKit shape keys or face poses to animate the face.")


def no_mouth_note(mesh, shape_key_map, jaw_bone, face_rig) -> str | None:
    """What Lip Sync and Talk say when the face mesh's mapped keys move no part of the mouth (blinks only)."""
    if mesh is None or shape_key_map is None or jaw_bone or face_rig is not None:
        return None
    if any(channel.startswith(("jaw", "mouth")) for channel in shape_key_map.mapped_channels):
        return None
    return (f"None of {mesh.name}'s mapped shape keys moves the mouth, so only the eyes and brows are animated; add "
            f"mouth shape keys (jawOpen, mouthClose, visemes) or map them in the Shape Keys panel.")


def lip_sync_targets(obj):
    """(face mesh or None, its ShapeKeyMap or None, armature, jaw bone or None, FaceRig or None) for the selection.

    Shape keys that play jawOpen drive the mouth; else the armature's face rig (bone poses); else its jaw bone.
    Without any of them the selection is refused with the shape-key message.
    """
    armature = armature_of(obj)
    try:
        mesh = face_mesh_for(obj)
        shape_key_map = face_shape_key_map(mesh)
    except UserFacingError:
        face_rig = face_rig_for(armature)
        jaw_bone = None if face_rig is not None else jaw_bone_of(armature)
        if face_rig is None and jaw_bone is None:
            raise
        return None, None, armature, jaw_bone, face_rig
    face_rig = face_rig_for(armature, shape_key_map)
    jaw_bone = None if face_rig is not None or "jawOpen" in shape_key_map.mapped_channels else jaw_bone_of(armature)
    return mesh, shape_key_map, armature, jaw_bone, face_rig
