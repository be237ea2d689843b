"""Operator "Dance to Music": music → canonical dance clip → retargeted onto the active armature as a new action."""

import os

import bpy

from ..models.audio.load import load_audio
from ..models.dance.moves import STYLES
from ..models.dance.pipeline import dance_from_audio, stand_times
from ..models.music.spectrum import SAMPLE_RATE as MUSIC_SAMPLE_RATE
from ..retarget import blender_rig
from ..retarget.motion_file import clip_source
from ..retarget.pipeline import placed_at_start, retarget_source
from ..retarget.root_motion import RootMode
from ..takes.key_poses import KeyStyle, pose_frames
from ..takes.pose_times import dance_pose_times
from . import previous_state
from .background_job import BackgroundJobOperator
from .keyframes import KEY_ITEMS
from .settings import METER_ITEMS, RELATIVE_PATH_OPTIONS, before_scene_note, chosen_audio
from .sound_strip import sound_for_take

STYLE_ITEMS = [(name, name.capitalize(), f"Dance in the {name} style") for name in STYLES]

# The notes of the last run that wrote a take, for the command line (as talk_from_audio.LAST_NOTES).
LAST_NOTES = []


class SOUNDMOTION_OT_dance(BackgroundJobOperator, bpy.types.Operator):
    """Make the active armature dance to a music file, on the beat"""

    bl_idname = "soundmotion.dance"
    bl_label = "Dance to Music"
    bl_options = {"REGISTER", "UNDO"}
    job_title = "Dance"

    filepath: bpy.props.StringProperty(
        name="Music", subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS,
        description="Music file; empty uses the scene's SoundMotion audio")
    style: bpy.props.EnumProperty(name="Style", items=STYLE_ITEMS, default="groove")
    energy: bpy.props.FloatProperty(name="Energy", default=1.0, min=0.0, max=2.0, soft_min=0.2, soft_max=1.5,
                                    description="How big and busy the moves are")
    in_place: bpy.props.BoolProperty(name="In Place", default=False, description="Dance without travelling")
    engine: bpy.props.EnumProperty(
        name="Dancer", default="captured",
        items=[("captured", "Captured Dance", "Real dance from the bundled motion capture library, on the beat"),
               ("coded", "Coded Moves", "Moves written as code: exactly on every beat, simpler")])
    clip_moves: bpy.props.FloatProperty(name="Captured Moves", default=0.0, min=0.0, max=1.0, subtype="FACTOR",
                                        description="Coded moves only: share of bars whose upper body dances "
                                                    "moves cut from motion capture")
    trim_seconds: bpy.props.FloatProperty(name="Trim", default=0.0, min=0.0, unit="TIME_ABSOLUTE",
                                          description="Stop the dance after this many seconds (0: whole song)")
    keys: bpy.props.EnumProperty(name="Keys", items=KEY_ITEMS, default="POSES")
    meter: bpy.props.EnumProperty(name="Meter", items=METER_ITEMS, default="auto",
                                  description="Beats to the bar: the beat tracker's, or bars regrouped from its first "
                                              "downbeat")

    def prepare(self, context):
        settings = context.scene.soundmotion
        armature = blender_rig.require_not_tweaking(blender_rig.require_armature(context.active_object))
        rest = blender_rig.read_rig_rest(armature)
        bone_map = blender_rig.bone_map_for(armature)  # refuses non-humanoid rigs before any work
        audio_path = chosen_audio(self.filepath, settings)
        audio = load_audio(audio_path, sample_rate=MUSIC_SAMPLE_RATE)  # refuses silent or unreadable files here
        # where the character stands at the start, for the dance to start there too
        start_pose = blender_rig.read_start_pose(armature, settings.frame_start, bone_map, f"SM_dance_{audio.stem}")
        return {"armature_name": armature.name, "rest": rest, "bone_map": bone_map, "audio": audio,
                "start_pose": start_pose,
                "fps": blender_rig.scene_fps(context.scene), "frame_start": settings.frame_start, "seed": settings.seed,
                "style": self.style, "energy": self.energy, "in_place": self.in_place, "trim": self.trim_seconds,
                "clip_moves": self.clip_moves, "engine": self.engine, "meter": self.meter}

    def compute(self, inputs, progress):
        dance = dance_from_audio(inputs["audio"], fps=inputs["fps"], style=inputs["style"],
                                 energy=inputs["energy"], seed=inputs["seed"], in_place=inputs["in_place"],
                                 clip_moves=inputs["clip_moves"], engine=inputs["engine"], meter=inputs["meter"],
                                 progress=lambda fraction, message: progress(0.8 * fraction, message))
        clip = dance.clip
        if inputs["trim"] > 0:
            clip = clip.trimmed(int(round(inputs["trim"] * clip.fps)))
        progress(0.85, "Retargeting onto the rig")
        root_mode = RootMode.IN_PLACE if inputs["in_place"] else RootMode.FULL
        result = retarget_source(clip_source(clip, label=inputs["audio"].stem), inputs["rest"], inputs["bone_map"],
                                 root_mode)
        result, placed = placed_at_start(result, inputs["rest"], inputs["bone_map"], inputs["start_pose"])
        notes = list(dance.notes) + ([placed.note(inputs["armature_name"], inputs["frame_start"])] if placed else [])
        return {"retarget": result, "notes": notes, "tempo": dance.tempo, "beats": dance.beats, **inputs}

    def apply(self, context, result):
        armature = bpy.data.objects[result["armature_name"]]
        audio, start = result["audio"], result["frame_start"]
        notes = list(result["notes"]) + before_scene_note(context.scene, start)
        with sound_for_take(context.scene, audio.path, start, notes, owners=[armature.name]):
            poses = dance_pose_times(result["beats"]) + stand_times(result["beats"])   # + a silent break's stand
            style = KeyStyle(self.keys, pose_frames(poses, result["fps"], result["retarget"].num_frames))
            action, written = blender_rig.key_retarget(armature, result["rest"], result["retarget"],
                                                       f"SM_dance_{audio.stem}", start, style=style, notes=notes)
        previous_state.extend_frame_end(context.scene, start + written.num_frames - 1, [armature])
        LAST_NOTES[:] = notes
        self.report({"INFO"}, f"Wrote {action.name}: {written.num_frames} frames at {result['tempo']:.0f} BPM "
                              f"from {os.path.basename(audio.path)}." + "".join(" " + n for n in notes))


CLASSES = (SOUNDMOTION_OT_dance,)
