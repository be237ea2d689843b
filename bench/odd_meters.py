"""Odd-meter bench: the meter and downbeats found on synthesized pieces in 5/4 and 7/8 (and 4/4, 3/4 controls),
with the odd-meter step (analysis.odd_meter) and without it (analysis.ODD_METERS = (): the tracker as it was, bars of
3 and 4 only), in the same run; optionally the three tuning splits' meters with it.

    .venv/bin/python bench/odd_meters.py [--tuning-splits]

All of it is TUNING material: the pieces come from SoundMotion's own test synthesizer (models/music/synth.py: kick
on each group's first beat, 5/4 grouped 3 + 2, 7/8 counted in its seven eighths and grouped 2 + 2 + 3, snare on the
others, bass and chords; half with noise added, a third with a quiet break), seeds 305–453 (the tests use 301–303,
the nets trained on seeds 1000 on, in 2/4, 3/4 and 4/4 only). No real odd-meter recording with annotations is
available here, so nothing in this bench is held out. The tuning splits (bench/music_corpus.py's validation, band
and free-tempo splits, madmom's beats and meter, all in 3 or 4) say whether the odd-meter step takes any of them
for an odd meter: it must not. Speed: analysis time (decoded audio in) against the audio's length.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.odd_meters", run_name="__main__")
    raise SystemExit

import argparse
import sys
import time

import numpy as np

from ..models.audio.load import Audio
from ..models.music import analysis as music
from ..models.music.synth import SongPart, synthesize
from .beats import CACHE, scores, teacher_excerpts


def odd_meter_songs(count: int = 8) -> list:
    """[(name, SynthSong, beats per bar)]: `count` pieces each in 5/4 (90–170 BPM) and 7/8 (its eighths at
    140–210 BPM), about 36 s each, two more of each with no drums (bass on every beat and a chord per bar), and
    four controls in 4/4 and 3/4."""
    rng = np.random.default_rng(7)
    out = []
    for i in range(count):
        for meter in (5, 7):
            bpm = float(rng.uniform(90, 170)) if meter == 5 else float(rng.uniform(140, 210))
            bars = int(round(36 * bpm / 60 / meter))
            parts = [SongPart(bars // 2, bpm, "A", beats_per_bar=meter),
                     SongPart(bars - bars // 2, bpm, "B", beats_per_bar=meter)]
            if i % 3 == 1:
                parts.insert(1, SongPart(3, bpm, "C", loudness=0.2, drums=False, beats_per_bar=meter))
            song = synthesize(parts, seed=300 + 10 * i + meter, lead_in=float(rng.uniform(0.1, 1.0)))
            if i % 2:
                song.samples = (song.samples + 0.05 * rng.standard_normal(len(song.samples))).astype(np.float32)
            out.append((f"{meter}/{4 if meter == 5 else 8} {bpm:.0f} BPM{' noisy' if i % 2 else ''}"
                        f"{' break' if i % 3 == 1 else ''}", song, meter))
    for i, (meter, bpm) in enumerate([(5, 120), (7, 168), (5, 150), (7, 200)]):   # harder: no drums
        bars = int(round(36 * bpm / 60 / meter))
        song = synthesize([SongPart(bars, bpm, "A", drums=False, beats_per_bar=meter)], seed=450 + i, lead_in=0.5)
        out.append((f"{meter}/{4 if meter == 5 else 8} {bpm} BPM no drums", song, meter))
    for i, (meter, bpm) in enumerate([(4, 100), (4, 140), (3, 120), (3, 160)]):
        song = synthesize([SongPart(int(36 * bpm / 60 / meter), bpm, "A", beats_per_bar=meter)], seed=400 + i,
                          lead_in=0.3)
        out.append((f"{meter}/4 {bpm} BPM (control)", song, meter))
    return out


def analysed(audio: Audio, odd: bool):
    kept = music.ODD_METERS
    music.ODD_METERS = kept if odd else ()
    try:
        start = time.perf_counter()
        result = music.analyse_music(audio)
        return result, time.perf_counter() - start
    finally:
        music.ODD_METERS = kept


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuning-splits", action="store_true",
                        help="also the validation, band and free-tempo splits (tuning data) with the odd-meter step")
    args = parser.parse_args(argv)
    music.analyse_music(Audio(np.zeros(66150, np.float32), 22050))   # first-use costs out of the timing
    print("== tuning: synthesized pieces (models/music/synth.py), with the odd-meter step | without it")
    table = {True: [], False: []}
    timing = {True: [0.0, 0.0], False: [0.0, 0.0]}
    for name, song, meter in odd_meter_songs():
        audio = Audio(song.samples, song.sample_rate)
        line = f"{name:<28} true {meter}"
        for odd in (True, False):
            result, seconds = analysed(audio, odd)
            timing[odd][0] += seconds
            timing[odd][1] += song.duration
            s = scores(result.beats, result.downbeats, song.beats, song.downbeats)
            table[odd].append((meter, result.beats_per_bar, s["F"], s["downF"]))
            line += f" | found {result.beats_per_bar} beat F {s['F']:.2f} downbeat F {s['downF']:.2f}"
        print(line, flush=True)
    for meter, label in ((5, "5/4"), (7, "7/8"), (4, "4/4 control"), (3, "3/4 control")):
        for odd in (True, False):
            rows = [r for r in table[odd] if r[0] == meter]
            right = sum(r[1] == r[0] for r in rows)
            print(f"{label:<12} {'with odd meters' if odd else 'without (main)':<16} meter right {right} of "
                  f"{len(rows)}, beat F {np.mean([r[2] for r in rows]):.3f}, downbeat F "
                  f"{np.mean([r[3] for r in rows]):.3f} (lowest {min(r[3] for r in rows):.3f})")
    for odd in (True, False):
        print(f"speed {'with' if odd else 'without'} the odd-meter step: "
              f"{timing[odd][1] / timing[odd][0]:.0f}× real time")
    if args.tuning_splits:
        for split in ("validation", "validation_band", "validation_free_tempo"):
            folder = CACHE / "music" / split
            if not folder.exists():
                continue
            right = odd_taken = total = 0
            seconds = duration = 0.0
            beat_f, down_f = [], []
            for stem, audio, truth in teacher_excerpts(folder):
                result, spent = analysed(audio, True)
                seconds += spent
                duration += len(audio.samples) / audio.sample_rate
                true_meter = int(truth[:, 1].max())
                total += 1
                right += result.beats_per_bar == true_meter
                odd_taken += result.beats_per_bar in music.ODD_METERS
                s = scores(result.beats, result.downbeats, truth[:, 0], truth[truth[:, 1] == 1, 0])
                beat_f.append(s["F"])
                down_f.append(s["downF"])
                if result.beats_per_bar in music.ODD_METERS:
                    print(f"  {split} {stem}: taken for {result.beats_per_bar} beats to the bar (madmom {true_meter})")
            print(f"{split}: meter madmom's in {right} of {total}, odd meter taken on {odd_taken}, beat F "
                  f"{np.mean(beat_f):.3f}, downbeat F {np.nanmean(down_f):.3f}, {duration / seconds:.0f}× real time",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
