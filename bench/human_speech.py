"""Lip sync beyond espeak-ng: voices made from human recordings, and a human reader, scored like bench/lipsync.py.

    .venv/bin/python bench/human_speech.py

1. **Recorded voices, held out**: the lip-sync bench's sentences spoken by Festival's ked (a man's diphones) and
   slt (an HTS voice learned from a woman's recordings) and by flite's slt, with the synthesisers' own phone
   timings as truth (bench/flite_festival.py). The phone net trains on other flite voices (three men) and never
   on these.
2. **A human reader**: five read lines of LibriVox's public-domain "Sense and Sensibility" (the test recordings
   of pocketsphinx 5.0.4, in bench/data/librivox). The reference timings are pocketsphinx's own forced
   alignment of each line's transcript (shipped with those test recordings), not hand labels: boundaries are
   good to a frame or two, and the transcript scores are flattered where our aligner agrees with it. Five lines
   of one reader say whether a method survives a human voice, not how well it does in general.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.human_speech", run_name="__main__")
    raise SystemExit

import json
import os
import pathlib
import tempfile

import numpy as np
import soundfile

from ..models.face.pipeline import generate_face
from .espeak_truth import CLOSED, LABIODENTAL, OPEN, OTHER, REST, ROUNDED, SENTENCES
from .flite_festival import SynthesiserUnavailable, festival, flite
from .scoring import FRAME_SECONDS, Score, face_classes, score_frames

LINES = pathlib.Path(__file__).parent / "data" / "librivox"
ARPABET_CLASS = {**dict.fromkeys(("P", "B", "M"), CLOSED), **dict.fromkeys(("F", "V"), LABIODENTAL),
                 **dict.fromkeys(("UW", "UH", "OW", "AO", "W", "OY"), ROUNDED),
                 **dict.fromkeys(("AA", "AE", "AH", "EH", "AY", "AW"), OPEN), "SIL": REST}


def lines() -> list:
    """[(audio path, transcript, reference phones [(ARPAbet, start, end)])] in name order."""
    out = []
    for audio in sorted(LINES.glob("*.flac")):
        reference = json.loads(audio.with_suffix(".alignment.json").read_text())
        phones = [tuple(phone) for word in reference["words"] for phone in word["phones"]]
        out.append((audio, audio.with_suffix(".txt").read_text().strip(), phones))
    return out


def reference_frames(phones: list, count: int) -> np.ndarray:
    labels = np.full(count, REST, dtype=object)
    for name, start, end in phones:
        labels[int(round(start / FRAME_SECONDS)):int(round(end / FRAME_SECONDS))] = ARPABET_CLASS.get(name, OTHER)
    return labels


def score_line(audio, transcript: str, phones: list) -> Score:
    """SoundMotion's face on one recording (a path) against reference ARPAbet phones [(name, start, end)]."""
    face = generate_face(audio, transcript=transcript, fps=1.0 / FRAME_SECONDS)
    predicted = face_classes(face.clip.weights, face.clip.channel_names)
    closures = [(start, end) for name, start, end in phones if ARPABET_CLASS.get(name) == CLOSED]
    return score_frames(reference_frames(phones, len(predicted)), closures, predicted)


def score_human_lines(with_transcript: bool) -> tuple:
    """(Score, seconds of speech) of SoundMotion on the five lines, with or without their transcripts."""
    total, seconds = None, 0.0
    for audio, text, phones in lines():
        scored = score_line(audio, text if with_transcript else "", phones)
        total = scored if total is None else total + scored
        seconds += scored.frames * FRAME_SECONDS
    return total, seconds


RECORDED_VOICES = (("Festival ked (man, diphones)", lambda text: festival(text, "ked")),
                   ("Festival slt (woman, HTS)", lambda text: festival(text, "slt_hts")),
                   ("flite slt (woman, clustergen)", lambda text: flite(text, "slt")))


def score_recorded_voice(speak, sentences=SENTENCES) -> tuple:
    """(Score with transcript, Score audio only) on `sentences` spoken by `speak(text) → SpokenLine`."""
    totals = [None, None]
    with tempfile.TemporaryDirectory(prefix="recorded-voice-") as folder:
        wav = os.path.join(folder, "line.wav")
        for text in sentences:
            line = speak(text)
            soundfile.write(wav, line.samples, line.sample_rate, subtype="PCM_16")
            for k, transcript in enumerate((text, "")):
                scored = score_line(wav, transcript, line.phones)
                totals[k] = scored if totals[k] is None else totals[k] + scored
    return tuple(totals)


def _row(name: str, mode: str, scored: Score) -> str:
    return (f"| {name} | {mode} | {scored.closure_rate:.1%} ({scored.closures_hit}/{scored.closures}) | "
            f"{scored.closed_in_open_rate:.1%} ({scored.closed_in_open}/{scored.open_frames}) | "
            f"{scored.frame_accuracy:.3f} |")


__all__ = ["RECORDED_VOICES", "lines", "reference_frames", "score_human_lines", "score_line", "score_recorded_voice"]


def main() -> int:
    print("| speech | SoundMotion | p/b/m closed ±30 ms | closed in open vowels | frame accuracy |")
    print("|---|---|---|---|---|")
    for name, speak in RECORDED_VOICES:
        try:
            text, audio = score_recorded_voice(speak)
        except SynthesiserUnavailable as error:
            print(f"| {name} | not scored: {error} | | | |")
            continue
        print(_row(f"{name}, {len(SENTENCES)} bench sentences", "transcript", text), flush=True)
        print(_row(f"{name}, {len(SENTENCES)} bench sentences", "audio only", audio), flush=True)
    for with_transcript in (True, False):
        scored, seconds = score_human_lines(with_transcript)
        print(_row(f"LibriVox reader, {len(lines())} lines, {seconds:.0f} s", "transcript" if with_transcript
                   else "audio only", scored))
    print("Recorded voices: truth = the synthesiser's phone timings; the phone net never trained on these voices. "
          "LibriVox: truth = pocketsphinx's forced alignment (indicative only).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
