"""Lip closures where the loudness says they are: p/b/m shrunk to the quiet stretch of their dip."""

import numpy as np

from ..filters import maximum_filter1d
from .features import FrameFeatures
from .segments import FRAME_SECONDS

LABIALS = ("P", "B", "M")
CLOSURE_BELOW_PEAK_DB = 10.0
NASAL_BELOW_PEAK_DB = 5.0  # an m hums through closed lips: a shallower dip than a stop's silence


def tighten_labials(phones: list, features: FrameFeatures) -> list:
    """Shrink each p/b/m to the quiet stretch where the lips are actually shut.

    Aligners and recognisers place phone boundaries to within a few frames; a closure that runs into the
    neighbouring vowel shows closed lips while the vowel still sounds. The closure is the dip in loudness:
    keep the run of frames around the segment's quietest frame that lie well below the nearby peak.
    """
    from .segments import PhoneSegment

    out = []
    for phone in phones:
        dip = labial_dip(phone, features) if phone.phone in LABIALS else None
        # no audible dip (fast speech): trust the phone's timing
        out.append(phone if dip is None else PhoneSegment(phone.phone, dip[0], dip[1], phone.word))
    return out


def labial_dip(phone, features: FrameFeatures) -> tuple | None:
    """(start, end) seconds of the quiet stretch around the quietest frame of a p/b/m segment, or None when it has
    no dip well below the nearby peak."""
    decibels = features.decibels
    span = phone.frames(features.count, at_least_one=True)
    lo, hi = span.start, span.stop
    if hi <= lo:
        return None
    peaks = maximum_filter1d(decibels[max(0, lo - 15):min(features.count, hi + 15)], size=31)
    quietest = lo + int(np.argmin(decibels[lo:hi]))
    drop = NASAL_BELOW_PEAK_DB if phone.phone == "M" else CLOSURE_BELOW_PEAK_DB
    quiet = decibels < peaks[quietest - max(0, lo - 15)] - drop
    if not quiet[quietest]:
        return None
    start, end = quietest, quietest + 1
    while start > lo and quiet[start - 1]:
        start -= 1
    while end < hi and quiet[end]:
        end += 1
    return start * FRAME_SECONDS, end * FRAME_SECONDS
