"""Finding what the user meant to animate, and refusing clearly when it cannot be animated."""

import re

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
        return _editable(max(meshes, key=lambda m: len(map_shape_keys(playable_shape_keys(m)).rows)))
    raise UserFacingError(f"{obj.name} is {blender_rig.object_kind(obj)}; select a mesh with shape keys or its "
                          f"armature." + blender_rig.instance_hint(obj))


def _editable(mesh):
    """The face mesh, if its shape keys can hold keys saved with this file (not linked without an override)."""
    blender_rig.require_editable(mesh)
    key = mesh.data.shape_keys
    blender_rig.require_not_tweaking(key, f"{mesh.name}'s shape keys")
    if key.library is not None:
        raise RetargetError(
            f"{mesh.name}'s shape keys are linked from {bpy.path.basename(key.library.filepath)} and cannot be "
            f"animated in this file. Make a library override of its mesh data too (Outliner: right-click the mesh "
            f"under {mesh.name} > Library Override > Make > Selected) and run again.")
    return mesh


_BONE_IN_PATH = re.compile(r'pose\.bones\["((?:[^"\\]|\\.)*)"\]')


def driven_shape_keys(mesh) -> dict:
    """{shape key: the bones its driver reads} for the mesh's shape keys whose value an unmuted, working driver
    sets (as bone-driven faces do: jawOpen from the jaw bone's turn). Blender evaluates drivers after the action,
    so keys written on such a shape key never show: measured, a keyed jawOpen peaking at 0.68 stayed 0.000."""
    key = mesh.data.shape_keys
    if key is None or key.animation_data is None:
        return {}
    by_path = {block.path_from_id("value"): block.name for block in key.key_blocks[1:]}
    driven = {}
    for curve in key.animation_data.drivers:
        name = by_path.get(curve.data_path)
        if name is None or curve.mute or not curve.is_valid or not curve.driver.is_valid:
            continue
        bones = driven.setdefault(name, [])
        for variable in curve.driver.variables:
            for target in variable.targets:
                found = [target.bone_target] if target.bone_target else _BONE_IN_PATH.findall(target.data_path)
                bones += [bone for bone in found if bone and bone not in bones]
    return driven


def playable_shape_keys(mesh) -> list:
    """The mesh's shape keys (less the basis) that keys can move: the ones no driver sets."""
    driven = driven_shape_keys(mesh)
    return [block.name for block in mesh.data.shape_keys.key_blocks[1:] if block.name not in driven]


def driven_face_keys(mesh) -> dict:
    """driven_shape_keys, less the ones no face channel would play anyway (a body's corrective keys)."""
    driven = driven_shape_keys(mesh) if mesh is not None and mesh.data.shape_keys is not None else {}
    if not driven:
        return {}
    stored = stored_shape_key_map(mesh)
    rows = stored.rows if stored is not None else map_shape_keys(mesh.data.shape_keys.key_blocks.keys()[1:]).rows
    return {key: bones for key, bones in driven.items() if key in rows}


def _driven_words(driven: dict) -> str:
    """'jawOpen (driven by jaw)', naming at most five keys."""
    names = [f"{key} (driven by {', '.join(bones)})" if bones else key for key, bones in list(driven.items())[:5]]
    return ", ".join(names) + ("…" if len(driven) > 5 else "")


_DRIVEN_FIX = ("pick the bone that drives the mouth in the jaw row of the armature's bone map (Retarget panel: "
               "Detect Bone Map) to key that bone instead, or mute those drivers (Drivers editor)")


def face_shape_key_map(mesh):
    """The map stored on the mesh (Detect/Load Shape-Key Map, edited in the panel), else the detected one; shape
    keys set by drivers are left out (their keys would not show), so a jaw bone or face rig plays their part."""
    names = playable_shape_keys(mesh)
    driven = driven_face_keys(mesh)
    driven_refusal = (f"{mesh.name}'s face shape keys are set by drivers ({_driven_words(driven)}), so keys on them "
                      f"would not show. To animate the face, {_DRIVEN_FIX}.") if driven else ""
    stored = stored_shape_key_map(mesh)
    if stored is not None:
        stored.rows = {key: row for key, row in stored.rows.items() if key in names}
        if not stored.rows:
            raise UserFacingError(driven_refusal or (
                f"The shape-key map stored on {mesh.name} drives none of its shape keys. "
                "Run Detect Shape-Key Map or load a map that names its keys."))
        return stored
    shape_key_map = map_shape_keys(names)
    if not shape_key_map.rows:
        raise UserFacingError(driven_refusal or (
            f"None of {mesh.name}'s shape keys ({', '.join(names[:5])}{'…' if len(names) > 5 else ''}) match a "
            "face channel. Rename them to ARKit names (jawOpen, mouthClose, …) or load a shape-key map preset."))
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


def _jaw_hint(armature) -> str:
    """For a refusal: a humanoid armature whose bone map has no jaw can open the mouth with one picked there."""
    if armature is None:
        return ""
    try:
        blender_rig.bone_map_for(armature)
    except RetargetError:
        return ""
    return (f"Or, if {armature.name} has a jaw bone, pick it in the jaw row of its bone map (Retarget panel: Detect "
            f"Bone Map) and Lip Sync opens the mouth with that bone.")


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
    """What Lip Sync and Talk say when the face mesh's mapped keys move no part of the mouth (blinks only), and
    which of its shape keys were left unkeyed because drivers set them."""
    if mesh is None or shape_key_map is None:
        return None
    driven = driven_face_keys(mesh)
    instead = (f"; the jaw bone {jaw_bone} is keyed to open the mouth" if jaw_bone
               else "; the face rig's bones are keyed for the mouth" if face_rig is not None else "")
    driven_note = (f"Left unkeyed, as drivers set them: {_driven_words(driven)}{instead}." if driven else "")
    if jaw_bone or face_rig is not None or any(
            channel.startswith(("jaw", "mouth")) for channel in shape_key_map.mapped_channels):
        return driven_note or None
    if driven:
        return (f"{driven_note} None of {mesh.name}'s other mapped shape keys moves the mouth, so only the eyes and "
                f"brows are animated; {_DRIVEN_FIX}.")
    return (f"None of {mesh.name}'s mapped shape keys moves the mouth, so only the eyes and brows are animated; add "
            f"mouth shape keys (jawOpen, mouthClose, visemes) or map them in the Shape Keys panel.")


def lip_sync_targets(obj):
    """(face mesh or None, its ShapeKeyMap or None, armature, jaw bone or None, FaceRig or None) for the selection.

    Shape keys that play jawOpen drive the mouth; else the armature's face rig (bone poses); else its jaw bone.
    Without any of them the selection is refused with the shape-key message (and, where the armature's bone map
    has no jaw, a word on picking one there).
    """
    armature = armature_of(obj)
    try:
        mesh = face_mesh_for(obj)
        shape_key_map = face_shape_key_map(mesh)
    except UserFacingError as error:
        face_rig = face_rig_for(armature)
        jaw_bone = None if face_rig is not None else jaw_bone_of(armature)
        if face_rig is None and jaw_bone is None:
            hint = _jaw_hint(armature)
            if hint and "jaw row" not in str(error):  # the driven-keys refusal already says it
                raise UserFacingError(f"{error} {hint}") from None
            raise
        return None, None, armature, jaw_bone, face_rig
    face_rig = face_rig_for(armature, shape_key_map)
    jaw_bone = None if face_rig is not None or "jawOpen" in shape_key_map.mapped_channels else jaw_bone_of(armature)
    return mesh, shape_key_map, armature, jaw_bone, face_rig
