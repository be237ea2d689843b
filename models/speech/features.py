"""Per-10-ms acoustic features shared by voice-activity and closure detection."""

from dataclasses import dataclass

import numpy as np

from ..audio.frames import frame_chunks, framed
from .segments import FRAME_SECONDS

HIGH_BAND_HZ = 3000.0
# Spectral tilt (the alpha ratio of voice research): energy in the upper band over the lower one, dB. A ratio of two
# bands of one frame, so the recording's gain cancels out; a raised voice flattens it, a whisper lifts it
# (models/gesture/prosody.vocal_effort).
TILT_BANDS_HZ = ((60.0, 1000.0), (1000.0, 4000.0))


@dataclass
class FrameFeatures:
    decibels: np.ndarray    # frame energy, dBFS
    high_ratio: np.ndarray  # share of energy above 3 kHz (fricatives and noise are high)
    tilt: np.ndarray = None  # dB of energy in 1-4 kHz over 60 Hz-1 kHz (TILT_BANDS_HZ)

    @property
    def count(self) -> int:
        return len(self.decibels)


def frame_features(samples: np.ndarray, sample_rate: int) -> FrameFeatures:
    """Loudness, high-band share and spectral tilt per 10 ms frame (frame k centred on k·10 ms), a chunk of frames
    at a time."""
    hop = sample_rate * FRAME_SECONDS
    window = int(round(2.5 * hop))
    count = max(1, int(np.ceil(len(samples) / sample_rate / FRAME_SECONDS - 1e-9)))
    starts = np.round(np.arange(count) * hop).astype(int) - window // 2  # frame k is centred on time k·10 ms
    taper = np.hanning(window).astype(np.float32)
    frequencies = np.fft.rfftfreq(window, 1.0 / sample_rate)
    high_band = frequencies >= HIGH_BAND_HZ
    tilt_low, tilt_high = [(frequencies >= a) & (frequencies < b) for a, b in TILT_BANDS_HZ]
    scale = window * np.sum(np.hanning(window) ** 2) / 2
    decibels, high_ratio, tilt = np.empty(count), np.empty(count), np.empty(count)
    for first, end in frame_chunks(count):
        frames = framed(samples, starts[first:end], window)
        spectrum = np.abs(np.fft.rfft(frames * taper, axis=1)) ** 2
        total = spectrum.sum(axis=1) + 1e-12
        high_ratio[first:end] = spectrum[:, high_band].sum(axis=1) / total
        decibels[first:end] = 10.0 * np.log10(np.maximum(total / scale, 1e-12))
        tilt[first:end] = 10.0 * np.log10((spectrum[:, tilt_high].sum(axis=1) + 1e-12)
                                          / (spectrum[:, tilt_low].sum(axis=1) + 1e-12))
    return FrameFeatures(np.maximum(decibels, -100.0), high_ratio, tilt)
