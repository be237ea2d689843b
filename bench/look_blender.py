"""The Blender side of bench/look.py (run in a subprocess: Workbench can abort its whole process): takes onto the
demo character, their world joint positions on that rig, and a contact sheet rendered with Workbench.

    python -m soundmotion.bench.look_blender JOB.json

JOB.json: {"character": .blend, "rig": armature name, "fps": 30, "tile": [w, h], "sheet": out .png,
"takes": [{"label", "source" (.bvh or clip .npz), "start", "end" (s, or null), "times": [s, … from the window's
start]}]}. Rows are takes, columns their times.
"""

import json
import os
import sys

import bpy
import numpy as np

from ..retarget.blender_rig import apply_retarget, bone_map_for, read_rig_rest
from ..retarget.motion_file import MotionSource, load_motion_file
from ..retarget.pipeline import retarget_source
from ..retarget.rig import RigPose, forward_kinematics
from ..retarget.root_motion import RootMode

FLOOR_SIZE = 40.0
GRID_STEP = 0.5
SHOT_HEIGHT = 2.5       # metres of the scene a tile shows, top to bottom
LABEL_SIZE = 0.045


def _window(source: MotionSource, start, end) -> MotionSource:
    a = 0 if start is None else max(0, int(round(start * source.fps)))
    b = source.pose.num_frames if end is None else min(source.pose.num_frames, int(round(end * source.fps)))
    pose = RigPose(source.pose.rest, source.pose.world_rotations[a:b], source.pose.heads[a:b])
    return MotionSource(pose, source.bone_map, source.fps, source.label)


def _material(name, colour):
    material = bpy.data.materials.new(name)
    material.diffuse_color = colour
    return material


def _stage(scene, tile):
    """Workbench look, a floor with a 0.5 m grid (travel and turns show against it), camera and label."""
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = tile
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "MATERIAL"
    shading.show_shadows = True
    shading.show_cavity = True
    world = scene.world or bpy.data.worlds.new("SM_LookWorld")
    world.color = (0.22, 0.24, 0.27)
    scene.world = world
    half = FLOOR_SIZE / 2
    floor = bpy.data.meshes.new("SM_LookFloor")
    floor.from_pydata([(-half, -half, 0), (half, -half, 0), (half, half, 0), (-half, half, 0)], [], [(0, 1, 2, 3)])
    floor.materials.append(_material("SM_LookFloor", (0.55, 0.56, 0.58, 1.0)))
    scene.collection.objects.link(bpy.data.objects.new("SM_LookFloor", floor))
    vertices, faces, width = [], [], 0.012
    for k in np.arange(-half, half + 1e-9, GRID_STEP):
        for a, b in (((k - width, -half), (k + width, half)), ((-half, k - width), (half, k + width))):
            n = len(vertices)
            vertices += [(a[0], a[1], 0.002), (b[0], a[1], 0.002), (b[0], b[1], 0.002), (a[0], b[1], 0.002)]
            faces.append((n, n + 1, n + 2, n + 3))
    grid = bpy.data.meshes.new("SM_LookGrid")
    grid.from_pydata(vertices, [], faces)
    grid.materials.append(_material("SM_LookGrid", (0.38, 0.39, 0.41, 1.0)))
    scene.collection.objects.link(bpy.data.objects.new("SM_LookGrid", grid))
    data = bpy.data.cameras.new("SM_LookCamera")
    data.lens = 35.0
    data.sensor_fit = "VERTICAL"
    camera = bpy.data.objects.new("SM_LookCamera", data)
    scene.collection.objects.link(camera)
    camera.rotation_euler = (np.radians(84.0), 0.0, 0.0)
    scene.camera = camera
    text = bpy.data.curves.new("SM_LookLabel", "FONT")
    text.size = LABEL_SIZE
    label = bpy.data.objects.new("SM_LookLabel", text)
    label.data.materials.append(_material("SM_LookLabel", (0.95, 0.95, 0.9, 1.0)))
    scene.collection.objects.link(label)
    label.visible_shadow = False
    label.parent = camera
    return camera, label


def _aim(camera, label, pelvis, tile):
    distance = SHOT_HEIGHT * camera.data.lens / camera.data.sensor_height
    tilt = np.pi / 2 - camera.rotation_euler[0]
    camera.location = (pelvis[0], pelvis[1] - distance, 1.05 + distance * np.tan(tilt))
    # Label in the camera's top-left corner, a little in front of the lens.
    depth = 1.0
    half_h = 0.5 * camera.data.sensor_height / camera.data.lens * depth
    half_w = half_h * tile[0] / tile[1]
    label.location = (-half_w * 0.94, half_h * 0.94 - LABEL_SIZE * depth * 0.9, -depth)
    label.scale = (depth * 0.9,) * 3


def _tiles_into_sheet(paths, rows, columns, tile, out, scene):
    width, height = tile
    sheet = np.zeros((rows * height, columns * width, 4), dtype=np.float32)
    for (row, column), path in paths.items():
        image = bpy.data.images.load(path)
        pixels = np.empty(width * height * 4, dtype=np.float32)
        image.pixels.foreach_get(pixels)
        bpy.data.images.remove(image)
        y0 = (rows - 1 - row) * height   # Blender images start at the bottom row
        sheet[y0:y0 + height, column * width:(column + 1) * width] = pixels.reshape(height, width, 4)
    sheet[..., 3] = 1.0
    image = bpy.data.images.new("SM_LookSheet", columns * width, rows * height, alpha=True)
    image.pixels.foreach_set(sheet.ravel())
    settings = scene.render.image_settings
    settings.file_format, settings.color_mode, settings.compression = "PNG", "RGB", 100
    image.save_render(out, scene=scene)


def run(job: dict):
    bpy.ops.wm.open_mainfile(filepath=job["character"], load_ui=False)
    scene = bpy.context.scene
    fps = float(job.get("fps", 30))
    scene.render.fps, scene.render.fps_base = int(round(fps)), 1.0
    rig = bpy.data.objects[job["rig"]]
    rest = read_rig_rest(rig)
    bone_map = bone_map_for(rig).restricted_to(rest.names)
    tile = tuple(job.get("tile", (200, 300)))
    camera, label = _stage(scene, tile)
    folder = os.path.dirname(os.path.abspath(job["sheet"]))
    pelvis_bone = rest.index(bone_map.bones["pelvis"])
    tiles = {}
    for row, take in enumerate(job["takes"]):
        source = _window(load_motion_file(take["source"], fps=fps), take.get("start"), take.get("end"))
        result = retarget_source(source, rest, bone_map, RootMode.FULL, keep_feet=True)
        pose = forward_kinematics(rest, result.bone_rotations, result.bone_locations, result.num_frames)
        matrix = np.array(rig.matrix_world)
        pelvis = pose.heads[:, pelvis_bone] @ matrix[:3, :3].T + matrix[:3, 3]
        apply_retarget(rig, result, f"SM_look_{row}", 1)
        for column, t in enumerate(take["times"]):
            frame = int(np.clip(round(t * fps), 0, result.num_frames - 1))
            scene.frame_set(1 + frame)
            _aim(camera, label, pelvis[frame], tile)
            label.data.body = f"{take['label']}  {t:.1f}s" if column == 0 else f"{t:.1f}s"
            path = os.path.join(folder, f".look_tile_{row}_{column}.png")
            scene.render.filepath = path
            bpy.ops.render.render(write_still=True)
            tiles[(row, column)] = path
    columns = max(len(t["times"]) for t in job["takes"])
    _tiles_into_sheet(tiles, len(job["takes"]), columns, tile, job["sheet"], scene)
    for path in tiles.values():
        os.remove(path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as handle:
        run(json.load(handle))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
