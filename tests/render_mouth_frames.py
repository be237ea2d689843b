"""Run in a fresh process (Workbench can abort a process that lacks EGL): render the demo .blend at two
frames and print the jawOpen values and the mouth's pixel box, as JSON.

Usage: python render_mouth_frames.py DEMO.blend OUT_DIR FRAME FRAME
"""

import json
import sys

import bpy
import numpy as np
from bpy_extras.object_utils import world_to_camera_view


def mouth_box(scene, mesh, frame, margin=0.02):
    """Pixel box around the vertices jawOpen moves most (the lips and chin), as posed at `frame`, seen by the
    scene camera (the head moves with the gestures, so the box follows the evaluated mesh)."""
    keys = mesh.data.shape_keys.key_blocks
    basis, jaw = keys["Basis"].data, keys["jawOpen"].data
    moved = sorted(range(len(basis)), key=lambda i: (jaw[i].co - basis[i].co).length, reverse=True)[:200]
    scene.frame_set(frame)
    evaluated = mesh.evaluated_get(bpy.context.evaluated_depsgraph_get())
    vertices = evaluated.to_mesh().vertices
    points = [world_to_camera_view(scene, scene.camera, evaluated.matrix_world @ vertices[i].co) for i in moved]
    evaluated.to_mesh_clear()
    width, height = scene.render.resolution_x, scene.render.resolution_y
    xs = [p.x for p in points]
    ys = [1.0 - p.y for p in points]
    return [int((min(xs) - margin) * width), int((min(ys) - margin) * height),
            int((max(xs) + margin) * width), int((max(ys) + margin) * height)]


def crop(png_path, box):
    """Grey levels (0..255) of the box, top row first."""
    image = bpy.data.images.load(png_path)
    width, height = image.size
    pixels = np.empty(width * height * 4, dtype=np.float32)
    image.pixels.foreach_get(pixels)
    grey = pixels.reshape(height, width, 4)[::-1, :, :3].mean(axis=2) * 255.0
    left, top, right, bottom = box
    return grey[max(top, 0):bottom, max(left, 0):right]


def main(blend, out_dir, frames):
    bpy.ops.wm.open_mainfile(filepath=blend)
    scene = bpy.context.scene
    mesh = bpy.data.objects["DemoHuman"]
    report = {"box": mouth_box(scene, mesh, frames[0]), "frames": {}}
    scene.render.engine = "BLENDER_WORKBENCH"
    if hasattr(scene.render.image_settings, "media_type"):  # Blender 5.0
        scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    for frame in frames:
        scene.frame_set(frame)
        path = f"{out_dir}/frame_{frame:04d}.png"
        scene.render.filepath = path
        bpy.ops.render.render(write_still=True)
        crop_path = f"{out_dir}/mouth_{frame:04d}.npy"
        np.save(crop_path, crop(path, report["box"]))
        report["frames"][frame] = {"mouth": crop_path, "jawOpen": mesh.data.shape_keys.key_blocks["jawOpen"].value}
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(f) for f in sys.argv[3:]])
