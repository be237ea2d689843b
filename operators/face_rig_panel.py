"""Bone-driven faces in the UI: the "Face Rig" sub-panel shows where an armature's face poses come from (an
Action with one marked pose per viseme or ARKit channel, pose assets, or the built-in Rigify face) and the map
from face channels to those poses, editable row by row like the shape-key map, saved on the armature in the
.blend and as JSON (the same format as shape-key maps, with pose names for key names)."""

import bpy

from ..clips.arkit import ARKIT_BLENDSHAPES
from ..retarget import blender_face, blender_rig
from ..retarget.face_poses import pose_map_for
from .map_files import read_map, save_map
from .settings import RELATIVE_PATH_OPTIONS
from .targets import armature_of
from .user_errors import ChoosesFileFirst, reports_errors

CHANNEL_ITEMS = [(name, name, f"ARKit channel {name}") for name in ARKIT_BLENDSHAPES]


OVERRIDABLE = {"LIBRARY_OVERRIDABLE"}


def _edited(entry, _context):
    blender_face.mirror_face_pose_map(entry.id_data)  # the string copy a library override keeps whole


class SoundMotionFacePoseEntry(bpy.types.PropertyGroup):
    pose: bpy.props.StringProperty(name="Pose", override=OVERRIDABLE, update=_edited,
                                   description="Pose of the face rig (marker, pose asset or built-in)")
    channel: bpy.props.EnumProperty(name="Channel", items=CHANNEL_ITEMS, override=OVERRIDABLE, update=_edited,
                                    description="ARKit channel that drives it")
    weight: bpy.props.FloatProperty(name="Weight", default=1.0, soft_min=-1.0, soft_max=2.0, override=OVERRIDABLE,
                                    update=_edited, description="How much of the channel goes into the pose")


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

    @reports_errors
    def execute(self, context):
        armature = _armature(context)
        blender_rig.require_editable(armature)  # a map stored on linked data is not saved
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


class SOUNDMOTION_OT_save_face_pose_map(ChoosesFileFirst, _ArmatureOperator, bpy.types.Operator):
    """Save the armature's face-pose map as JSON"""

    bl_idname = "soundmotion.save_face_pose_map"
    bl_label = "Save Face-Pose Map"

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    @reports_errors
    def execute(self, context):
        return save_map(self, blender_face.stored_face_pose_map(_armature(context)), "face-pose map", "armature",
                        "Detect Face Poses")


class SOUNDMOTION_OT_load_face_pose_map(ChoosesFileFirst, _ArmatureOperator, bpy.types.Operator):
    """Load a JSON face-pose map onto the armature"""

    bl_idname = "soundmotion.load_face_pose_map"
    bl_label = "Load Face-Pose Map"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})

    @reports_errors
    def execute(self, context):
        armature = _armature(context)
        blender_rig.require_editable(armature)  # a map stored on linked data is not saved
        read = read_map(self, "face-pose map")
        if read is None:
            return {"CANCELLED"}
        path, loaded = read
        poses = blender_face.face_poses_of(armature)
        known = set(poses.names) if poses is not None and poses.poses else None
        if not loaded.rows or (known is not None and not known & set(loaded.rows)):
            # the map on the armature is kept: an empty or foreign map would silently leave the face still
            self.report({"ERROR"}, f"{path} maps none of {armature.name}'s face poses; choose a map saved for this "
                                   "rig, or run Detect Face Poses.")
            return {"CANCELLED"}
        blender_face.store_face_pose_map(armature, loaded)
        self.report({"INFO"}, f"{armature.name}: loaded {len(loaded.rows)} face-pose rows.")
        return {"FINISHED"}


class SOUNDMOTION_OT_add_face_pose_row(_ArmatureOperator, bpy.types.Operator):
    """Drive one more pose (or the same pose from one more channel)"""

    bl_idname = "soundmotion.add_face_pose_row"
    bl_label = "Add Face-Pose Row"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        armature = _armature(context)
        blender_rig.require_editable(armature)  # a map stored on linked data is not saved
        getattr(armature, blender_face.STORED_MAP).add()
        blender_face.mirror_face_pose_map(armature)
        return {"FINISHED"}


class SOUNDMOTION_OT_remove_face_pose_row(_ArmatureOperator, bpy.types.Operator):
    """Stop driving this pose from this channel"""

    bl_idname = "soundmotion.remove_face_pose_row"
    bl_label = "Remove Face-Pose Row"
    bl_options = {"REGISTER", "UNDO"}

    index: bpy.props.IntProperty(name="Row", min=0)

    @reports_errors
    def execute(self, context):
        blender_rig.require_editable(_armature(context))
        entries = getattr(_armature(context), blender_face.STORED_MAP)
        if self.index >= len(entries):
            self.report({"ERROR"}, f"There is no face-pose row {self.index}.")
            return {"CANCELLED"}
        entries.remove(self.index)
        blender_face.mirror_face_pose_map(_armature(context))
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
        layout.prop(armature, blender_face.STORED_SOURCE, text="Pose Action")
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


@bpy.app.handlers.persistent
def _restore_override_maps(_):
    blender_face.restore_override_face_pose_maps()


def _restore_override_maps_now():
    blender_face.restore_override_face_pose_maps()
    return None  # once


def register():
    # Overridable: a linked character's library override keeps the map edited on it (as rows while the file is
    # open; Blender saves only part of a Python collection on an override, so a string copy carries it over).
    bpy.types.Object.soundmotion_face_pose_map = bpy.props.CollectionProperty(
        type=SoundMotionFacePoseEntry, override={"LIBRARY_OVERRIDABLE", "USE_INSERTION"})
    bpy.types.Object.soundmotion_face_pose_map_json = bpy.props.StringProperty(
        name="Face-Pose Map (JSON)", override={"LIBRARY_OVERRIDABLE"}, options={"HIDDEN"},
        description="The face-pose map as one string, kept in step with the rows")
    bpy.app.handlers.load_post.append(_restore_override_maps)
    # Enabled with a shot already open: its overrides' maps were dropped at load (the properties were not
    # registered); put back once registration is over (bpy.data is off limits during it).
    bpy.app.timers.register(_restore_override_maps_now, first_interval=0.0)
    # A pointer, not a name: a character linked into a shot brings the pose action set on it in its own file.
    bpy.types.Object.soundmotion_face_pose_action = bpy.props.PointerProperty(
        type=bpy.types.Action, name="Pose Action", override={"LIBRARY_OVERRIDABLE"},
        description="Action with one marked pose per viseme or ARKit channel; empty: marked poses found in the file, "
                    "else pose assets, else a built-in face rig (Rigify's face)")


def unregister():
    if _restore_override_maps in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_restore_override_maps)
    del bpy.types.Object.soundmotion_face_pose_map_json
    del bpy.types.Object.soundmotion_face_pose_action
    del bpy.types.Object.soundmotion_face_pose_map
