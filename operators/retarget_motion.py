"""Operators "Retarget Motion" (a source armature or a .bvh/.npz file → the active armature) and "Detect Bone
Map", the bone map stored on each armature (editable in the panel, saved in the .blend, JSON in/out)."""

import os

import bpy

from ..errors import file_name_with
from ..retarget import blender_rig
from ..retarget.bone_map import BoneMap, preset_names
from ..retarget.canonical import REQUIRED
from ..retarget.errors import RetargetError
from ..retarget.motion_file import load_motion_file
from ..retarget.pipeline import retarget_source
from ..retarget.root_motion import RootMode
from ..takes.key_poses import KeyStyle
from . import previous_state
from .background_job import BackgroundJobOperator
from .keyframes import KEY_ITEMS
from .settings import RELATIVE_PATH_OPTIONS
from .user_errors import ChoosesFileFirst, reports_errors

ROOT_MODES = [
    (RootMode.FULL.value, "Full", "Travel and height, scaled by the ratio of leg lengths"),
    (RootMode.IN_PLACE.value, "In Place", "No travel; crouches and jumps kept"),
    (RootMode.KEEP_HEIGHT.value, "Keep Height", "Travel kept; pelvis height fixed"),
    (RootMode.NONE.value, "No Root", "Pelvis stays at its rest position"),
]


def _user_fixed(entry, context):
    entry.confidence = 1.0  # a row the user picked is certain; store_bone_map sets detected values after
    blender_rig.mirror_bone_map(entry.id_data)


OVERRIDABLE = {"LIBRARY_OVERRIDABLE"}  # rows edited on a linked character's library override are kept


class SoundMotionBoneMapEntry(bpy.types.PropertyGroup):
    joint: bpy.props.StringProperty(name="Joint", description="Canonical (SMPL-X) joint", override=OVERRIDABLE)
    bone: bpy.props.StringProperty(name="Bone", description="Bone of this armature that plays the joint",
                                   update=_user_fixed, override=OVERRIDABLE)
    confidence: bpy.props.FloatProperty(name="Confidence", min=0.0, max=1.0, default=1.0, subtype="FACTOR",
                                        override=OVERRIDABLE,
                                        description="How sure detection was of this row (1 for preset names and "
                                                    "rows you picked)")


def _map_choices(self, context):
    return [("AUTO", "Auto", "Stored map of the armature, else detected")] + \
        [(name, name, f"Preset {name}") for name in preset_names()]


class SOUNDMOTION_OT_retarget_motion(BackgroundJobOperator, bpy.types.Operator):
    """Retarget motion from another armature or a BVH / SMPL-X .npz file onto the active armature"""

    bl_idname = "soundmotion.retarget_motion"
    bl_label = "Retarget Motion"
    bl_options = {"REGISTER", "UNDO"}
    job_title = "Retarget Motion"

    source: bpy.props.EnumProperty(name="Source", items=[("FILE", "File", "A .bvh or .npz motion file"),
                                                          ("ARMATURE", "Armature", "Another animated armature")])
    filepath: bpy.props.StringProperty(name="Motion File", subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(default="*.bvh;*.npz", options={"HIDDEN"})
    source_armature: bpy.props.StringProperty(name="Source Armature")
    bone_map: bpy.props.EnumProperty(name="Bone Map", items=_map_choices)
    root_mode: bpy.props.EnumProperty(name="Root Motion", items=ROOT_MODES, default=RootMode.FULL.value)
    keep_feet: bpy.props.BoolProperty(name="Keep Feet Planted", default=True)
    ik_limbs: bpy.props.EnumProperty(name="IK Limbs", default="LEGS", items=[
        ("NONE", "FK Only", "Key the FK controls only"),
        ("LEGS", "IK Legs", "Also key the legs' IK targets and poles and switch the legs to IK (rigs with IK legs)"),
        ("ALL", "IK Legs and Arms", "Also key IK targets and poles of the arms")])
    up_axis: bpy.props.EnumProperty(name="Source Up", default="auto", items=[
        ("auto", "Auto", "Read the file's up axis from its content"),
        ("y", "Y", "The file's world is Y-up (BEAT2, EMAGE, EDGE, most BVH)"),
        ("z", "Z", "The file's world is Z-up (AMASS, Blender exports)")])
    keys: bpy.props.EnumProperty(name="Keys", items=KEY_ITEMS, default="FRAMES",
                                 description="Captured motion is kept as it was captured (every frame) by default")

    @classmethod
    def poll(cls, context):
        return context.active_object is not None and context.active_object.type == "ARMATURE"

    def prepare(self, context):
        """Read the source (file or armature), the target's rest and its bone map; refuse before anything runs."""
        scene = context.scene
        target = context.active_object
        source = self._source(context)
        note = ""
        if self.source == "ARMATURE":
            first, last = _animated_range(bpy.data.objects[self.source_armature], scene)
            note = f"; {self.source_armature}'s frames {first}–{last}"
        blender_rig.require_not_tweaking(blender_rig.require_armature(target))
        rest = blender_rig.read_rig_rest(target)
        bone_map = blender_rig.bone_map_for(target, None if self.bone_map == "AUTO" else self.bone_map)
        return {"armature_name": target.name, "fps": blender_rig.scene_fps(scene), "frame_start": scene.frame_current,
                "source": source, "rest": rest, "bone_map": bone_map, "source_note": note}

    def compute(self, inputs, progress):
        """The retarget itself (numpy, no bpy): joint rotations, root motion and planted feet."""
        progress(0.05, f"Retargeting {inputs['source'].label}")
        result = retarget_source(inputs["source"], inputs["rest"], inputs["bone_map"], RootMode(self.root_mode),
                                 self.keep_feet)
        progress(0.9, "Writing keys")
        return {**inputs, "retarget": result}

    def apply(self, context, result):
        scene, target, source = context.scene, bpy.data.objects[result["armature_name"]], result["source"]
        start = result["frame_start"]
        action, written = blender_rig.key_retarget(
            target, result["rest"], result["retarget"], f"{source.label} → {target.name}", start,
            KeyStyle(self.keys), ik_limbs=self.ik_limbs, bone_map=result["bone_map"])
        previous_state.extend_frame_end(scene, start + written.num_frames - 1, [target])
        note = f"; not in the source: {', '.join(written.unmapped_joints)}" if written.unmapped_joints else ""
        note += result["source_note"]
        said = "".join(f" {line}." for line in source.notes)  # e.g. a file that names no frame rate
        self.report({"INFO"}, f"Retargeted {written.num_frames} frames onto {target.name} as '{action.name}' "
                              f"({len(written.mapped_joints)} joints{note}).{said}")

    def invoke(self, context, event):
        if self.source == "FILE" and not self.filepath:
            self._chose_file = True
            context.window_manager.fileselect_add(self)  # execute() runs when a file is chosen
            return {"RUNNING_MODAL"}
        return super().invoke(context, event)

    def execute(self, context):
        if getattr(self, "_chose_file", False) and context.window is not None:  # the file browser's OK
            self._chose_file = False
            return self.start_modal(context)
        return super().execute(context)

    def _source(self, context):
        scene = context.scene
        if self.source == "FILE":
            if not self.filepath:
                raise RetargetError("Choose a .bvh or .npz motion file to retarget.")
            return load_motion_file(bpy.path.abspath(self.filepath), fps=blender_rig.scene_fps(scene),
                                    up_axis=self.up_axis)
        source_obj = bpy.data.objects.get(self.source_armature)
        if source_obj is None or source_obj is context.active_object:
            raise RetargetError("Choose a source armature other than the active (target) armature.")
        first, last = _animated_range(source_obj, scene)
        return blender_rig.source_from_armature(source_obj, first, last, scene)


def _animated_range(obj, scene) -> tuple:
    """The frames the source armature's animation covers: its action's range, else its NLA strips', else the
    scene's (the scene's range cut a 562-frame capture to 250 frames, or padded a short one with its last pose)."""
    data = obj.animation_data
    spans = []
    if data is not None and data.action is not None:
        spans.append(tuple(data.action.frame_range))
    if data is not None:
        spans += [(strip.frame_start, strip.frame_end) for track in data.nla_tracks if not track.mute
                  for strip in track.strips if not strip.mute]
    if not spans:
        return scene.frame_start, scene.frame_end
    return int(round(min(a for a, _ in spans))), int(round(max(b for _, b in spans)))


class SOUNDMOTION_OT_detect_bone_map(bpy.types.Operator):
    """Detect which bone of the active armature plays each canonical joint, and store the map on it"""

    bl_idname = "soundmotion.detect_bone_map"
    bl_label = "Detect Bone Map"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return context.active_object is not None and context.active_object.type == "ARMATURE"

    @reports_errors
    def execute(self, context):
        obj = context.active_object
        blender_rig.require_editable(obj)  # a map stored on linked data is not saved with the shot
        try:
            detected = blender_rig.detect_bone_map(blender_rig.read_rig_rest(obj, to_animate=False),
                                                   f"Armature '{obj.name}'")
        except RetargetError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        blender_rig.store_bone_map(obj, detected)
        unsure = sorted(j for j, c in detected.confidence.items() if c < 0.6)
        note = f"; check {', '.join(unsure)} in the panel" if unsure else ""
        self.report({"INFO"}, f"{obj.name}: {detected.name} map, {len(detected.bones)} joints mapped{note}.")
        return {"FINISHED"}


class SOUNDMOTION_OT_save_bone_map(ChoosesFileFirst, bpy.types.Operator):
    """Save the active armature's bone map as a JSON preset"""

    bl_idname = "soundmotion.save_bone_map"
    bl_label = "Save Bone Map"
    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)

    @reports_errors
    def execute(self, context):
        stored = blender_rig.stored_bone_map(context.active_object)
        if stored is None:
            self.report({"ERROR"}, "This armature has no stored bone map; run Detect Bone Map first.")
            return {"CANCELLED"}
        path = file_name_with(bpy.path.abspath(self.filepath), ".json", "bone map", RetargetError)
        stored.save(path)
        self.report({"INFO"}, f"Saved the bone map to {path}.")
        return {"FINISHED"}


class SOUNDMOTION_OT_load_bone_map(ChoosesFileFirst, bpy.types.Operator):
    """Load a JSON bone map onto the active armature"""

    bl_idname = "soundmotion.load_bone_map"
    bl_label = "Load Bone Map"
    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)

    @reports_errors
    def execute(self, context):
        obj = context.active_object
        blender_rig.require_editable(obj)
        path = bpy.path.abspath(self.filepath)
        loaded = BoneMap.load(path)
        kept = loaded.restricted_to(obj.data.bones.keys())
        missing = kept.missing_required()
        if missing:  # the armature keeps its map: a map it cannot use would only make Dance and Retarget fail
            absent = sorted({loaded.bones[j] for j in missing if j in loaded.bones})
            detail = f" (no bone named {', '.join(absent[:6])} on it)" if absent else ""
            raise RetargetError(f"{os.path.basename(path)} does not fit {obj.name}: it maps no bone for "
                                f"{', '.join(missing[:6])}{detail}. The armature keeps its current map; choose "
                                "the map saved for this rig or edit it in the panel.")
        blender_rig.store_bone_map(obj, kept)
        self.report({"INFO"}, f"{obj.name}: loaded {len(kept.bones)} joints from {os.path.basename(path)}.")
        return {"FINISHED"}


class SOUNDMOTION_PT_retarget(bpy.types.Panel):
    bl_idname = "SOUNDMOTION_PT_retarget"
    bl_label = "Retarget"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SoundMotion"

    def draw(self, context):
        layout = self.layout
        obj = context.active_object
        if obj is None or obj.type != "ARMATURE":
            layout.label(text="Select the character's armature.")
            return
        layout.operator(SOUNDMOTION_OT_retarget_motion.bl_idname, icon="ARMATURE_DATA")
        row = layout.row(align=True)
        row.operator(SOUNDMOTION_OT_detect_bone_map.bl_idname, icon="VIEWZOOM")
        row.operator(SOUNDMOTION_OT_load_bone_map.bl_idname, text="", icon="IMPORT")
        row.operator(SOUNDMOTION_OT_save_bone_map.bl_idname, text="", icon="EXPORT")
        entries = getattr(obj, blender_rig.STORED_MAP)
        missing = [e.joint for e in entries if e.joint in REQUIRED and not e.bone]
        if missing:
            layout.label(text=f"Unmapped: {', '.join(missing)}", icon="ERROR")
        unsure = [e.joint for e in entries if e.bone and e.confidence < 0.6]
        if unsure:
            layout.label(text=f"Check: {', '.join(unsure[:4])}{'…' if len(unsure) > 4 else ''}", icon="QUESTION")
        column = layout.column(align=True)
        for entry in entries:
            row = column.row(align=True)
            row.alert = bool(entry.bone) and entry.confidence < 0.6
            row.prop_search(entry, "bone", obj.data, "bones", text=entry.joint)
            if entry.bone and entry.joint != blender_rig.TRAVEL_ENTRY:
                row.label(text=f"{entry.confidence:.0%}")


CLASSES = (SoundMotionBoneMapEntry, SOUNDMOTION_OT_retarget_motion, SOUNDMOTION_OT_detect_bone_map,
           SOUNDMOTION_OT_save_bone_map, SOUNDMOTION_OT_load_bone_map, SOUNDMOTION_PT_retarget)


@bpy.app.handlers.persistent
def _restore_override_maps(_):
    blender_rig.restore_override_bone_maps()


def _restore_override_maps_now():
    blender_rig.restore_override_bone_maps()
    return None  # once


def register():
    # Overridable: a linked character's library override keeps the map edited on it (as rows while the file is
    # open; Blender saves only part of a Python collection on an override, so a string copy carries it over).
    bpy.types.Object.soundmotion_bone_map = bpy.props.CollectionProperty(
        type=SoundMotionBoneMapEntry, override={"LIBRARY_OVERRIDABLE", "USE_INSERTION"})
    bpy.types.Object.soundmotion_bone_map_json = bpy.props.StringProperty(
        name="Bone Map (JSON)", override={"LIBRARY_OVERRIDABLE"}, options={"HIDDEN"},
        description="The bone map as one string, kept in step with the rows")
    bpy.app.handlers.load_post.append(_restore_override_maps)
    # Enabled with a shot already open: its overrides' maps were dropped at load (the properties were not
    # registered); put back once registration is over (bpy.data is off limits during it).
    bpy.app.timers.register(_restore_override_maps_now, first_interval=0.0)


def unregister():
    if _restore_override_maps in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_restore_override_maps)
    del bpy.types.Object.soundmotion_bone_map_json
    del bpy.types.Object.soundmotion_bone_map
