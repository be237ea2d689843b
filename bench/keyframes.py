"""Bulk keyframe writer vs. a per-key `keyframe_insert` loop, in one process on the same scene.

60 s at 30 fps onto a 65-bone armature (quaternion + location channels) and 52 ARKit shape keys.
The baseline writes the same full clip (a per-key insert gets slower as curves grow, so a shorter
baseline would flatter it); `--quick` limits it to the first 10 s. Both are compared by keys/s.

Usage: .venv/bin/python bench/keyframes.py [--quick]
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="soundmotion-bench-"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from scipy.spatial.transform import Rotation  # noqa: E402

from soundmotion.clips import ARKIT_BLENDSHAPES, rotations  # noqa: E402
from soundmotion.operators.keyframes import write_pose_action, write_shape_key_action  # noqa: E402

FPS, SECONDS, BONES = 30, 60, 65
BASELINE_SECONDS = 10 if "--quick" in sys.argv else SECONDS


def build_scene():
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    armature = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    bpy.context.scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    for i in range(BONES):
        bone = armature.data.edit_bones.new(f"bone{i:02d}")
        bone.head, bone.tail = (0, 0, i * 0.1), (0, 0, i * 0.1 + 0.1)
    bpy.ops.object.mode_set(mode="OBJECT")
    mesh = bpy.data.objects.new("Face", bpy.data.meshes.new("Face"))
    mesh.data.from_pydata([(0, 0, 0), (1, 0, 0), (0, 0, 1)], [], [(0, 1, 2)])
    bpy.context.scene.collection.objects.link(mesh)
    mesh.shape_key_add(name="Basis")
    for name in ARKIT_BLENDSHAPES:
        mesh.shape_key_add(name=name)
    return armature, mesh


def clip_data(frames):
    quats = rotations.from_rotation(Rotation.random(frames * BONES, random_state=0), (frames, BONES))
    locations = np.random.default_rng(0).normal(size=(frames, 3))
    face = np.random.default_rng(1).uniform(size=(frames, len(ARKIT_BLENDSHAPES)))
    return quats, locations, face


def bulk(armature, mesh, frames):
    quats, locations, face = clip_data(frames)
    start = time.perf_counter()
    write_pose_action(armature, "bulk_body", 1, {f"bone{i:02d}": quats[:, i] for i in range(BONES)},
                      {"bone00": locations})
    write_shape_key_action(mesh, "bulk_face", 1, {name: face[:, c] for c, name in enumerate(ARKIT_BLENDSHAPES)})
    return time.perf_counter() - start


def keyframe_insert_loop(armature, mesh, frames):
    quats, locations, face = clip_data(frames)
    armature.animation_data_create().action = bpy.data.actions.new("loop_body")
    mesh.data.shape_keys.animation_data_create().action = bpy.data.actions.new("loop_face")
    bones = [armature.pose.bones[f"bone{i:02d}"] for i in range(BONES)]
    blocks = [mesh.data.shape_keys.key_blocks[name] for name in ARKIT_BLENDSHAPES]
    start = time.perf_counter()
    for t in range(frames):
        for i, bone in enumerate(bones):
            bone.rotation_quaternion = quats[t, i]
            bone.keyframe_insert("rotation_quaternion", frame=t + 1)
        bones[0].location = locations[t]
        bones[0].keyframe_insert("location", frame=t + 1)
        for c, block in enumerate(blocks):
            block.value = face[t, c]
            block.keyframe_insert("value", frame=t + 1)
    return time.perf_counter() - start


def keys_per_frame():
    return BONES * 4 + 3 + len(ARKIT_BLENDSHAPES)


def main():
    armature, mesh = build_scene()
    frames = FPS * SECONDS
    bulk_seconds = bulk(armature, mesh, frames)
    baseline_frames = FPS * BASELINE_SECONDS
    armature, mesh = build_scene()
    loop_seconds = keyframe_insert_loop(armature, mesh, baseline_frames)
    bulk_rate = frames * keys_per_frame() / bulk_seconds
    loop_rate = baseline_frames * keys_per_frame() / loop_seconds
    print(f"Blender {bpy.app.version_string}; {SECONDS} s at {FPS} fps, {BONES} bones + 52 shape keys "
          f"= {frames * keys_per_frame():,} keys")
    print(f"{'writer':<22}{'frames':>8}{'seconds':>10}{'keys/s':>14}")
    print(f"{'bulk (foreach_set)':<22}{frames:>8}{bulk_seconds:>10.3f}{bulk_rate:>14,.0f}")
    print(f"{'keyframe_insert loop':<22}{baseline_frames:>8}{loop_seconds:>10.3f}{loop_rate:>14,.0f}")
    print(f"speed-up: {bulk_rate / loop_rate:.0f}x (target >= 50x)")


if __name__ == "__main__":
    main()
