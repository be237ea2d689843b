"""Phones timed inside known word spans from frame posteriors (models/speech/phone_timing.py)."""

import numpy as np

from soundmotion.models.speech.phone_timing import MIN_PHONE_FRAMES, segments_in_word, time_phones

NAMES = ("SIL", "B", "AA", "M", "IY")


def posteriors(labels: list) -> np.ndarray:
    """Log-posteriors that favour labels[t] at frame t (0.9 against 0.1 shared by the rest)."""
    probs = np.full((len(labels), len(NAMES)), 0.1 / (len(NAMES) - 1))
    probs[np.arange(len(labels)), [NAMES.index(name) for name in labels]] = 0.9
    return np.log(probs)


def test_boundaries_follow_the_posteriors():
    labels = ["SIL"] * 5 + ["B"] * 4 + ["AA"] * 12 + ["M"] * 6 + ["SIL"] * 5
    ranges = time_phones(posteriors(labels), NAMES, ["B", "AA", "M"], 5, 27)
    assert ranges == [("B", 5, 9), ("AA", 9, 21), ("M", 21, 27)]


def test_every_phone_keeps_its_minimum_even_where_the_net_does_not_hear_it():
    labels = ["AA"] * 20  # the closure is not heard at all
    ranges = time_phones(posteriors(labels), NAMES, ["B", "AA", "M"], 0, 20)
    assert [name for name, _, _ in ranges] == ["B", "AA", "M"]
    assert all(end - first >= MIN_PHONE_FRAMES for _, first, end in ranges)
    assert ranges[0][1] == 0 and ranges[-1][2] == 20
    assert all(a[2] == b[1] for a, b in zip(ranges, ranges[1:]))  # contiguous, no gaps


def test_a_span_shorter_than_its_phones_is_shared_out_evenly():
    ranges = time_phones(posteriors(["AA"] * 10), NAMES, ["B", "AA", "M", "IY"], 4, 7)
    assert [(first, end) for _, first, end in ranges] == [(4, 5), (5, 6), (6, 7)]


def test_segments_are_in_seconds_and_carry_the_word():
    labels = ["SIL"] * 10 + ["M"] * 5 + ["IY"] * 15 + ["SIL"] * 10
    segments = segments_in_word(posteriors(labels), NAMES, ["M", "IY"], 0.10, 0.30, "me")
    assert [(s.phone, round(s.start, 2), round(s.end, 2), s.word) for s in segments] == [
        ("M", 0.10, 0.15, "me"), ("IY", 0.15, 0.30, "me")]


def test_dictionary_phones_are_timed_by_their_articulatory_class():
    labels = ["SIL"] * 5 + ["B"] * 4 + ["AA"] * 12 + ["M"] * 6 + ["SIL"] * 5
    # A dictionary's P and AE are heard as the net's classes B (lip closure) and AA (open), and keep their names.
    assert time_phones(posteriors(labels), NAMES, ["P", "AE", "M"], 5, 27) == [("P", 5, 9), ("AE", 9, 21),
                                                                               ("M", 21, 27)]
