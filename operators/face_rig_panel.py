"""Bone-driven faces in the UI: the "Face Rig" sub-panel shows where an armature's face poses come from (an
Action with one marked pose per viseme or ARKit channel, pose assets, or the built-in Rigify face) and the map
from face channels to those poses, editable row by row like the shape-key map, saved on the armature in the
.blend and as JSON (the same format as shape-key maps, with pose names for key names)."""

import bpy

from ..clips.arkit import ARKIT_BLENDSHAPES
from ..retarget import blender_face
from ..retarget.face_poses import pose_map_for
from ..retarget.shape_keys import ShapeKeyMap, ShapeKeyMapError
from .targets import armature_of

CHANNEL_ITEMS = [(name, name, f"ARKit channel {name}") for name in ARKIT_BLENDSHAPES]


OVERRIDABLE = {"LIBRARY_OVERRIDABLE"}


class SoundMotionFacePoseEntry(bpy.types.PropertyGroup):
    pose: bpy.props.StringProperty(name="Pose", override=OVERRIDABLE,
                                   description="Pose of the face rig (marker, pose asset or built-in)")
    channel: bpy.props.EnumProperty(name="Channel", items=CHANNEL_ITEMS, override=OVERRIDABLE,
                                    description="ARKit channel that drives it")
    weight: bpy.props.FloatProperty(name="Weight", default=1.0, soft_min=-1.0, soft_max=2.0, override=OVERRIDABLE,
                                    description="How much of the channel goes into the pose")


def _armature(context):
    return armature_of(context.active_object)


class _ArmatureOperator:
    @classmethod
    def poll(cls, context):
        return _armature(context) is not None


class SOUNDMOTION_OT_detect_face_poses(_ArmatureOperator, bpy.types.Operator):
    """Find the armature's face poses and map face channels onto them by their names, storing the map"""

    bl_idname = "soundmotion.detect_face_poses"
    bl_label = "Detect Face Poses"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        armature = _armature(context)
        poses = blender_face.face_poses_of(armature)
        if poses is None or not poses.poses:
            self.report({"ERROR"}, f"{armature.name} has no face poses: mark one pose per viseme or ARKit channel "
                                   "in an action (pose markers), make pose assets, or use a Rigify face rig.")
            return {"CANCELLED"}
        pose_map = pose_map_for(poses)
        if not pose_map.rows:
            self.report({"ERROR"}, f"None of {armature.name}'s poses ({', '.join(poses.names[:5])}) is named after a "
                                   "viseme or ARKit channel; name them so, or add rows by hand.")
            return {"CANCELLED"}
        blender_face.store_face_pose_map(armature, pose_map)
        self.report({"INFO"}, f"{armature.name}: {len(pose_map.rows)} of {len(poses.poses)} poses mapped "
                              f"({poses.source}).")
        return {"FINISHED"}


class SOUNDMOTION_OT_save_face_pose_map(_ArmatureOperator, bpy.types.Operator):
    """Save the armature's face-pose map as JSON"""

    bl_idname = "soundmotion.save_face_pose_map"
    bl_label = "Save Face-Pose Map"

    filepath: bpy.props.StringProperty(subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        stored = blender_face.stored_face_pose_map(_armature(context))
        if stored is None:
            self.report({"ERROR"}, "This armature has no stored face-pose map; run Detect Face Poses first.")
            return {"CANCELLED"}
        path = bpy.path.ensure_ext(bpy.path.abspath(self.filepath), ".json")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(stored.to_json())
        self.report({"INFO"}, f"Saved {len(stored.rows)} face-pose rows to {path}.")
        return {"FINISHED"}

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


class SOUNDMOTION_OT_load_face_pose_map(_ArmatureOperator, bpy.types.Operator):
    """Load a JSON face-pose map onto the armature"""

    bl_idname = "soundmotion.load_face_pose_map"
    bl_label = "Load Face-Pose Map"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        armature = _armature(context)
        path = bpy.path.abspath(self.filepath)
        try:
            with open(path, encoding="utf-8") as handle:
                loaded = ShapeKeyMap.from_json(handle.read())
        except OSError as error:
            self.report({"ERROR"}, f"Cannot read the face-pose map {path}: {error.strerror}.")
            return {"CANCELLED"}
        except ShapeKeyMapError as error:
            self.report({"ERROR"}, f"{path} is not a usable face-pose map. {error}")
            return {"CANCELLED"}
        blender_face.store_face_pose_map(armature, loaded)
        self.report({"INFO"}, f"{armature.name}: loaded {len(loaded.rows)} face-pose rows.")
        return {"FINISHED"}

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


class SOUNDMOTION_OT_add_face_pose_row(_ArmatureOperator, bpy.types.Operator):
    """Drive one more pose (or the same pose from one more channel)"""

    bl_idname = "soundmotion.add_face_pose_row"
    bl_label = "Add Face-Pose Row"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        getattr(_armature(context), blender_face.STORED_MAP).add()
        return {"FINISHED"}


class SOUNDMOTION_OT_remove_face_pose_row(_ArmatureOperator, bpy.types.Operator):
    """Stop driving this pose from this channel"""

    bl_idname = "soundmotion.remove_face_pose_row"
    bl_label = "Remove Face-Pose Row"
    bl_options = {"REGISTER", "UNDO"}

    index: bpy.props.IntProperty(name="Row", min=0)

    def execute(self, context):
        entries = getattr(_armature(context), blender_face.STORED_MAP)
        if self.index >= len(entries):
            self.report({"ERROR"}, f"There is no face-pose row {self.index}.")
            return {"CANCELLED"}
        entries.remove(self.index)
        return {"FINISHED"}


class SOUNDMOTION_PT_face_rig(bpy.types.Panel):
    bl_idname = "SOUNDMOTION_PT_face_rig"
    bl_label = "Face Rig"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SoundMotion"
    bl_parent_id = "SOUNDMOTION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        armature = _armature(context)
        if armature is None:
            layout.label(text="Select the character's armature.")
            return
        layout.prop_search(armature, blender_face.STORED_SOURCE, bpy.data, "actions", text="Pose Action")
        row = layout.row(align=True)
        row.operator(SOUNDMOTION_OT_detect_face_poses.bl_idname, icon="VIEWZOOM")
        row.operator(SOUNDMOTION_OT_load_face_pose_map.bl_idname, text="", icon="IMPORT")
        row.operator(SOUNDMOTION_OT_save_face_pose_map.bl_idname, text="", icon="EXPORT")
        if blender_face.stored_face_pose_map(armature) is None:
            layout.label(text="Not stored; Detect maps poses by their names.", icon="INFO")
            return
        column = layout.column(align=True)
        for index, entry in enumerate(getattr(armature, blender_face.STORED_MAP)):
            line = column.row(align=True)
            line.prop(entry, "pose", text="")
            line.prop(entry, "channel", text="")
            line.prop(entry, "weight", text="")
            line.operator(SOUNDMOTION_OT_remove_face_pose_row.bl_idname, text="", icon="X").index = index
        layout.operator(SOUNDMOTION_OT_add_face_pose_row.bl_idname, text="Add Row", icon="ADD")


CLASSES = (SoundMotionFacePoseEntry, SOUNDMOTION_OT_detect_face_poses, SOUNDMOTION_OT_save_face_pose_map,
           SOUNDMOTION_OT_load_face_pose_map, SOUNDMOTION_OT_add_face_pose_row, SOUNDMOTION_OT_remove_face_pose_row,
           SOUNDMOTION_PT_face_rig)


def register():
    bpy.types.Object.soundmotion_face_pose_map = bpy.props.CollectionProperty(
        type=SoundMotionFacePoseEntry, override={"LIBRARY_OVERRIDABLE", "USE_INSERTION"})
    bpy.types.Object.soundmotion_face_pose_source = bpy.props.StringProperty(
        name="Pose Action", override={"LIBRARY_OVERRIDABLE"},
        description="Action with one marked pose per viseme or ARKit channel; empty: marked poses found in the file, "
                    "else pose assets, else a built-in face rig (Rigify's face)")


def unregister():
    del bpy.types.Object.soundmotion_face_pose_source
    del bpy.types.Object.soundmotion_face_pose_map
