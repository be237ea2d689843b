"""Build `dance_library.npz`: real dance capture on the SMPL-X skeleton, cut at its kinematic beats, for the
motion-graph choreographer (library.py, graph.py).

Reads `../shared/mocap/` in place (never copied into the repository):
- G1 Moves (CC BY 4.0, Mitch Chaiet / Experiential Technologies; dancers Jasmine Coro and Mitch Chaiet): 26 of
  the 28 dance clips, mapped from the Unitree G1 robot retarget onto SMPL-X by g1_mocap.py. Left out: the two
  that reproduce famous commercial choreographies (J_ShortDance13_SingleLadies, J_Dance22_Thrilling).
- CMU subject 5's modern dance (free for all uses; "The data used in this project was obtained from
  mocap.cs.cmu.edu. The database was created with funding from NSF EIA-0196217."), mapped by mocap.py.

Per clip: resampled to 30 fps; the standing start and end trimmed; frames around capture glitches (a joint
jumping faster than a body can move) marked unusable; put on the floor and foot contacts detected and pinned
(contacts.py); kinematic beats found (minima of the smoothed joint speed, with how deep each minimum is); at every
beat, pose features for matching transitions and how much the body moves until the next beat.
Rotations are stored as the three smallest quaternion parts in int16 (about 0.003° at worst), root in millimetres.

    .venv/bin/python -m soundmotion.models.dance.build_library     (or: python models/dance/build_library.py)
Reproducible: no randomness, about a minute on 2 cores.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.models.dance.build_library", run_name="__main__")
    raise SystemExit

import argparse
import glob
import os

import numpy as np
from ..filters import gaussian_filter1d

from ...clips import rotations
from ...clips.kinematics import world_transforms
from ...clips.motion import MotionClip
from ...clips.skeleton import SMPLX_SKELETON
from .body import rest_heights
from .contacts import clean_contacts, detect_contacts
from .library import (ASSET, BODY_JOINTS, FEATURE_JOINTS, LIBRARY_FPS, beat_features, heading_of,
                      quantise_rotations)

MOCAP = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "mocap")
EXCLUDED = ("J_ShortDance13_SingleLadies", "J_Dance22_Thrilling")   # famous commercial choreographies
GLITCH_SPEED = 8.0            # m/s: no joint of a dancing body moves this fast; the capture jumped
GLITCH_TURN = 40.0            # rad/s of a local joint rotation, likewise
GLITCH_MARGIN = 0.3           # s marked unusable either side of a glitch
STILL_SPEED = 0.25            # m/s mean joint speed: below it at the start or end, the dancer is waiting
TRIM_MARGIN = 0.3             # s kept before the first and after the last moving frame
SPEED_SIGMA = 2.5             # frames at 30 fps (Bailando's 5 at 60 fps): smoothing before kinematic beats
MIN_BEAT_GAP = 0.2            # s: minima closer than this are one pause


def load_sources(mocap: str = MOCAP) -> list:
    """[(name, SMPL-X body clip at 60 fps or the capture's rate, has captured neck/head)] of every source clip."""
    from . import g1_mocap
    from .mocap import read_cmu

    clips = []
    model = g1_mocap.default_model(os.path.join(mocap, "g1_moves"))
    for path in g1_mocap.dance_csvs(os.path.join(mocap, "g1_moves")):
        name = os.path.splitext(os.path.basename(path))[0]
        if name not in EXCLUDED:
            clips.append(("G1_" + name, g1_mocap.read_g1(path, model), False))
    for path in sorted(glob.glob(os.path.join(mocap, "cmu", "dance", "*.bvh"))):
        name = "CMU_" + os.path.splitext(os.path.basename(path))[0]
        clips.append((name, _on_floor(read_cmu(path)[1]), True))
    return clips


def _on_floor(clip: MotionClip) -> MotionClip:
    """CMU on SMPL-X's proportions: the lowest foot on the floor but in jumps, as for G1 Moves."""
    from .g1_mocap import ground_feet, put_on_floor
    return ground_feet(put_on_floor(clip))


def glitches(clip: MotionClip) -> np.ndarray:
    """(T,) frames within GLITCH_MARGIN of a jump in the capture."""
    body = [SMPLX_SKELETON.index(n) for n in BODY_JOINTS]
    positions = world_transforms(clip)[1][:, body]
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=2).max(axis=1) * clip.fps
    q = clip.rotations[:, body]
    turn = 2 * np.arccos(np.clip(np.abs(np.sum(q[1:] * q[:-1], axis=-1)), 0, 1)).max(axis=1) * clip.fps
    jump = np.zeros(clip.num_frames, dtype=bool)
    jump[1:] = (speed > GLITCH_SPEED) | (turn > GLITCH_TURN)
    margin = int(round(GLITCH_MARGIN * clip.fps))
    return np.convolve(jump.astype(float), np.ones(2 * margin + 1), mode="same") > 0.5


def mean_speed(positions: np.ndarray, fps: float) -> np.ndarray:
    """(T,) mean joint speed (m/s), the first frame repeating the second's."""
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=2).mean(axis=1) * fps
    return np.concatenate([speed[:1], speed])


def kinematic_beats(speed: np.ndarray, fps: float) -> tuple:
    """(frames, depth) of the minima of the smoothed speed: depth 0..1 is how far the speed drops there
    relative to the highest speed within half a second on either side (1 = a full stop, a hit)."""
    smooth = gaussian_filter1d(speed, SPEED_SIGMA * fps / 30.0)
    minima = np.flatnonzero((smooth[1:-1] < smooth[:-2]) & (smooth[1:-1] <= smooth[2:])) + 1
    half = int(round(0.5 * fps))
    depth = np.array([1.0 - smooth[m] / max(smooth[max(0, m - half):m + half + 1].max(), 1e-6) for m in minima])
    keep, last = [], -np.inf
    for m, d in sorted(zip(minima, depth), key=lambda x: -x[1]):   # deepest first, then thin close neighbours
        if all(abs(m - k) >= MIN_BEAT_GAP * fps for k, _ in keep):
            keep.append((m, d))
    keep.sort()
    return np.array([k for k, _ in keep], dtype=int), np.array([d for _, d in keep])


def process(name: str, clip: MotionClip, has_head: bool) -> dict:
    bad = glitches(clip)
    clip = clip.resampled(LIBRARY_FPS)
    bad = bad[np.clip(np.round(np.arange(clip.num_frames) * (len(bad) / clip.num_frames)).astype(int), 0,
                      len(bad) - 1)]
    body = [SMPLX_SKELETON.index(n) for n in BODY_JOINTS]
    positions = world_transforms(clip)[1]
    speed = mean_speed(positions[:, body], clip.fps)
    moving = np.flatnonzero(gaussian_filter1d(speed, 3) > STILL_SPEED)
    margin = int(round(TRIM_MARGIN * clip.fps))
    a, b = (max(0, moving[0] - margin), min(clip.num_frames, moving[-1] + margin + 1)) if len(moving) else (0, 0)
    clip = MotionClip(clip.fps, clip.skeleton, clip.rotations[a:b], clip.root_translation[a:b])
    bad, speed = bad[a:b], speed[a:b]
    heights = rest_heights()
    clip = clean_contacts(clip, heights)
    world, positions = world_transforms(clip)
    contacts = detect_contacts(positions, clip.skeleton, heights, clip.fps)
    frames, depth = kinematic_beats(speed, clip.fps)
    return {"name": name, "clip": clip, "usable": ~bad, "has_head": has_head,
            "contacts": np.stack([contacts["left"], contacts["right"]], axis=1),
            "beats": frames, "depth": depth, "positions": positions, "speed": speed}


def build(mocap: str = MOCAP, output: str = ASSET) -> dict:
    processed = [process(*source) for source in load_sources(mocap)]
    processed = [p for p in processed if p["clip"].num_frames > LIBRARY_FPS]
    offsets = np.cumsum([0] + [p["clip"].num_frames for p in processed])
    joints = [SMPLX_SKELETON.index(n) for n in BODY_JOINTS]
    beat_frames, beat_depth, features, effort, feet = [], [], [], [], []
    for p, offset in zip(processed, offsets[:-1]):
        frames = p["beats"]
        beat_frames.append(frames + offset)
        beat_depth.append(p["depth"])
        features.append(beat_features(p["positions"], frames, LIBRARY_FPS))
        ends = np.append(frames[1:], p["clip"].num_frames - 1)
        effort.append([p["speed"][s:max(e, s + 1)].mean() for s, e in zip(frames, ends)])
        ankles = p["positions"][:, [SMPLX_SKELETON.index("left_ankle"), SMPLX_SKELETON.index("right_ankle")]]
        foot_speed = np.linalg.norm(np.diff(ankles[..., :2], axis=0), axis=2).max(axis=1) * LIBRARY_FPS
        foot_speed = np.append(foot_speed, foot_speed[-1:])
        feet.append([foot_speed[s:max(e, s + 1)].mean() for s, e in zip(frames, ends)])
    rotations_all, largest = quantise_rotations(np.concatenate([p["clip"].rotations[:, joints] for p in processed]))
    root = np.concatenate([p["clip"].root_translation for p in processed])
    np.savez_compressed(
        output,
        names=np.array([p["name"] for p in processed]),
        offsets=offsets.astype(np.int32),
        has_head=np.array([p["has_head"] for p in processed]),
        joints=np.array(BODY_JOINTS),
        fps=np.float32(LIBRARY_FPS),
        rotations=rotations_all,
        rotation_largest=largest,
        root_mm=np.round(root * 1000.0).astype(np.int32),
        usable=np.packbits(np.concatenate([p["usable"] for p in processed])),
        contacts=np.packbits(np.concatenate([p["contacts"] for p in processed]).ravel()),
        beat_frames=np.concatenate(beat_frames).astype(np.int32),
        beat_depth=np.concatenate(beat_depth).astype(np.float16),
        beat_features=np.concatenate(features).astype(np.float16),
        beat_effort=np.concatenate(effort).astype(np.float16),
        beat_footwork=np.concatenate(feet).astype(np.float16),
        feature_joints=np.array(FEATURE_JOINTS),
    )
    seconds = offsets[-1] / LIBRARY_FPS
    size = os.path.getsize(output)
    print(f"{len(processed)} clips, {seconds / 60:.1f} min, {sum(len(b) for b in beat_frames)} kinematic beats, "
          f"{size / 1e6:.2f} MB → {output}")
    return {"clips": len(processed), "seconds": float(seconds), "bytes": size}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mocap", default=MOCAP, help="the shared mocap folder (with g1_moves/ and cmu/)")
    parser.add_argument("--output", default=ASSET)
    args = parser.parse_args(argv)
    build(args.mocap, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
