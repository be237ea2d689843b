"""Per-10-ms acoustic features shared by voice-activity and closure detection."""

from dataclasses import dataclass

import numpy as np

from ..audio.frames import frame_chunks, framed
from .segments import FRAME_SECONDS

HIGH_BAND_HZ = 3000.0


@dataclass
class FrameFeatures:
    decibels: np.ndarray    # frame energy, dBFS
    high_ratio: np.ndarray  # share of energy above 3 kHz (fricatives and noise are high)

    @property
    def count(self) -> int:
        return len(self.decibels)


def frame_features(samples: np.ndarray, sample_rate: int) -> FrameFeatures:
    """Loudness and high-band share per 10 ms frame (frame k centred on k·10 ms), a chunk of frames at a time."""
    hop = sample_rate * FRAME_SECONDS
    window = int(round(2.5 * hop))
    count = max(1, int(np.ceil(len(samples) / sample_rate / FRAME_SECONDS - 1e-9)))
    starts = np.round(np.arange(count) * hop).astype(int) - window // 2  # frame k is centred on time k·10 ms
    taper = np.hanning(window).astype(np.float32)
    high_band = np.fft.rfftfreq(window, 1.0 / sample_rate) >= HIGH_BAND_HZ
    scale = window * np.sum(np.hanning(window) ** 2) / 2
    decibels, high_ratio = np.empty(count), np.empty(count)
    for first, end in frame_chunks(count):
        frames = framed(samples, starts[first:end], window)
        spectrum = np.abs(np.fft.rfft(frames * taper, axis=1)) ** 2
        total = spectrum.sum(axis=1) + 1e-12
        high_ratio[first:end] = spectrum[:, high_band].sum(axis=1) / total
        decibels[first:end] = 10.0 * np.log10(np.maximum(total / scale, 1e-12))
    return FrameFeatures(np.maximum(decibels, -100.0), high_ratio)
