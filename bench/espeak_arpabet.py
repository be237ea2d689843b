"""Per-10-ms phone-class labels for speech with known phone timings: eSpeak NG's IPA events in any language, or
flite's ARPAbet spans, mapped onto the phone net's articulatory classes (models/speech/articulation.py).

Used to train the phone recogniser (scripts/train_phone_net.py). eSpeak reports diphthongs, r-coloured vowels and
some clusters ("aɪ", "ɑːɹ", German "pf") as one event: those are split in time (articulation.ipa_classes).
"""

import numpy as np

from ..models.speech.articulation import VOWEL_CLASSES, arpabet_class, ipa_classes
from ..models.speech.segments import SILENCE
from .espeak_truth import EDGE_DROP_DB, Utterance, frame_decibels


def class_spans(utterance: Utterance) -> list:
    """[(class, start, end)] seconds, in time order, split where one eSpeak event holds several sounds."""
    spans = []
    for phone in utterance.phones:
        start = phone.start
        for name, share in ipa_classes(phone.ipa):
            end = start + share * (phone.end - phone.start)
            spans.append((name, start, end))
            start = end
    return spans


def arpabet_class_spans(spans: list) -> list:
    """flite/Festival ARPAbet spans [(phone, start, end)] → the same spans in articulatory classes."""
    return [(arpabet_class(name), start, end) for name, start, end in spans]


def span_frames(spans: list, count: int, frame_seconds: float = 0.01, speed: float = 1.0) -> tuple:
    """(labels, frames of each span): the phone (or SIL) whose span holds each frame's centre, for
    [(phone, start, end)] seconds; frame k covers [k·dt, (k+1)·dt) of audio played `speed` times faster."""
    labels = np.full(count, SILENCE, dtype=object)
    centres = (np.arange(count) + 0.5) * frame_seconds * speed
    inside_of = []
    for name, start, end in spans:
        inside = np.flatnonzero((centres >= start) & (centres < end))
        labels[inside] = name
        inside_of.append(inside)
    return labels, inside_of


LIP_VOWELS = VOWEL_CLASSES


def class_frames(utterance: Utterance, count: int, frame_seconds: float = 0.01, acoustic_edges: bool = True,
                 speed: float = 1.0) -> np.ndarray:
    """One phone class (or SIL) per frame; frame k covers [k·dt, (k+1)·dt) of the utterance as spoken.

    `speed` > 1 means the audio was played faster (labels shrink by that factor). With `acoustic_edges`,
    the quiet frames at a vowel's edge next to a consonant take the consonant, as in
    espeak_truth.truth_frames: espeak files a stop's closure silence inside the neighbouring vowel.
    """
    spans = class_spans(utterance)
    labels, inside_of = span_frames(spans, count, frame_seconds, speed)
    if not acoustic_edges:
        return labels
    decibels = frame_decibels(utterance, frame_seconds * speed, count)
    for k, inside in enumerate(inside_of):
        if spans[k][0] not in LIP_VOWELS or len(inside) < 3:
            continue
        peak = decibels[inside].max()
        for neighbour, frames in ((k - 1, inside), (k + 1, inside[::-1])):
            if not 0 <= neighbour < len(spans) or spans[neighbour][0] in LIP_VOWELS:
                continue
            if spans[neighbour][2] < spans[k][1] - 1e-6 or spans[neighbour][1] > spans[k][2] + 1e-6:
                continue  # a pause between them: the quiet edge is silence, not the consonant
            for frame in frames[:len(frames) // 2]:
                if decibels[frame] > peak - EDGE_DROP_DB:
                    break
                labels[frame] = spans[neighbour][0]
    return labels
