"""Frame-rate loudness envelopes: the first audio feature every model here uses."""

import numpy as np

from .load import Audio


def rms_envelope(audio: Audio, fps: float, window_seconds: float = 0.04) -> np.ndarray:
    """RMS of the signal around each animation frame's time, one value per frame (len = ceil(duration·fps))."""
    frames = max(1, int(np.ceil(audio.duration * fps - 1e-9)))
    half = max(1, int(window_seconds * audio.sample_rate / 2))
    squared = np.concatenate([[0.0], np.cumsum(audio.samples.astype(np.float64) ** 2)])
    centres = np.round(np.arange(frames) / fps * audio.sample_rate).astype(int)
    lo = np.clip(centres - half, 0, len(audio.samples))
    hi = np.clip(centres + half, 0, len(audio.samples))
    width = np.maximum(hi - lo, 1)
    return np.sqrt((squared[hi] - squared[lo]) / width)


def to_decibels(rms: np.ndarray, floor_db: float = -80.0) -> np.ndarray:
    return np.maximum(20.0 * np.log10(np.maximum(rms, 1e-12)), floor_db)
