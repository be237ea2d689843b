"""Phone boundaries inside words whose timing is already known, from the phone net's frame posteriors.

Forced alignment finds each word's span (pocketsphinx, models/speech/alignment.py); which frames of the span
belong to which of the word's phones is a small left-to-right Viterbi over the net's log-posteriors. This
replaces pocketsphinx's second, phone-level pass, which cost as much as the word pass itself.
"""

import numpy as np

from .articulation import arpabet_class
from .segments import FRAME_SECONDS, PhoneSegment

MIN_PHONE_FRAMES = 2  # a phone shorter than 20 ms is not seen on a face anyway


def time_phones(log_probs: np.ndarray, names: tuple, phones: list, first: int, end: int) -> list:
    """Frame ranges [(phone, first, end)] for `phones` spoken in order over frames [first, end).

    Phones are ARPAbet (a dictionary's) or the net's own classes; each is scored by its class's column.

    Every phone gets at least MIN_PHONE_FRAMES frames where the span allows, else one; a span shorter than
    the phone count is shared out evenly.
    """
    span = end - first
    count = len(phones)
    if count == 0 or span <= 0:
        return []
    if span < count:
        cuts = first + np.round(np.linspace(0, span, count + 1)).astype(int)
        return [(p, int(a), int(b)) for p, a, b in zip(phones, cuts[:-1], cuts[1:]) if b > a]
    index = {name: k for k, name in enumerate(names)}
    minimum = max(1, min(MIN_PHONE_FRAMES, span // count))
    # Each phone is a chain of `minimum` states; only its last state may repeat.
    columns = np.repeat([index.get(p, index.get(arpabet_class(p), -1)) for p in phones], minimum)
    scores = np.where(columns[None, :] >= 0, log_probs[first:end][:, np.maximum(columns, 0)], 0.0)
    states = len(columns)
    repeatable = np.zeros(states, bool)
    repeatable[minimum - 1::minimum] = True
    best = np.full(states, -np.inf)
    best[0] = scores[0, 0]
    stayed = np.zeros((span, states), bool)
    for t in range(1, span):
        advance = np.concatenate([[-np.inf], best[:-1]])
        stay = np.where(repeatable, best, -np.inf)
        stayed[t] = stay >= advance
        best = np.maximum(stay, advance) + scores[t]
    labels = np.empty(span, int)
    state = states - 1
    for t in range(span - 1, -1, -1):
        labels[t] = state // minimum
        if t > 0 and not stayed[t, state]:
            state -= 1
    ranges = []
    for k, phone in enumerate(phones):
        frames = np.flatnonzero(labels == k)
        ranges.append((phone, first + int(frames[0]), first + int(frames[-1]) + 1))
    return ranges


def segments_in_word(log_probs: np.ndarray, names: tuple, phones: list, start: float, end: float,
                     word: str) -> list:
    """PhoneSegments (seconds) for a word spoken over [start, end) seconds."""
    first = int(round(start / FRAME_SECONDS))
    last = min(len(log_probs), max(first + 1, int(round(end / FRAME_SECONDS))))
    return [PhoneSegment(phone, a * FRAME_SECONDS, b * FRAME_SECONDS, word)
            for phone, a, b in time_phones(log_probs, names, phones, first, last)]


__all__ = ["MIN_PHONE_FRAMES", "segments_in_word", "time_phones"]
