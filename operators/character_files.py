"""Batch jobs on character .blend files (what the command line runs): open, animate with the operators a user
would press, save, render."""

import os

import bpy

from . import demo_scene
from .settings import set_language
from .render_video import configure_video_output, render_video


def talking_object():
    """The armature that moves (with its face mesh), or the one face mesh when there is no armature."""
    armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    if len(armatures) == 1:
        return armatures[0]
    meshes = [o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys is not None]
    if not armatures and len(meshes) == 1:
        return meshes[0]
    raise ValueError(f"The file has {len(armatures)} armatures and {len(meshes)} meshes with shape keys; "
                     "keep one character in it.")


def talk_in_file(character_blend, audio, out_blend, transcript: str = "", seed: int = 0, movie: str = None,
                 resolution=(640, 360), language: str | None = None, emotion: str = "neutral",
                 emotion_strength: float = 0.0) -> list:
    """Run "Talk from Audio" on the character in `character_blend`, save `out_blend`, optionally render
    `movie` (adding a camera when the file has none). Returns the paths written. `language`: the transcript's
    eSpeak NG code (None: Auto)."""
    bpy.ops.wm.open_mainfile(filepath=os.path.abspath(character_blend), load_ui=False)
    scene = bpy.context.scene
    character = talking_object()
    scene.soundmotion.transcript = transcript
    scene.soundmotion.frame_start = scene.frame_start
    scene.soundmotion.seed = seed
    set_language(scene.soundmotion, language)
    try:
        demo_scene.run_operator("talk", character, filepath=os.path.abspath(audio), emotion=emotion.upper(),
                                emotion_strength=emotion_strength)
    except RuntimeError as error:  # the operator's own message, e.g. about the audio or the rig
        raise ValueError(str(error).strip().removeprefix("Error: ")) from None
    if movie:
        if scene.camera is None:
            height = demo_scene.character_height(demo_scene.face_mesh_name(character))
            demo_scene.set_look(scene)
            scene.camera = demo_scene.add_camera(scene, "SM_TalkCamera", height - 0.36, 0.8)
        configure_video_output(scene, movie, resolution=tuple(resolution))
    demo_scene.save_blend(out_blend)
    return [os.path.abspath(out_blend)] + ([render_video(scene)] if movie else [])
