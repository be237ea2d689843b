"""Operator "Lip Sync from Audio": audio → FaceClip → a new shape-key action, with the sound in the sequencer.

A character whose mesh has no jaw shape key but whose armature has a jaw bone gets the jaw opened on that bone
(a new jaw-only action on the armature)."""

import os

import bpy

from ..models.audio.load import load_audio
from ..models.face.pipeline import FaceSettings, face_from_audio, transcript_beside
from ..retarget import blender_rig
from ..retarget.jaw_bone import jaw_rotations_from_clip
from . import previous_state
from .background_job import BackgroundJobOperator
from .keyframes import write_pose_action, write_shape_key_action
from .settings import EMOTION_DESCRIPTION, EMOTION_STRENGTH_DESCRIPTION, EMOTIONS, language_of
from .sound_strip import sound_for_take
from .targets import lip_sync_targets


class SOUNDMOTION_OT_lip_sync(BackgroundJobOperator, bpy.types.Operator):
    """Animate the selected character's face shape keys from a voice recording"""

    bl_idname = "soundmotion.lip_sync"
    bl_label = "Lip Sync from Audio"
    bl_options = {"REGISTER", "UNDO"}
    job_title = "Lip Sync"

    filepath: bpy.props.StringProperty(
        name="Audio", subtype="FILE_PATH", description="Audio file; empty uses the scene's SoundMotion audio")
    emotion: bpy.props.EnumProperty(name="Emotion", items=EMOTIONS, default="NEUTRAL", description=EMOTION_DESCRIPTION)
    emotion_strength: bpy.props.FloatProperty(name="Emotion Strength", default=0.7, min=0.0, max=1.0,
                                              description=EMOTION_STRENGTH_DESCRIPTION)

    def prepare(self, context):
        settings = context.scene.soundmotion
        mesh, shape_key_map, armature, jaw_bone = lip_sync_targets(context.active_object)
        audio_path = bpy.path.abspath(self.filepath or settings.audio_path)
        audio = load_audio(audio_path)  # fails fast, before any scene edit, on unusable audio
        transcript = settings.transcript.strip() or transcript_beside(audio_path)
        face_settings = FaceSettings(
            articulation=settings.strength, seed=settings.seed, language=language_of(settings),
            emotion=self.emotion.lower(), emotion_strength=self.emotion_strength)
        face_settings.validate()
        return {"mesh_name": mesh.name if mesh else None, "audio": audio, "transcript": transcript,
                "fps": blender_rig.scene_fps(context.scene), "settings": face_settings, "map": shape_key_map,
                "frame_start": settings.frame_start, "armature_name": armature.name if jaw_bone else None,
                "jaw_bone": jaw_bone, "rest": blender_rig.read_rig_rest(armature) if jaw_bone else None}

    def compute(self, inputs, progress):
        result = face_from_audio(inputs["audio"], inputs["transcript"], inputs["fps"], inputs["settings"],
                                 lambda fraction, message: progress(0.95 * fraction, message), [])
        progress(0.97, "Mapping onto shape keys")
        key_values = inputs["map"].key_values(result.clip) if inputs["map"] is not None else {}
        jaw = jaw_rotations_from_clip(result.clip, inputs["rest"], inputs["jaw_bone"]) if inputs["jaw_bone"] else None
        return {"clip": result.clip, "notes": result.notes, "key_values": key_values, "jaw_rotations": jaw, **inputs}

    def apply(self, context, result):
        audio = result["audio"]
        notes = list(result["notes"])
        parts = []
        with sound_for_take(context.scene, audio.path, result["frame_start"], notes), \
                previous_state.all_or_nothing([]) as written:
            if result["mesh_name"]:
                mesh = bpy.data.objects[result["mesh_name"]]
                action = write_shape_key_action(mesh, f"SM_face_{audio.stem}", result["frame_start"],
                                                result["key_values"])
                written.append(mesh.data.shape_keys)
                parts.append(f"{action.name}: {len(result['key_values'])} shape keys")
            if result["jaw_bone"]:
                armature = bpy.data.objects[result["armature_name"]]
                action = write_pose_action(armature, f"SM_jaw_{audio.stem}", result["frame_start"],
                                           {result["jaw_bone"]: result["jaw_rotations"]})
                written.append(armature)
                parts.append(f"{action.name}: jaw bone {result['jaw_bone']}")
        last_frame = result["frame_start"] + result["clip"].num_frames - 1
        if context.scene.frame_end < last_frame:
            context.scene.frame_end = last_frame
        self.report({"INFO"}, f"Wrote {' and '.join(parts)}, "
                              f"{result['clip'].num_frames} frames from {os.path.basename(audio.path)}."
                              + "".join(" " + note for note in notes))


CLASSES = (SOUNDMOTION_OT_lip_sync,)
