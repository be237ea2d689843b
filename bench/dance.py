"""Dance bench: beat alignment, feet, jitter, diversity and speed on synthesized songs with known beats, next to
the same physical figures on the CMU dance mocap.

    .venv/bin/python bench/dance.py            # 6 songs (80–160 BPM, a tempo change, quiet breaks) × 3 seeds
    .venv/bin/python bench/dance.py --quick    # 2 songs × 2 seeds

Beat Align Score as in AI Choreographer/FACT and Bailando's evaluation code: kinematic beats are local minima of
the mean joint speed (Gaussian-smoothed, σ = 5 frames at 60 fps), each scored exp(-d²/2σ²) to the nearest beat
of the other kind, σ = 3 frames at 60 fps. "k→m" averages over kinematic beats (the paper's definition), "m→k"
over music beats (Bailando's code). Published on AIST++ (m→k): ground truth 0.237, FACT 0.221, Bailando 0.233.
Foot figures use each foot joint's own floor height; contact = joint within 2.5 cm of it.
Rows: "procedural" (coded moves only), "+ prior" (the learned motion prior on the upper body), "+ clip moves" (the
prior plus CLIP_MOVES_SHARE of the bars danced with captured CMU segments time-warped onto the beats).
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.dance", run_name="__main__")
    raise SystemExit

import argparse
import glob
import os
import tempfile
import time

import numpy as np

from ..clips.kinematics import joint_positions
from ..clips.skeleton import SMPLX_SKELETON
from ..models.dance import generate_dance
from ..models.dance.body import rest_heights
from ..models.dance.metrics import (beat_align_score, diversity_between, diversity_within, foot_figures,
                                    frechet_distance, jitter, kinematic_beats)
from ..models.dance.prior_features import PRIOR_JOINTS, UPPER_BODY, to_features
from ..models.dance.mocap import BODY_JOINTS
from ..models.music.synth import SongPart, standard_song, synthesize, write_wav

FPS = 60.0
CLIP_MOVES_SHARE = 0.5     # the "+ clip moves" row: half the bars danced with captured CMU segments, on top of the prior
CMU_DANCE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "mocap", "cmu", "dance")
BODY = [SMPLX_SKELETON.index(n) for n in BODY_JOINTS]
SONGS = (
    ("120 steady", lambda: standard_song(seed=1, bpm=120)),
    ("90 slow", lambda: standard_song(seed=2, bpm=90)),
    ("150 fast", lambda: standard_song(seed=3, bpm=150)),
    ("100→128 change", lambda: standard_song(seed=4, bpm=100, bpm_after=128)),
    ("80→84 drift", lambda: synthesize([SongPart(8, 80, "A"), SongPart(8, 82, "B"), SongPart(8, 84, "A")],
                                       seed=5, lead_in=0.4)),
    ("160 no break", lambda: standard_song(seed=6, bpm=160, quiet=False)),
)


def variants():
    from ..models.dance import clip_moves as clip_moves_module
    from ..models.dance import prior as prior_module
    found = [("procedural", {"prior_strength": 0.0})]
    if prior_module.weights_available():
        found.append(("+ prior", {"prior_strength": prior_module.DEFAULT_STRENGTH}))
    if clip_moves_module.available():
        found.append(("+ clip moves", {"prior_strength": found[-1][1]["prior_strength"],
                                       "clip_moves": CLIP_MOVES_SHARE}))
    return found


UPPER_COLUMNS = np.concatenate([np.arange(6) + 6 * PRIOR_JOINTS.index(n) for n in UPPER_BODY])


def pose_features(local_quats):
    """Upper-body 6D rotations per frame: what the pose Fréchet distance to the mocap compares."""
    return to_features(local_quats)[:, UPPER_COLUMNS]


def evaluate_song(name, song, path, seeds, options, reference_features):
    rows, positions = [], []
    for seed in seeds:
        start = time.perf_counter()
        result = generate_dance(path, fps=FPS, seed=seed, **options)
        seconds = time.perf_counter() - start
        p = joint_positions(result.clip)
        positions.append(p)
        kin = kinematic_beats(p, FPS)
        feet = foot_figures(p, _foot_index(SMPLX_SKELETON.index), rest_heights(), FPS)
        recall = float(np.mean(np.min(np.abs(result.beats[:, None] - song.beats[None]), axis=0) < 0.07))
        fd = frechet_distance(pose_features(result.clip.rotations), reference_features)
        rows.append({"k2m": beat_align_score(kin, song.beats), "m2k": beat_align_score(song.beats, kin), "fd": fd,
                     "recall": recall, "jitter": jitter(p[:, BODY], FPS), "speed": song.duration / seconds, **feet})
    row = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    between = [diversity_between(positions[i][:, BODY], positions[j][:, BODY])
               for i in range(len(positions)) for j in range(i + 1, len(positions))]
    row["div_between"] = float(np.mean(between)) if between else float("nan")
    row["div_within"] = float(np.mean([diversity_within(p[:, BODY]) for p in positions]))
    return row


def cmu_reference():
    from ..models.dance.mocap import cc_positions, read_cmu
    rows, features = [], []
    for path in sorted(glob.glob(os.path.join(CMU_DANCE, "*.bvh"))):
        source, body = read_cmu(path)
        features.append(pose_features(body.rotations))
        p = cc_positions(source)
        names = {n: BODY_JOINTS.index(n) for n in ("left_ankle", "left_foot", "right_ankle", "right_foot")}
        floor = {n: float(np.percentile(p[:, i, 2], 2)) for n, i in names.items()}
        feet = foot_figures(p, names, floor, source.fps)
        rows.append({**feet, "jitter": jitter(p, source.fps), "frames": len(p), "within": diversity_within(p)})
    if not rows:
        return None, None
    weights = np.array([r["frames"] for r in rows], dtype=float)
    figures = {k: float(np.average([r[k] for r in rows], weights=weights)) for k in rows[0] if k != "frames"}
    return figures, np.concatenate(features)


def _librosa_reference(songs):
    """librosa's beat tracker on the same songs, as a cross-check of our numpy/scipy one (not bundled)."""
    try:
        import librosa
    except ImportError:
        return
    recalls = []
    for name, make in songs:
        song = make()
        _, frames = librosa.beat.beat_track(y=song.samples.astype(np.float32), sr=song.sample_rate)
        beats = librosa.frames_to_time(frames, sr=song.sample_rate)
        recall = float(np.mean(np.min(np.abs(beats[:, None] - song.beats[None]), axis=0) < 0.07)) if len(beats) else 0.0
        recalls.append(recall)
        print(f"{name:<16} {'librosa':<12} {recall:8.2f}   (beat recall of librosa.beat.beat_track, ±70 ms)")


def _foot_index(index):
    return {n: index(n) for n in ("left_ankle", "left_foot", "right_ankle", "right_foot")}


HEADER = (f"{'song':<16} {'variant':<12} {'beat rec':>8} {'BAS k→m':>8} {'BAS m→k':>8} {'slide cm':>8} "
          f"{'pen cm':>7} {'float':>6} {'jitter':>7} {'div seeds':>9} {'div within':>10} {'pose FD':>7} {'× RT':>6}")


def _line(song, variant, r):
    return (f"{song:<16} {variant:<12} {r['recall']:8.2f} {r['k2m']:8.3f} {r['m2k']:8.3f} {r['slide_cm']:8.3f} "
            f"{r['penetration_max_cm']:7.2f} {r['floating']:6.3f} {r['jitter']:7.1f} {r['div_between']:9.3f} "
            f"{r['div_within']:10.3f} {r['fd']:7.2f} {r['speed']:6.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    songs = SONGS[:2] if args.quick else SONGS
    seeds = (0, 1) if args.quick else (0, 1, 2)
    reference, reference_features = cmu_reference()
    if reference_features is None:
        raise SystemExit(f"CMU dance mocap not found in {CMU_DANCE}; the bench compares against it.")
    print(HEADER)
    totals = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, make in songs:
            song = make()
            path = os.path.join(folder, "song.wav")
            write_wav(song, path)
            for variant, options in variants():
                row = evaluate_song(name, song, path, seeds, options, reference_features)
                totals.setdefault(variant, []).append(row)
                print(_line(name, variant, row), flush=True)
    _librosa_reference(songs)
    for variant, rows in totals.items():
        mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        print(_line("AVERAGE", variant, mean))
    if reference:
        print(f"{'CMU dance mocap':<16} {'(19 clips)':<12} {'':>8} {'':>8} {'':>8} {reference['slide_cm']:8.3f} "
              f"{reference['penetration_max_cm']:7.2f} {reference['floating']:6.3f} {reference['jitter']:7.1f} "
              f"{'':>9} {reference['within']:10.3f}")
    print("slide: cm per contact frame (60 fps); pen: worst ground penetration; float: share of frames with no foot "
          "within 5 cm of the floor; jitter: mean joint jerk m/s³ over the 22 body joints; div: mean joint distance "
          "(m, pelvis-relative) between seeds on one song vs between frames of one dance; pose FD: Fréchet distance of "
          "upper-body 6D rotations to the CMU dance mocap (the prior was trained on CMU and the clip moves are CMU "
          "segments, so it is not an independent judge).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
