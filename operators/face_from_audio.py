"""Operator "Lip Sync from Audio": audio → FaceClip → a new shape-key action, with the sound in the sequencer."""

import os

import bpy

from ..models.audio.load import load_audio
from ..models.face.loudness import loudness_face
from .background_job import BackgroundJobOperator, scene_fps
from .keyframes import write_shape_key_action
from .sound_strip import add_sound_strip
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
        return {"mesh_name": mesh.name, "audio": audio, "fps": scene_fps(context.scene),
                "strength": settings.strength, "map": shape_key_map, "frame_start": settings.frame_start}

    def compute(self, inputs, progress):
        progress(0.1, "Analysing the voice")
        clip = loudness_face(inputs["audio"], inputs["fps"], strength=0.7 * inputs["strength"])
        progress(0.9, "Mapping onto shape keys")
        return {"clip": clip, "key_values": inputs["map"].key_values(clip), **inputs}

    def apply(self, context, result):
        mesh = bpy.data.objects[result["mesh_name"]]
        audio = result["audio"]
        action = write_shape_key_action(mesh, f"SM_face_{audio.stem}", result["frame_start"], result["key_values"])
        add_sound_strip(context.scene, audio.path, result["frame_start"])
        last_frame = result["frame_start"] + result["clip"].num_frames - 1
        if context.scene.frame_end < last_frame:
            context.scene.frame_end = last_frame
        self.report({"INFO"}, f"Wrote {action.name}: {len(result['key_values'])} shape keys, "
                              f"{result['clip'].num_frames} frames from {os.path.basename(audio.path)}.")


CLASSES = (SOUNDMOTION_OT_lip_sync,)
