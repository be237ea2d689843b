"""The simplest honest face model: the jaw follows the voice's loudness.

Kept as a fallback for audio the phoneme pipeline cannot read (and as the reference the lip-sync bench
beats); it runs on any sound.
"""

import numpy as np
from scipy.ndimage import uniform_filter1d

from ...clips.arkit import ARKIT_INDEX
from ...clips.face import FaceClip
from ..audio.load import Audio
from ..audio.loudness import rms_envelope, to_decibels

QUIET_DB = -45.0   # below this the mouth rests closed
LOUD_DB = -12.0    # at or above this the jaw opens fully (times strength)


def loudness_face(audio: Audio, fps: float, strength: float = 0.7) -> FaceClip:
    decibels = to_decibels(rms_envelope(audio, fps, window_seconds=0.05))
    openness = np.clip((decibels - QUIET_DB) / (LOUD_DB - QUIET_DB), 0.0, 1.0)
    openness = uniform_filter1d(openness, size=max(1, int(round(fps * 0.05))), mode="nearest")
    weights = np.zeros((len(openness), len(ARKIT_INDEX)))
    weights[:, ARKIT_INDEX["jawOpen"]] = np.clip(strength * openness, 0.0, 1.0)
    return FaceClip(fps, weights)
