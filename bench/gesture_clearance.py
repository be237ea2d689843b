"""Gesture clearance bench: how deep palms, wrists, fingertips and elbows go into the demo character's body when
generated gestures are retargeted onto it as Talk from Audio does, and how fast elbows turn and wrists move.

    .venv/bin/python bench/gesture_clearance.py            # 54 takes: demo line × 3 styles × 6 seeds,
                                                           # six espeak-ng passages × 3 styles × 2 seeds
    .venv/bin/python bench/gesture_clearance.py --quick    # 6 demo takes and one passage

The body is measured on the demo character's mesh (assets/demo_character.blend, read with bpy: the DemoHuman
mesh's vertices, triangles and each vertex's strongest bone group, and DemoRig's bones): every centimetre from the
crotch to the armpits the torso's cross-section (triangles of arm, hand, neck and head groups left out) and from
mid-thigh to the crotch each thigh's, each as its largest radius in 72 directions around the section's centre,
attached to the spine bone (or thigh bone) that moves that stretch. Each take is retargeted onto the demo rig
(bench.body_stats.demo_rig, root motion on, as Talk from Audio keys it) and a point's depth is how far it lies
inside the section at its height, in that bone's rest frame (> 0: inside). Points: the palm's centre (halfway
from the wrist to the middle of the four knuckles), the wrist and elbow joints, the five fingertips (tails of the
last finger bones). Printed per point: the deepest, the share of frames with some point inside, frames and takes
over 1 cm, and the same for frames where the posture rests a hand on the hip. Elbow turn (degrees per frame)
and wrist speed (m/s, world) are measured on the generated SMPL-X clip, as tests/test_gesture_edges_and_elbows.py
does.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.gesture_clearance", run_name="__main__")
    raise SystemExit

import argparse
import os
import tempfile
import time

import numpy as np
import soundfile

from ..clips import rotations
from ..clips.kinematics import joint_positions
from ..clips.skeleton import SMPLX_SKELETON
from ..models.gesture.pipeline import generate_gestures
from ..models.gesture.posture import posture_at
from ..retarget.motion_file import clip_source
from ..retarget.pipeline import retarget_source
from ..retarget.rig import forward_kinematics, tails_of
from ..retarget.root_motion import RootMode
from .body_stats import demo_rig
from .gesture import PASSAGES, passage

ROOT = os.path.join(os.path.dirname(__file__), "..")
CHARACTER = os.path.join(ROOT, "assets", "demo_character.blend")
DEMO = os.path.join(ROOT, "assets", "demo_speech.wav")
STYLES = ("presenter", "storyteller", "lecturer")
BINS = 72
LEFT_OUT = ("arm", "hand", "index", "middle", "ring", "pinky", "thumb", "clavicle", "neck", "head")
TORSO_Z = np.arange(0.84, 1.345, 0.01)           # metres: above the crotch, below the armpits
THIGH_Z = np.arange(0.50, 0.835, 0.01)
SPINE = (("pelvis", -9.0), ("spine_01", 0.935), ("spine_02", 1.003), ("spine_03", 1.096))   # bone, from height
POINTS = ("palm", "wrist", "tips", "elbow")


def read_character(path: str = CHARACTER) -> dict:
    """The demo character's mesh (world vertices, triangles, each vertex's strongest group) and its rig's bone
    heads, read with bpy."""
    import bpy

    bpy.ops.wm.open_mainfile(filepath=path)
    mesh, rig = bpy.data.objects["DemoHuman"], bpy.data.objects["DemoRig"]
    matrix = np.array(mesh.matrix_world)
    co = np.zeros(len(mesh.data.vertices) * 3)
    mesh.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3]
    groups = [g.name for g in mesh.vertex_groups]
    strongest = np.full(len(co), "", dtype=object)
    for vertex in mesh.data.vertices:
        weights = [(g.weight, groups[g.group]) for g in vertex.groups]
        if weights:
            strongest[vertex.index] = max(weights)[1]
    mesh.data.calc_loop_triangles()
    tri = np.zeros(len(mesh.data.loop_triangles) * 3, dtype=np.int64)
    mesh.data.loop_triangles.foreach_get("vertices", tri)
    heads = {b.name: np.array(tuple(rig.matrix_world @ b.head_local)) for b in rig.data.bones}
    return {"co": co, "tri": tri.reshape(-1, 3), "group": strongest.astype(str), "heads": heads}


def contour(co, tri, z):
    """(N, 3) points where the triangles' edges cross the plane at height z."""
    out = []
    for a, b in ((0, 1), (1, 2), (2, 0)):
        p, q = co[tri[:, a]], co[tri[:, b]]
        cross = (p[:, 2] - z) * (q[:, 2] - z) < 0
        u = (z - p[cross, 2]) / (q[cross, 2] - p[cross, 2])
        out.append(p[cross] + u[:, None] * (q[cross] - p[cross]))
    return np.concatenate(out)


def profile(points, centre):
    """Largest radius in each of BINS directions around `centre` (x, y), gaps filled from their neighbours."""
    d = points[:, :2] - centre
    k = ((np.arctan2(d[:, 1], d[:, 0]) + np.pi) / (2 * np.pi) * BINS).astype(int) % BINS
    r = np.full(BINS, np.nan)
    np.fmax.at(r, k, np.linalg.norm(d, axis=1))
    good = ~np.isnan(r)
    return np.interp(np.arange(BINS), np.arange(BINS)[good], r[good], period=BINS)


class MeshBody:
    """The demo character's torso and thighs as cross-sections on its rig's bones (rig space of demo_rig())."""

    def __init__(self, character: dict, rig):
        # The .blend's rig and the rig file demo_rig() reads stand apart by a shift: sections go into the latter.
        shift = rig.heads[rig.index("pelvis")] - character["heads"]["pelvis"]
        co, tri, group = character["co"] + shift, character["tri"], character["group"]
        arm = np.array([any(k in g for k in LEFT_OUT) for g in group])
        keep = ~arm[tri].any(axis=1)
        self.slices = []        # (bone, height, centre xy, radii)
        for z in TORSO_Z:
            pts = contour(co, tri[keep], z)
            centre = np.array([0.0, 0.5 * (pts[:, 1].min() + pts[:, 1].max())])
            bone = [b for b, z0 in SPINE if z >= z0][-1]
            self.slices.append((bone, z, centre, profile(pts, centre)))
        for side, sign in (("l", 1.0), ("r", -1.0)):
            leg = keep & np.all(np.isin(group[tri], [f"thigh_{side}", "pelvis"]), axis=1) \
                & np.all(sign * co[tri][:, :, 0] > 0.0, axis=1)
            for z in THIGH_Z:
                pts = contour(co, tri[leg], z)
                if len(pts) >= 10:
                    centre = 0.5 * (pts[:, :2].min(axis=0) + pts[:, :2].max(axis=0))
                    self.slices.append((f"thigh_{side}", z, centre, profile(pts, centre)))

    def depth(self, pose, points):
        """(T, P) how far points (T, P, 3) of a posed rig (retarget.rig.RigPose) lie inside (metres, > 0 inside,
        -inf where no section covers them)."""
        rest = pose.rest
        out = np.full(points.shape[:2], -np.inf)
        for bone in dict.fromkeys(s[0] for s in self.slices):
            b = rest.index(bone)
            turn = rotations.multiply(np.broadcast_to(rotations.normalize(rest.rest_rotations[b]),
                                                      pose.world_rotations[:, b].shape),
                                      rotations.conjugate(pose.world_rotations[:, b]))
            q = rest.heads[b] + rotations.rotate(np.repeat(turn[:, None], points.shape[1], 1),
                                                 points - pose.heads[:, b][:, None])
            for _, z, centre, radii in (s for s in self.slices if s[0] == bone):
                near = np.abs(q[..., 2] - z) <= 0.005 + 1e-9
                if near.any():
                    d = q[near][:, :2] - centre
                    f = (np.arctan2(d[:, 1], d[:, 0]) + np.pi) / (2 * np.pi) * BINS - 0.5
                    r = np.interp(f, np.arange(-1, BINS + 1), np.concatenate([radii[-1:], radii, radii[:1]]))
                    out[near] = np.maximum(out[near], r - np.linalg.norm(d, axis=1))
        return out


def rig_points(pose, side: str) -> dict:
    """(T, P, 3) palm centre, wrist, fingertips and elbow of one side of the posed demo rig."""
    index, heads = pose.rest.index, pose.heads
    knuckles = np.mean([heads[:, index(f"{f}_01_{side}")] for f in ("index", "middle", "ring", "pinky")], axis=0)
    wrist = heads[:, index(f"hand_{side}")]
    tips = tails_of(pose, [index(f"{f}_03_{side}") for f in ("thumb", "index", "middle", "ring", "pinky")])
    return {"palm": 0.5 * (wrist + knuckles)[:, None], "wrist": wrist[:, None], "tips": tips,
            "elbow": heads[:, index(f"lowerarm_{side}")][:, None]}


def arm_speeds(clip) -> tuple:
    """(largest elbow turn in a frame, degrees; fastest wrist, m/s) over both arms of a generated clip."""
    index = SMPLX_SKELETON.index
    positions = joint_positions(clip)
    turn = speed = 0.0
    for side in ("left", "right"):
        elbow = rotations.to_rotation(clip.rotations[:, index(f"{side}_elbow")])
        turn = max(turn, float(np.degrees((elbow[:-1].inv() * elbow[1:]).magnitude()).max()))
        step = np.diff(positions[:, index(f"{side}_wrist")], axis=0)
        speed = max(speed, float(np.linalg.norm(step, axis=1).max() * clip.fps))
    return turn, speed


def takes(quick: bool, folder: str) -> list:
    out = [("demo", style, seed, DEMO) for style in STYLES for seed in range(2 if quick else 6)]
    for voice, rate in PASSAGES[:1] if quick else PASSAGES:
        samples, rate_hz, _ = passage(voice, rate)
        path = os.path.join(folder, f"{voice}_{rate}.wav")
        soundfile.write(path, samples, rate_hz, subtype="PCM_16")
        out += [(f"{voice}@{rate}", style, seed, path) for style in STYLES for seed in range(1 if quick else 2)]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rig, bone_map = demo_rig()
    body = MeshBody(read_character(), rig)
    stats = {name: {"inside": 0, "over": 0, "takes": 0, "deepest": -np.inf, "where": None} for name in POINTS}
    on_hip = {name: [] for name in POINTS}
    frames = 0
    turn = speed = 0.0
    started = time.time()
    with tempfile.TemporaryDirectory() as folder:
        todo = takes(args.quick, folder)
        for line, style, seed, path in todo:
            result = generate_gestures(path, style=style, seed=seed)
            take_turn, take_speed = arm_speeds(result.clip)
            turn, speed = max(turn, take_turn), max(speed, take_speed)
            retarget = retarget_source(clip_source(result.clip, label="take"), rig, bone_map, RootMode.FULL)
            pose = forward_kinematics(rig, retarget.bone_rotations, retarget.bone_locations, retarget.num_frames)
            times = np.arange(pose.heads.shape[0]) / retarget.fps
            rests = [posture_at(result.postures, x).rest for x in times]
            depth = {(name, side): body.depth(pose, p).max(axis=1)
                     for side in ("l", "r") for name, p in rig_points(pose, side).items()}
            frames += len(times)
            for name in POINTS:
                d = np.maximum(depth[(name, "l")], depth[(name, "r")])
                s = stats[name]
                s["inside"] += int((d > 0).sum())
                s["over"] += int((d > 0.01).sum())
                s["takes"] += int((d > 0.01).any())
                if d.max() > s["deepest"]:
                    s["deepest"], s["where"] = float(d.max()), f"{line} {style} seed {seed} frame {int(np.argmax(d))}"
                for k, side in enumerate(("l", "r")):
                    hip = np.array([r[k] == "hip" for r in rests])
                    on_hip[name].append(depth[(name, side)][hip])
            print(f"{line:13s} {style:11s} seed {seed}: deepest palm {100 * depth[('palm', 'l')].max():5.1f} / "
                  f"{100 * depth[('palm', 'r')].max():5.1f}, tips {100 * depth[('tips', 'l')].max():5.1f} / "
                  f"{100 * depth[('tips', 'r')].max():5.1f}, elbow {100 * depth[('elbow', 'l')].max():5.1f} / "
                  f"{100 * depth[('elbow', 'r')].max():5.1f} cm (left / right); elbow {take_turn:.0f}°/frame, "
                  f"wrist {take_speed:.2f} m/s  ({time.time() - started:.0f} s)", flush=True)
    print(f"\n{len(todo)} takes, {frames} frames on the demo character (depth: > 0 inside its torso or thighs)")
    print(f"{'point':6s} {'deepest cm':>10s} {'frames inside':>14s} {'frames > 1 cm':>14s} {'takes > 1 cm':>13s}  "
          f"hand on the hip: deepest, frames inside   (deepest at)")
    for name in POINTS:
        s, hip = stats[name], np.concatenate(on_hip[name])
        print(f"{name:6s} {100 * s['deepest']:10.1f} {100 * s['inside'] / frames:13.1f}% {s['over']:14d} "
              f"{s['takes']:13d}  {100 * hip.max():5.1f} cm, {100 * (hip > 0).mean():4.1f}% of {len(hip)}   "
              f"({s['where']})")
    print(f"elbow turn at most {turn:.1f}°/frame, wrist speed at most {speed:.2f} m/s (generated SMPL-X clips)")


if __name__ == "__main__":
    main()
