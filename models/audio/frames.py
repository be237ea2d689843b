"""Frame-wise analysis in bounded memory: per-frame features (loudness, pitch, spectra) are computed a chunk of
frames at a time from the part of the signal those frames see, so an hour of audio never becomes an
(hours × window) matrix. Each frame's numbers are the same as when all frames are computed at once."""

import numpy as np

CHUNK_FRAMES = 4096  # 41 s of 10 ms frames per step: a few tens of MB of spectra at most


def frame_chunks(count: int, chunk: int = None):
    """(first, end) frame ranges covering 0..count, `chunk` (default CHUNK_FRAMES) frames each."""
    chunk = chunk or CHUNK_FRAMES
    for first in range(0, count, chunk):
        yield first, min(count, first + chunk)


def signal_slice(samples: np.ndarray, lo: int, hi: int, dtype=np.float32) -> np.ndarray:
    """samples[lo:hi] with zeros where the range runs past either end (as a zero-padded copy of the whole
    signal would give), converted to `dtype`."""
    out = np.zeros(max(0, hi - lo), dtype)
    a, b = max(lo, 0), min(hi, len(samples))
    if b > a:
        out[a - lo:b - lo] = samples[a:b]
    return out


def framed(samples: np.ndarray, starts: np.ndarray, window: int, dtype=np.float32) -> np.ndarray:
    """(len(starts), window) frames samples[s:s + window] (zeros outside the signal), for one chunk of starts."""
    lo, hi = int(starts[0]), int(starts[-1]) + window
    part = signal_slice(samples, lo, hi, dtype)
    return np.lib.stride_tricks.sliding_window_view(part, window)[starts - lo]
