"""Acoustic stop and nasal closures: short deep dips in loudness inside speech that are not fricatives.

Used when there is no transcript: the phone recogniser often misses bilabials, but the lips must still
close, and a closure is audible as a dip whatever the recogniser thinks.
"""

import numpy as np
from scipy.ndimage import maximum_filter1d

from .activity import VoiceActivity
from .features import FrameFeatures
from .segments import FRAME_SECONDS

DIP_DB = 10.0               # this far below the surrounding syllable peaks
FRICATIVE_HIGH_RATIO = 0.3  # s, sh, f… keep most energy above 3 kHz: not a closure
MIN_FRAMES, MAX_FRAMES = 3, 20


def find_closures(features: FrameFeatures, activity: VoiceActivity) -> list:
    """(start_seconds, end_seconds) of each closure inside active speech."""
    local_peak = maximum_filter1d(features.decibels, size=31)
    dip = (features.decibels < local_peak - DIP_DB) & (features.high_ratio < FRICATIVE_HIGH_RATIO)
    dip &= activity.active
    edges = np.diff(np.concatenate([[0], dip.astype(np.int8), [0]]))
    closures = []
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if MIN_FRAMES <= end - start <= MAX_FRAMES:
            closures.append((start * FRAME_SECONDS, end * FRAME_SECONDS))
    return closures
