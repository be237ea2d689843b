"""Which beat nets to ship: sets of weight files compared on tuning material only, through the whole analysis.

    .venv/bin/python bench/beat_nets.py [--set A.npz,B.npz ...]     (default: the shipped set)

Each set's activations are averaged, as models/music/beat_net.beat_activations does for the shipped set, and
models/music/analysis.analyse_music runs unchanged on them (the shipped set with its second look, the third net
joining where the pair is unsure; another set alone). Per set:

* the three tuning splits of bench/music_corpus.py (whole game-soundtrack packages that never trained a net:
  mostly electronic and orchestral, band music, expressive acoustic music; madmom's beats and downbeats, as in
  bench/beats.py): beat F, downbeat F (mir_eval, ±70 ms, first 5 s ignored), tempo
  octave errors (median beat period more than 8 % off) and "no steady beat" fallbacks (there should be none);
* real speech, which must get "no steady beat": 40 s takes strung from Debian's Asterisk prompts (five languages,
  scripts/asterisk_speech_corpus.py) and Tux Paint's stamp descriptions (scripts/real_speech_corpus.py), built with
  a fixed seed, plus assets/demo_speech.wav and the five LibriVox lines of bench/data/librivox; sources not in the
  cache are skipped and the count says so;
* speed: × real time of the analysis over the tuning excerpts.

The held-out recordings (bench/beats.py's default run) are not read here: choose a set with this, then measure the
chosen set once with bench/beats.py.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.beat_nets", run_name="__main__")
    raise SystemExit

import argparse
import os
import pathlib
import sys
import time
import warnings

import numpy as np

from ..models.audio.load import Audio
from ..models.music import analysis as music_analysis
from ..models.music import beat_net
from ..models.music.spectrum import SAMPLE_RATE
from .beats import teacher_excerpts, tempo_relation
from .no_steady_beat import speech_takes

CACHE = pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion"))
SPLITS = (("validation", CACHE / "music" / "validation"), ("band", CACHE / "music" / "validation_band"),
          ("free-tempo", CACHE / "music" / "validation_free_tempo"))


def tuning_excerpts(folder: pathlib.Path):
    """[(name, Audio, true beats, true downbeats)]: the excerpts bench/beats.py's validation rows score."""
    return [(stem, audio, table[:, 0], table[table[:, 1] == 1, 0]) for stem, audio, table in teacher_excerpts(folder)]


def analyse_with(paths: tuple, audio: Audio):
    """analyse_music with the activations of the nets in `paths` averaged instead of the shipped set's."""
    return music_analysis.analyse_music(audio, nets=paths)


def octave_error(beats, true_beats) -> bool:
    """A tempo off the truth's by more than 8 %, as bench/beats.py counts them."""
    return tempo_relation(beats, true_beats) != "ok"


def main(argv=None):
    import mir_eval
    warnings.filterwarnings("ignore", module="mir_eval")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[],
                        help="comma-separated weight files averaged as one set (repeatable); default the shipped set")
    parser.add_argument("--verbose", action="store_true", help="a line per excerpt and speech take")
    args = parser.parse_args(argv)
    sets = [tuple(s.split(",")) for s in args.set] or [tuple(beat_net.WEIGHTS_PATHS)]
    for paths in sets:
        for path in paths:
            if not os.path.isfile(path):
                print(f"No weights at {path}.")
                return 2
    splits = {name: tuning_excerpts(folder) for name, folder in SPLITS if folder.exists()}
    if not splits:
        print(f"No tuning splits in {CACHE / 'music'}: run `python3 bench/music_corpus.py` first.")
        return 2
    takes = speech_takes()
    trim = mir_eval.beat.trim_beats
    print("| nets | split | excerpts | beat F | downbeat F | tempo octave errors | fallbacks | speech: no steady beat "
          "| × real time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for paths in sets:
        label = "+".join(pathlib.Path(p).stem for p in paths)
        analyse_with(paths, Audio(np.zeros(SAMPLE_RATE * 3, np.float32), SAMPLE_RATE))   # first use out of timing
        speech = [(name, analyse_with(paths, audio)) for name, audio in takes]
        flagged = sum(a.fallback for _, a in speech)
        if args.verbose:
            for name, a in speech:
                print(f"  {label} speech {name:<28} {'no steady beat' if a.fallback else 'BEATS'} "
                      f"confidence {a.confidence:.2f}")
        seconds = duration = 0.0
        for split, excerpts in splits.items():
            rows = []
            for name, audio, beats, down in excerpts:
                start = time.perf_counter()
                a = analyse_with(paths, audio)
                seconds += time.perf_counter() - start
                duration += len(audio.samples) / audio.sample_rate
                f = mir_eval.beat.f_measure(trim(beats), trim(a.beats))
                df = mir_eval.beat.f_measure(trim(down), trim(a.downbeats)) if len(down) else np.nan
                rows.append((f, df, octave_error(a.beats, beats), a.fallback))
                if args.verbose:
                    print(f"  {label} {split} {name:<40} F {f:.2f} dF {df:.2f}")
            r = np.array(rows, float)
            print(f"| {label} | {split} | {len(r)} | {r[:, 0].mean():.3f} | {np.nanmean(r[:, 1]):.3f} | "
                  f"{int(r[:, 2].sum())} | {int(r[:, 3].sum())} | {flagged} of {len(speech)} | "
                  f"{duration / seconds:.0f}× |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
