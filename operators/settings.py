"""The add-on's per-scene settings, saved in the .blend with the scene."""

import bpy


class SoundMotionSettings(bpy.types.PropertyGroup):
    audio_path: bpy.props.StringProperty(
        name="Audio", subtype="FILE_PATH",
        description="Voice or music file (wav, flac, ogg or mp3)")
    transcript: bpy.props.StringProperty(
        name="Transcript",
        description="What is said in the audio (optional; a .txt beside the audio is used when empty)")
    frame_start: bpy.props.IntProperty(
        name="Start Frame", default=1,
        description="Scene frame at which the audio and the generated keys start")
    strength: bpy.props.FloatProperty(
        name="Strength", default=1.0, min=0.0, max=2.0,
        description="How strongly the mouth articulates")
    seed: bpy.props.IntProperty(
        name="Seed", default=0, min=0,
        description="Different seeds give different takes of blinks, gestures and dance")


CLASSES = (SoundMotionSettings,)


def register():
    bpy.types.Scene.soundmotion = bpy.props.PointerProperty(type=SoundMotionSettings)


def unregister():
    del bpy.types.Scene.soundmotion
