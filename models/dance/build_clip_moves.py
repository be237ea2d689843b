"""Build `clip_moves.npz`: the CMU modern-dance clips cut at kinematic beats into one-bar upper-body moves.

Each clip is mapped onto SMPL-X (mocap.read_cmu), its kinematic beats found (metrics.kinematic_beats: minima of the
mean joint speed), and every run of BEATS_PER_SEGMENT beat intervals becomes a candidate. Candidates are kept when
they stay in place (no travel, no floor work, torso upright), their beats are evenly enough spaced to be warped onto
a musical bar, and they move enough to be worth dancing; overlapping keepers are thinned greedily. Only the
upper-body local rotations are stored (float16, 30 fps): at run time the legs stay with the leg IK.

    .venv/bin/python -m soundmotion.models.dance.build_clip_moves     (or: python models/dance/build_clip_moves.py)
Reproducible: no randomness, a few seconds.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.models.dance.build_clip_moves", run_name="__main__")
    raise SystemExit

import argparse
import glob
import os

import numpy as np

from ...clips.kinematics import joint_positions
from ...clips.rotations import make_continuous, slerp_resample
from ...clips.motion import MotionClip
from ...clips.skeleton import SMPLX_SKELETON
from ..filters import find_peaks, gaussian_filter1d
from .clip_moves import ASSET, BEATS_PER_SEGMENT, JOINTS, STORE_FPS
from .metrics import SPEED_SMOOTHING_FRAMES_60

DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "mocap", "cmu", "dance")
MIN_INTERVAL, MAX_INTERVAL = 0.28, 1.6   # s between kinematic beats: about 40–210 BPM
MIN_PROMINENCE = 0.1                     # of the median speed: how deep a pause must be to count as a beat
MERGE_INTERVAL = 0.25                    # kinematic beats closer than this are one pause (speed noise)
MAX_INTERVAL_RATIO = 3.0                 # longest / shortest interval: more would stretch the warp too far
MAX_TRAVEL = 2.5                         # m the pelvis may travel (only the upper body is kept; a run's arm swing is no move)
MIN_PELVIS_HEIGHT = 0.8                  # of the clip's standing pelvis height: below it is floor work or a deep lunge
MAX_TORSO_LEAN = 45.0                    # degrees of the upright-pelvis torso from vertical (no arabesques)
MIN_MOTION = 0.25                        # m/s mean upper-body joint speed: a still pose is no move
MAX_OVERLAP = 0.5                        # share of a segment another kept one may overlap
MARGIN = 0.25                            # s of motion kept before the first and after the last beat, for cross-fades
JOINT_INDEX = [SMPLX_SKELETON.index(n) for n in JOINTS]


def segment_clip(body: MotionClip, name: str) -> list:
    """Good one-bar segments of one SMPL-X clip, as dicts (rotations at STORE_FPS, beats relative to the start)."""
    # Beats of the motion that is kept: the upper body as it moves on an upright pelvis.
    upright = _upright_torso_positions(body)
    beats = _merge_close(pronounced_beats(upright[:, JOINT_INDEX], body.fps), MERGE_INTERVAL)
    torso = upright[:, SMPLX_SKELETON.index("neck")] - upright[:, SMPLX_SKELETON.index("pelvis")]
    lean = np.degrees(np.arccos(np.clip(torso[:, 2] / np.linalg.norm(torso, axis=1), -1, 1)))
    standing = np.percentile(body.root_translation[:, 2], 90)
    upper_speed = np.linalg.norm(np.diff(upright[:, JOINT_INDEX], axis=0), axis=2).mean(axis=1) * body.fps
    found = []
    for i in range(len(beats) - BEATS_PER_SEGMENT):
        seg_beats = beats[i:i + BEATS_PER_SEGMENT + 1]
        intervals = np.diff(seg_beats)
        if intervals.min() < MIN_INTERVAL or intervals.max() > MAX_INTERVAL:
            continue
        if intervals.max() / intervals.min() > MAX_INTERVAL_RATIO:
            continue
        start_t, end_t = max(0.0, seg_beats[0] - MARGIN), min((body.num_frames - 1) / body.fps, seg_beats[-1] + MARGIN)
        a, b = int(np.floor(start_t * body.fps)), int(np.ceil(end_t * body.fps)) + 1
        root = body.root_translation[a:b]
        if np.linalg.norm(root[:, :2] - root[0, :2], axis=1).max() > MAX_TRAVEL:
            continue
        if root[:, 2].min() < MIN_PELVIS_HEIGHT * standing or lean[a:b].max() > MAX_TORSO_LEAN:
            continue
        motion = float(upper_speed[a:b - 1].mean())
        if motion < MIN_MOTION:
            continue
        times = np.arange(a, b) / body.fps
        store_times = np.arange(times[0], times[-1] + 1e-9, 1.0 / STORE_FPS)
        rotations = make_continuous(slerp_resample(body.rotations[a:b][:, JOINT_INDEX], times, store_times))
        found.append({"rotations": rotations, "beats": seg_beats - store_times[0], "source": name,
                      "start": float(store_times[0]), "motion": motion, "span": (seg_beats[0], seg_beats[-1])})
    return _thin(found)


def pronounced_beats(positions: np.ndarray, fps: float) -> np.ndarray:
    """metrics.kinematic_beats, keeping only the clear pauses: minima of the smoothed mean joint speed that dip at
    least MIN_PROMINENCE of the median speed below their surroundings. Shallow minima move or vanish when the
    segment is time-warped, so they would not reliably land on the music's beats."""
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=2).mean(axis=1) * fps
    speed = gaussian_filter1d(speed, SPEED_SMOOTHING_FRAMES_60 * fps / 60.0)
    minima, _ = find_peaks(-speed, prominence=MIN_PROMINENCE * float(np.median(speed)))
    return (minima + 1) / fps


def _merge_close(beats, interval):
    kept = []
    for beat in beats:
        if not kept or beat - kept[-1] >= interval:
            kept.append(beat)
    return np.array(kept)


def _thin(candidates):
    """Greedy by motion: keep the liveliest segments that overlap no kept one by more than MAX_OVERLAP."""
    kept = []
    for c in sorted(candidates, key=lambda c: -c["motion"]):
        a, b = c["span"]
        limit = (b - a) * MAX_OVERLAP
        if all(min(b, k["span"][1]) - max(a, k["span"][0]) <= limit for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c["start"])


def _upright_torso_positions(body: MotionClip):
    """Joint positions with the pelvis held upright at the origin: the pose as the dancer's upper body wears it."""
    local = body.rotations.copy()
    local[:, 0] = (1.0, 0.0, 0.0, 0.0)
    root = np.zeros_like(body.root_translation)
    return joint_positions(MotionClip(body.fps, body.skeleton, local, root))


def build(data_dir=DEFAULT_DATA, output=ASSET) -> dict:
    from .mocap import read_cmu

    paths = sorted(glob.glob(os.path.join(data_dir, "*.bvh")))
    if not paths:
        raise SystemExit(f"No BVH files in {data_dir}; the CMU dance mocap is needed to build the clip moves.")
    segments = []
    for path in paths:
        _, body = read_cmu(path)
        found = segment_clip(body, os.path.splitext(os.path.basename(path))[0])
        print(f"{os.path.basename(path)}: {body.num_frames / body.fps:5.1f} s → {len(found)} segments")
        segments.extend(found)
    offsets = np.cumsum([0] + [len(s["rotations"]) for s in segments]).astype(np.int32)
    np.savez_compressed(
        output,
        rotations=np.concatenate([s["rotations"] for s in segments]).astype(np.float16),
        offsets=offsets,
        beats=np.stack([s["beats"] for s in segments]).astype(np.float32),
        sources=np.array([s["source"] for s in segments]),
        source_starts=np.array([s["start"] for s in segments], dtype=np.float32),
        joints=np.array(JOINTS),
        fps=np.float32(STORE_FPS),
    )
    print(f"{len(segments)} clip moves, {offsets[-1] / STORE_FPS:.0f} s of motion, "
          f"{os.path.getsize(output) / 1e6:.2f} MB → {output}")
    return {"segments": len(segments), "bytes": os.path.getsize(output)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="folder of CMU subject 5 dance BVH files")
    parser.add_argument("--output", default=ASSET)
    args = parser.parse_args(argv)
    build(args.data, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
