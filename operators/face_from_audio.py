"""Operator "Lip Sync from Audio": audio → FaceClip → a new shape-key action, with the sound in the sequencer."""

import os

import bpy

from ..models.audio.load import load_audio
from ..models.face.pipeline import FaceSettings, face_from_audio, transcript_beside
from .background_job import BackgroundJobOperator, scene_fps
from .keyframes import write_shape_key_action
from .sound_strip import SoundStripUnavailable, add_sound_strip, remove_sound_strip
from .targets import face_mesh_for, face_shape_key_map


class SOUNDMOTION_OT_lip_sync(BackgroundJobOperator, bpy.types.Operator):
    """Animate the selected character's face shape keys from a voice recording"""

    bl_idname = "soundmotion.lip_sync"
    bl_label = "Lip Sync from Audio"
    bl_options = {"REGISTER", "UNDO"}
    job_title = "Lip Sync"

    filepath: bpy.props.StringProperty(
        name="Audio", subtype="FILE_PATH", description="Audio file; empty uses the scene's SoundMotion audio")

    def prepare(self, context):
        settings = context.scene.soundmotion
        mesh = face_mesh_for(context.active_object)
        shape_key_map = face_shape_key_map(mesh)
        audio_path = bpy.path.abspath(self.filepath or settings.audio_path)
        audio = load_audio(audio_path)  # fails fast, before any scene edit, on unusable audio
        transcript = settings.transcript.strip() or transcript_beside(audio_path)
        face_settings = FaceSettings(articulation=settings.strength, seed=settings.seed)
        face_settings.validate()
        return {"mesh_name": mesh.name, "audio": audio, "transcript": transcript, "fps": scene_fps(context.scene),
                "settings": face_settings, "map": shape_key_map, "frame_start": settings.frame_start}

    def compute(self, inputs, progress):
        result = face_from_audio(inputs["audio"], inputs["transcript"], inputs["fps"], inputs["settings"],
                                 lambda fraction, message: progress(0.95 * fraction, message), [])
        progress(0.97, "Mapping onto shape keys")
        return {"clip": result.clip, "notes": result.notes, "key_values": inputs["map"].key_values(result.clip),
                **inputs}

    def apply(self, context, result):
        mesh = bpy.data.objects[result["mesh_name"]]
        audio = result["audio"]
        notes = list(result["notes"])
        strip = None
        try:
            strip, created = add_sound_strip(context.scene, audio.path, result["frame_start"])
        except SoundStripUnavailable as error:
            notes.append(str(error))
            created = False
        try:
            action = write_shape_key_action(mesh, f"SM_face_{audio.stem}", result["frame_start"], result["key_values"])
        except BaseException:
            if created:
                remove_sound_strip(context.scene, strip)
            raise
        last_frame = result["frame_start"] + result["clip"].num_frames - 1
        if context.scene.frame_end < last_frame:
            context.scene.frame_end = last_frame
        self.report({"INFO"}, f"Wrote {action.name}: {len(result['key_values'])} shape keys, "
                              f"{result['clip'].num_frames} frames from {os.path.basename(audio.path)}."
                              + "".join(" " + note for note in notes))

CLASSES = (SOUNDMOTION_OT_lip_sync,)
