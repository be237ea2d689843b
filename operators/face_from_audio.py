"""Operator "Lip Sync from Audio": audio → FaceClip → a new shape-key action, with the sound in the sequencer.

A character whose mesh has no jaw shape key but whose armature has a jaw bone gets the jaw opened on that bone
(a new jaw-only action on the armature)."""

import os

import bpy

from ..models.audio.load import load_audio
from ..models.face.pipeline import VoiceMeasures, face_from_audio, transcript_beside
from ..retarget import blender_rig
from ..retarget.jaw_bone import jaw_rotations_from_clip
from . import previous_state
from ..takes.phone_track import face_through_track
from .background_job import BackgroundJobOperator, UserFacingError
from .face_take import face_rig_key_style, face_settings, jaw_key_style, write_face_takes
from .keyframes import KEY_ITEMS, write_pose_action
from .settings import (EMOTION_DESCRIPTION, EMOTION_STRENGTH_DESCRIPTION, EMOTIONS, RELATIVE_PATH_OPTIONS,
                       before_scene_note, chosen_audio)
from .sound_strip import sound_for_take
from .targets import lip_sync_targets, no_mouth_note


class SOUNDMOTION_OT_lip_sync(BackgroundJobOperator, bpy.types.Operator):
    """Animate the selected character's face shape keys from a voice recording"""

    bl_idname = "soundmotion.lip_sync"
    bl_label = "Lip Sync from Audio"
    bl_options = {"REGISTER", "UNDO"}
    job_title = "Lip Sync"

    filepath: bpy.props.StringProperty(
        name="Audio", subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS,
        description="Audio file; empty uses the scene's SoundMotion audio")
    emotion: bpy.props.EnumProperty(name="Emotion", items=EMOTIONS, default="NEUTRAL", description=EMOTION_DESCRIPTION)
    emotion_strength: bpy.props.FloatProperty(name="Emotion Strength", default=0.7, min=0.0, max=1.0,
                                              description=EMOTION_STRENGTH_DESCRIPTION)
    keys: bpy.props.EnumProperty(name="Keys", items=KEY_ITEMS, default="POSES")

    def prepare(self, context):
        settings = context.scene.soundmotion
        sprite = context.active_object
        try:
            mesh, shape_key_map, armature, jaw_bone, face_rig = lip_sync_targets(context.active_object)
        except UserFacingError:
            if settings.mouth_chart == "NONE" or sprite is None:
                raise
            mesh, shape_key_map, armature, jaw_bone, face_rig = None, None, None, None, None  # a 2D mouth only
        if face_rig is not None:
            blender_rig.require_editable(armature)
        if face_rig is not None or jaw_bone is not None:  # bone keys on the armature
            blender_rig.require_not_tweaking(armature)
        audio_path = chosen_audio(self.filepath, settings)
        audio = load_audio(audio_path)  # fails fast, before any scene edit, on unusable audio
        transcript = settings.transcript.strip() or transcript_beside(audio_path)
        face = face_settings(context.scene, self.emotion, self.emotion_strength)
        face.validate()
        return {"mesh_name": mesh.name if mesh else None, "audio": audio, "transcript": transcript,
                "sprite_name": (mesh or sprite).name if settings.mouth_chart != "NONE" else None,
                "fps": blender_rig.scene_fps(context.scene), "settings": face, "map": shape_key_map,
                "frame_start": settings.frame_start, "armature_name": armature.name if jaw_bone or face_rig else None,
                "jaw_bone": jaw_bone, "rest": blender_rig.read_rig_rest(armature) if jaw_bone else None,
                "face_rig": face_rig, "mouth_note": no_mouth_note(mesh, shape_key_map, jaw_bone, face_rig)}

    def compute(self, inputs, progress):
        result = face_from_audio(inputs["audio"], inputs["transcript"], inputs["fps"], inputs["settings"],
                                 lambda fraction, message: progress(0.95 * fraction, message), [])
        voice = VoiceMeasures.from_track(result.track, inputs["audio"].duration)
        result, track = face_through_track(result, voice, inputs["frame_start"], inputs["fps"], inputs["settings"])
        progress(0.97, "Mapping onto shape keys")
        key_values = inputs["map"].key_values(result.clip) if inputs["map"] is not None else {}
        jaw = jaw_rotations_from_clip(result.clip, inputs["rest"], inputs["jaw_bone"]) if inputs["jaw_bone"] else None
        bone_keys = inputs["face_rig"].keys(result.clip) if inputs["face_rig"] is not None else None
        return {"face": result, "clip": result.clip, "notes": result.notes, "key_values": key_values,
                "voice": voice, "track": track, "jaw_rotations": jaw, "bone_keys": bone_keys, **inputs}

    def apply(self, context, result):
        audio = result["audio"]
        notes = list(result["notes"]) + ([result["mouth_note"]] if result["mouth_note"] else []) \
            + before_scene_note(context.scene, result["frame_start"])
        parts = []
        owners = [name for name in (result["mesh_name"], result["sprite_name"], result["armature_name"]) if name]
        with sound_for_take(context.scene, audio.path, result["frame_start"], notes, owners), \
                previous_state.all_or_nothing([]) as written:
            mesh = bpy.data.objects[result["mesh_name"]] if result["mesh_name"] else None
            sprite = bpy.data.objects.get(result["sprite_name"] or "")
            jaw = {"armature": result["armature_name"], "bone": result["jaw_bone"], "take": f"SM_jaw_{audio.stem}"}
            parts += write_face_takes(context.scene, audio.stem, result["frame_start"], mesh, result["key_values"],
                                      sprite, context.scene.soundmotion.mouth_chart, result["face"], result["voice"],
                                      self.keys, written, track=result["track"], audio_path=audio.path,
                                      settings=result["settings"], jaw=jaw if result["jaw_bone"] else None)
            if result["jaw_bone"]:
                armature = bpy.data.objects[result["armature_name"]]
                count = len(result["jaw_rotations"])
                style = jaw_key_style(self.keys, result["face"].phones, result["fps"], count, result["jaw_bone"])
                action = write_pose_action(armature, f"SM_jaw_{audio.stem}", result["frame_start"],
                                           {result["jaw_bone"]: result["jaw_rotations"]}, style=style)
                written.append(armature)
                parts.append(f"{action.name}: jaw bone {result['jaw_bone']}")
            if result["bone_keys"] is not None:  # a face rig: its poses blended into bone keys
                armature = bpy.data.objects[result["armature_name"]]
                count = result["clip"].num_frames
                style = face_rig_key_style(self.keys, result["face"].phones, result["fps"], count)
                action = write_pose_action(armature, f"SM_face_{audio.stem}", result["frame_start"],
                                           *result["bone_keys"], style=style)
                written.append(armature)
                source = result["face_rig"].poses.source
                parts.append(f"{action.name}: {len(result['bone_keys'][0])} face bones ({source})")
            previous_state.extend_frame_end(context.scene, result["frame_start"] + result["clip"].num_frames - 1,
                                            written)
        self.report({"INFO"}, f"Wrote {' and '.join(parts)}, "
                              f"{result['clip'].num_frames} frames from {os.path.basename(audio.path)}."
                              + "".join(" " + note for note in notes))


CLASSES = (SOUNDMOTION_OT_lip_sync,)
