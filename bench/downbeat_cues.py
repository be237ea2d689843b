"""Where the bars go wrong on the tuning splits: the nets' downbeat evidence or the other bar cues.

    .venv/bin/python bench/downbeat_cues.py

On the validation, band and free-tempo splits of bench/music_corpus.py (tuning data: madmom's beats and bars on 60 s
excerpts), downbeat F (mir_eval, ±70 ms, first 5 s ignored, as bench/beats.py) of three ways to count the analysis'
own beats in bars:
  * as analysed (models/music/analysis.analyse_music: count_bars' cues, the nets' downbeat probability among them);
  * with madmom's downbeat activation (its excerpt's `.npy`: downbeat over beat probability at each beat) in place of
    the nets' in the same cue score, over the whole excerpt. madmom's bars are the truth here, so this row is
    flattered: it says how far a downbeat cue as good as the teacher's would take the same scoring, not a target;
  * each excerpt's best phase (an upper bound for any cue on these beats and this meter).
The gap between the first two rows is what a better downbeat net could win; between the second and third, what
the beats, the meter and the other cues lose.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.downbeat_cues", run_name="__main__")
    raise SystemExit

import argparse
import pathlib

import numpy as np

from ..models.music import analysis as music_analysis
from .beats import CACHE, scores, teacher_excerpts

SPLITS = ("validation", "validation_band", "validation_free_tempo")


def madmom_downbeat_per_beat(activations: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Per beat, madmom's downbeat activation over its (non-downbeat) beat activation + 0.001, each its peak within
    a frame (100 frames a second), as analysis._downbeat_per_beat reads the nets'."""
    frames = np.clip(np.round(np.asarray(beats) * 100.0).astype(int), 1, len(activations) - 2)
    return (music_analysis.peak_near(activations[:, 1], frames)
            / (music_analysis.peak_near(activations[:, 0], frames) + 1e-3))


def excerpt_rows(folder: pathlib.Path) -> list:
    """[(as analysed, madmom's downbeat cue in the nets' place, best phase)] downbeat F per labelled excerpt."""
    rows = []
    seen = []
    original = music_analysis.cue_values

    def recording(beats, *rest):
        cues = original(beats, *rest)
        seen.append((np.asarray(beats), cues))
        return cues

    music_analysis.cue_values = recording
    try:
        for stem, audio, table in teacher_excerpts(folder):
            seen.clear()
            result = music_analysis.analyse_music(audio)
            beats, meter = np.asarray(result.beats), result.beats_per_bar
            true_downbeats = table[table[:, 1] == 1, 0]
            down_f = lambda downbeats: scores(beats, downbeats, table[:, 0], true_downbeats)["downF"]
            cues = [c for b, c in seen if len(b) == len(beats) and np.allclose(b, beats)]
            if result.fallback or not cues or len(beats) < 2 * meter:
                continue
            teacher = np.load(next(folder.glob(f"{stem}.teacher.*.npy"))).astype(np.float64)
            swapped = [(weight, madmom_downbeat_per_beat(teacher, beats) if kind == "downbeat" else values, floor,
                        kind) for weight, values, floor, kind in cues[-1]]
            phase = int(np.argmax(music_analysis.phase_scores(swapped, meter, 0, len(beats))[0]))
            best = max(down_f(beats[p::meter]) for p in range(meter))
            rows.append((down_f(result.downbeats), down_f(beats[phase::meter]), best))
    finally:
        music_analysis.cue_values = original
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=pathlib.Path, default=CACHE / "music")
    args = parser.parse_args(argv)
    print("| tuning split | excerpts | as analysed | madmom's downbeat cue in the nets' place (flattered) "
          "| best phase |")
    print("|---|---|---|---|---|")
    for split in SPLITS:
        folder = args.cache / split
        if not folder.is_dir():
            print(f"| {split} | not built (bench/music_corpus.py) | | | |")
            continue
        rows = np.array(excerpt_rows(folder), dtype=float)
        means = np.nanmean(rows, axis=0)
        print(f"| {split} | {len(rows)} | {means[0]:.3f} | {means[1]:.3f} | {means[2]:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
