"""Game-engine files of a take through Blender's bundled exporters: FBX (io_scene_fbx) and binary glTF
(io_scene_gltf2), each with the body's and the face mesh's shape-key animation, baked from the scene.

Both files are byte-for-byte repeatable for the same scene: the FBX exporter stamps the wall clock into its
header and keys its object ids on Python's string hash, so the export pins the header time and must run in a
process started with a fixed PYTHONHASHSEED (the batch's workers are)."""

import contextlib
import datetime
import os

import bpy

FIXED_TIME = datetime.datetime(2000, 1, 1)  # what the FBX header's CreationTime says, on every run


@contextlib.contextmanager
def _fixed_fbx_header_time():
    from io_scene_fbx import export_fbx_bin, fbx_utils

    original = export_fbx_bin.fbx_header_elements
    export_fbx_bin.fbx_header_elements = lambda root, scene_data, time=None: original(root, scene_data, FIXED_TIME)
    # Ids are cached per string key for the life of the process: start each file from an empty cache.
    fbx_utils._keys_to_uuids.clear()
    fbx_utils._uuids_to_keys.clear()
    try:
        yield
    finally:
        export_fbx_bin.fbx_header_elements = original


def export_fbx(filepath: str) -> str:
    """Armatures and meshes, the scene as it plays baked over its frame range (bones and shape keys), no leaf
    bones."""
    filepath = os.path.abspath(filepath)
    with _fixed_fbx_header_time():
        result = bpy.ops.export_scene.fbx(filepath=filepath, object_types={"ARMATURE", "MESH"}, bake_anim=True,
                                          bake_anim_use_all_actions=False, bake_anim_use_nla_strips=False,
                                          add_leaf_bones=False, use_mesh_modifiers=False)
    if "FINISHED" not in result:
        raise RuntimeError(f"The FBX exporter did not finish writing {os.path.basename(filepath)}.")
    return filepath


def export_glb(filepath: str) -> str:
    """The scene as it plays (takes on their NLA tracks, with anything layered on top) baked over its frame
    range: one glTF animation for the armature's bones, one for the face mesh's morph weights. Time 0 is the
    range's first frame, where the line's sound starts (the exporter's own timing, frame / fps, put frame 1 at
    1/fps s: a game starting the sound and the clip together showed the face a frame late)."""
    filepath = os.path.abspath(filepath)
    result = bpy.ops.export_scene.gltf(filepath=filepath, export_format="GLB", export_animations=True,
                                       export_animation_mode="SCENE", export_morph=True,
                                       export_morph_animation=True, export_anim_slide_to_zero=True,
                                       export_cameras=False, export_lights=False)
    if "FINISHED" not in result:
        raise RuntimeError(f"The glTF exporter did not finish writing {os.path.basename(filepath)}.")
    return filepath
