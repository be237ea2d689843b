"""Lip-sync bench: SoundMotion (with and without transcript) against the loudness baseline and, when the
`rhubarb` binary is on PATH, Rhubarb Lip Sync, on espeak-ng speech with exact phoneme timings.

    .venv/bin/python bench/lipsync.py            # full bench (6 voices × 3 rates × 16 sentences, 60 s speed run)
    .venv/bin/python bench/lipsync.py --quick    # a few utterances

Scores on 10 ms frames with coarse mouth classes (see bench/scoring.py): p/b/m closures hit within ±30 ms,
share of open-vowel frames shown with closed lips, and frame accuracy. "raw" columns use espeak-ng's
phone spans exactly as reported; the main columns move stop closures that espeak-ng files inside the
neighbouring vowel back to the consonant (bench/espeak_truth.py explains why).

SoundMotion's learned phone net (models/speech/phone_net.py) recognises the phones without a transcript (and
times them inside the aligned words with one). scripts/train_phone_net.py trains it on synthetic espeak-ng and
flite speech in other voices and other sentences than these: for the net, this bench is held out.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.lipsync", run_name="__main__")
    raise SystemExit

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from ..clips.arkit import ARKIT_BLENDSHAPES, ARKIT_INDEX
from ..models.audio.load import load_audio
from ..models.audio.loudness import rms_envelope, to_decibels
from ..models.face.pipeline import FaceSettings, generate_face
from . import espeak_truth
from .scoring import FRAME_SECONDS, Score, face_classes, rhubarb_classes, score

BENCH_FPS = 1.0 / FRAME_SECONDS
TARGETS = {"closure_text": 0.90, "closure_audio": 0.75, "closed_in_open": 0.03, "frame_accuracy": 0.75,
           "speed": 20.0}


@dataclass
class MethodResult:
    name: str
    score: Score = None
    raw: Score = None
    seconds: float = 0.0
    audio_seconds: float = 0.0

    def add(self, scored: Score, raw: Score, seconds: float, audio_seconds: float):
        self.score = scored if self.score is None else self.score + scored
        self.raw = raw if self.raw is None else self.raw + raw
        self.seconds += seconds
        self.audio_seconds += audio_seconds


@dataclass
class BenchResult:
    methods: dict = field(default_factory=dict)
    speed: dict = field(default_factory=dict)   # name → × real time on the long recording
    utterances: int = 0
    speech_seconds: float = 0.0


def loudness_baseline(wav: str, fps: float) -> np.ndarray:
    """The simplest lip sync (what many add-ons do): jaw opening follows loudness. (T, 52) weights."""
    decibels = to_decibels(rms_envelope(load_audio(wav), fps, window_seconds=0.05))
    weights = np.zeros((len(decibels), len(ARKIT_BLENDSHAPES)))
    weights[:, ARKIT_INDEX["jawOpen"]] = 0.7 * np.clip((decibels + 45.0) / 33.0, 0.0, 1.0)
    return weights


def corpus(quick: bool = False) -> list:
    """(text, voice, rate) triples: every sentence once per voice at a rotating rate (or a few, quick)."""
    items = []
    for v, voice in enumerate(espeak_truth.VOICES):
        for s, sentence in enumerate(espeak_truth.SENTENCES):
            items.append((sentence, voice, espeak_truth.RATES[(s + v) % len(espeak_truth.RATES)]))
    if quick:
        items = items[::len(espeak_truth.SENTENCES) // 2 + 1][:8]
    return items


def _score_both(utterance, predicted):
    return score(utterance, predicted), score(utterance, predicted, acoustic_edges=False)


def run_rhubarb(wav_path: str, text: str | None) -> list | None:
    binary = shutil.which("rhubarb")
    if not binary:
        return None
    command = [binary, "-f", "tsv", "--extendedShapes", "GX", wav_path]
    dialog = None
    if text:
        dialog = wav_path + ".dialog.txt"
        with open(dialog, "w") as handle:
            handle.write(text)
        command[1:1] = ["-d", dialog]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cues = []
    for line in output.splitlines():
        parts = line.strip().split("\t")
        if len(parts) == 2:
            cues.append((float(parts[0]), parts[1]))
    return cues


def run_bench(quick: bool = False, speed: bool = True, progress=print) -> BenchResult:
    result = BenchResult()
    methods = result.methods
    with tempfile.TemporaryDirectory(prefix="lipsync-bench-") as folder:
        for index, (text, voice, rate) in enumerate(corpus(quick)):
            utterance = espeak_truth.synthesize(text, voice, rate)
            wav = os.path.join(folder, f"u{index}.wav")
            utterance.write_wav(wav)
            result.utterances += 1
            result.speech_seconds += utterance.duration
            for name, transcript, aligner in (("SoundMotion + transcript", text, None),
                                              ("SoundMotion + transcript, eSpeak NG aligner", text, "espeak"),
                                              ("SoundMotion, audio only", None, None)):
                started = time.perf_counter()
                face = generate_face(wav, transcript=transcript if transcript else "", fps=BENCH_FPS,
                                     settings=FaceSettings(aligner=aligner))
                elapsed = time.perf_counter() - started
                predicted = face_classes(face.clip.weights, face.clip.channel_names)
                methods.setdefault(name, MethodResult(name)).add(*_score_both(utterance, predicted), elapsed,
                                                                 utterance.duration)
            started = time.perf_counter()
            predicted = face_classes(loudness_baseline(wav, BENCH_FPS), ARKIT_BLENDSHAPES)
            methods.setdefault("Loudness jaw (baseline)", MethodResult("Loudness jaw (baseline)")).add(
                *_score_both(utterance, predicted), time.perf_counter() - started, utterance.duration)
            for name, transcript in (("Rhubarb + dialog", text), ("Rhubarb, audio only", None)):
                started = time.perf_counter()
                cues = run_rhubarb(wav, transcript)
                if cues is None:
                    break
                predicted = rhubarb_classes(cues, int(np.ceil(utterance.duration / FRAME_SECONDS)))
                methods.setdefault(name, MethodResult(name)).add(*_score_both(utterance, predicted),
                                                                 time.perf_counter() - started, utterance.duration)
            if progress and (index + 1) % 16 == 0:
                progress(f"  scored {index + 1} utterances")
        if speed:
            result.speed = speed_run(folder)
    return result


def speed_run(folder: str, seconds: float = 60.0) -> dict:
    """× real time of generate_face on about a minute of continuous speech, with and without transcript."""
    text = " ".join(espeak_truth.SENTENCES)
    utterance = espeak_truth.synthesize(text, "en-us", 175)
    while utterance.duration < seconds:
        text = text + " " + " ".join(espeak_truth.SENTENCES)
        utterance = espeak_truth.synthesize(text, "en-us", 175)
    wav = os.path.join(folder, "minute.wav")
    utterance.write_wav(wav)
    generate_face(wav, transcript="Warm up.", fps=30.0)  # first-call costs (decoder load) are not per-minute costs
    speeds = {"audio seconds": utterance.duration}
    for name, transcript in (("SoundMotion + transcript", text), ("SoundMotion, audio only", "")):
        started, cpu_started = time.perf_counter(), time.process_time()
        face = generate_face(wav, transcript=transcript, fps=30.0)
        speeds[name] = utterance.duration / (time.perf_counter() - started)
        # CPU seconds are what the work costs; wall time also counts other programs sharing the cores.
        speeds[name + " cpu"] = utterance.duration / (time.process_time() - cpu_started)
        speeds[name + " source"] = face.phone_source
    return speeds


def format_table(result: BenchResult) -> str:
    lines = [f"Lip-sync bench: {result.utterances} espeak-ng utterances, {result.speech_seconds:.0f} s of speech, "
             f"voices {', '.join(espeak_truth.VOICES)}, rates {', '.join(map(str, espeak_truth.RATES))} wpm", "",
             "| method | p/b/m closed ±30 ms | closed in open vowels (raw) | frame accuracy (raw) | × real time (CPU; wall) |",
             "|---|---|---|---|---|"]
    for method in result.methods.values():
        s, r = method.score, method.raw
        speed, cpu = result.speed.get(method.name), result.speed.get(method.name + " cpu")
        speed_text = (f"{cpu:.0f}×; {speed:.0f}× (long clip)" if speed
                      else f"{method.audio_seconds / max(method.seconds, 1e-9):.0f}× (wall)")
        lines.append(f"| {method.name} | {s.closure_rate:.1%} ({s.closures_hit}/{s.closures}) | "
                     f"{s.closed_in_open_rate:.1%} ({r.closed_in_open_rate:.1%}) | "
                     f"{s.frame_accuracy:.3f} ({r.frame_accuracy:.3f}) | {speed_text} |")
    if result.speed:
        lines.append(f"Speed: one {result.speed['audio seconds']:.0f}-second recording at 30 fps, including decoding "
                     "the file; CPU time of this process (single-threaded) and wall time.")
    lines.append("The phone net (audio only: the phones; with a transcript: their timing in the aligned words) was "
                 "trained on eSpeak NG speech in 42 other languages and English, and flite speech, in other voices "
                 "and other sentences than this bench's: held out. 'eSpeak NG aligner': the transcript's phones from "
                 "eSpeak NG aligned over the net's posteriors, as for every other language (pocketsphinx aligns "
                 "English by default). This bench has no human voices: bench/human_speech.py scores voices made from "
                 "recordings and real speakers.")
    lines.append("")
    lines.append("Targets: closures ≥ 90 % with transcript, ≥ 75 % audio only; closed in open vowels ≤ 3 %; "
                 "frame accuracy ≥ 0.75; ≥ 20× real time for 60 s of speech.")
    if not shutil.which("rhubarb"):
        lines.append("Rhubarb Lip Sync is not on PATH, so it was not scored.")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="score a few utterances only")
    parser.add_argument("--no-speed", action="store_true", help="skip the 60-second speed run")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    result = run_bench(quick=args.quick, speed=not args.no_speed)
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
