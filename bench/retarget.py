"""Retarget bench: fidelity, feet and speed, measured on the evaluated Blender pose.

    .venv/bin/python bench/retarget.py           # all clips and rigs, speed with the naive baseline (~1 min)
    .venv/bin/python bench/retarget.py --quick   # one walk, no baseline

Fidelity: per frame, the angle between the source's and the target's world direction of every segment joining
two mapped joints (targets read back from Blender after the keys are written). Feet: for every source contact,
how much farther the target ankle slides than the source ankle (max over contacts), and the lowest foot point.
Speed: a 60 s, 30 fps clip onto a 65-bone rig, retarget + bulk write, next to a per-frame pose set +
keyframe_insert baseline in the same process.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import pathlib
    import runpy
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))  # rig_factory builds the rigs
    runpy.run_module("soundmotion.bench.retarget", run_name="__main__")
    raise SystemExit

import argparse
import os
import pathlib
import tempfile
import time

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="soundmotion-bench-"))

import numpy as np  # noqa: E402
from scipy.spatial.transform import Rotation  # noqa: E402

from ..clips import MotionClip, rotations  # noqa: E402
from ..clips.skeleton import SMPLX_SKELETON  # noqa: E402
from ..retarget import blender_rig  # noqa: E402
from ..retarget.fidelity import direction_errors  # noqa: E402
from ..retarget.foot_contacts import detect_contacts, foot_points, slide_of  # noqa: E402
from ..retarget.makehuman_rig import read_makehuman_rig, standard_rig_path  # noqa: E402
from ..retarget.motion_file import clip_source, load_motion_file  # noqa: E402
from ..retarget.pipeline import retarget_source  # noqa: E402
from ..retarget.rig import RigRest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
CMU = ROOT.parent / "shared" / "mocap" / "cmu"
CLIPS = ["general/002_01.bvh", "general/005_01.bvh", "general/002_05.bvh", "dance/005_02.bvh", "dance/005_06.bvh"]
TARGETS = [("makehuman", "default"), ("makehuman", "game_engine"), ("makehuman", "mixamo"), ("makehuman", "cmu_mb"),
           ("makehuman-A", "game_engine"), ("synthetic", "vroid"), ("synthetic", "character_creator"),
           ("synthetic", "unreal_ue5"), ("synthetic", "smplx_addon"), ("rigify", "fk")]


def smplx_clip(frames: int, fps: float = 30.0, seed: int = 0) -> MotionClip:
    """Smooth random joint rotations (±40°) and a travelling pelvis on the canonical skeleton."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / fps
    phase = rng.uniform(0, 2 * np.pi, (1, 55, 3))
    rotvec = np.radians(40) * np.sin(2 * np.pi * 0.7 * t + phase) * rng.uniform(0.2, 1.0, (1, 55, 3))
    quats = rotations.from_rotation(Rotation.from_rotvec(rotvec.reshape(-1, 3)), (frames, 55))
    root = np.tile(SMPLX_SKELETON.offsets[0], (frames, 1))
    root[:, 1] -= 0.5 * t[:, 0, 0]
    return MotionClip(fps, SMPLX_SKELETON, quats, root)


def build_target(kind, name):
    import rig_factory

    if kind == "makehuman":
        return rig_factory.makehuman_armature(name)
    if kind == "makehuman-A":
        return rig_factory.makehuman_armature(name, a_pose=True)
    if kind == "synthetic":
        return rig_factory.synthetic_armature(name)
    return rig_factory.rigify_armature()


def measure(source, obj, label):
    action, result = blender_rig.retarget_onto_armature(source, obj, frame_start=1)
    bone_map = blender_rig.bone_map_for(obj)
    if obj.name == "rig":  # Rigify: measure the deform bones the controls drive
        from ..retarget.bone_map import load_preset
        from ..retarget.detect import match_preset

        bone_map = match_preset(load_preset("rigify_def"), set(obj.data.bones.keys()))
    pose = blender_rig.read_rig_motion(obj, 1, result.num_frames)
    bone_map = bone_map.restricted_to(pose.rest.names)
    joints = [j for j in result.mapped_joints if j in bone_map]
    fidelity = direction_errors(source.pose, source.bone_map, pose, bone_map, joints)
    excess = [0.0]
    for contact in detect_contacts(source.pose, source.bone_map, source.fps):
        src = slide_of(source.pose.heads[:, source.pose.rest.index(source.bone_map.bones[f"{contact.side}_ankle"])],
                       contact)
        tgt = slide_of(pose.heads[:, pose.rest.index(bone_map.bones[f"{contact.side}_ankle"])], contact)
        excess.append(tgt - src)
    lowest = min(foot_points(pose, bone_map, s)[..., 2].min() for s in ("left", "right"))
    return fidelity, max(excess), lowest


def fidelity_table(clips):
    import rig_factory

    print(f"{'source':22s} {'target':28s} {'mean°':>7s} {'p95°':>7s} {'slide+cm':>9s} {'lowest cm':>9s}  worst")
    rows = []
    for clip_name in clips:
        for kind, name in TARGETS:
            rig_factory.empty_scene(30)
            source = load_motion_file(CMU / clip_name, fps=30) if clip_name != "smplx" else \
                clip_source(smplx_clip(300), fps=30, label="smplx")
            try:
                obj = build_target(kind, name)
                fidelity, excess, lowest = measure(source, obj, f"{kind}:{name}")
            except Exception as error:  # a bench reports every row, also the failing ones
                print(f"{clip_name:22s} {kind + ':' + name:28s} failed: {error}")
                continue
            worst = ", ".join(f"{s} {a:.1f}" for s, a in fidelity.worst(2))
            print(f"{clip_name:22s} {kind + ':' + name:28s} {fidelity.mean:7.2f} {fidelity.p95:7.2f} "
                  f"{excess * 100:9.2f} {lowest * 100:9.2f}  {worst}")
            rows.append((kind, fidelity.mean, fidelity.p95, excess, lowest))
    return rows


def sixty_five_bone_rig() -> RigRest:
    """MakeHuman's default body (no face, no toes) without metacarpals and three chain bones: 65 bones."""
    rig = read_makehuman_rig(standard_rig_path("default_no_toes"))
    face = ("oris", "levator", "orbic", "tongue", "temporalis", "risorius", "oculi", "special", "eye", "jaw",
            "breast", "metacarpal")
    drop = {n for n in rig.names if any(f in n for f in face)} | {"neck02", "spine04", "spine02"}
    keep = [i for i, n in enumerate(rig.names) if n not in drop]
    parents = []
    for i in keep:
        parent = rig.parents[i]
        while parent >= 0 and rig.names[parent] in drop:
            parent = rig.parents[parent]
        parents.append(keep.index(parent) if parent >= 0 else -1)
    return RigRest([rig.names[i] for i in keep], parents, rig.heads[keep], rig.tails[keep], rig.rest_rotations[keep])


def speed(with_baseline: bool):
    import rig_factory

    rig_factory.empty_scene(30)
    rig = sixty_five_bone_rig()
    obj = rig_factory.build_armature(rig, "Bench65")
    source = clip_source(smplx_clip(1800), fps=30, label="smplx 60 s")
    start = time.perf_counter()
    bone_map = blender_rig.bone_map_for(obj)
    result = retarget_source(source, blender_rig.read_rig_rest(obj), bone_map)
    middle = time.perf_counter()
    blender_rig.apply_retarget(obj, result, "bench", 1)
    end = time.perf_counter()
    print(f"\nspeed: {result.num_frames} frames onto {len(rig)} bones ({len(result.bone_rotations)} animated): "
          f"retarget {middle - start:.3f} s + write {end - middle:.3f} s = {end - start:.3f} s")
    if with_baseline:
        bones = [obj.pose.bones[n] for n in result.bone_rotations]
        quats = [result.bone_rotations[b.name] for b in bones]
        pelvis = obj.pose.bones[next(iter(result.bone_locations))]
        locations = next(iter(result.bone_locations.values()))
        begin = time.perf_counter()
        for frame in range(result.num_frames):
            for pose_bone, values in zip(bones, quats):
                pose_bone.rotation_quaternion = values[frame]
                pose_bone.keyframe_insert("rotation_quaternion", frame=frame + 1)
            pelvis.location = locations[frame]
            pelvis.keyframe_insert("location", frame=frame + 1)
        naive = time.perf_counter() - begin
        print(f"naive baseline (pose set + keyframe_insert per frame, write only): {naive:.2f} s "
              f"→ {naive / (end - start):.0f}× slower than retarget + bulk write")
    return end - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    clips = ["general/002_01.bvh"] if args.quick else CLIPS + ["smplx"]
    rows = fidelity_table(clips)
    if rows:
        means = np.array([r[1] for r in rows])
        p95s = np.array([r[2] for r in rows])
        excess = np.array([r[3] for r in rows])
        lowest = np.array([r[4] for r in rows])
        print(f"\nall rows: mean° max {means.max():.2f}, p95° max {p95s.max():.2f}, "
              f"slide excess max {excess.max() * 100:.2f} cm, lowest foot min {lowest.min() * 100:.2f} cm")
    speed(with_baseline=not args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
