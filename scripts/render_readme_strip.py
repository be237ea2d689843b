"""Render the lip-sync frame strip shown in the README from the demo (one PNG, frames side by side).

Usage: .venv/bin/python scripts/render_readme_strip.py [out/demo.blend] [assets/readme/lipsync_strip.png]
Run `make demo` first. Each tile is labelled in the README with the sound being spoken at that frame.
"""

import os
import pathlib
import sys
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="soundmotion-strip-"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Seconds into the demo line: "Bob bought a map, but we will never stop to read it."
MOMENTS = {"B in Bob": 7.21, "AA in Bob": 7.32, "M in map": 7.95, "AE in map": 8.10, "W in we": 8.82,
           "V in never": 9.35}
TILE = (240, 200)


def render_tile(scene, frame, path):
    scene.frame_set(frame)
    scene.render.filepath = path
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(path)
    pixels = np.empty(image.size[0] * image.size[1] * 4, dtype=np.float32)
    image.pixels.foreach_get(pixels)
    return pixels.reshape(image.size[1], image.size[0], 4)


def main(blend, out_png):
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    scene = bpy.context.scene
    scene.camera = bpy.data.objects["SM_HeadCamera"]
    scene.timeline_markers.clear()
    camera = scene.camera
    mesh = bpy.data.objects["DemoHuman"]
    top = max((mesh.matrix_world @ v.co).z for v in mesh.data.vertices)
    camera.data.lens = 160  # mouth, nose and eyes only
    camera.location.z = top - 0.14
    scene.render.resolution_x, scene.render.resolution_y = TILE
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):
        settings.media_type = "IMAGE"
    settings.file_format = "PNG"
    fps = scene.render.fps / scene.render.fps_base
    with tempfile.TemporaryDirectory() as tmp:
        tiles = [render_tile(scene, int(round(seconds * fps)) + 1, f"{tmp}/{i}.png")
                 for i, seconds in enumerate(MOMENTS.values())]
    strip = np.concatenate(tiles, axis=1)
    image = bpy.data.images.new("strip", strip.shape[1], strip.shape[0], alpha=True)
    image.pixels.foreach_set(strip.ravel())
    image.filepath_raw = str(out_png)
    image.file_format = "PNG"
    os.makedirs(os.path.dirname(os.path.abspath(out_png)), exist_ok=True)
    image.save()
    print(f"wrote {out_png}: " + " | ".join(MOMENTS))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(arguments[0] if arguments else ROOT / "out" / "demo.blend",
         arguments[1] if len(arguments) > 1 else ROOT / "assets" / "readme" / "lipsync_strip.png")
