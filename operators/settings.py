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
    # Mouth style (operators/phone_track_panel.py draws these; face_take.py reads them)
    coarticulation: bpy.props.FloatProperty(
        name="Blend", default=1.0, min=0.0, max=2.0, subtype="FACTOR",
        description="How much neighbouring mouth shapes blend: 0 holds each shape, 1 as tuned, 2 softer")
    min_hold_frames: bpy.props.IntProperty(
        name="Minimum Hold", default=0, min=0, max=12, subtype="TIME",
        description="No mouth shape is held for fewer frames than this (0: no minimum)")
    mouth_step: bpy.props.EnumProperty(
        name="Stepping", default="SMOOTH",
        items=[("SMOOTH", "Smooth", "Bezier keys in between poses"),
               ("ONES", "On Ones", "Constant keys on every frame"),
               ("TWOS", "On Twos", "Constant keys every second frame (stop-motion, anime)"),
               ("THREES", "On Threes", "Constant keys every third frame")],
        description="Key the face smoothly or stepped (constant interpolation)")
    mouth_chart: bpy.props.EnumProperty(
        name="2D Mouth", default="NONE",
        items=[("NONE", "None", "No mouth index"),
               ("RHUBARB", "Rhubarb A–X", "Integer property soundmotion_mouth: A–H = 0–7, X (rest) = 8"),
               ("PRESTON_BLAIR", "Preston Blair",
                "Integer property soundmotion_mouth: rest, AI, E, O, U, etc, L, WQ, MBP, FV = 0–9")],
        description="Also key a mouth-shape index for sprite, image-sequence or Grease Pencil mouths")
    word_markers: bpy.props.BoolProperty(
        name="Word Markers", default=False, description="Put a timeline marker at each word of a face take")


CLASSES = (SoundMotionSettings,)


def register():
    bpy.types.Scene.soundmotion = bpy.props.PointerProperty(type=SoundMotionSettings)


def unregister():
    del bpy.types.Scene.soundmotion
