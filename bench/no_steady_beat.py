"""Where "No steady beat" is said: the music analysis run on tuning material that must keep its beats and on
tuning material that has none, with any combination of beat nets.

    .venv/bin/python bench/no_steady_beat.py [--nets A.npz,B.npz] [--grid] [--degraded]
                                             [--features OUT.pkl | --load IN.pkl]

Must keep its beats (music; any fallback is a failure):
  * the free-tempo split (`bench/music_corpus.py --only-free-tempo-validation --teacher`): expressive acoustic and
    orchestral soundtracks (FreeCol, Flare, OpenClonk), 60 s from the middle of each (madmom's excerpt);
  * the validation and band splits (60 s excerpts, the ones madmom labelled).
Must get the note (no steady beat):
  * the free-tempo split's drones, hums, hiss, rain and wind (as shipped, a few seconds each);
  * real speech: 24 takes (15 of ~40 s strung from the Asterisk prompts in en/es/fr/it/ru, 3 from Tux Paint's
    spoken descriptions, the five LibriVox lines and the demo's speech line), seed 5, as chosen in 2026-12.
  * synthesized held tones and drones (`tones`: sines, held triads, an organ's note, a sweep, a vibrato).
With `--degraded`, also as users' files may be (about 6 minutes more):
  * must keep its beats: the three splits' music under white noise at 10 dB SNR, and clipped +18 dB (x8);
  * must get the note: the speech takes under white noise at 10 and 0 dB SNR, and 30 s of white, pink and brown
    noise, a 50 Hz hum, a fan, a crowd's murmur and applause (synthesized, seeded).
All of it is tuning material: none of it is held out (bench/beats.py scores the held-out recordings).

`--nets` names the weight files averaged (default: the shipped pair, beat_net.WEIGHTS_PATHS), so the check can be
rerun with other nets. The analysis is the shipped one (models/music/analysis.analyse_music) with its
activations from those nets; the rule applied is analysis.steady_beat on analysis.beat_evidence. `--grid` also
prints how other thresholds would do on the same evidence (`--features FILE` saves it, `--load FILE` reuses it).
Prints the evidence of the clips near the line, then one row per group and the clips that go the wrong way.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.no_steady_beat", run_name="__main__")
    raise SystemExit

import argparse
import pathlib
import pickle
import sys

import numpy as np
import soundfile

from ..models.audio import load
from ..models.music import analysis, beat_net
from . import degrade
from .beats import no_beat_sounds, teacher_excerpts

ROOT = pathlib.Path(__file__).resolve().parents[1]
HOME_CACHE = pathlib.Path.home() / ".cache" / "soundmotion"
MUSIC_CACHE = HOME_CACHE / "music"
SPEECH_SEED = 5
TAKE_SECONDS = 40.0


def _strung(files: list, rate: int, rng) -> np.ndarray:
    """Random prompts from `files`, 0.3–0.8 s of silence after each, until TAKE_SECONDS."""
    parts, total = [], 0
    while total < TAKE_SECONDS * rate:
        x, r = soundfile.read(str(files[rng.integers(len(files))]), dtype="float32", always_2d=True)
        x = x.mean(axis=1)
        x = load.resample(x, r, rate) if r != rate else x
        parts += [x, np.zeros(int(rng.uniform(0.3, 0.8) * rate), np.float32)]
        total += len(x)
    return np.concatenate(parts)


def speech_takes(cache: pathlib.Path = HOME_CACHE) -> list:
    """[(name, Audio)] of the 24 real-speech tuning takes, which must get "no steady beat" (tuning material: the
    held-out speakers in bench/data/real_speakers are not used)."""
    rng = np.random.default_rng(SPEECH_SEED)
    takes = []
    asterisk = cache / "asterisk_speech" / "wav"
    for language in ("en", "es", "fr", "it", "ru"):
        files = sorted((asterisk / language).glob("*.wav"))
        for take in range(3):
            if files:
                takes.append((f"asterisk_{language}{take}", load.Audio(_strung(files, 16000, rng), 16000)))
    tuxpaint = sorted((cache / "real_speech" / "tuxpaint").rglob("*_desc*.ogg"))
    for take in range(3):
        if tuxpaint:
            takes.append((f"tuxpaint{take}", load.Audio(_strung(tuxpaint, 22050, rng), 22050)))
    for path in [ROOT / "assets" / "demo_speech.wav"] + sorted((ROOT / "bench" / "data" / "librivox").glob("*.flac")):
        x, r = soundfile.read(str(path), dtype="float32", always_2d=True)
        takes.append((path.stem, load.Audio(x.mean(axis=1), r)))
    return takes


def excerpts(folder: pathlib.Path) -> list:
    """[(name, Audio)] of a split's music excerpts (the span madmom labelled, as bench/beats.py scores them)."""
    return [(stem, audio) for stem, audio, _ in teacher_excerpts(folder)] if folder.exists() else []


def _noisy(clips: list, snr_db: float) -> list:
    """The clips under white noise (seeded) at `snr_db` below their mean power."""
    return [(f"{name}+noise{snr_db:g}", load.Audio(degrade.noisy(audio.samples, snr_db), audio.sample_rate))
            for name, audio in clips]


def _clipped(clips: list, gain: float = 8.0) -> list:
    """The clips normalised, raised by `gain` and hard-clipped at full scale (a master pushed far too loud)."""
    return [(f"{name}+clipped", load.Audio(degrade.clipped(audio.samples, gain), audio.sample_rate))
            for name, audio in clips]


def noises(seconds: float = 30.0, rate: int = 22050) -> list:
    """[(name, Audio)] of synthesized sounds with no beat: white, pink and brown noise, a 50 Hz hum with its
    harmonics, a fan (pink noise slowly swelling), a crowd's murmur and applause (random claps), seeded."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(1)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    pink = lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                   [1, -2.494956002, 2.017265875, -0.522189400], rng.standard_normal(n))
    brown = np.cumsum(rng.standard_normal(n))
    brown -= np.convolve(brown, np.ones(rate // 10) / (rate // 10), "same")
    claps = np.zeros(n)
    claps[rng.integers(0, n, int(100 * seconds))] = rng.uniform(-1, 1, int(100 * seconds))
    white = rng.standard_normal(n)
    murmur = lfilter([1], [1, -0.95], rng.standard_normal(n))
    sounds = {"white noise": white, "pink noise": pink, "brown noise": brown,
              "hum 50 Hz": sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 8)),
              "fan": pink * (1 + 0.3 * np.sin(2 * np.pi * 0.7 * t)),
              "crowd": murmur * (1 + 0.5 * np.abs(np.sin(2 * np.pi * 0.13 * t))),
              "applause": lfilter([1], [1, -0.6], claps)}
    return [(name, load.Audio((0.5 * x / np.abs(x).max()).astype(np.float32), rate)) for name, x in sounds.items()]


def tones(seconds: float = 30.0, rate: int = 22050) -> list:
    """[(name, Audio)] of synthesized held tones and drones with no beat: sines at 60–3000 Hz, a just and an
    equal-tempered A major triad (their partials beat against the nets' 50 frames a second), an organ's held C2 (8
    partials), the triad swelling at 0.1 Hz, a sine sweeping 100–1000 Hz over the clip and a 220 Hz sine with a
    5.5 Hz vibrato, seeded."""
    rng = np.random.default_rng(2)
    t = np.arange(int(seconds * rate)) / rate
    sounds = {f"sine {f} Hz": np.sin(2 * np.pi * f * t) for f in (60, 100, 220, 440, 1000, 3000)}
    sounds["just triad A2"] = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 137.5, 165.0))
    sounds["tempered triad A2"] = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 138.59, 164.81))
    sounds["organ C2"] = sum(np.sin(2 * np.pi * 65.41 * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 9))
    sounds["triad swelling"] = sounds["tempered triad A2"] * (1 + 0.5 * np.sin(2 * np.pi * 0.1 * t))
    sounds["sweep 100-1000 Hz"] = np.sin(2 * np.pi * 100 * seconds / np.log(10) * (10 ** (t / seconds) - 1))
    sounds["vibrato at 220 Hz"] = np.sin(2 * np.pi * 220 * t + 3 * np.sin(2 * np.pi * 5.5 * t))
    return [(name, load.Audio((0.5 * x / np.abs(x).max()).astype(np.float32), rate)) for name, x in sounds.items()]


def _all_music() -> list:
    return [clip for split in ("validation_free_tempo", "validation", "validation_band")
            for clip in excerpts(MUSIC_CACHE / split)]


DEGRADED_GROUPS = [
    ("music under white noise at 10 dB SNR", True, lambda: _noisy(_all_music(), 10)),
    ("music clipped +18 dB", True, lambda: _clipped(_all_music())),
    ("speech under white noise at 10 and 0 dB SNR", False,
     lambda: _noisy(speech_takes(), 10) + _noisy(speech_takes(), 0)),
    ("noises: white, pink, brown, hum, fan, crowd, applause", False, noises),
]

GROUPS = [  # (name, must it keep its beats, clips)
    ("free-tempo music (FreeCol, Flare, OpenClonk)", True,
     lambda: excerpts(MUSIC_CACHE / "validation_free_tempo")),
    ("validation split music", True, lambda: excerpts(MUSIC_CACHE / "validation")),
    ("band split music", True, lambda: excerpts(MUSIC_CACHE / "validation_band")),
    ("free-tempo drones, hiss, rain, wind", False, lambda: no_beat_sounds(MUSIC_CACHE / "validation_free_tempo")),
    ("real speech (5 languages, Tux Paint, LibriVox, demo)", False, speech_takes),
    ("held tones and drones (synthesized)", False, tones),
]


def features(nets: tuple, groups: list = None) -> dict:
    """{group: [(clip, fell back, evidence)]}: the shipped analysis with the nets' mean activation; evidence is
    what analysis.beat_evidence found (with peaks always filled in, for other thresholds)."""
    captured = {}
    original_evidence = analysis.beat_evidence

    def capture(activation, beats, log_mel, frame_rate, samples):
        evidence = original_evidence(activation, beats, log_mel, frame_rate, samples)
        captured["last"] = dict(evidence, beats=len(beats))
        if "peaks" not in evidence:
            captured["last"]["peaks"] = analysis.harmonic_peaks(samples)
        return evidence

    analysis.beat_evidence = capture
    out = {}
    try:
        for group, _, clips in groups or GROUPS:
            rows = []
            for name, audio in clips():
                captured.pop("last", None)
                result = analysis.analyse_music(audio, nets=nets)
                rows.append((name, bool(result.fallback), captured.get("last")))
            out[group] = rows
    finally:
        analysis.beat_evidence = original_evidence
    return out


def decide(evidence: dict, **constants) -> bool:
    """analysis.steady_beat on captured evidence, with some of its constants replaced."""
    if evidence is None:          # silence: no evidence gathered, the analysis fell back before
        return False
    saved = {name: getattr(analysis, name) for name in constants}
    try:
        for name, value in constants.items():
            setattr(analysis, name, value)
        return analysis.steady_beat(evidence) and evidence["beats"] >= analysis.MIN_BEATS
    finally:
        for name, value in saved.items():
            setattr(analysis, name, value)


def report(rows_by_group: dict, constants: dict = None, label: str = "shipped rule", quiet: bool = False) -> tuple:
    """Print one line per group (fallbacks on music, notes on the rest) and return (music fallbacks, notes
    missed)."""
    lines, music_fallbacks, misses = [], 0, 0
    for group, keeps, _ in GROUPS + [g for g in DEGRADED_GROUPS if g[0] in rows_by_group]:
        rows = rows_by_group.get(group, [])
        if not rows:
            lines.append(f"  {group}: no clips (build the split first)")
            continue
        fell = [name for name, fallback, evidence in rows
                if (fallback if constants is None else not decide(evidence, **constants))]
        if keeps:
            music_fallbacks += len(fell)
            lines.append(f"  {group}: {len(fell)} of {len(rows)} fall back" + (f" ({', '.join(fell)})" if fell else ""))
        else:
            missed = [name for name, *_ in rows if name not in fell]
            misses += len(missed)
            lines.append(f"  {group}: {len(fell)} of {len(rows)} get the note"
                         + (f" (beats heard in: {', '.join(missed)})" if missed else ""))
    if quiet:
        print(f"{label}: music fallbacks {music_fallbacks}, notes missed {misses}")
    else:
        print(f"\n{label}: music fallbacks {music_fallbacks}, notes missed {misses}")
        print("\n".join(lines))
    return music_fallbacks, misses


def evidence_table(rows_by_group: dict):
    """The evidence of every clip that is not plainly steady (beats under STRONG_BEATS or little periodicity)."""
    print("\nclips near the line (confidence / regularity / change / peaks):")
    for group, keeps, _ in GROUPS + DEGRADED_GROUPS:
        for name, fallback, e in rows_by_group.get(group, []):
            if e and (e["confidence"] < analysis.STRONG_BEATS or e["regularity"] < analysis.SPEECH_PERIODICITY):
                print(f"  {'music' if keeps else 'none '} {name[:32]:32} {e['confidence']:.2f} {e['regularity']:.2f} "
                      f"{e['change']:.2f} {e['peaks']:.3f}{'  no steady beat' if fallback else ''}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", default=",".join(beat_net.WEIGHTS_PATHS),
                        help="comma-separated weight files whose activations are averaged (default: the shipped)")
    parser.add_argument("--features", type=pathlib.Path, help="also save the captured activations and beats here")
    parser.add_argument("--grid", action="store_true", help="also print other thresholds on the same clips")
    parser.add_argument("--load", type=pathlib.Path, help="use evidence saved by --features instead of analysing")
    parser.add_argument("--degraded", action="store_true",
                        help="also music under noise and clipped, speech under noise, and synthesized noises")
    args = parser.parse_args(argv)
    nets = tuple(args.nets.split(","))
    print("nets:", ", ".join(pathlib.Path(n).name for n in nets))
    groups = GROUPS + (DEGRADED_GROUPS if args.degraded else [])
    rows = pickle.loads(args.load.read_bytes()) if args.load else features(nets, groups)
    if args.features:
        args.features.write_bytes(pickle.dumps(rows))
    evidence_table(rows)
    report(rows)
    if args.grid:
        print()
        report(rows, dict(SPEECH_CHANGE=0.0, HARMONIC_PEAKS=2.0),
               "the rule before (confidence and periodicity only)", quiet=True)
        for periodicity in (0.25, 0.30, 0.35):
            for change in (0.85, 0.90, 0.93):
                report(rows, dict(SPEECH_PERIODICITY=periodicity, SPEECH_CHANGE=change),
                       f"speech: periodicity < {periodicity:.2f}, change < {change:.2f}", quiet=True)
        for weak in (0.25, 0.30, 0.35, 0.40, 2.0):
            report(rows, dict(WEAK_BEATS_PERIODICITY=weak), f"weak beats kept: periodicity >= {weak:.2f}"
                   + (" (never: the rule before)" if weak > 1 else ""), quiet=True)
        for peaks in (0.0, 0.005, 0.01, 0.015, 0.02, 0.03):
            report(rows, dict(HARMONIC_PEAKS=peaks), f"harmonic: peaks >= {peaks:.3f}", quiet=True)
        for low in (0.20, 0.25, 0.30):
            for strong in (0.60, 0.65, 0.70):
                for regular in (0.16, 0.18, 0.20):
                    report(rows, dict(MIN_CONFIDENCE=low, STRONG_BEATS=strong, MIN_PERIODICITY=regular),
                           f"confidence < {low:.2f}, strong {strong:.2f}, periodicity < {regular:.2f}", quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
