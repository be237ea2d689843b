"""The bundled demo: the CC0 character speaks the demo line (face and gestures), then dances to the demo
loop; two cameras (head and shoulders, then full body) switch at timeline markers; rendered with both sounds."""

import os
import pathlib

import bpy

ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"
DEMO_CHARACTER = ASSETS / "demo_character.blend"
DEMO_SPEECH = ASSETS / "demo_speech.wav"
DEMO_MUSIC = ASSETS / "demo_music.wav"
FACE_MESH, RIG = "DemoHuman", "DemoRig"
GAP_FRAMES = 15  # a breath between the line and the dance


def open_demo_character(path=DEMO_CHARACTER):
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    return bpy.context.scene


def add_camera(scene, name: str, target_z: float, shot_height: float, lens: float = 50.0):
    """A camera in front of the character (-Y) whose frame is `shot_height` metres tall at the character."""
    data = bpy.data.cameras.new(name)
    data.lens = lens
    camera = bpy.data.objects.new(name, data)
    scene.collection.objects.link(camera)
    distance = shot_height * lens / (data.sensor_width * 9 / 16)
    camera.location = (0.0, -distance, target_z)
    camera.rotation_euler = (1.5708, 0.0, 0.0)
    return camera


def face_mesh_name(character) -> str:
    from .targets import face_mesh_for

    return face_mesh_for(character).name


def character_height(mesh_name: str = FACE_MESH) -> float:
    mesh = bpy.data.objects[mesh_name]
    return max((mesh.matrix_world @ v.co).z for v in mesh.data.vertices)


def set_look(scene):
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "MATERIAL"
    shading.show_cavity = True
    world = scene.world or bpy.data.worlds.new("SM_DemoWorld")
    world.color = (0.22, 0.24, 0.27)  # Workbench renders the world colour as a plain backdrop
    scene.world = world


def cut_to(scene, camera, frame: int):
    marker = scene.timeline_markers.new(camera.name, frame=frame)
    marker.camera = camera
    if frame <= scene.frame_start:
        scene.camera = camera


def run_operator(name: str, obj, **properties):
    with bpy.context.temp_override(active_object=obj, object=obj):
        return getattr(bpy.ops.soundmotion, name)(**properties)


def build_demo(speech=DEMO_SPEECH, music=DEMO_MUSIC, dance_seconds: float = 0.0):
    """Open the demo character and animate it with the operators a user would press; returns the scene.

    The line (face + gestures) and the dance are two takes on one rig: each is its own NLA strip on its own
    track, which acts only over its own frames.
    """
    scene = open_demo_character()
    settings = scene.soundmotion
    scene.frame_start = settings.frame_start = 1
    rig = bpy.data.objects[RIG]
    run_operator("talk", rig, filepath=str(speech))
    dance_start = scene.frame_end + GAP_FRAMES
    settings.frame_start = dance_start
    run_operator("dance", rig, filepath=str(music), trim_seconds=dance_seconds)

    height = character_height()
    set_look(scene)
    cut_to(scene, add_camera(scene, "SM_HeadCamera", height - 0.36, 0.8), 1)
    cut_to(scene, add_camera(scene, "SM_BodyCamera", height * 0.55, 1.9, lens=35.0), dance_start)
    return scene


def save_blend(filepath: str):
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath(filepath), compress=True)
