"""The phone/word track of the selected face take, editable in the sidebar, and the mouth style.

Sub-panels of the SoundMotion tab:
- *Phone Track*: the words and phones the latest face take used, as two lists (scene frames). Retime a word
  (its phones move and stretch with it) or a phone (its neighbour's edge follows), change a phone or pick a
  viseme, insert or delete a phone, then *Re-apply* rebuilds the face from the edited track and the voice
  measures stored with the take, without analysing the audio again (and the jaw bone the line opens, if any, in
  its armature take), on the objects the take is on whatever they are called now, with the 2D Mouth chart the
  Mouth Style panel names now. Word markers on the timeline; the mouth cues and Live Link CSV exports follow the
  edited track.
- *Mouth Style*: hold vs. blend, minimum hold, stepped keys (on ones/twos/threes), a 2D mouth index.
"""

import json
import os
import textwrap
import time

import bpy

from ..errors import OutputFiles, SoundMotionError
from ..models.face.exports import write_live_link_csv, write_mouth_cues
from ..models.face.pipeline import FaceSettingsError, face_from_phones
from ..retarget import blender_rig
from ..retarget.jaw_bone import fit_frames, jaw_rotations_from_clip
from ..takes import phone_track
from . import previous_state
from .action_channels import take_on_track
from .background_job import UserFacingError
from .face_take import (TRACK_KEY, face_take_of, jaw_key_style, read_track, refresh_word_markers,
                        take_face_settings, write_face_takes, write_rows)
from .keyframes import rekey_bone
from .settings import RELATIVE_PATH_OPTIONS
from .targets import armature_of, face_mesh_for, face_shape_key_map
from .user_errors import ChoosesFileFirst, reports_errors


def _take(context):
    """(action, datablock) of the selection's latest face take with a track, or (None, None)."""
    obj = context.active_object
    try:
        mesh = face_mesh_for(obj)
    except SoundMotionError:  # a not-editable override's refusal too: it raised in every poll and draw
        mesh = None
    action, block = face_take_of(mesh) if mesh is not None else (None, None)
    if action is None:
        action, block = face_take_of(obj)
    return action, block


def _why_no_take(context) -> str:
    """What the Phone Track panel says when the selection has no take: why its face cannot be used, if so."""
    try:
        face_mesh_for(context.active_object)
    except SoundMotionError as error:  # e.g. a not-editable override: the sentence says what to do
        return str(error)
    return "Run Lip Sync or Talk on the selection first."


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


def _take_owner(context, block, stored_name: str):
    """The object the take's datablock belongs to: the object itself, or the mesh object whose shape keys it is
    (the selected one first: linked duplicates share their shape keys; then the one the take named; then any)."""
    if isinstance(block, bpy.types.Object):
        return block
    users = [obj for obj in bpy.data.objects if obj.type == "MESH" and obj.data.shape_keys == block]
    selected = [context.active_object]
    try:
        selected.append(face_mesh_for(context.active_object))
    except SoundMotionError:
        pass
    users.sort(key=lambda obj: (obj not in selected, obj.name != stored_name, obj.name not in context.scene.objects))
    return users[0] if users else None


def _take_objects(context, block, meta: dict) -> tuple:
    """(mesh, sprite) the take animated, found from the datablock its track lives on, so that renaming them (a
    studio's naming convention) changes nothing; the name the take stored finds only an object the track is not
    on (a sprite beside the face mesh). Lip Sync keys a face mesh's own mouth index: the two names were one."""
    owner = _take_owner(context, block, meta["mesh"] or meta["sprite"])
    on_keys = not isinstance(block, bpy.types.Object)
    one_object = meta["mesh"] == meta["sprite"]

    def found(name: str, track_is_here: bool):
        if not name:
            return None
        return owner if track_is_here or one_object else bpy.data.objects.get(name)

    return found(meta["mesh"], on_keys), found(meta["sprite"], not on_keys), owner


def _jaw_armature(context, jaw: dict, mesh):
    """The armature whose jaw bone the take opens: the face mesh's (or the selection's) armature with that bone
    and that take, else the one of the stored name (renaming the rig changes nothing)."""
    if not jaw.get("bone"):
        return None
    candidates = [armature_of(mesh), armature_of(context.active_object), bpy.data.objects.get(jaw.get("armature", ""))]
    candidates = [obj for obj in candidates if obj is not None and obj.type == "ARMATURE"
                  and jaw["bone"] in obj.pose.bones]
    with_take = [obj for obj in candidates if take_on_track(obj, jaw["take"]) is not None]
    return (with_take or candidates or [None])[0]


def _mouth_chart(context, meta: dict, sprite, owner) -> tuple:
    """(chart, sprite, note): the Mouth Style panel's 2D Mouth, keyed on the take's sprite, or, when the take had
    none, on the object the take is on (as Lip Sync keys a face mesh's own index). When the panel says None, a take
    that has a mouth index keeps its own chart, and the note says so: otherwise its earlier, unedited index would
    go on playing."""
    chart = context.scene.soundmotion.mouth_chart
    if chart != "NONE":
        return chart, sprite or owner, ""
    if sprite is None or meta["chart"] == "NONE":
        return "NONE", None, ""
    return meta["chart"], sprite, (f"2D Mouth is None, so {sprite.name}'s mouth index kept the take's "
                                   f"{_chart_name(meta['chart'])} chart")


def _chart_name(chart: str) -> str:
    return chart.replace("_", " ").title()


class SOUNDMOTION_OT_reapply_track(_TakeOperator, bpy.types.Operator):
    """Rebuild the face from the edited phone track (and the current mouth style, 2D Mouth included), without
    analysing the audio"""

    bl_idname = "soundmotion.reapply_track"
    bl_label = "Re-apply"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        began = time.perf_counter()
        action, block = _take(context)
        try:
            face, words, phones, voice, meta, settings = _edited_face(context, action)
            mesh, sprite, owner = _take_objects(context, block, meta)
            if mesh is None and sprite is None:
                raise UserFacingError("The objects this take animated are gone; run Lip Sync again.")
            chart, sprite, note = _mouth_chart(context, meta, sprite, mesh or owner)
            key_values = face_shape_key_map(mesh).key_values(face.clip) if mesh is not None else {}
            jaw = dict(meta.get("jaw") or {})
            armature = _jaw_armature(context, jaw, mesh)
            if armature is not None:
                jaw["armature"] = armature.name  # the take remembers the rig's name of today
            with previous_state.all_or_nothing([]) as written:
                parts = write_face_takes(context.scene, meta["stem"], meta["frame_start"], mesh, key_values, sprite,
                                         chart, face, voice, meta["keys"], written, track=(words, phones),
                                         audio_path=meta["audio"], settings=settings, jaw=jaw)
                if armature is not None:
                    parts.append(_reapply_jaw(armature, jaw, face, meta))
                    written.append(armature)
        except (UserFacingError, FaceSettingsError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Re-applied the edited track in {time.perf_counter() - began:.2f} s: "
                              f"{' and '.join(parts)}{f' ({note})' if note else ''}.")
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
        words, phones, _, meta = read_track(action)
        if len(phones) < 2:
            self.report({"ERROR"}, "A track keeps at least one phone.")
            return {"CANCELLED"}
        index = min(max(action.soundmotion_phone_index, 0), len(phones) - 1)
        phone_track.delete(phones, index, meta["fps"])
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


CUE_EXTENSIONS = (".tsv", ".txt", ".json", ".xml")  # .txt is tab-separated, as the command line's --cues takes it


def _export_path(filepath: str, kind: str, stem: str) -> str:
    """The absolute file Export Track writes: a name without a known extension gets the format's (.tsv, .csv).
    A folder without a file name, or a "//" path in a .blend not saved yet, is refused with what to do."""
    extension = ".tsv" if kind == "CUES" else ".csv"
    if filepath.startswith("//") and not bpy.data.filepath:
        raise UserFacingError(f"The path {filepath} is relative to the .blend file, which has not been saved yet. "
                              f"Save the file first, or give an absolute path.")
    path = bpy.path.abspath(filepath)
    if not filepath.strip() or not os.path.basename(path) or os.path.isdir(path):
        raise UserFacingError(f"Give the export a file name (such as {stem}{extension}), not only the folder "
                              f"{path or 'it goes in'}.")
    if kind == "CUES" and os.path.splitext(path)[1].lower() in CUE_EXTENSIONS:
        return path
    return bpy.path.ensure_ext(path, extension)


class SOUNDMOTION_OT_export_track(ChoosesFileFirst, _TakeOperator, bpy.types.Operator):
    """Export the face take's edited track: Rhubarb mouth cues (.tsv or .txt, .json, .xml) or a Live Link Face
    CSV"""

    bl_idname = "soundmotion.export_track"
    bl_label = "Export Track"

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS)
    kind: bpy.props.EnumProperty(name="Format", items=[("CUES", "Mouth Cues", "Rhubarb Lip Sync cues"),
                                                       ("CSV", "Live Link CSV", "Live Link Face CSV")])

    def offered_path(self, context) -> str:
        """The file the browser offers: the take's audio name with the format's extension, in the folder of the
        last export (else beside the .blend file)."""
        action, _ = _take(context)
        stem = json.loads(action[TRACK_KEY])["stem"] if action is not None else "track"
        folder = os.path.dirname(self.filepath) if self.filepath else os.path.dirname(bpy.data.filepath)
        return os.path.join(folder, stem + (".tsv" if self.kind == "CUES" else ".csv"))

    @reports_errors
    def execute(self, context):
        action, _ = _take(context)
        try:
            face, _, _, voice, meta, _ = _edited_face(context, action)
            outputs = OutputFiles()  # a missing folder is made, and a failed write leaves no partial file
            path = outputs.add(_export_path(self.filepath, self.kind, meta["stem"]), "Export Track")
            with outputs.writing():
                if self.kind == "CUES":
                    write_mouth_cues(outputs.temporary(path), face.mouth_cues, voice.duration,
                                     sound_file=meta.get("audio", ""))
                else:
                    write_live_link_csv(outputs.temporary(path), face.clip)
        except (SoundMotionError, OSError) as error:  # ExportError, FaceSettingsError, UserFacingError
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
            for line in textwrap.wrap(_why_no_take(context), 48):
                layout.label(text=line)
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
