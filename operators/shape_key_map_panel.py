"""The shape-key map of the selected face mesh: operators "Detect / Save / Load Shape-Key Map", add and remove
rows, and the "Shape Keys" sub-panel that lists and edits the map stored on the mesh (saved in the .blend)."""

import textwrap

import bpy

from ..errors import SoundMotionError
from ..retarget.shape_keys import ShapeKeyMap, map_shape_keys, preset_label, preset_names, unused_keys
from .map_files import read_map, save_map
from .settings import RELATIVE_PATH_OPTIONS
from .stored_shape_key_map import (STORED_MAP, STORED_PRESET, SoundMotionShapeKeyMapEntry, store_shape_key_map,
                                   stored_shape_key_map)
from .stored_shape_key_map import register as register_storage
from .stored_shape_key_map import unregister as unregister_storage
from .targets import face_mesh_for
from .user_errors import ChoosesFileFirst, reports_errors


def _preset_choices(self, context):
    return [("AUTO", "Auto", "Detect the naming scheme from the key names")] + \
        [(name, preset_label(name), f"Preset {preset_label(name)}") for name in preset_names()]


def _key_names(mesh):
    return [block.name for block in mesh.data.shape_keys.key_blocks[1:]]


def _face_mesh(context):
    """The face mesh of the selection, or None (the panel shows a hint instead of raising)."""
    return _face_mesh_or_why(context)[0]


def _face_mesh_or_why(context):
    """(the face mesh of the selection, "") or (None, the sentence saying why there is none: a linked or
    not-editable character's refusal included, which raised in every poll and left the panel empty)."""
    try:
        return face_mesh_for(context.active_object), ""
    except SoundMotionError as error:
        return None, str(error)


class _MeshOperator:
    @classmethod
    def poll(cls, context):
        return _face_mesh(context) is not None


class SOUNDMOTION_OT_detect_shape_key_map(_MeshOperator, bpy.types.Operator):
    """Detect which ARKit channels drive each shape key of the face mesh, and store the map on it"""

    bl_idname = "soundmotion.detect_shape_key_map"
    bl_label = "Detect Shape-Key Map"
    bl_options = {"REGISTER", "UNDO"}

    preset: bpy.props.EnumProperty(name="Preset", items=_preset_choices)

    @reports_errors
    def execute(self, context):
        mesh = _face_mesh(context)
        detected = map_shape_keys(_key_names(mesh), None if self.preset == "AUTO" else self.preset)
        if not detected.rows:
            self.report({"ERROR"}, f"None of {mesh.name}'s shape keys match a face channel; pick a preset or "
                                   "load a shape-key map.")
            return {"CANCELLED"}
        store_shape_key_map(mesh, detected)
        scheme = preset_label(detected.preset) if detected.preset else "ARKit names"
        self.report({"INFO"}, f"{mesh.name}: {len(detected.rows)} shape keys mapped ({scheme}).")
        return {"FINISHED"}


class SOUNDMOTION_OT_save_shape_key_map(ChoosesFileFirst, _MeshOperator, bpy.types.Operator):
    """Save the face mesh's shape-key map as a JSON preset"""

    bl_idname = "soundmotion.save_shape_key_map"
    bl_label = "Save Shape-Key Map"

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    @reports_errors
    def execute(self, context):
        return save_map(self, stored_shape_key_map(_face_mesh(context)), "shape-key map", "mesh",
                        "Detect Shape-Key Map")


class SOUNDMOTION_OT_load_shape_key_map(ChoosesFileFirst, _MeshOperator, bpy.types.Operator):
    """Load a JSON shape-key map onto the face mesh (rows for keys the mesh lacks are left out)"""

    bl_idname = "soundmotion.load_shape_key_map"
    bl_label = "Load Shape-Key Map"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    @reports_errors
    def execute(self, context):
        mesh = _face_mesh(context)
        read = read_map(self, "shape-key map")
        if read is None:
            return {"CANCELLED"}
        path, loaded = read
        names = set(_key_names(mesh))
        missing = [key for key in loaded.rows if key not in names]
        kept = ShapeKeyMap({key: row for key, row in loaded.rows.items() if key in names}, loaded.preset)
        if not kept.rows:
            self.report({"ERROR"}, f"None of the map's shape keys ({', '.join(missing[:5])}) exist on {mesh.name}.")
            return {"CANCELLED"}
        store_shape_key_map(mesh, kept)
        note = f"; not on this mesh: {', '.join(missing)}" if missing else ""
        self.report({"INFO"}, f"{mesh.name}: loaded {len(kept.rows)} shape-key rows{note}.")
        return {"FINISHED"}


class SOUNDMOTION_OT_add_shape_key_row(_MeshOperator, bpy.types.Operator):
    """Drive one more shape key (or the same key from one more channel)"""

    bl_idname = "soundmotion.add_shape_key_row"
    bl_label = "Add Shape-Key Row"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        mesh = _face_mesh(context)
        entries = getattr(mesh, STORED_MAP)
        stored = stored_shape_key_map(mesh)
        free = unused_keys(_key_names(mesh), stored or ShapeKeyMap())
        entry = entries.add()
        entry.key = free[0] if free else ""
        return {"FINISHED"}


class SOUNDMOTION_OT_remove_shape_key_row(_MeshOperator, bpy.types.Operator):
    """Stop driving this shape key from this channel"""

    bl_idname = "soundmotion.remove_shape_key_row"
    bl_label = "Remove Shape-Key Row"
    bl_options = {"REGISTER", "UNDO"}

    index: bpy.props.IntProperty(name="Row", min=0)

    @reports_errors
    def execute(self, context):
        entries = getattr(_face_mesh(context), STORED_MAP)
        if self.index >= len(entries):
            self.report({"ERROR"}, f"There is no shape-key row {self.index}.")
            return {"CANCELLED"}
        entries.remove(self.index)
        return {"FINISHED"}


class SOUNDMOTION_PT_shape_key_map(bpy.types.Panel):
    bl_idname = "SOUNDMOTION_PT_shape_key_map"
    bl_label = "Shape Keys"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SoundMotion"
    bl_parent_id = "SOUNDMOTION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        mesh, why = _face_mesh_or_why(context)
        if mesh is None:
            for line in textwrap.wrap(why or "Select the face mesh (with shape keys) or its armature.", 48):
                layout.label(text=line)
            return
        layout.label(text=mesh.name, icon="SHAPEKEY_DATA")
        row = layout.row(align=True)
        row.operator(SOUNDMOTION_OT_detect_shape_key_map.bl_idname, icon="VIEWZOOM")
        row.operator(SOUNDMOTION_OT_load_shape_key_map.bl_idname, text="", icon="IMPORT")
        row.operator(SOUNDMOTION_OT_save_shape_key_map.bl_idname, text="", icon="EXPORT")
        stored = stored_shape_key_map(mesh)
        if stored is None:
            detected = map_shape_keys(_key_names(mesh))
            layout.label(text=f"Not stored; auto-detect maps {len(detected.rows)} keys.", icon="INFO")
            return
        preset = getattr(mesh, STORED_PRESET)
        layout.label(text=f"Preset: {preset_label(preset) if preset else 'ARKit names'}")
        column = layout.column(align=True)
        for index, entry in enumerate(getattr(mesh, STORED_MAP)):
            line = column.row(align=True)
            line.prop_search(entry, "key", mesh.data.shape_keys, "key_blocks", text="")
            line.prop(entry, "channel", text="")
            line.prop(entry, "weight", text="")
            line.operator(SOUNDMOTION_OT_remove_shape_key_row.bl_idname, text="", icon="X").index = index
        layout.operator(SOUNDMOTION_OT_add_shape_key_row.bl_idname, text="Add Row", icon="ADD")
        _wrapped_list(layout, "Unmapped channels", stored.unmapped_channels)
        _wrapped_list(layout, "Shape keys not driven", unused_keys(_key_names(mesh), stored))


def _wrapped_list(layout, title, names, per_line=3):
    if not names:
        return
    box = layout.box()
    box.label(text=f"{title} ({len(names)}):")
    for start in range(0, len(names), per_line):
        box.label(text=", ".join(names[start:start + per_line]))


CLASSES = (SoundMotionShapeKeyMapEntry, SOUNDMOTION_OT_detect_shape_key_map, SOUNDMOTION_OT_save_shape_key_map,
           SOUNDMOTION_OT_load_shape_key_map, SOUNDMOTION_OT_add_shape_key_row, SOUNDMOTION_OT_remove_shape_key_row,
           SOUNDMOTION_PT_shape_key_map)


def register():
    register_storage()


def unregister():
    unregister_storage()
