"""Phones → a per-frame viseme mixture with coarticulation.

Each phone segment exerts a dominance function over time (Cohen & Massaro): strongest over its own
segment, decaying exponentially around it. Every frame's viseme mixture is the dominance-weighted blend
of the segments nearby, so neighbouring sounds blend, weak sounds (h, schwa, t) borrow the shape of their
neighbours and strong lip shapes (rounding) spread ahead of their onset. Lip closures (p, b, m) and
lip–teeth contacts (f, v) are then enforced as hard targets, slightly ahead of the sound, and never
shorter than a visible frame: animators judge lip sync on those first.
"""

from dataclasses import dataclass

import numpy as np

from ..speech.segments import SILENCE

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou", "ax")
VISEME_INDEX = {name: i for i, name in enumerate(VISEMES)}

PHONE_VISEME = {
    "P": "PP", "B": "PP", "M": "PP",
    "F": "FF", "V": "FF",
    "TH": "TH", "DH": "TH",
    "T": "DD", "D": "DD",
    "K": "kk", "G": "kk", "NG": "kk", "HH": "ax",
    "CH": "CH", "JH": "CH", "SH": "CH", "ZH": "CH",
    "S": "SS", "Z": "SS",
    "N": "nn", "L": "nn", "Y": "ih",
    "R": "RR", "ER": "RR",
    "AA": "aa", "AE": "aa", "AY": "aa", "AW": "aa", "AH": "aa",
    "EH": "E", "EY": "ih",
    "IH": "ih", "IY": "ih",
    "AO": "oh", "OW": "oh", "OY": "oh",
    "UW": "ou", "UH": "ou", "W": "ou",
    SILENCE: "sil",
}
SCHWA_SECONDS = 0.1  # CMU "AH" covers both ʌ (cup) and ə (about); the short ones are the reduced schwa
# Function words whose AH is (almost) always reduced to a schwa in running speech.
REDUCED_WORDS = frozenset("a an the of to and at as was".split())
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())


@dataclass(frozen=True)
class Dominance:
    strength: float  # peak dominance
    before: float    # decay time constant before the segment (anticipation), seconds
    after: float     # decay time constant after it (carry-over), seconds


# t, d, n, s, th hold their near-closed jaw against open neighbours; h and schwa borrow their neighbours'
# shapes; rounding spreads ahead of its vowel; closures are sharp. Tuned on the lip-sync bench.
DOMINANCE = {
    "sil": Dominance(0.4, 0.03, 0.04),
    "PP": Dominance(1.0, 0.02, 0.02), "FF": Dominance(1.0, 0.02, 0.02),
    "TH": Dominance(1.0, 0.025, 0.025), "DD": Dominance(1.0, 0.025, 0.025), "kk": Dominance(0.8, 0.03, 0.03),
    "CH": Dominance(0.9, 0.04, 0.03), "SS": Dominance(1.0, 0.025, 0.025), "nn": Dominance(1.0, 0.025, 0.025),
    "RR": Dominance(0.9, 0.03, 0.03),
    "aa": Dominance(0.8, 0.03, 0.03), "E": Dominance(0.7, 0.03, 0.03), "ih": Dominance(0.9, 0.03, 0.03),
    "oh": Dominance(0.85, 0.035, 0.03), "ou": Dominance(0.9, 0.045, 0.03), "ax": Dominance(0.6, 0.03, 0.03),
}

# The jaw's own mixture (jaw_weights): the tongue consonants (TH to RR) are this many times as dominant for the jaw
# as for the lips. A "t", "s" or "n" needs the jaw up whatever the vowels beside it do, while the lips round ahead
# of an "oo" through them. Issue #14's twentieth round (tuning material only): real speakers' consonants are short,
# and a 40 ms "t" between two vowels showed their open jaw; at 2.5 frame accuracy with a transcript rose 0.01-0.02 on
# every tuning split (real speakers, Allison's prompts, the espeak corpus, the long takes), closures and closed open
# vowels unchanged (2 and 4 within 0.005 of it).
JAW_CONSONANT_DOMINANCE = 2.5
TONGUE_CONSONANTS = ("TH", "DD", "kk", "CH", "SS", "nn", "RR")

# Lip targets that must be reached: (viseme, minimum share of the mixture, lead in seconds, minimum span).
LIP_TARGETS = (("PP", 0.97, 0.0, 0.03), ("FF", 0.85, 0.0, 0.03))


def phone_viseme(phone: str, duration: float, reduced: bool | None = None) -> str:
    """`reduced`: whether an AH is a schwa, when the word is known; otherwise short AHs count as schwas."""
    if phone == "AH" and (reduced if reduced is not None else duration < SCHWA_SECONDS):
        return "ax"
    return PHONE_VISEME.get(phone, "ax")


def _reduced_vowels(phones: list) -> list:
    """For aligned AHs: True if a schwa (function word, or not its word's first vowel); None elsewhere."""
    flags, seen_vowel, previous_word = [], False, None
    for k, phone in enumerate(phones):
        starts_word = phone.word != previous_word or (k > 0 and phones[k - 1].end < phone.start - 1e-6)
        if starts_word:
            seen_vowel = False
        previous_word = phone.word
        word = phone.word.lower()
        flags.append((word in REDUCED_WORDS or seen_vowel) if word and phone.phone == "AH" else None)
        seen_vowel |= phone.phone in VOWELS
    return flags


def jaw_weights(phones: list, times: np.ndarray, coarticulation: float = 1.0) -> np.ndarray:
    """viseme_weights as the jaw follows them: the tongue consonants JAW_CONSONANT_DOMINANCE times as dominant."""
    return viseme_weights(phones, times, coarticulation, JAW_CONSONANT_DOMINANCE)


def viseme_weights(phones: list, times: np.ndarray, coarticulation: float = 1.0,
                   consonant_dominance: float = 1.0) -> np.ndarray:
    """(len(times), len(VISEMES)) mixture weights, rows sum to 1; silence where there are no phones.

    `coarticulation` scales how far each segment reaches into its neighbours: 1 blends as tuned, towards 0 each
    viseme holds until the next one (a held, "snappy" mouth), above 1 the shapes blend more.
    `consonant_dominance` multiplies the dominance of the TONGUE_CONSONANTS (jaw_weights)."""
    weights = np.zeros((len(times), len(VISEMES)))
    if not phones:
        weights[:, VISEME_INDEX["sil"]] = 1.0
        return weights
    labels = [phone_viseme(p.phone, p.duration, reduced) for p, reduced in zip(phones, _reduced_vowels(phones))]
    starts = np.array([p.start for p in phones])
    ends = np.array([p.end for p in phones])
    floor = 1e-6
    total = np.full(len(times), floor)
    weights[:, VISEME_INDEX["sil"]] = floor
    # seconds beyond which a segment has no influence (keeps this O(frames·neighbours))
    reach = 0.35 * max(1.0, coarticulation)
    spread = max(coarticulation, 0.03)
    for label, start, end in zip(labels, starts, ends):
        lo, hi = np.searchsorted(times, [start - reach, end + reach])
        if hi <= lo:
            continue
        t = times[lo:hi]
        dominance = DOMINANCE[label]
        strength = dominance.strength * (consonant_dominance if label in TONGUE_CONSONANTS else 1.0)
        before = np.clip(start - t, 0.0, None)
        after = np.clip(t - end, 0.0, None)
        value = strength * np.exp(-before / (dominance.before * spread) - after / (dominance.after * spread))
        weights[lo:hi, VISEME_INDEX[label]] += value
        total[lo:hi] += value
    weights /= total[:, None]
    for label, share, lead, span in LIP_TARGETS:
        for start, end in _target_spans(labels, starts, ends, label, lead, span):
            _enforce(weights, times, start, end, VISEME_INDEX[label], share)
    return weights


def _target_spans(labels, starts, ends, label, lead, span):
    for viseme, start, end in zip(labels, starts, ends):
        if viseme != label:
            continue
        start, end = start - lead, max(end - lead, start - lead)
        if end - start < span:
            middle = 0.5 * (start + end)
            start, end = middle - span / 2, middle + span / 2
        yield start, end


def _enforce(weights, times, start, end, column, share):
    inside = (times >= start) & (times <= end)
    if not inside.any():  # a span between two frames still claims the nearest frame
        inside[np.argmin(np.abs(times - 0.5 * (start + end)))] = True
    rows = weights[inside]
    others = 1.0 - rows[:, column]
    scale = np.where(others > 1e-9, (1.0 - np.maximum(rows[:, column], share)) / np.maximum(others, 1e-9), 0.0)
    rows *= scale[:, None]
    rows[:, column] = np.maximum(weights[inside][:, column], share)
    weights[inside] = rows
