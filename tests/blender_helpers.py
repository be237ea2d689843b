"""Helpers for tests that drive real Blender (bpy from PyPI); never a mock."""

import bpy
import numpy as np

from soundmotion.operators.action_channels import fcurves_of


def empty_scene(fps: int = 30):
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    scene = bpy.context.scene
    scene.render.fps = fps
    scene.render.fps_base = 1.0
    return scene


def make_face_mesh(name: str = "Face", key_names=("jawOpen", "mouthClose", "eyeBlinkLeft")):
    """A small grid with shape keys that each move a different vertex, made active and selected."""
    mesh = bpy.data.meshes.new(name)
    verts = [(x * 0.1, 0.0, z * 0.1) for z in range(4) for x in range(4)]
    mesh.from_pydata(verts, [], [(0, 1, 5, 4)])
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for i, key_name in enumerate(key_names):
        block = obj.shape_key_add(name=key_name)
        block.data[i].co.z -= 0.05
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def make_chain_armature(name: str = "Rig", bone_count: int = 3):
    armature = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, armature)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    parent = None
    for i in range(bone_count):
        bone = armature.edit_bones.new(f"bone{i}")
        bone.head = (0.0, 0.0, i * 0.2)
        bone.tail = (0.0, 0.0, (i + 1) * 0.2)
        bone.parent = parent
        parent = bone
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def open_demo_character():
    """The bundled CC0 character, freshly opened: (scene, rig, face mesh), the rig active."""
    from soundmotion.operators import demo_scene

    scene = demo_scene.open_demo_character()
    rig = bpy.data.objects[demo_scene.RIG]
    bpy.context.view_layer.objects.active = rig
    return scene, rig, bpy.data.objects[demo_scene.FACE_MESH]


def evaluated_curve(id_block, data_path: str, frames, index: int = 0):
    """The take's F-curve for data_path[index] as Blender evaluates it at each of `frames`."""
    curve = next(fc for fc in fcurves_of(id_block) if fc.data_path == data_path and fc.array_index == index)
    return np.array([curve.evaluate(frame) for frame in frames])


def curve_values(id_block, data_path: str, index: int = 0):
    """(frames, values) of the assigned action's F-curve for data_path[index]."""
    for fcurve in fcurves_of(id_block):
        if fcurve.data_path == data_path and fcurve.array_index == index:
            coordinates = np.empty(len(fcurve.keyframe_points) * 2, dtype=np.float32)
            fcurve.keyframe_points.foreach_get("co", coordinates)
            return coordinates[0::2], coordinates[1::2]
    raise KeyError(data_path)


def sound_strips(scene):
    editor = scene.sequence_editor
    if editor is None:
        return []
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    return [s for s in strips if s.type == "SOUND"]
