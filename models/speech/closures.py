"""Acoustic stop and nasal closures: short deep dips in loudness inside speech that are not fricatives.

Used when there is no transcript: the phone recogniser often misses bilabials, but the lips must still
close, and a closure is audible as a dip whatever the recogniser thinks.
"""

import numpy as np
from scipy.ndimage import maximum_filter1d

from .activity import VoiceActivity
from .features import FrameFeatures
from .segments import FRAME_SECONDS

DIP_DB = 12.0
FRICATIVE_HIGH_RATIO = 0.3  # s, sh, f… keep most energy above 3 kHz: not a closure
MIN_FRAMES, MAX_FRAMES = 3, 20
CORE_DB = 3.0


def find_closures(features: FrameFeatures, activity: VoiceActivity) -> list:
    """(start_seconds, end_seconds) of each closure inside active speech."""
    local_peak = maximum_filter1d(features.decibels, size=31)
    dip = (features.decibels < local_peak - DIP_DB) & (features.high_ratio < FRICATIVE_HIGH_RATIO)
    dip &= activity.active
    edges = np.diff(np.concatenate([[0], dip.astype(np.int8), [0]]))
    closures = []
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if MIN_FRAMES <= end - start <= MAX_FRAMES:
            # The lips are shut in the quiet core of the dip; its flanks are the vowel fading in and out.
            core = np.flatnonzero(features.decibels[start:end] <= features.decibels[start:end].min() + CORE_DB)
            closures.append(((start + core[0]) * FRAME_SECONDS, (start + core[-1] + 1) * FRAME_SECONDS))
    return closures


LABIALS = ("P", "B", "M")
CLOSURE_BELOW_PEAK_DB = 10.0
NASAL_BELOW_PEAK_DB = 5.0  # an m hums through closed lips: a shallower dip than a stop's silence


def tighten_labials(phones: list, features: FrameFeatures, require_dip: bool = False) -> list:
    """Shrink each p/b/m to the quiet stretch where the lips are actually shut.

    Aligners and recognisers place phone boundaries to within a few frames; a closure that runs into the
    neighbouring vowel shows closed lips while the vowel still sounds. The closure is the dip in loudness:
    keep the run of frames around the segment's quietest frame that lie well below the nearby peak.
    With `require_dip` (recognised, not aligned, phones) a p/b/m without any dip is dropped as a
    recognition error: its neighbours' shapes fill the gap.
    """
    from .segments import PhoneSegment

    decibels = features.decibels
    peaks = maximum_filter1d(decibels, size=31)
    out = []
    for phone in phones:
        if phone.phone not in LABIALS:
            out.append(phone)
            continue
        lo = max(0, int(round(phone.start / FRAME_SECONDS)))
        hi = min(features.count, max(lo + 1, int(round(phone.end / FRAME_SECONDS))))
        if hi <= lo:
            out.append(phone)
            continue
        quietest = lo + int(np.argmin(decibels[lo:hi]))
        drop = NASAL_BELOW_PEAK_DB if phone.phone == "M" and not require_dip else CLOSURE_BELOW_PEAK_DB
        quiet = decibels < peaks[quietest] - drop
        if not quiet[quietest]:
            if not require_dip:
                out.append(phone)  # no audible dip (fast speech): trust the aligner's timing
            continue
        start, end = quietest, quietest + 1
        while start > lo and quiet[start - 1]:
            start -= 1
        while end < hi and quiet[end]:
            end += 1
        out.append(PhoneSegment(phone.phone, start * FRAME_SECONDS, end * FRAME_SECONDS, phone.word))
    return out
