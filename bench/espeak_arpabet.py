"""espeak-ng's IPA phoneme names → CMU ARPAbet, and per-10-ms ARPAbet labels for an espeak utterance.

Used to train the phone recogniser (scripts/train_phone_net.py); the face pipeline consumes ARPAbet. espeak
reports r-coloured vowels ("ɑːɹ", "ɔːɹ") and some diphthongs with a schwa ("aɪə") as one event: those are
split in time into the vowel and its R (or ER) part.
"""

import numpy as np

from ..models.speech.segments import SILENCE
from .espeak_truth import EDGE_DROP_DB, Utterance

CONSONANTS = {
    "p": "P", "b": "B", "m": "M", "f": "F", "v": "V", "θ": "TH", "ð": "DH", "t": "T", "d": "D", "ɾ": "D",
    "ʔ": "T", "k": "K", "ɡ": "G", "g": "G", "x": "HH", "ŋ": "NG", "h": "HH", "ɦ": "HH", "tʃ": "CH", "dʒ": "JH",
    "ʃ": "SH", "ʒ": "ZH", "s": "S", "z": "Z", "n": "N", "l": "L", "ɫ": "L", "ɬ": "L", "ɹ": "R", "r": "R",
    "ɻ": "R", "j": "Y", "w": "W", "ʍ": "W", "c": "K", "ç": "HH",
}
VOWELS = {
    "ɑ": "AA", "a": "AE", "æ": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH", "ɛ": "EH", "e": "EY", "eɪ": "EY",
    "ɪ": "IH", "ᵻ": "IH", "i": "IY", "ɨ": "IH", "ʊ": "UH", "u": "UW", "ʉ": "UW", "ɵ": "OW", "o": "OW",
    "oʊ": "OW", "əʊ": "OW", "ʌʉ": "OW", "ɔ": "AO", "ɒ": "AO", "ɔɪ": "OY", "aɪ": "AY", "ɑɪ": "AY", "əɪ": "AY",
    "aʊ": "AW", "æʊ": "AW", "ɜ": "ER", "ɚ": "ER", "əɹ": "ER", "ɜɹ": "ER", "eə": "EH", "ɛə": "EH", "iə": "IH",
    "ɪə": "IH", "ʊə": "UH", "oə": "AO", "ɔə": "AO", "ɑə": "AA", "ɑʊ": "AW", "ɔʊ": "OW",
}
VOWEL_SHARE = 0.6  # of an r-coloured vowel's span, the part before the R


def ipa_to_arpabet(ipa: str) -> list:
    """[(ARPAbet, share of the event's span)] for one espeak-ng IPA phoneme name."""
    base = ipa
    for mark in ("ː", "ˈ", "ˌ", "ʲ", "̩", "̪", "ʰ", "ˑ", "̃", "-"):
        base = base.replace(mark, "")
    base = base.strip()
    if not base:
        return []
    if base in CONSONANTS:
        return [(CONSONANTS[base], 1.0)]
    if base in VOWELS:
        return [(VOWELS[base], 1.0)]
    for tail, coda in (("ɹ", "R"), ("ɚ", "ER"), ("ə", "AH"), ("l", "L"), ("n", "N"), ("m", "M")):
        if base.endswith(tail) and len(base) > 1:
            head = base[:-len(tail)]
            head_phones = ipa_to_arpabet(head)
            if head_phones:
                return [(p, s * VOWEL_SHARE) for p, s in head_phones] + [(coda, 1.0 - VOWEL_SHARE)]
    if base[:2] in VOWELS:
        return [(VOWELS[base[:2]], 1.0)]
    if base[0] in VOWELS:
        return [(VOWELS[base[0]], 1.0)]
    if base[0] in CONSONANTS:
        return [(CONSONANTS[base[0]], 1.0)]
    return [("AH", 1.0)]


def arpabet_spans(utterance: Utterance) -> list:
    """[(ARPAbet, start, end)] seconds, in time order, split where one espeak event holds two phones."""
    spans = []
    for phone in utterance.phones:
        start = phone.start
        for name, share in ipa_to_arpabet(phone.ipa):
            end = start + share * (phone.end - phone.start)
            spans.append((name, start, end))
            start = end
    return spans


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


LIP_VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())


def arpabet_frames(utterance: Utterance, count: int, frame_seconds: float = 0.01, acoustic_edges: bool = True,
                   speed: float = 1.0) -> np.ndarray:
    """One ARPAbet phone (or SIL) per frame; frame k covers [k·dt, (k+1)·dt) of the utterance as spoken.

    `speed` > 1 means the audio was played faster (labels shrink by that factor). With `acoustic_edges`,
    the quiet frames at a vowel's edge next to a consonant take the consonant, as in
    espeak_truth.truth_frames: espeak files a stop's closure silence inside the neighbouring vowel.
    """
    spans = arpabet_spans(utterance)
    labels, inside_of = span_frames(spans, count, frame_seconds, speed)
    if not acoustic_edges:
        return labels
    decibels = _frame_decibels(utterance, frame_seconds * speed, count)
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


def _frame_decibels(utterance: Utterance, frame_seconds: float, count: int) -> np.ndarray:
    """Mean power of frame k = [k·dt, (k+1)·dt) of the synthesised samples, dB; frames past the end: silent."""
    bounds = np.round(np.arange(count + 1) * frame_seconds * utterance.sample_rate).astype(int)
    squares = np.concatenate([[0.0], np.cumsum(utterance.samples.astype(np.float64) ** 2)])
    bounds = np.minimum(bounds, len(utterance.samples))
    sums = squares[bounds[1:]] - squares[bounds[:-1]]
    power = sums / np.maximum(bounds[1:] - bounds[:-1], 1)
    return 10.0 * np.log10(np.maximum(power, 1e-10))
