"""Voice pitch (f0) per frame with a small vectorised YIN, in numpy only (librosa is not bundled)."""

from dataclasses import dataclass

import numpy as np

from .frames import frame_chunks, framed
from .load import Audio, resample

ANALYSIS_RATE = 8000
WINDOW_SECONDS = 0.04
YIN_THRESHOLD = 0.2
PITCH_CHUNK_FRAMES = 1024  # YIN holds ~40 kB of spectra and lags per frame


@dataclass
class PitchTrack:
    times: np.ndarray       # seconds, one per frame
    f0: np.ndarray          # Hz, 0 where unvoiced
    periodicity: np.ndarray  # 0..1, 1 = perfectly periodic

    @property
    def voiced(self) -> np.ndarray:
        return self.f0 > 0

    def semitones(self) -> np.ndarray:
        """f0 in semitones relative to the median voiced pitch; 0 where unvoiced."""
        out = np.zeros_like(self.f0)
        if self.voiced.any():
            reference = np.median(self.f0[self.voiced])
            out[self.voiced] = 12.0 * np.log2(self.f0[self.voiced] / reference)
        return out


def estimate_pitch(audio: Audio, fps: float = 100.0, fmin: float = 70.0, fmax: float = 400.0) -> PitchTrack:
    """YIN f0 per frame (frame k at k/fps seconds), a chunk of frames at a time (frames.py)."""
    samples = resample(audio.samples, audio.sample_rate, ANALYSIS_RATE)
    window = int(WINDOW_SECONDS * ANALYSIS_RATE)
    count = max(1, int(np.ceil(len(samples) / ANALYSIS_RATE * fps - 1e-9)))
    times = np.arange(count) / fps
    starts = np.round(times * ANALYSIS_RATE).astype(int) - window // 2
    f0, periodicity = np.empty(count), np.empty(count)
    for first, end in frame_chunks(count, PITCH_CHUNK_FRAMES):
        f0[first:end], periodicity[first:end] = _yin(framed(samples, starts[first:end], window, np.float64),
                                                     window, fmin, fmax)
    return PitchTrack(times, f0, periodicity)


def _yin(frames: np.ndarray, window: int, fmin: float, fmax: float) -> tuple:
    """(f0 in Hz, 0 where unvoiced; periodicity 0..1) of each row of `frames` (float64, modified)."""
    frames -= frames.mean(axis=1, keepdims=True)

    max_lag = min(int(ANALYSIS_RATE / fmin), window - 1)
    min_lag = max(2, int(ANALYSIS_RATE / fmax))
    size = 1 << int(np.ceil(np.log2(2 * window)))
    spectrum = np.fft.rfft(frames, size, axis=1)
    autocorr = np.fft.irfft(spectrum * np.conj(spectrum), size, axis=1)[:, :max_lag + 1]
    energy = np.cumsum(frames ** 2, axis=1)
    total = energy[:, -1:]
    # YIN difference d(τ) = Σ x_j² + Σ x_{j+τ}² − 2 r(τ) over the overlapping part of the window.
    lags = np.arange(max_lag + 1)
    head = energy[:, window - 1 - lags]
    tail = total - np.concatenate([np.zeros((len(frames), 1)), energy[:, :max_lag]], axis=1)
    difference = np.maximum(head + tail - 2.0 * autocorr, 0.0)
    cumulative = np.cumsum(difference[:, 1:], axis=1) / lags[1:]
    cmnd = np.ones_like(difference)
    cmnd[:, 1:] = difference[:, 1:] / np.maximum(cumulative, 1e-12)

    search = cmnd[:, min_lag:max_lag]
    below = search < YIN_THRESHOLD
    # The first dip under the threshold, walked down to its local minimum (YIN step 4).
    first = np.where(below.any(axis=1), below.argmax(axis=1), search.argmin(axis=1))
    rising = np.concatenate([search[:, :-1] <= search[:, 1:], np.ones((len(search), 1), bool)], axis=1)
    rising &= np.arange(search.shape[1])[None, :] >= first[:, None]
    best = rising.argmax(axis=1)
    value = search[np.arange(len(best)), best]
    lag = best + min_lag
    # Parabolic interpolation around the minimum for sub-sample lag.
    left = cmnd[np.arange(len(lag)), np.maximum(lag - 1, 1)]
    right = cmnd[np.arange(len(lag)), np.minimum(lag + 1, max_lag)]
    denominator = left - 2 * value + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(denominator) > 1e-12, 0.5 * (left - right) / denominator, 0.0)
    period = lag + np.clip(shift, -1, 1)
    loud = frames.std(axis=1) > 1e-3
    voiced = (value < YIN_THRESHOLD) & loud
    f0 = np.where(voiced, ANALYSIS_RATE / period, 0.0)
    return f0, np.clip(1.0 - value, 0.0, 1.0)
