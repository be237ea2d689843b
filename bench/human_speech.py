"""A check on real voices: five read lines of LibriVox's public-domain "Sense and Sensibility" (the test
recordings of pocketsphinx 5.0.4, in bench/data/librivox) scored like the espeak-ng bench.

The reference timings are pocketsphinx's own forced alignment of each line's transcript (shipped with those
test recordings), not hand labels: boundaries are good to a frame or two, and the transcript scores are
flattered where our aligner agrees with it. Five lines of one reader say whether a method survives a human
voice, not how well it does in general.
"""

import json
import pathlib

import numpy as np

from ..models.face.pipeline import generate_face
from .espeak_truth import CLOSED, LABIODENTAL, OPEN, OTHER, REST, ROUNDED
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


def score_human_lines(with_transcript: bool) -> tuple:
    """(Score, seconds of speech) of SoundMotion on the five lines, with or without their transcripts."""
    total, seconds = None, 0.0
    for audio, text, phones in lines():
        face = generate_face(audio, transcript=text if with_transcript else "", fps=1.0 / FRAME_SECONDS)
        predicted = face_classes(face.clip.weights, face.clip.channel_names)
        closures = [(start, end) for name, start, end in phones if ARPABET_CLASS.get(name) == CLOSED]
        scored = score_frames(reference_frames(phones, len(predicted)), closures, predicted)
        total = scored if total is None else total + scored
        seconds += len(predicted) * FRAME_SECONDS
    return total, seconds


__all__ = ["lines", "reference_frames", "score_human_lines"]
