"""The bundled demo: the CC0 character speaks the demo audio, framed by a camera, rendered with sound."""

import os
import pathlib

import bpy


ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"
DEMO_CHARACTER = ASSETS / "demo_character.blend"
DEMO_SPEECH = ASSETS / "demo_speech.wav"
FACE_MESH, RIG = "DemoHuman", "DemoRig"


def open_demo_character(path=DEMO_CHARACTER):
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    return bpy.context.scene


def frame_camera_on_head(scene, mesh_name: str = FACE_MESH, shot_height: float = 0.48):
    """Add a camera looking at the character's head and shoulders from the front (-Y), lens 50 mm."""
    mesh = bpy.data.objects[mesh_name]
    corners = [mesh.matrix_world @ v.co for v in mesh.data.vertices]
    top = max(c.z for c in corners)
    target_z = top - shot_height * 0.44
    camera_data = bpy.data.cameras.new("SM_DemoCamera")
    camera_data.lens = 50
    camera = bpy.data.objects.new("SM_DemoCamera", camera_data)
    scene.collection.objects.link(camera)
    distance = shot_height * camera_data.lens / camera_data.sensor_width * 16 / 9
    camera.location = (0.0, -distance, target_z)
    camera.rotation_euler = (1.5708, 0.0, 0.0)
    scene.camera = camera
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "MATERIAL"
    shading.show_cavity = True
    world = scene.world or bpy.data.worlds.new("SM_DemoWorld")
    world.color = (0.22, 0.24, 0.27)  # Workbench renders the world colour as a plain backdrop
    scene.world = world
    return camera


def run_face_demo(audio_path=DEMO_SPEECH, frame_start: int = 1):
    """Open the demo character and lip-sync it with the operator a user would press."""
    scene = open_demo_character()
    scene.soundmotion.audio_path = str(audio_path)
    scene.soundmotion.frame_start = frame_start
    mesh = bpy.data.objects[FACE_MESH]
    with bpy.context.temp_override(active_object=mesh, object=mesh):
        bpy.ops.soundmotion.lip_sync()
    scene.frame_start = frame_start
    return scene


def save_blend(filepath: str):
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath(filepath), compress=True)


