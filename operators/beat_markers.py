"""Operator "Add Beat Markers": timeline markers on the music's beats and bars, so animators can key to them."""

import os

import bpy

from ..models.music.beat_markers import marker_frames, track_file
from .background_job import BackgroundJobOperator
from .settings import METER_ITEMS, RELATIVE_PATH_OPTIONS, before_scene_note, chosen_audio

OWNED = "soundmotion_beat_markers"   # scene property: "name@frame" of each marker this operator made (files before
# session 43 hold names only, which are matched by name)


class SOUNDMOTION_OT_beat_markers(BackgroundJobOperator, bpy.types.Operator):
    """Put timeline markers on the music's beats and bars (downbeats named by bar number)"""

    bl_idname = "soundmotion.beat_markers"
    bl_label = "Add Beat Markers"
    bl_options = {"REGISTER", "UNDO"}
    job_title = "Beat markers"

    filepath: bpy.props.StringProperty(
        name="Music", subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS,
        description="Music file; empty uses the scene's SoundMotion audio")
    bars_only: bpy.props.BoolProperty(name="Bars Only", default=False,
                                      description="Mark only the first beat of each bar")
    replace: bpy.props.BoolProperty(name="Replace", default=True,
                                    description="Remove the beat markers this button added before (yours stay)")
    meter: bpy.props.EnumProperty(name="Meter", items=METER_ITEMS, default="auto",
                                  description="Count the bars in this meter (Auto: the meter the beat tracker hears)")

    def prepare(self, context):
        settings = context.scene.soundmotion
        path = chosen_audio(self.filepath, settings)
        return {"path": path, "fps": context.scene.render.fps / context.scene.render.fps_base,
                "frame_start": settings.frame_start, "bars_only": self.bars_only, "replace": self.replace,
                "meter": self.meter}

    def compute(self, inputs, progress):
        progress(0.1, "Finding beats and bars")
        analysis = track_file(inputs["path"], inputs["meter"])  # AudioError: a sentence, where there are none
        markers = marker_frames(analysis, inputs["fps"], inputs["frame_start"], inputs["bars_only"])
        return {"markers": markers, "analysis": analysis, **inputs}

    def apply(self, context, result):
        scene = context.scene
        owned = set(scene.get(OWNED, []))
        if result["replace"]:  # its own markers only: a marker of yours with the same name elsewhere stays
            for marker in [m for m in scene.timeline_markers if f"{m.name}@{m.frame}" in owned or m.name in owned]:
                scene.timeline_markers.remove(marker)
            owned = set()
        for frame, name in result["markers"]:
            scene.timeline_markers.new(name, frame=frame)
            owned.add(f"{name}@{frame}")
        scene[OWNED] = sorted(owned)
        analysis = result["analysis"]
        notes = before_scene_note(scene, result["frame_start"], markers=True)
        self.report({"INFO"}, f"Added {len(result['markers'])} markers from {os.path.basename(result['path'])}: "
                              f"{analysis.tempo:.0f} BPM, {analysis.beats_per_bar} beats to the bar."
                              + "".join(" " + note for note in notes))


CLASSES = (SOUNDMOTION_OT_beat_markers,)
