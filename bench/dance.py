"""Dance bench: timing, feet and issue 10's whole-body figures, for the captured dance (the default) against the
coded engine measured in the same run, on tuning songs (synthesized) and on held-out real recordings, next to
real dance capture on the same character.

    .venv/bin/python bench/dance.py             # 6 synthesized songs × 3 seeds, the held-out songs, capture
    .venv/bin/python bench/dance.py --quick     # 2 songs × 2 seeds, 2 held-out songs
    .venv/bin/python bench/dance.py --held-out a.flac b.flac …    # other held-out recordings

Table 1, tuning songs (synthesized: 80–160 BPM, a tempo change, drift, a quiet break; the dance and the beat
tracker were tuned on such songs). Beat Align Score as in AI Choreographer/FACT and Bailando's evaluation code:
kinematic beats are local minima of the mean joint speed (Gaussian-smoothed, σ = 5 frames at 60 fps), each scored
exp(-d²/2σ²) to the nearest beat of the other kind, σ = 3 frames at 60 fps; "k→m" averages over kinematic beats
(the paper's definition), "m→k" over music beats (Bailando's code); "off" is k→m against the off-beats (the
beats shifted by half a beat): a dance on the beat scores well above it. Published on AIST++ (m→k): real dancers
0.237, FACT 0.221, Bailando 0.233. Foot figures use each foot joint's own floor height; contact = joint within
2.5 cm of it.

Table 2, issue 10's figures (bench/body_stats.py) measured on the demo character's rig after retargeting: the
tuning songs' average per engine and style; HELD-OUT real recordings nobody tuned on (the beats helper's corpus:
by default ../coord/music beside the checkout, see its README for licences), one row each with the captured
dance's default style and seed 0 with the meter the beat tracker reports — a 3/4 piece also once with the meter
handed over; and real dance capture on the same rig (CMU subject 5, G1 Moves mapped onto SMPL-X). The must-show
targets are printed under it.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.dance", run_name="__main__")
    raise SystemExit

import argparse
import glob
import json
import os
import tempfile
import time

import numpy as np

from ..clips.kinematics import joint_positions
from ..clips.skeleton import SMPLX_SKELETON
from ..models.audio.load import load_audio
from ..models.dance.body import rest_heights
from ..models.dance.metrics import (beat_align_score, diversity_between, diversity_within, foot_figures,
                                    frechet_distance, jitter, kinematic_beats)
from ..models.dance.mocap import BODY_JOINTS
from ..models.music.meter import with_meter
from ..models.dance.pipeline import dance_from_audio, dance_to_analysis
from ..models.dance.prior_features import PRIOR_JOINTS, UPPER_BODY, to_features
from ..models.music.analysis import analyse_music
from ..models.music.spectrum import SAMPLE_RATE
from ..models.music.synth import SongPart, standard_song, synthesize, write_wav
from . import body_stats

FPS = 60.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOCAP = os.path.join(ROOT, "..", "shared", "mocap")
CMU_DANCE = os.path.join(MOCAP, "cmu", "dance")
HELD_OUT_DIR = os.path.join(ROOT, "..", "coord", "music")
HELD_OUT = ("world_rock_n_roll", "fof_feelings", "fof_war_of_freedom", "fof_escape_from_chaosland",
            "world_mariachi", "world_beethoven_scherzo", "world_caruso_ombra_mai_fu")
REAL_CAPTURE = (("CMU 005_18 (modern dance)", "cmu", "005_18"), ("G1 Moves J_Dance5_Hype", "g1", "J_Dance5_Hype"),
                ("G1 Moves J_Dance7_Party", "g1", "J_Dance7_Party"), ("G1 Moves J_Dance2_Salsa", "g1",
                                                                       "J_Dance2_Salsa"))
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
VARIANTS = (
    ("captured", {}),
    ("coded", {"engine": "coded", "prior_strength": 0.0}),
    ("coded+prior", {"engine": "coded"}),
)
STYLES = ("groove", "hiphop", "disco", "calm")
TARGETS = {"wrist_speed": (">=", 0.8), "wrist_spread": (">=", 0.28), "turn_range": (">=", 180),
           "feet_still": ("<=", 50), "pelvis_height_spread": (">=", 0.12), "above_head": (">=", 5),
           "foot_skate": ("<=", 0.06), "penetration": ("<=", 0.01)}
UPPER_COLUMNS = np.concatenate([np.arange(6) + 6 * PRIOR_JOINTS.index(n) for n in UPPER_BODY])


def pose_features(local_quats):
    """Upper-body 6D rotations per frame: what the pose Fréchet distance to the mocap compares."""
    return to_features(local_quats)[:, UPPER_COLUMNS]


def evaluate_song(song, analysis, seeds, options, reference_features, duration):
    rows, positions, clips = [], [], []
    off_beats = song.beats + 0.5 * np.median(np.diff(song.beats))
    for seed in seeds:
        start = time.perf_counter()
        result = dance_to_analysis(analysis, fps=FPS, seed=seed, **options)
        seconds = time.perf_counter() - start
        p = joint_positions(result.clip)
        positions.append(p)
        clips.append(result.clip)
        kin = kinematic_beats(p, FPS)
        feet = foot_figures(p, _foot_index(SMPLX_SKELETON.index), rest_heights(), FPS)
        recall = float(np.mean(np.min(np.abs(result.beats[:, None] - song.beats[None]), axis=0) < 0.07))
        rows.append({"k2m": beat_align_score(kin, song.beats), "m2k": beat_align_score(song.beats, kin),
                     "off": beat_align_score(kin, off_beats),
                     "fd": frechet_distance(pose_features(result.clip.rotations), reference_features),
                     "recall": recall, "jitter": jitter(p[:, BODY], FPS), "seconds": seconds, **feet})
    row = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    between = [diversity_between(positions[i][:, BODY], positions[j][:, BODY])
               for i in range(len(positions)) for j in range(i + 1, len(positions))]
    row["div_between"] = float(np.mean(between)) if between else float("nan")
    row["div_within"] = float(np.mean([diversity_within(p[:, BODY]) for p in positions]))
    return row, clips


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


def _foot_index(index):
    return {n: index(n) for n in ("left_ankle", "left_foot", "right_ankle", "right_foot")}


HEADER = (f"{'song':<16} {'variant':<12} {'beat rec':>8} {'BAS k→m':>8} {'BAS m→k':>8} {'off':>6} {'slide cm':>8} "
          f"{'pen cm':>7} {'float':>6} {'jitter':>7} {'div seeds':>9} {'div within':>10} {'pose FD':>7} {'× RT':>6}")


def _line(song, variant, r):
    return (f"{song:<16} {variant:<12} {r['recall']:8.2f} {r['k2m']:8.3f} {r['m2k']:8.3f} {r['off']:6.3f} "
            f"{r['slide_cm']:8.3f} {r['penetration_max_cm']:7.2f} {r['floating']:6.3f} {r['jitter']:7.1f} "
            f"{r['div_between']:9.3f} {r['div_within']:10.3f} {r['fd']:7.2f} {r['speed']:6.1f}")


def held_out_songs(paths=None) -> list:
    """[(label, path, meter or None)] of the held-out recordings that are present."""
    meters = {}
    index = os.path.join(HELD_OUT_DIR, "tracks.json")
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as handle:
            meters = {t["id"]: t.get("meter") for t in json.load(handle)}
    if paths:
        return [(os.path.splitext(os.path.basename(p))[0], p,
                 meters.get(os.path.splitext(os.path.basename(p))[0])) for p in paths]
    found = []
    for name in HELD_OUT:
        path = os.path.join(HELD_OUT_DIR, name + ".flac")
        if os.path.isfile(path):
            found.append((name, path, meters.get(name)))
    return found


def real_capture_stats() -> list:
    from ..models.dance import g1_mocap
    from ..retarget.motion_file import load_motion_file
    rows = []
    for label, kind, name in REAL_CAPTURE:
        if kind == "cmu":
            path = os.path.join(CMU_DANCE, name + ".bvh")
            if os.path.isfile(path):
                rows.append((label, body_stats.demo_rig_stats(load_motion_file(path, fps=30.0))))
        else:
            path = os.path.join(MOCAP, "g1_moves", "retarget", "dance", name + ".csv")
            if os.path.isfile(path):
                rows.append((label, body_stats.demo_rig_stats(g1_mocap.read_g1(path).resampled(30.0))))
    return rows


def target_line(width) -> str:
    cells = []
    for key, title, _ in body_stats.COLUMNS:
        if key in TARGETS:
            sign, value = TARGETS[key]
            cells.append(f"{sign + str(value):>{max(len(title), 6)}}")
        else:
            cells.append(f"{'':>{max(len(title), 6)}}")
    return f"{'must show (issue 10)':<{width}} " + " ".join(cells)


def misses(stats: dict) -> str:
    wrong = []
    for key, (sign, value) in TARGETS.items():
        ok = stats[key] >= value if sign == ">=" else stats[key] <= value
        if not ok:
            wrong.append(key)
    return "  misses: " + ", ".join(wrong) if wrong else "  meets all"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--held-out", nargs="*", help="held-out recordings (default: the corpus in ../coord/music)")
    parser.add_argument("--no-held-out", action="store_true")
    args = parser.parse_args(argv)
    songs = SONGS[:2] if args.quick else SONGS
    seeds = (0, 1) if args.quick else (0, 1, 2)
    reference, reference_features = cmu_reference()
    if reference_features is None:
        raise SystemExit(f"CMU dance mocap not found in {CMU_DANCE}; the bench compares against it.")
    print("Table 1: tuning songs (synthesized), 60 fps")
    print(HEADER)
    totals, rig = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for name, make in songs:
            song = make()
            path = os.path.join(folder, "song.wav")
            write_wav(song, path)
            start = time.perf_counter()
            analysis = analyse_music(load_audio(path, SAMPLE_RATE))
            analysis_seconds = time.perf_counter() - start
            for variant, options in VARIANTS:
                row, clips = evaluate_song(song, analysis, seeds, options, reference_features, song.duration)
                row["speed"] = song.duration / (analysis_seconds + row["seconds"])
                totals.setdefault(variant, []).append(row)
                print(_line(name, variant, row), flush=True)
                rig.setdefault((variant, "groove"), []).append(body_stats.demo_rig_stats(clips[0]))
            for style in STYLES[1:]:
                result = dance_to_analysis(analysis, fps=30.0, seed=0, style=style)
                rig.setdefault(("captured", style), []).append(body_stats.demo_rig_stats(result.clip))
    for variant, rows in totals.items():
        mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        print(_line("AVERAGE", variant, mean))
    print(f"{'CMU dance mocap':<16} {'(19 clips)':<12} {'':>8} {'':>8} {'':>8} {'':>6} {reference['slide_cm']:8.3f} "
          f"{reference['penetration_max_cm']:7.2f} {reference['floating']:6.3f} {reference['jitter']:7.1f} "
          f"{'':>9} {reference['within']:10.3f}")
    print("slide: cm per contact frame (60 fps); pen: worst ground penetration; float: share of frames with no foot "
          "within 5 cm of the floor; jitter: mean joint jerk m/s³ over the 22 body joints; div: mean joint distance "
          "(m, pelvis-relative) between seeds on one song vs between frames of one dance; pose FD: Fréchet distance of "
          "upper-body 6D rotations to the CMU dance mocap; × RT: analysis + dance, 60 fps, one process.")

    width = 44
    print("\nTable 2: issue 10's figures on the demo character's rig (bench/body_stats.py)")
    print(body_stats.header(width))
    for (variant, style), rows in rig.items():
        mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        print(body_stats.row(f"tuning avg {variant} {style}", mean, width))
    if not args.no_held_out:
        held = held_out_songs(args.held_out)
        if args.quick:
            held = held[:2]
        if not held:
            print(f"(no held-out recordings found in {HELD_OUT_DIR}; pass --held-out FILES)")
        for label, path, meter in held:
            audio = load_audio(path, SAMPLE_RATE)
            start = time.perf_counter()
            result = dance_from_audio(audio, fps=30.0, seed=0)
            seconds = time.perf_counter() - start
            stats = body_stats.demo_rig_stats(result.clip)
            tag = f"{meter}" if meter else "?"
            print(body_stats.row(f"HELD-OUT {label} ({tag}) {audio.duration / seconds:.0f}x", stats, width)
                  + misses(stats), flush=True)
            if meter == "3/4":
                given = dance_to_analysis(with_meter(result.analysis, 3), fps=30.0, seed=0)
                stats = body_stats.demo_rig_stats(given.clip)
                print(body_stats.row(f"HELD-OUT {label} (3/4 handed over)", stats, width) + misses(stats))
    for label, stats in real_capture_stats():
        print(body_stats.row(f"real: {label}", stats, width))
    print(target_line(width))
    print("×: real time of the whole dance (decode, analysis, choreography, feet) on this machine, one process.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
