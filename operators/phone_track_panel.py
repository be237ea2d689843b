"""The phone/word track of the selected face take, editable in the sidebar, and the mouth style.

Sub-panels of the SoundMotion tab:
- *Phone Track*: the words and phones the latest face take used, as two lists (scene frames). Retime a word
  (its phones move and stretch with it) or a phone (its neighbour's edge follows), change a phone or pick a
  viseme, insert or delete a phone, then *Re-apply* rebuilds the face from the edited track and the voice
  measures stored with the take, without analysing the audio again (and the jaw bone the line opens, if any, in
  its armature take). Word markers on the timeline; the mouth cues and Live Link CSV exports follow the edited
  track.
- *Mouth Style*: hold vs. blend, minimum hold, stepped keys (on ones/twos/threes), a 2D mouth index.
"""

import os
import time

import bpy

from ..models.face.exports import ExportError, write_live_link_csv, write_mouth_cues
from ..models.face.pipeline import FaceSettingsError, face_from_phones
from ..retarget import blender_rig
from ..retarget.jaw_bone import fit_frames, jaw_rotations_from_clip
from ..takes import phone_track
from . import previous_state
from .action_channels import take_on_track
from .background_job import UserFacingError
from .face_take import (face_take_of, jaw_key_style, read_track, refresh_word_markers, take_face_settings,
                        write_face_takes, write_rows)
from .keyframes import rekey_bone
from .targets import face_mesh_for, face_shape_key_map
from .user_errors import ChoosesFileFirst, reports_errors


def _take(context):
    """(action, datablock) of the selection's latest face take with a track, or (None, None)."""
    obj = context.active_object
    try:
        mesh = face_mesh_for(obj)
    except UserFacingError:
        mesh = None
    action, block = face_take_of(mesh) if mesh is not None else (None, None)
    if action is None:
        action, block = face_take_of(obj)
    return action, block


class _TakeOperator:
    @classmethod
    def poll(cls, context):
        return _take(context)[0] is not None


def _edited_face(context, action):
    """The face rebuilt from the take's (edited) track with the scene's current face settings and the take's own
    emotion and language."""
    words, phones, voice, meta = read_track(action)
    fps = blender_rig.scene_fps(context.scene)
    if abs(fps - meta["fps"]) > 1e-6:  # the scene's rate changed since the take: the same seconds at the new rate
        words, phones = phone_track.retimed(words, phones, meta["frame_start"], meta["fps"], fps)
        meta = {**meta, "fps": fps}
    try:
        segments = phone_track.segments(phones, words, meta["frame_start"], meta["fps"])
    except ValueError as error:
        raise UserFacingError(str(error)) from None
    settings = take_face_settings(context.scene, meta)
    settings.validate()
    return face_from_phones(segments, voice, meta["fps"], settings), words, phones, voice, meta, settings


class SOUNDMOTION_OT_reapply_track(_TakeOperator, bpy.types.Operator):
    """Rebuild the face from the edited phone track (and the current mouth style), without analysing the audio"""

    bl_idname = "soundmotion.reapply_track"
    bl_label = "Re-apply"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        began = time.perf_counter()
        action, _ = _take(context)
        try:
            face, words, phones, voice, meta, settings = _edited_face(context, action)
            mesh = bpy.data.objects.get(meta["mesh"]) if meta["mesh"] else None
            sprite = bpy.data.objects.get(meta["sprite"]) if meta["sprite"] else None
            if mesh is None and sprite is None:
                raise UserFacingError("The objects this take animated are gone; run Lip Sync again.")
            key_values = face_shape_key_map(mesh).key_values(face.clip) if mesh is not None else {}
            jaw = meta.get("jaw") or {}
            armature = bpy.data.objects.get(jaw.get("armature", ""))
            with previous_state.all_or_nothing([]) as written:
                parts = write_face_takes(context.scene, meta["stem"], meta["frame_start"], mesh, key_values, sprite,
                                         meta["chart"], face, voice, meta["keys"], written, track=(words, phones),
                                         audio_path=meta["audio"], settings=settings, jaw=jaw)
                if armature is not None and jaw["bone"] in armature.pose.bones:
                    parts.append(_reapply_jaw(armature, jaw, face, meta))
                    written.append(armature)
        except (UserFacingError, FaceSettingsError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Re-applied the edited track in {time.perf_counter() - began:.2f} s: "
                              f"{' and '.join(parts)}.")
        return {"FINISHED"}


def _reapply_jaw(armature, jaw: dict, face, meta: dict) -> str:
    """The jaw bone the line opens, re-keyed from the rebuilt face in the next version of its armature take."""
    bone = jaw["bone"]
    rotations = jaw_rotations_from_clip(face.clip, blender_rig.read_rig_rest(armature), bone)
    old = take_on_track(armature, jaw["take"])
    if old is not None:  # a Talk take runs on past the face while the hands settle: the jaw rests there
        count = int(round(old.action.frame_range[1] - old.action.frame_range[0])) + 1
        rotations = fit_frames(rotations, max(count, len(rotations)))
    style = jaw_key_style(meta["keys"], face.phones, meta["fps"], len(rotations), bone)
    action = rekey_bone(armature, jaw["take"], meta["frame_start"], bone, rotations, style)
    return f"{action.name}: jaw bone {bone}"


class SOUNDMOTION_OT_track_insert_phone(_TakeOperator, bpy.types.Operator):
    """Split the selected phone: a new phone takes its second half"""

    bl_idname = "soundmotion.track_insert_phone"
    bl_label = "Insert Phone"
    bl_options = {"REGISTER", "UNDO"}

    phone: bpy.props.StringProperty(name="Phone", default="AH")

    @reports_errors
    def execute(self, context):
        action, _ = _take(context)
        words, phones, _, _ = read_track(action)
        index = min(max(action.soundmotion_phone_index, 0), len(phones) - 1)
        try:
            phone_track.insert_after(phones, index, self.phone)
        except ValueError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        write_rows(action, words, phones)
        action.soundmotion_phone_index = index + 1
        return {"FINISHED"}


class SOUNDMOTION_OT_track_delete_phone(_TakeOperator, bpy.types.Operator):
    """Delete the selected phone; the phone before it takes its time"""

    bl_idname = "soundmotion.track_delete_phone"
    bl_label = "Delete Phone"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        action, _ = _take(context)
        words, phones, _, _ = read_track(action)
        if len(phones) < 2:
            self.report({"ERROR"}, "A track keeps at least one phone.")
            return {"CANCELLED"}
        index = min(max(action.soundmotion_phone_index, 0), len(phones) - 1)
        phone_track.delete(phones, index)
        write_rows(action, words, phones)
        action.soundmotion_phone_index = max(0, index - 1)
        return {"FINISHED"}


class SOUNDMOTION_OT_word_markers(_TakeOperator, bpy.types.Operator):
    """Put a timeline marker at each word of the face take (or take them away)"""

    bl_idname = "soundmotion.word_markers"
    bl_label = "Word Markers"
    bl_options = {"REGISTER", "UNDO"}

    enable: bpy.props.BoolProperty(name="Show", default=True)

    @reports_errors
    def execute(self, context):
        action, _ = _take(context)
        context.scene.soundmotion.word_markers = self.enable
        refresh_word_markers(context.scene, action, self.enable)
        return {"FINISHED"}


class SOUNDMOTION_OT_export_track(ChoosesFileFirst, _TakeOperator, bpy.types.Operator):
    """Export the face take's edited track: Rhubarb mouth cues (.tsv, .json, .xml) or a Live Link Face CSV"""

    bl_idname = "soundmotion.export_track"
    bl_label = "Export Track"

    filepath: bpy.props.StringProperty(subtype="FILE_PATH")
    kind: bpy.props.EnumProperty(name="Format", items=[("CUES", "Mouth Cues", "Rhubarb Lip Sync cues"),
                                                       ("CSV", "Live Link CSV", "Live Link Face CSV")])

    @reports_errors
    def execute(self, context):
        action, _ = _take(context)
        try:
            face, _, _, voice, meta, _ = _edited_face(context, action)
            path = bpy.path.abspath(self.filepath)
            if self.kind == "CUES":
                if os.path.splitext(path)[1].lower() not in (".tsv", ".json", ".xml"):
                    path = bpy.path.ensure_ext(path, ".tsv")
                write_mouth_cues(path, face.mouth_cues, voice.duration, sound_file=meta.get("audio", ""))
            else:
                path = bpy.path.ensure_ext(path, ".csv")
                write_live_link_csv(path, face.clip)
        except (UserFacingError, FaceSettingsError, ExportError, OSError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {path} from the edited track.")
        return {"FINISHED"}


class SOUNDMOTION_UL_words(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.label(text=item.text)
        row.prop(item, "start", text="")
        row.prop(item, "end", text="")


class SOUNDMOTION_UL_phones(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.prop(item, "phone", text="")
        row.prop(item, "viseme", text="")
        row.prop(item, "start", text="")
        row.prop(item, "end", text="")

    def filter_items(self, context, data, propname):
        """The filter field finds phones by name (e.g. every M)."""
        phones = getattr(data, propname)
        flags = [self.bitflag_filter_item] * len(phones)
        if self.use_filter_show and self.filter_name:
            wanted = self.filter_name.upper()
            flags = [self.bitflag_filter_item if wanted in p.phone.upper() else 0 for p in phones]
        return flags, []


class _SubPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SoundMotion"
    bl_parent_id = "SOUNDMOTION_PT_main"
    bl_options = {"DEFAULT_CLOSED"}


class SOUNDMOTION_PT_phone_track(_SubPanel, bpy.types.Panel):
    bl_idname = "SOUNDMOTION_PT_phone_track"
    bl_label = "Phone Track"

    def draw(self, context):
        layout = self.layout
        action, _ = _take(context)
        if action is None:
            layout.label(text="Run Lip Sync or Talk on the selection first.")
            return
        layout.label(text=action.name, icon="ACTION")
        if len(action.soundmotion_words):
            layout.label(text="Words")
            layout.template_list("SOUNDMOTION_UL_words", "", action, "soundmotion_words", action,
                                 "soundmotion_word_index", rows=4)
        layout.label(text="Phones")
        layout.template_list("SOUNDMOTION_UL_phones", "", action, "soundmotion_phones", action,
                             "soundmotion_phone_index", rows=6)
        row = layout.row(align=True)
        row.operator(SOUNDMOTION_OT_track_insert_phone.bl_idname, icon="ADD", text="Insert")
        row.operator(SOUNDMOTION_OT_track_delete_phone.bl_idname, icon="REMOVE", text="Delete")
        layout.operator(SOUNDMOTION_OT_reapply_track.bl_idname, icon="FILE_REFRESH")
        row = layout.row(align=True)
        settings = context.scene.soundmotion
        row.operator(SOUNDMOTION_OT_word_markers.bl_idname, icon="MARKER_HLT",
                     depress=settings.word_markers).enable = not settings.word_markers
        row = layout.row(align=True)
        row.operator(SOUNDMOTION_OT_export_track.bl_idname, text="Mouth Cues", icon="EXPORT").kind = "CUES"
        row.operator(SOUNDMOTION_OT_export_track.bl_idname, text="Live Link CSV", icon="EXPORT").kind = "CSV"


class SOUNDMOTION_PT_mouth_style(_SubPanel, bpy.types.Panel):
    bl_idname = "SOUNDMOTION_PT_mouth_style"
    bl_label = "Mouth Style"

    def draw(self, context):
        settings = context.scene.soundmotion
        layout = self.layout
        layout.use_property_split = True
        layout.prop(settings, "coarticulation")
        layout.prop(settings, "min_hold_frames")
        layout.prop(settings, "mouth_step")
        layout.prop(settings, "mouth_chart")


CLASSES = (SOUNDMOTION_OT_reapply_track, SOUNDMOTION_OT_track_insert_phone, SOUNDMOTION_OT_track_delete_phone,
           SOUNDMOTION_OT_word_markers, SOUNDMOTION_OT_export_track, SOUNDMOTION_UL_words, SOUNDMOTION_UL_phones,
           SOUNDMOTION_PT_phone_track, SOUNDMOTION_PT_mouth_style)
