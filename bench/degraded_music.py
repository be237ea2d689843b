"""Beats on music as users' files may bring it: the tuning splits' excerpts (madmom's beats) clean, under white
noise, clipped, at telephone bandwidth, with people speaking over it (the looked-at real speakers of
bench/data/real_speakers, as loud as the music or 6 dB under it: a stand-in for a lead vocal, which the tuning
splits' game soundtracks lack) and behind a silent intro, through the shipped analysis (its fallbacks included: a
fallback's steady grid is scored as it is).

    .venv/bin/python bench/degraded_music.py [--conditions clean,noise20,...] [--nets A.npz,B.npz]

Tuning material only (bench/music_corpus.py's validation, band and free-tempo splits; none of it held out): it says
how the tracker holds up, for choosing rules and training augmentation, not how good it is. About 7 minutes.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.degraded_music", run_name="__main__")
    raise SystemExit

import argparse
import functools
import pathlib
import sys

import numpy as np
import soundfile

from ..models.audio.load import Audio, resample
from ..models.music import beat_net
from ..models.music.analysis import analyse_music
from . import degrade
from .beats import CACHE, scores, teacher_excerpts

VOICES = pathlib.Path(__file__).parent / "data" / "real_speakers"
SPLITS = (("validation", "validation"), ("band", "validation_band"), ("free-tempo", "validation_free_tempo"))
INTRO_SECONDS = 20.0
CONDITIONS = {   # name: (what it is, (samples, rate) -> (samples, rate, seconds the music moves later))
    "clean": ("as it is", lambda x, r: (x, r, 0.0)),
    "noise20": ("white noise 20 dB under the music", lambda x, r: (degrade.noisy(x, 20), r, 0.0)),
    "noise10": ("white noise 10 dB under the music", lambda x, r: (degrade.noisy(x, 10), r, 0.0)),
    "clip3": ("clipped +10 dB (x3)", lambda x, r: (degrade.clipped(x, 3.0), r, 0.0)),
    "clip8": ("clipped +18 dB (x8)", lambda x, r: (degrade.clipped(x, 8.0), r, 0.0)),
    "8k": ("telephone bandwidth (8 kHz)", lambda x, r: (degrade.band_limited(x, r), 8000, 0.0)),
    "voice0": ("real people speaking over it, as loud as the music",
               lambda x, r: (degrade.under_voice(x, r, *_voice(), 0.0), r, 0.0)),
    "voice-6": ("real people speaking over it, 6 dB under the music",
                lambda x, r: (degrade.under_voice(x, r, *_voice(), -6.0), r, 0.0)),
    "intro": (f"behind {INTRO_SECONDS:g} s of silence",
              lambda x, r: (degrade.behind_silence(x, r, INTRO_SECONDS), r, INTRO_SECONDS)),
}


@functools.lru_cache(maxsize=1)
def _voice() -> tuple:
    """(samples, rate): the looked-at real speakers' clips (bench/data/real_speakers) one after another."""
    clips = [soundfile.read(str(path), dtype="float32", always_2d=True)
             for path in sorted(VOICES.glob("*.flac"))]
    rate = clips[0][1]
    return np.concatenate([resample(c.mean(axis=1), r, rate) for c, r in clips]), rate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated, of: " + ", ".join(CONDITIONS))
    parser.add_argument("--nets", default=",".join(beat_net.WEIGHTS_PATHS),
                        help="comma-separated beat-net weight files averaged (default: the shipped set)")
    args = parser.parse_args(argv)
    nets = tuple(args.nets.split(","))
    conditions = args.conditions.split(",")
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        print(f"Unknown condition(s): {', '.join(unknown)}; choose from {', '.join(CONDITIONS)}.")
        return 2
    excerpts = {label: teacher_excerpts(CACHE / "music" / folder) for label, folder in SPLITS
                if (CACHE / "music" / folder).exists()}
    if not excerpts:
        print("No tuning splits in the cache: run bench/music_corpus.py with its validation options first.")
        return 2
    print("| condition | " + " | ".join(f"{label} ({len(rows)}): beat F / downbeat F / fallbacks"
                                        for label, rows in excerpts.items()) + " |")
    print("|---|" + "---|" * len(excerpts))
    for condition in conditions:
        description, make = CONDITIONS[condition]
        cells = []
        for label, rows in excerpts.items():
            beat_f, down_f, fallbacks = [], [], 0
            for _, audio, table in rows:
                samples, rate, shift = make(audio.samples.astype(np.float32), audio.sample_rate)
                analysis = analyse_music(Audio(np.ascontiguousarray(samples, np.float32), rate), nets=nets)
                truth = table[:, 0] + shift
                result = scores(analysis.beats, analysis.downbeats, truth, truth[table[:, 1] == 1])
                beat_f.append(result["F"])
                down_f.append(result["downF"])
                fallbacks += bool(analysis.fallback)
            cells.append(f"{np.mean(beat_f):.3f} / {np.nanmean(down_f):.3f} / {fallbacks}")
        print(f"| {condition}: {description} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
