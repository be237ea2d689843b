"""A take's frames as PNG files, rendered with the .blend's own settings (engine, resolution, camera, samples,
colour management), a frame range at a time: what `soundmotion render` runs in each worker. Also what the
joiner needs from the take: its frame range, rate, video settings and its sound mixed down (one opening)."""

import os

import bpy

from ..errors import SoundMotionError
from .character_files import open_blend
from .render_video import drop_clock_metadata

# Blender's H.264 quality presets as x264 constant rate factors (Blender's ffmpeg writer uses the same values).
CRF = {"LOSSLESS": 0, "PERC_LOSSLESS": 17, "HIGH": 20, "MEDIUM": 23, "LOW": 26, "VERYLOW": 29, "LOWEST": 32}


def open_take(blend_path: str):
    if not os.path.isfile(blend_path):
        raise SoundMotionError(f"Take file not found: {blend_path}. Give an existing .blend.")
    scene = open_blend(blend_path)
    if scene.camera is None:
        raise SoundMotionError(f"{os.path.basename(blend_path)} has no active camera in scene {scene.name}: set one "
                         "(Scene Properties → Camera) and save the file.")
    return scene


def take_info(blend_path: str, sound_path: str) -> dict:
    """Frame range, frame rate, output size and the movie settings the joiner copies; the scene's sound over
    its frame range is mixed down to `sound_path` (16-bit WAV, as Blender would mux it) when it has any."""
    scene = open_take(blend_path)
    render, ffmpeg = scene.render, scene.render.ffmpeg
    scale = render.resolution_percentage / 100.0
    editor = scene.sequence_editor
    strips = (editor.strips if hasattr(editor, "strips") else editor.sequences) if editor else []
    has_sound = any(s.type == "SOUND" and not s.mute for s in strips)
    if has_sound:
        with bpy.context.temp_override(scene=scene):
            bpy.ops.sound.mixdown(filepath=os.path.abspath(sound_path), container="WAV", codec="PCM", format="S16",
                                  mixrate=ffmpeg.audio_mixrate or 48000, channels="STEREO")
    return {"scene": scene.name, "frame_start": scene.frame_start, "frame_end": scene.frame_end,
            "fps": render.fps / render.fps_base,
            "width": int(render.resolution_x * scale), "height": int(render.resolution_y * scale),
            "crf": CRF.get(ffmpeg.constant_rate_factor, 23), "audio_bitrate": ffmpeg.audio_bitrate or 192,
            "audio_mixrate": ffmpeg.audio_mixrate or 48000, "sound": sound_path if has_sound else None}


def render_frame_range(blend_path: str, first: int, last: int, folder: str) -> list:
    """Render frames first..last of the take into `folder` as PNG; returns [(frame, path)] in order.

    Only the output format and range change; everything else is the file's own. Simulations must be baked
    (as on any render farm): a range that starts mid-take does not replay the frames before it."""
    scene = open_take(blend_path)
    render = scene.render
    settings = render.image_settings
    if hasattr(settings, "media_type"):  # Blender 5.0: still images before the format
        settings.media_type = "IMAGE"
    settings.file_format = "PNG"
    settings.color_mode = "RGB"
    settings.color_depth = "8"
    settings.compression = 15
    drop_clock_metadata(scene)
    # The frame is in the file name; Blender pads the stamped one to the digits of the range's last frame,
    # which would differ between a chunk and the whole take.
    render.use_stamp_frame = False
    render.use_overwrite = True
    render.use_placeholder = False
    render.filepath = os.path.join(os.path.abspath(folder), "frame_######")
    scene.frame_start, scene.frame_end = int(first), int(last)
    scene.frame_step = 1  # a movie with its sound needs every frame (a preview's step of 2 would halve it)
    with bpy.context.temp_override(scene=scene):
        bpy.ops.render.render(animation=True, scene=scene.name)
    frames = []
    for frame in range(int(first), int(last) + 1):
        path = scene.render.frame_path(frame=frame)
        if not os.path.isfile(path):
            raise RuntimeError(f"Blender did not write frame {frame} ({path}).")
        frames.append((frame, path))
    return frames
