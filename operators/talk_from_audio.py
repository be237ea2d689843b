"""Operator "Talk from Audio": one run gives a character lip sync and facial curves on its face mesh and
co-speech gestures on its armature, from the same phoneme alignment, with the sound in the sequencer.

When no shape key plays jawOpen but the armature has a jaw bone, the jaw bone's rotations join the gesture
action (one armature plays one action)."""

import os

import bpy

from ..models.audio.load import load_audio
from ..models.face.pipeline import VoiceMeasures, face_from_audio, transcript_beside
from ..models.gesture.pipeline import gestures_from_audio
from ..models.gesture.styles import HANDEDNESS, STYLES
from ..retarget import blender_rig
from ..retarget.jaw_bone import fit_frames, jaw_rotations_from_clip
from ..retarget.motion_file import clip_source
from ..retarget.pipeline import placed_at_start, retarget_source
from ..retarget.root_motion import RootMode
from ..takes.key_poses import KeyStyle, pose_frames
from ..takes.phone_track import face_through_track
from ..takes.pose_times import face_pose_times, gesture_pose_times
from . import previous_state
from .background_job import BackgroundJobOperator, UserFacingError
from .face_take import FACE_BONE_TOLERANCE, face_settings, write_face_takes
from .keyframes import KEY_ITEMS
from .settings import (EMOTION_DESCRIPTION, EMOTION_STRENGTH_DESCRIPTION, EMOTIONS, RELATIVE_PATH_OPTIONS,
                       before_scene_note, chosen_audio, language_of)
from .sound_strip import sound_for_take
from .targets import (armature_of, face_mesh_for, face_rig_for, face_shape_key_map, jaw_bone_of, no_face_note,
                      no_mouth_note)

STYLE_ITEMS = [(name, name.capitalize(), f"Gesture like a {name}") for name in STYLES]
HAND_ITEMS = [(name, name.capitalize(), f"Gesture with the {name} hand" if name != "both" else "Both hands")
              for name in HANDEDNESS]

# The notes of the last run that wrote a take (the sentences its report adds after "Wrote …"), for the command
# line (operators/character_files._run prints them as "note:" lines on stdout; bpy prints the report with
# Blender's log).
LAST_NOTES = []


def character_parts(obj):
    """(face mesh or None, armature or None) of the character the user selected (either part)."""
    if obj is None:
        raise UserFacingError("Select the character's armature or face mesh first.")
    armature = armature_of(obj)
    try:
        mesh = face_mesh_for(armature or obj)
    except UserFacingError:
        if armature is None:
            raise
        mesh = None
    if mesh is None and armature is None:
        raise UserFacingError(f"{obj.name} is neither a face mesh nor an armature.")
    return mesh, armature


class SOUNDMOTION_OT_talk(BackgroundJobOperator, bpy.types.Operator):
    """Lip sync, facial expression and co-speech gestures for the selected character from a voice recording"""

    bl_idname = "soundmotion.talk"
    bl_label = "Talk from Audio"
    bl_options = {"REGISTER", "UNDO"}
    job_title = "Talk"

    filepath: bpy.props.StringProperty(
        name="Audio", subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS,
        description="Voice file; empty uses the scene's SoundMotion audio")
    style: bpy.props.EnumProperty(name="Style", items=STYLE_ITEMS, default="presenter")
    amount: bpy.props.FloatProperty(name="Gesture Amount", default=1.0, min=0.0, max=2.0)
    handedness: bpy.props.EnumProperty(name="Hand", items=HAND_ITEMS, default="right")
    seated: bpy.props.BoolProperty(name="Seated", default=False, description="Keep the lower body still")
    emotion: bpy.props.EnumProperty(name="Emotion", items=EMOTIONS, default="NEUTRAL", description=EMOTION_DESCRIPTION)
    emotion_strength: bpy.props.FloatProperty(name="Emotion Strength", default=0.7, min=0.0, max=1.0,
                                              description=EMOTION_STRENGTH_DESCRIPTION)
    keys: bpy.props.EnumProperty(name="Keys", items=KEY_ITEMS, default="POSES")
    face: bpy.props.BoolProperty(name="Face", default=True, description="Lip sync the face too (off: gestures only)")

    def prepare(self, context):
        settings = context.scene.soundmotion
        if self.face:
            mesh, armature = character_parts(context.active_object)
        else:
            mesh, armature = None, armature_of(context.active_object)
            if armature is None:
                raise UserFacingError("Gestures need the character's armature; select it (or turn Face on)."
                                      + blender_rig.instance_hint(context.active_object))
        jaw_bone, shape_key_map = jaw_bone_of(armature) if self.face else None, None
        if mesh is not None:
            try:
                shape_key_map = face_shape_key_map(mesh)
            except UserFacingError:
                if jaw_bone is None:
                    raise
                mesh = None
        if shape_key_map is not None and "jawOpen" in shape_key_map.mapped_channels:
            jaw_bone = None
        # bone poses (Rigify's face, pose assets, marked poses); none with Face off (a Rigify face was lip-synced)
        face_rig = face_rig_for(armature, shape_key_map) if self.face else None
        if face_rig is not None:
            jaw_bone = None
        if not self.face:  # gestures only, as asked: no word on a face (it told to add shape keys the face had)
            face_note = None
        elif mesh is None and jaw_bone is None and face_rig is None:
            face_note = no_face_note(armature)
        else:
            face_note = no_mouth_note(mesh, shape_key_map, jaw_bone, face_rig)
        inputs = {"mesh_name": mesh.name if mesh else None, "armature_name": armature.name if armature else None,
                  "fps": blender_rig.scene_fps(context.scene), "frame_start": settings.frame_start,
                  "seed": settings.seed, "map": shape_key_map, "jaw_bone": jaw_bone, "face_rig": face_rig,
                  "face_note": face_note}
        if mesh is not None or jaw_bone is not None or face_rig is not None:
            inputs["face_settings"] = face_settings(context.scene, self.emotion, self.emotion_strength)
            inputs["face_settings"].validate()
        if armature is not None:
            inputs["rest"] = blender_rig.read_rig_rest(blender_rig.require_not_tweaking(armature))
            inputs["bone_map"] = blender_rig.bone_map_for(armature)  # refuses rigs without arms mapped
        audio_path = chosen_audio(self.filepath, settings)
        inputs["audio"] = load_audio(audio_path)
        inputs["transcript"] = settings.transcript.strip() or transcript_beside(audio_path)
        if armature is not None:  # where the character stands at the start, for the take to start there too
            inputs["start_pose"] = blender_rig.read_start_pose(armature, settings.frame_start, inputs["bone_map"],
                                                               f"SM_gesture_{inputs['audio'].stem}")
        inputs.update(style=self.style, amount=self.amount, handedness=self.handedness, seated=self.seated,
                      language=language_of(settings))
        return inputs

    def compute(self, inputs, progress):
        result = {**inputs, "notes": []}
        track = None
        if inputs["mesh_name"] or inputs["jaw_bone"] or inputs["face_rig"]:
            face = face_from_audio(inputs["audio"], inputs["transcript"], inputs["fps"], inputs["face_settings"],
                                   lambda fraction, message: progress(0.4 * fraction, message), [])
            result["voice"] = VoiceMeasures.from_track(face.track, inputs["audio"].duration)
            face, result["track"] = face_through_track(face, result["voice"], inputs["frame_start"], inputs["fps"],
                                                       inputs["face_settings"])
            result["face_clip"], result["face"] = face.clip, face
            if inputs["mesh_name"]:
                result["key_values"] = inputs["map"].key_values(face.clip)
            result["notes"] += face.notes
            track = face.track
        if inputs["armature_name"]:
            gestures = gestures_from_audio(  # the audio prepare() already decoded
                inputs["audio"], inputs["transcript"], inputs["fps"], inputs["style"], inputs["amount"],
                inputs["handedness"], inputs["seated"], inputs["seed"],
                progress=lambda fraction, message: progress(0.4 + 0.45 * fraction, message), track=track,
                language=inputs["language"])
            progress(0.9, "Retargeting gestures onto the rig")
            result["retarget"] = retarget_source(clip_source(gestures.clip, label=inputs["audio"].stem),
                                                 inputs["rest"], inputs["bone_map"], RootMode.FULL)
            result["retarget"], placed = placed_at_start(result["retarget"], inputs["rest"], inputs["bone_map"],
                                                         inputs["start_pose"])
            if placed is not None:
                result["notes"].append(placed.note(inputs["armature_name"], inputs["frame_start"]))
            if inputs["jaw_bone"]:
                jaw = jaw_rotations_from_clip(face.clip, inputs["rest"], inputs["jaw_bone"])
                result["retarget"].bone_rotations[inputs["jaw_bone"]] = fit_frames(jaw, result["retarget"].num_frames)
            if inputs["face_rig"]:
                result["face_keys"] = inputs["face_rig"].keys(face.clip, result["retarget"].num_frames)
            result["notes"] += [n for n in gestures.notes if n not in result["notes"]]
            result["pose_times"] = gesture_pose_times(gestures, inputs["bone_map"])  # per bone
            if inputs["jaw_bone"]:
                result["pose_times"][inputs["jaw_bone"]] = face_pose_times(face.phones)
            if inputs["face_rig"]:  # face bones keyed where the mouth has its poses, like the jaw
                for bone in (*result["face_keys"][0], *result["face_keys"][1]):
                    result["pose_times"][bone] = face_pose_times(face.phones)
        if inputs["face_note"]:
            result["notes"].append(inputs["face_note"])
        return result

    def apply(self, context, result):
        scene, audio, start = context.scene, result["audio"], result["frame_start"]
        notes = list(result["notes"]) + before_scene_note(scene, start)
        owners = [name for name in (result["mesh_name"], result["armature_name"]) if name]
        jaw_bone = result["jaw_bone"] if result["armature_name"] else None
        jaw = {"armature": result["armature_name"], "bone": jaw_bone, "take": f"SM_gesture_{audio.stem}"}
        with sound_for_take(scene, audio.path, start, notes, owners), previous_state.all_or_nothing([]) as written:
            if result["mesh_name"]:
                mesh = bpy.data.objects[result["mesh_name"]]
                write_face_takes(scene, audio.stem, start, mesh, result["key_values"], mesh,
                                 scene.soundmotion.mouth_chart, result["face"], result["voice"], self.keys, written,
                                 track=result["track"], audio_path=audio.path, settings=result["face_settings"],
                                 jaw=jaw if jaw_bone else None)
            if result["armature_name"]:
                armature = bpy.data.objects[result["armature_name"]]
                count = result["retarget"].num_frames
                # the jaw and a face rig's bones keyed like the face (local slopes: a closure keeps its value, and a
                # phone edit's Re-apply re-keys only around it)
                mouth = ([jaw_bone] if jaw_bone else []) + [b for keys in result.get("face_keys", ()) for b in keys]
                style = KeyStyle(self.keys, {bone: pose_frames(times, result["fps"], count)
                                             for bone, times in result["pose_times"].items()},
                                 fit={bone: "LOCAL" for bone in mouth} or "LEAST_SQUARES",
                                 location_tolerance=FACE_BONE_TOLERANCE if result.get("face_keys") else 0.005)
                blender_rig.key_retarget(armature, result["rest"], result["retarget"], f"SM_gesture_{audio.stem}",
                                         start, style=style, extra=result.get("face_keys"), notes=notes)
                written.append(armature)
            frames = [result["face_clip"].num_frames] if "face_clip" in result else []
            frames += [result["retarget"].num_frames] if result["armature_name"] else []
            previous_state.extend_frame_end(scene, start + max(frames) - 1, written)
        parts = (["face"] if result["mesh_name"] else []) + (["gestures"] if result["armature_name"] else [])
        parts += [f"jaw bone {result['jaw_bone']}"] if result["jaw_bone"] else []
        parts += [f"face rig ({result['face_rig'].poses.source})"] if result.get("face_keys") else []
        LAST_NOTES[:] = notes
        self.report({"INFO"}, f"Wrote {' and '.join(parts)} for {os.path.basename(audio.path)}."
                              + "".join(" " + note for note in notes))


CLASSES = (SOUNDMOTION_OT_talk,)
