"""Per-10-ms acoustic features shared by voice-activity and closure detection."""

from dataclasses import dataclass

import numpy as np

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
    hop = sample_rate * FRAME_SECONDS
    window = int(round(2.5 * hop))
    count = max(1, int(np.ceil(len(samples) / sample_rate / FRAME_SECONDS - 1e-9)))
    padded = np.concatenate([np.zeros(window // 2, np.float32), samples.astype(np.float32),
                             np.zeros(window + int(hop) + 1, np.float32)])
    starts = np.round(np.arange(count) * hop).astype(int)  # frame k is centred on time k·10 ms
    frames = padded[starts[:, None] + np.arange(window)[None, :]]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(window).astype(np.float32), axis=1)) ** 2
    frequencies = np.fft.rfftfreq(window, 1.0 / sample_rate)
    total = spectrum.sum(axis=1) + 1e-12
    high = spectrum[:, frequencies >= HIGH_BAND_HZ].sum(axis=1)
    mean_square = total / (window * np.sum(np.hanning(window) ** 2) / 2)
    decibels = 10.0 * np.log10(np.maximum(mean_square, 1e-12))
    return FrameFeatures(np.maximum(decibels, -100.0), high / total)
