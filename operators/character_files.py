"""Batch jobs on character .blend files (what the command line runs): open, animate with the operators a user
would press, save, render."""

import contextlib
import os
import sys

import bpy

from ..errors import SoundMotionError
from . import dance_to_music, demo_scene, talk_from_audio
from .background_job import EXPECTED_ERRORS, last_failure
from .user_errors import caller_reports_bugs
from .settings import set_language
from .render_video import configure_video_output, render_video


def register_once() -> bool:
    """Register the SoundMotion add-on in this process unless it already is (the command line may run several
    verbs in one process, e.g. in tests); True when this call registered it."""
    if hasattr(bpy.types, "SOUNDMOTION_OT_talk"):
        return False
    from .. import register  # imports the operators

    register()
    return True


def crashes_at_teardown() -> bool:
    """bpy 4.2 crashes while Python shuts down after it opened a Rigify rig."""
    return bpy.app.version < (4, 4, 0)


def talking_object():
    """The armature that moves (with its face mesh), or the one face mesh when there is no armature."""
    armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    generated = [o for o in armatures if "rig_id" in o.data]  # a Rigify rig; its metarig only builds it
    if len(armatures) > 1 and len(generated) == 1:
        return generated[0]
    if len(armatures) == 1:
        return armatures[0]
    meshes = [o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys is not None]
    if not armatures and len(meshes) == 1:
        return meshes[0]
    raise SoundMotionError(f"The file has {len(armatures)} armatures and {len(meshes)} meshes with shape keys; "
                           "keep one character in it, or name the armature as FILE.blend:ARMATURE.")


def open_blend(blend):
    """Open a .blend; a damaged, truncated or foreign file is refused with a sentence (Blender raises
    RuntimeError)."""
    try:
        bpy.ops.wm.open_mainfile(filepath=os.path.abspath(blend), load_ui=False)
    except RuntimeError as error:
        reason = str(error).strip().removeprefix("Error: ").split("\n")[0].strip().rstrip(".")
        raise SoundMotionError(f"Blender cannot open {blend} ({reason}). Give an intact .blend saved by Blender "
                               "4.2 or newer.") from None
    return bpy.context.scene


_open = open_blend

_LAST_NOTES = {"talk": talk_from_audio.LAST_NOTES, "dance": dance_to_music.LAST_NOTES}


def _named_armature(name: str):
    obj = bpy.data.objects.get(name)
    if obj is None or obj.type != "ARMATURE":
        names = ", ".join(o.name for o in bpy.data.objects if o.type == "ARMATURE") or "none"
        raise SoundMotionError(f"No armature named {name!r} in the file; armatures here: {names}.")
    return obj


class _WithoutErrorReports:
    """A stream that passes on what is written to it except the ERROR reports bpy prints after an operator ran
    ("Error: …", one write each; a report cut at 1000 bytes is followed by a write of "... truncated")."""

    def __init__(self, stream):
        self._stream = stream
        self._dropped_cut = False

    def write(self, text):
        dropped_cut, self._dropped_cut = self._dropped_cut, False
        if text.startswith("Error: "):
            self._dropped_cut = not text.endswith("\n")
            return len(text)
        if dropped_cut and text == "... truncated":
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _run(operator: str, obj, notes: list = None, **properties):
    """Run a SoundMotion operator for the command line: its refusal of bad input raises SoundMotionError (exit 2),
    a bug inside it raises again (exit 1), Ctrl+C while it ran KeyboardInterrupt (exit 130). The caller says each
    in one line, so the operator prints no traceback and bpy's echo of its refusal ("Error: …") is left out.
    `notes` (a list) receives the notes of the operator's report, which bpy prints only among Blender's log."""
    last_notes = _LAST_NOTES[operator]
    last_notes.clear()
    try:
        with caller_reports_bugs(), contextlib.redirect_stdout(_WithoutErrorReports(sys.stdout)):
            demo_scene.run_operator(operator, obj, **properties)
    except RuntimeError as error:  # the operator's own message, e.g. about the audio or the rig
        message = str(error).strip().removeprefix("Error: ")
        failure = last_failure()
        if isinstance(failure, KeyboardInterrupt) or message.endswith("KeyboardInterrupt"):
            raise KeyboardInterrupt from None
        if failure is not None and not isinstance(failure, EXPECTED_ERRORS):
            raise failure from None  # with its own traceback, for SOUNDMOTION_DEBUG=1
        raise SoundMotionError(message) from None
    if isinstance(last_failure(), KeyboardInterrupt):  # execute returned CANCELLED with only a warning
        raise KeyboardInterrupt
    if notes is not None:
        notes.extend(last_notes)


def talk_in_file(character_blend, audio, out_blend, transcript: str = "", seed: int = 0, movie: str = None,
                 resolution=(640, 360), keys: str = "POSES", face: bool = True, armature: str = None,
                 gesture: dict = None, outputs=None, language: str | None = None, emotion: str = "neutral",
                 emotion_strength: float = 0.0, word_recogniser: bool = True, notes: list = None) -> list:
    """Run "Talk from Audio" on the character in `character_blend`, save `out_blend`, optionally render
    `movie` (adding a camera when the file has none) over the line's own frames. Returns the paths written.

    `face=False` animates only the gestures (on `armature`, or the file's one armature); `gesture`: the
    operator's style, amount, handedness and seated. `language`: the transcript's eSpeak NG code (None: Auto).
    `word_recogniser`: the panel's Listen for Words (audio only: the closures in the words pocketsphinx hears).
    `outputs` (errors.OutputFiles): the files are written to its temporary paths, to be moved into place when
    everything succeeded. `notes` (a list) receives the notes of the operator's report."""
    written_to = outputs.temporary if outputs is not None else (lambda path: path)
    # A movie is the line: the scene's frame range becomes the take's.
    scene, character = talk_on_character(character_blend, audio, transcript, seed, keys, fit_range=bool(movie),
                                         face=face, armature=armature, gesture=gesture, language=language,
                                         emotion=emotion, emotion_strength=emotion_strength,
                                         word_recogniser=word_recogniser, notes=notes)
    if movie:
        ensure_camera(scene, character)
        configure_video_output(scene, movie, resolution=tuple(resolution))
    demo_scene.save_blend(written_to(out_blend))
    return [os.path.abspath(out_blend)] + ([render_video(scene, written_to(movie))] if movie else [])


def talk_on_character(character_blend, audio, transcript: str = "", seed: int = 0, keys: str = "POSES",
                      fit_range: bool = False, face: bool = True, armature: str = None, gesture: dict = None,
                      language: str | None = None, emotion: str = "neutral", emotion_strength: float = 0.0,
                      word_recogniser: bool = True, notes: list = None):
    """Open `character_blend` and run "Talk from Audio" on its character; returns (scene, character).
    `fit_range` makes the scene's frame range exactly the take's (else it only grows to hold it); `notes` (a list)
    receives the notes of the operator's report."""
    scene = _open(character_blend)
    character = _named_armature(armature) if armature else talking_object()
    scene.soundmotion.transcript = transcript
    scene.soundmotion.frame_start = scene.frame_start
    scene.soundmotion.seed = seed
    set_language(scene.soundmotion, language)
    scene.soundmotion.listen_for_words = word_recogniser
    if fit_range:
        scene.frame_end = scene.frame_start
    _run("talk", character, notes, filepath=os.path.abspath(audio), keys=keys, face=face, emotion=emotion.upper(),
         emotion_strength=emotion_strength, **(gesture or {}))
    return scene, character


def ensure_camera(scene, character):
    """A waist-up camera on the character when the file has none."""
    if scene.camera is None:
        height = demo_scene.character_height(demo_scene.face_mesh_name(character))
        demo_scene.set_look(scene)
        scene.camera = demo_scene.add_camera(scene, "SM_TalkCamera", height - 0.36, 0.8)


def save_portable_blend(filepath: str):
    """Save the open file with every external path made absolute, so it can be moved to another folder."""
    bpy.ops.file.make_paths_absolute()
    demo_scene.save_blend(filepath)


def dance_in_file(character_blend, music, out_blend, armature: str = None, seed: int = 0, style: str = "groove",
                  energy: float = 1.0, in_place: bool = False, clip_moves: float = 0.0, keys: str = "POSES",
                  engine: str = "captured", notes: list = None) -> list:
    """Run "Dance to Music" on the armature in `character_blend` and save `out_blend`; `notes` (a list) receives
    the notes of the operator's report."""
    scene = _open(character_blend)
    rig = _named_armature(armature) if armature else talking_object()
    scene.soundmotion.frame_start = scene.frame_start
    scene.soundmotion.seed = seed
    _run("dance", rig, notes, filepath=os.path.abspath(music), style=style, energy=energy, in_place=in_place,
         clip_moves=clip_moves, keys=keys, engine=engine)
    demo_scene.save_blend(out_blend)
    return [os.path.abspath(out_blend)]
