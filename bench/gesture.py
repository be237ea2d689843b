"""Gesture bench: beat consistency, arm speed while speaking and in long pauses, hand jerk, diversity between
seeds and speed, on espeak-ng speech (several voices and rates, short and long pauses), next to the same
figures on the CMU mocap in ../shared/mocap/cmu/general.

    .venv/bin/python bench/gesture.py            # 6 voice/rate passages × 3 styles, a 60 s speed run
    .venv/bin/python bench/gesture.py --quick    # 2 passages

Beat consistency (BC) as in BEAT/EMAGE: motion beats are local minima of the mean speed of elbows and wrists
(relative to the pelvis, Gaussian-smoothed); BC = mean over audio beats of exp(-d²/2σ²), d = distance to the
nearest motion beat, σ = 0.1 s. Audio beats: syllable onsets (fast loudness rises) and pitch accents. "chance" is
the same score with the audio beats shifted by random offsets (0.3–3 s), so motion beats that merely come often
do not look aligned. Arm speed: mean local angular speed of shoulders, elbows and wrists (a BEAT speaker: about
1.1 rad/s while speaking). "pause" is measured inside silences over 1.5 s, after their first 0.8 s and before their
last 0.8 s (the preparation of the next phrase's first gesture).
Each style runs without and with the learned motion prior (models/gesture/prior.py) at the pipeline's default
strength: the "prior" column. The speed run uses the default (prior on) and once more without it.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.gesture", run_name="__main__")
    raise SystemExit

import argparse
import glob
import itertools
import os
import tempfile
import time

import numpy as np
import soundfile

from ..models.audio.load import load_audio
from ..models.gesture import metrics
from ..models.gesture.pipeline import PRIOR_STRENGTH, generate_gestures
from ..models.gesture.prosody import FRAME_SECONDS
from ..models.speech.phonemes import find_phones
from . import espeak_truth

CMU_GENERAL = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "mocap", "cmu", "general")
STORY = (
    "Last summer I went back to the village where I grew up.",
    "Everything looked smaller than I remembered, even the old bridge over the river.",
    "My grandmother was waiting at the door, and she had not changed at all.",
    "She told me that the bakery had closed, but the market was still there every Sunday.",
    "We walked down to the harbour and watched the fishing boats come in.",
    "Why do we always leave the places that made us?",
    "I still do not have a good answer to that question.",
    "But I know that I will go back again next year, and maybe the year after that.",
)
PAUSES = (0.35, 0.8, 3.5, 0.5, 1.0, 4.0, 0.6)      # seconds after each sentence: short and long pauses
PASSAGES = (("en-us", 175), ("en", 150), ("en+f3", 200), ("en-us+m3", 165), ("en+f2", 185), ("en-us+m7", 140))
STYLE_NAMES = ("presenter", "storyteller", "lecturer")
SEEDS = (0, 1)


def passage(voice: str, rate: int, seconds: float | None = None):
    """(samples, sample rate, transcript) of the story read with the pauses between sentences: once, or (with
    `seconds`) over and over, whole sentences, until it lasts at least that long."""
    parts, text, length = [], [], 0
    for k, sentence in itertools.cycle(enumerate(STORY)):
        utterance = espeak_truth.synthesize(sentence, voice, rate)
        rate_hz = utterance.sample_rate
        parts += [utterance.samples, np.zeros(int(PAUSES[k % len(PAUSES)] * rate_hz), np.float32)]
        length += len(parts[-2]) + len(parts[-1])
        text.append(sentence)
        if length >= seconds * rate_hz if seconds is not None else k == len(STORY) - 1:
            return np.concatenate(parts), rate_hz, " ".join(text)


def chance_consistency(beats: np.ndarray, clip, duration: float, rng, trials: int = 20) -> float:
    scores = []
    for _ in range(trials):
        shifted = (beats + rng.uniform(0.3, 3.0)) % duration
        scores.append(metrics.beat_consistency(shifted, clip))
    return float(np.mean(scores))


def evaluate(path, style: str, transcript=None, prior_strength: float = 0.0) -> dict:
    takes = [generate_gestures(path, transcript=transcript, style=style, seed=s, prior_strength=prior_strength)
             for s in SEEDS]
    result = takes[0]
    clip, prosody = result.clip, result.prosody
    times = np.arange(clip.num_frames - 1) / clip.fps
    speed = metrics.angular_speed(clip)
    speaking = metrics.speaking_frames(prosody.active, FRAME_SECONDS, times)
    pauses = metrics.long_pause_frames(prosody.active, FRAME_SECONDS, times)
    rng = np.random.default_rng(0)
    return {
        "bc_onset": metrics.beat_consistency(prosody.onsets, clip),
        "bc_accent": metrics.beat_consistency(prosody.accents, clip),
        "bc_chance": chance_consistency(prosody.onsets, clip, prosody.duration, rng),
        "bc_acc_chance": chance_consistency(prosody.accents, clip, prosody.duration, rng),
        "speak": float(speed[speaking].mean()),
        "pause": float(speed[pauses].mean()) if pauses.any() else float("nan"),
        "jerk": metrics.hand_jerk(metrics.arm_positions(clip, metrics.HANDS), clip.fps),
        "div": metrics.diversity(takes[0].clip, takes[1].clip),
        "strokes_per_s": len(result.strokes) / prosody.duration,
        "cued": sum(1 for s in result.plan.strokes if s.word),
    }


def cmu_reference() -> dict | None:
    from ..models.dance.mocap import read_cmu
    rows = []
    for path in sorted(glob.glob(os.path.join(CMU_GENERAL, "*.bvh"))):
        _, body = read_cmu(path)
        rows.append((metrics.hand_jerk(metrics.arm_positions(body, metrics.HANDS), body.fps),
                     float(np.median(metrics.angular_speed(body))), os.path.basename(path)))
    if not rows:
        return None
    jerks, speeds = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    return {"clips": len(rows), "jerk_median": float(np.median(jerks)), "jerk_p25": float(np.percentile(jerks, 25)),
            "jerk_p75": float(np.percentile(jerks, 75)), "speed_median": float(np.median(speeds))}


def speed_run(folder, seconds: float = 60.0) -> tuple:
    samples, rate, transcript = passage("en-us", 175, seconds=seconds)
    seconds = len(samples) / rate
    path = os.path.join(folder, "sixty.wav")
    soundfile.write(path, samples, rate, subtype="PCM_16")
    generate_gestures(path, seed=0)                          # warm caches
    start = time.perf_counter()
    generate_gestures(path, seed=0)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    generate_gestures(path, transcript=transcript, seed=0)
    aligned = time.perf_counter() - start
    # The Talk run analyses the voice once for the face and hands the track over.
    track = find_phones(load_audio(path), transcript)
    assert track.source == "alignment", track.notes  # else the runs below would time a failed alignment
    start = time.perf_counter()
    generate_gestures(path, transcript=transcript, seed=0, track=track)
    reused = time.perf_counter() - start
    start = time.perf_counter()
    generate_gestures(path, transcript=transcript, seed=0, track=track, prior_strength=0.0)
    without_prior = time.perf_counter() - start
    return seconds / plain, seconds / aligned, seconds / reused, seconds / without_prior


LIBRIVOX = os.path.join(os.path.dirname(__file__), "data", "librivox")
REAL_PAUSES = (0.5, 2.5, 0.4, 3.0, 0.8, 1.2, 0.35, 2.0, 0.6, 1.8)
MUST_SHOW = {"wrist_speed": (">=", 0.40), "head_dps": (">=", 15.0), "wrist_corr": ("<=", 0.70),
             "wrist_spread": (">=", 0.16), "pelvis_speed": (">=", 0.03), "turn_range": (">=", 20.0)}


def real_minute(folder) -> str | None:
    """Held-out real speech nobody tuned on: the five LibriVox lines (bench/data/librivox, a human reader), then
    the same lines again in another order, with pauses of 0.35–3 s between them: about a minute."""
    paths = sorted(glob.glob(os.path.join(LIBRIVOX, "*.flac")))
    if not paths:
        return None
    lines = [soundfile.read(p, dtype="float32") for p in paths]
    rate = lines[0][1]
    order = list(range(len(lines))) + [3, 0, 4, 1, 2][:len(lines)]
    parts = []
    for k, index in enumerate(order):
        parts += [lines[index][0], np.zeros(int(REAL_PAUSES[k % len(REAL_PAUSES)] * rate), np.float32)]
    path = os.path.join(folder, "librivox_minute.wav")
    soundfile.write(path, np.concatenate(parts), rate, subtype="PCM_16")
    return path


def flite_story(folder) -> str | None:
    """The story read by flite's slt voice (a woman's voice made from recordings; the gestures were never tuned on
    it), with the story's pauses: synthetic, but not the tuning synthesiser."""
    from .flite_festival import SynthesiserUnavailable, flite

    parts, rate = [], 16000
    try:
        for k, sentence in enumerate(STORY):
            line = flite(sentence, "slt")
            rate = line.sample_rate
            parts += [line.samples, np.zeros(int(PAUSES[k % len(PAUSES)] * rate), np.float32)]
    except (SynthesiserUnavailable, OSError):
        return None
    path = os.path.join(folder, "flite_slt_story.wav")
    soundfile.write(path, np.concatenate(parts), rate, subtype="PCM_16")
    return path


def body_rows(path, label: str, styles=STYLE_NAMES, seeds=SEEDS) -> dict:
    """Whole-body statistics (bench/body_stats.py, retargeted onto the demo character as the issue measured) per
    style, mean over seeds, plus arm speed in long pauses, beat consistency against its chance level and the
    pelvis's speed while the feet stay put."""
    from .body_stats import demo_rig_stats

    out = {}
    for style in styles:
        rows = []
        for seed in seeds:
            result = generate_gestures(path, style=style, seed=seed)
            stats = demo_rig_stats(result.clip)     # on the demo character, as the issue measured
            clip, prosody = result.clip, result.prosody
            times = np.arange(clip.num_frames - 1) / clip.fps
            pauses = metrics.long_pause_frames(prosody.active, FRAME_SECONDS, times)
            stats["pause"] = float(metrics.angular_speed(clip)[pauses].mean()) if pauses.any() else float("nan")
            stats["standing_pelvis"] = standing_pelvis_speed(clip)[0]
            stats["bc"] = metrics.beat_consistency(prosody.accents, clip)
            stats["bc_chance"] = chance_consistency(prosody.accents, clip, prosody.duration, np.random.default_rng(0))
            rows.append(stats)
        out[(label, style)] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    return out


def standing_pelvis_speed(clip, fps: float = 30.0, still: float = 0.08, seconds: float = 1.5):
    """(mean horizontal pelvis speed in m/s, seconds) over stretches of at least `seconds` where both ankles move
    slower than `still` m/s: how much a body sways and shifts its weight while its feet stay put."""
    from scipy.ndimage import gaussian_filter1d

    from ..clips.kinematics import joint_positions

    step = max(1, int(round(clip.fps / fps)))
    p = joint_positions(clip)[::step]
    rate = clip.fps / step

    def speed(x):
        return np.linalg.norm(np.diff(x, axis=0), axis=1) * rate
    index = clip.skeleton.index
    calm = (gaussian_filter1d(speed(p[:, index("left_ankle")]), 1.5) < still) & \
           (gaussian_filter1d(speed(p[:, index("right_ankle")]), 1.5) < still)
    edges = np.diff(np.concatenate([[0], calm.astype(np.int8), [0]]))
    keep = np.zeros_like(calm)
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        keep[a:b] = (b - a) / rate >= seconds
    pelvis = speed(p[:, 0, :2])
    return (float(pelvis[keep].mean()) if keep.any() else float("nan")), float(keep.sum() / rate)


def cmu_standing_reference() -> tuple:
    """Pelvis speed while both feet stay put in all of ../shared/mocap/cmu (general and dance): real capture's
    sway and weight shifts, the reference for the generated body's (there is no conversational capture)."""
    from ..models.dance.mocap import read_cmu

    speeds, seconds = [], []
    for path in sorted(glob.glob(os.path.join(CMU_GENERAL, "..", "*", "*.bvh"))):
        value, length = standing_pelvis_speed(read_cmu(path)[1])
        if length:
            speeds.append(value)
            seconds.append(length)
    if not seconds:
        return float("nan"), 0.0
    return float(np.average(speeds, weights=seconds)), float(sum(seconds))


def verdict(stats: dict) -> str:
    failed = [f"{key} {stats[key]:.2f}" for key, (sense, limit) in MUST_SHOW.items()
              if not (stats[key] >= limit if sense == ">=" else stats[key] <= limit)]
    return "meets all six" if not failed else "misses: " + ", ".join(failed)


def body_table(folder) -> None:
    from .body_stats import header, issue_row, row

    samples, rate, _ = passage("en-us", 175, seconds=60.0)
    tuning = os.path.join(folder, "espeak_minute.wav")
    soundfile.write(tuning, samples, rate, subtype="PCM_16")
    results = body_rows(tuning, "espeak (tuning)")
    real = real_minute(folder)
    if real is not None:
        results.update(body_rows(real, "LibriVox (held out)"))
    other = flite_story(folder)
    if other is not None:
        results.update(body_rows(other, "flite slt (held out)"))
    width = 40
    print(f"\nWhole-body statistics on the demo character (bench/body_stats.py), mean of seeds "
          f"{', '.join(map(str, SEEDS))}:")
    print(header(width) + f" {'pause r/s':>9} {'BC acc':>6} {'chance':>6} {'still pelvis':>12}")
    print(row("issue: real speaker (BEAT2, demo rig)", issue_row("real speaker, same speech"), width))
    print(row("issue: generated before (real speech)", issue_row("generated gestures, 64 s"), width))
    for (label, style), stats in results.items():
        print(row(f"{label} {style}", stats, width)
              + f" {stats['pause']:9.3f} {stats['bc']:6.3f} {stats['bc_chance']:6.3f} {stats['standing_pelvis']:12.3f}"
              + f"  {verdict(stats)}")
    standing, seconds = cmu_standing_reference()
    if seconds:
        print(f"still pelvis: horizontal pelvis speed (m/s) where both feet stay put for 1.5 s or more; real capture "
              f"(CMU, {seconds:.0f} s of such stretches in ../shared/mocap/cmu): {standing:.3f}")
    print("must show (a minute of real speech): wrist >= 0.40 m/s, head >= 15 deg/s, L/R corr <= 0.70, spread >= "
          "0.16 m, pelvis >= 0.03 m/s, turn >= 20 deg; pause r/s: arm angular speed inside pauses over 1.5 s")


HEADER = (f"{'voice':<9} {'rate':>4} {'style':<11} {'text':<4} {'prior':>5} {'BC onset':>8} {'chance':>7} {'BC acc':>7} "
          f"{'chance':>7} {'speak r/s':>9} {'pause r/s':>9} {'jerk':>6} {'div m':>6} {'str/s':>6} {'cued':>4}")


def _line(voice, rate, style, text, r, prior=0.0):
    return (f"{voice:<9} {rate:>4} {style:<11} {text:<4} {prior:5.2f} {r['bc_onset']:8.3f} {r['bc_chance']:7.3f} "
            f"{r['bc_accent']:7.3f} {r['bc_acc_chance']:7.3f} {r['speak']:9.2f} {r['pause']:9.3f} {r['jerk']:6.1f} {r['div']:6.3f} "
            f"{r['strokes_per_s']:6.2f} {r['cued']:4.0f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--body", action="store_true", help="only the whole-body statistics (tuning and held out)")
    args = parser.parse_args(argv)
    if args.body:
        with tempfile.TemporaryDirectory() as folder:
            body_table(folder)
        return 0
    passages = PASSAGES[:2] if args.quick else PASSAGES
    print(HEADER)
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for voice, rate in passages:
            samples, sample_rate, text = passage(voice, rate)
            path = os.path.join(folder, "passage.wav")
            soundfile.write(path, samples, sample_rate, subtype="PCM_16")
            for style in STYLE_NAMES:
                row = evaluate(path, style)
                rows.setdefault((style, "no", 0.0), []).append(row)
                print(_line(voice, rate, style, "no", row), flush=True)
                row = evaluate(path, style, prior_strength=PRIOR_STRENGTH)
                rows.setdefault((style, "no", PRIOR_STRENGTH), []).append(row)
                print(_line(voice, rate, style, "no", row, PRIOR_STRENGTH), flush=True)
            row = evaluate(path, "presenter", transcript=text, prior_strength=PRIOR_STRENGTH)
            rows.setdefault(("presenter", "yes", PRIOR_STRENGTH), []).append(row)
            print(_line(voice, rate, "presenter", "yes", row, PRIOR_STRENGTH), flush=True)
        print()
        print(f"{'mean':<9} {'':>4} {'style':<11}")
        for (style, text, prior), values in rows.items():
            mean = {k: float(np.nanmean([v[k] for v in values])) for k in values[0]}
            print(_line("mean", "", style, text, mean, prior))
        plain, aligned, reused, without_prior = speed_run(folder)
        body_table(folder)
    print(f"\nspeed, 60 s of speech on {os.cpu_count()} cores: {plain:.0f}× real time (prosody only), {aligned:.0f}× "
          f"with a transcript (forced alignment inside), {reused:.0f}× with the face pipeline's aligned phones "
          f"(all with the motion prior at {PRIOR_STRENGTH:g}; {without_prior:.0f}× with the phones and no prior)")
    reference = cmu_reference()
    if reference is None:
        print(f"CMU mocap not found in {CMU_GENERAL}: no reference figures.")
    else:
        print(f"CMU general mocap ({reference['clips']} clips: walks, runs, playground, sports; no conversation "
              f"trials in the shared copy): hand jerk median {reference['jerk_median']:.1f} m/s³ "
              f"(quartiles {reference['jerk_p25']:.1f}–{reference['jerk_p75']:.1f}), "
              f"arm angular speed median {reference['speed_median']:.2f} rad/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
