"""Render the scene to an H.264 + AAC movie with its sound strips (Workbench by default: fast on any CPU)."""

import os

import bpy


def configure_video_output(scene, filepath: str, engine: str = "BLENDER_WORKBENCH",
                           resolution=(640, 360), samples: int = 4):
    render = scene.render
    render.engine = engine
    render.resolution_x, render.resolution_y = resolution
    render.resolution_percentage = 100
    if engine == "CYCLES":
        scene.cycles.device = "CPU"
        scene.cycles.samples = samples
    settings = render.image_settings
    if hasattr(settings, "media_type"):  # Blender 5.0: choose "video" before the container
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    render.ffmpeg.format = "MPEG4"
    render.ffmpeg.codec = "H264"
    render.ffmpeg.constant_rate_factor = "MEDIUM"
    render.ffmpeg.audio_codec = "AAC"
    render.ffmpeg.audio_mixrate = 48000
    render.ffmpeg.audio_channels = "STEREO"
    render.filepath = os.path.abspath(filepath)


def render_video(scene, filepath: str = None) -> str:
    """Render frame_start..frame_end with the output configured by configure_video_output; returns the file.

    `filepath`: write the movie there instead (e.g. a temporary file; the scene keeps its own output path)."""
    configured = scene.render.filepath
    if filepath:
        scene.render.filepath = os.path.abspath(filepath)
    try:
        with bpy.context.temp_override(scene=scene):
            bpy.ops.render.render(animation=True, scene=scene.name)
        return scene.render.filepath
    finally:
        scene.render.filepath = configured



def drop_clock_metadata(scene):
    """Leave the render date, render time, host and memory out of the files' metadata, so that rendering the
    same frames again (on any machine) writes the same bytes."""
    render = scene.render
    render.use_stamp_date = render.use_stamp_render_time = False
    render.use_stamp_hostname = render.use_stamp_memory = False
