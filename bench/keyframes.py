"""Bulk keyframe writer vs. a per-key `keyframe_insert` loop, in one process on the same scene.

60 s at 30 fps onto a 65-bone armature (quaternion + location channels) and 52 ARKit shape keys, written three
ways: every frame in bulk (`foreach_set`), key poses in bulk (the reduction, takes/key_poses.py, timed with the
write, handles included), and the baseline, a `keyframe_insert` loop writing every frame. The motion is real model
output, so that the reduction has realistic work: the dance for the bundled loop and the face for the bundled
line, each repeated to fill the minute (bone i plays the dance's joint i mod 55). The baseline writes the same
full clip (a per-key insert gets slower as curves grow, so a shorter baseline would flatter it); `--quick` limits
it to the first 10 s and compares by keys/s.

Usage: .venv/bin/python bench/keyframes.py [--quick]
"""

import argparse
import os
import pathlib
import tempfile
import time

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="soundmotion-bench-"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402

from soundmotion.clips import ARKIT_BLENDSHAPES, rotations  # noqa: E402
from soundmotion.models.dance.pipeline import generate_dance  # noqa: E402
from soundmotion.models.face.pipeline import generate_face  # noqa: E402
from soundmotion.operators.keyframes import write_pose_action, write_shape_key_action  # noqa: E402
from soundmotion.takes.key_poses import KeyStyle  # noqa: E402

FPS, SECONDS, BONES = 30, 60, 65
QUICK_SECONDS = 10  # --quick: the loop's baseline on the first 10 s only, compared by keys/s
ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"


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
    """(T, 65, 4) rotations, (T, 3) root locations, (T, 52) face weights from the models, repeated to T frames."""
    dance = generate_dance(ASSETS / "demo_music.wav", fps=FPS).clip
    face = generate_face(ASSETS / "demo_speech.wav", fps=FPS).clip
    repeat = np.arange(frames)
    quats = rotations.make_continuous(dance.rotations[repeat % dance.num_frames][:, np.arange(BONES) % 55])
    locations = dance.root_translation[repeat % dance.num_frames]
    return quats, locations, face.weights[repeat % face.num_frames]


def bulk(armature, mesh, data, style):
    quats, locations, face = data
    start = time.perf_counter()
    write_pose_action(armature, "bulk_body", 1, {f"bone{i:02d}": quats[:, i] for i in range(BONES)},
                      {"bone00": locations}, style=style)
    write_shape_key_action(mesh, "bulk_face", 1, {name: face[:, c] for c, name in enumerate(ARKIT_BLENDSHAPES)},
                           style=style)
    seconds = time.perf_counter() - start
    keys = sum(len(fc.keyframe_points) for block in (armature, mesh.data.shape_keys)
               for fc in _fcurves(block))
    return seconds, keys


def _fcurves(id_block):
    from soundmotion.operators.action_channels import fcurves_of

    return fcurves_of(id_block)


def keyframe_insert_loop(armature, mesh, data, frames):
    quats, locations, face = (array[:frames] for array in data)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="time the loop on the first 10 s only")
    args = parser.parse_args(argv)
    frames = FPS * SECONDS
    data = clip_data(frames)
    armature, mesh = build_scene()
    dense_seconds, dense_keys = bulk(armature, mesh, data, KeyStyle("FRAMES"))
    armature, mesh = build_scene()
    poses_seconds, pose_keys = bulk(armature, mesh, data, KeyStyle("POSES"))
    baseline_frames = FPS * (QUICK_SECONDS if args.quick else SECONDS)
    armature, mesh = build_scene()
    loop_seconds = keyframe_insert_loop(armature, mesh, data, baseline_frames)
    loop_rate = baseline_frames * keys_per_frame() / loop_seconds
    loop_full = frames * keys_per_frame() / loop_rate  # the loop's time for the whole dense clip
    print(f"Blender {bpy.app.version_string}; {SECONDS} s at {FPS} fps, {BONES} bones + 52 shape keys "
          f"= {frames * keys_per_frame():,} dense keys (dance and face from the models, repeated)")
    print(f"{'writer':<34}{'frames':>8}{'keys':>11}{'seconds':>10}{'dense keys/s':>15}")
    print(f"{'bulk, every frame':<34}{frames:>8}{dense_keys:>11,}{dense_seconds:>10.3f}"
          f"{frames * keys_per_frame() / dense_seconds:>15,.0f}")
    print(f"{'bulk, key poses (reduction incl.)':<34}{frames:>8}{pose_keys:>11,}{poses_seconds:>10.3f}"
          f"{frames * keys_per_frame() / poses_seconds:>15,.0f}")
    print(f"{'keyframe_insert loop, every frame':<34}{baseline_frames:>8}{baseline_frames * keys_per_frame():>11,}"
          f"{loop_seconds:>10.3f}{loop_rate:>15,.0f}")
    print(f"speed-up over the loop's dense write: every frame {loop_full / dense_seconds:.0f}x, "
          f"key poses {loop_full / poses_seconds:.0f}x (target >= 50x); key poses keep "
          f"{pose_keys / dense_keys:.1%} of the keys")


if __name__ == "__main__":
    main()
