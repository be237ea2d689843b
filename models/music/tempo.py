"""Tempo from the onset envelope's autocorrelation, globally and per window (a tempo curve that may drift)."""

import numpy as np

from ..filters import median_filter

MIN_BPM, MAX_BPM = 60.0, 200.0
PRIOR_BPM = 120.0          # dance music clusters here; a log-normal prior settles octave ambiguity
PRIOR_OCTAVES = 1.0


def autocorrelation(envelope: np.ndarray, max_lag: int) -> np.ndarray:
    x = envelope - envelope.mean()
    size = 1 << int(np.ceil(np.log2(2 * len(x) + 1)))
    spectrum = np.fft.rfft(x, size)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), size)[:max_lag + 1]
    return ac / max(ac[0], 1e-12)


def _lag_range(frame_rate):
    return int(np.floor(60.0 * frame_rate / MAX_BPM)), int(np.ceil(60.0 * frame_rate / MIN_BPM))


def _prior(lags, frame_rate, centre_bpm, octaves):
    bpm = 60.0 * frame_rate / np.maximum(lags, 1)
    return np.exp(-0.5 * (np.log2(bpm / centre_bpm) / octaves) ** 2)


def _peak_lag(ac, lags, weights):
    score = np.maximum(ac[lags], 0.0) * weights
    best = int(np.argmax(score))
    lag = float(lags[best])
    if 0 < best < len(lags) - 1:   # parabolic refinement to a fraction of a frame
        a, b, c = ac[lags[best - 1]], ac[lags[best]], ac[lags[best + 1]]
        denom = a - 2 * b + c
        if abs(denom) > 1e-12:
            lag += float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))
    return lag, float(ac[lags[best]])


def global_tempo(envelope: np.ndarray, frame_rate: float):
    """(bpm, periodicity): periodicity is the normalised autocorrelation at the chosen lag (0..1)."""
    lo, hi = _lag_range(frame_rate)
    hi = min(hi, len(envelope) - 1)
    if hi <= lo + 2:
        return PRIOR_BPM, 0.0
    ac = autocorrelation(envelope, hi)
    lags = np.arange(lo, hi + 1)
    lag, _ = _peak_lag(ac, lags, _prior(lags, frame_rate, PRIOR_BPM, PRIOR_OCTAVES))
    periodicity = float(ac[int(round(lag))])
    return 60.0 * frame_rate / lag, max(0.0, periodicity)


def tempo_curve(envelope: np.ndarray, frame_rate: float, bpm: float, window_seconds: float = 8.0,
                hop_seconds: float = 1.0) -> np.ndarray:
    """Beat period in frames at every frame, allowed to drift or change within ±40 % of the global tempo."""
    frames = len(envelope)
    period = 60.0 * frame_rate / bpm
    window = int(window_seconds * frame_rate)
    if frames < window * 1.5:
        return np.full(frames, period)
    hop = int(hop_seconds * frame_rate)
    lo, hi = _lag_range(frame_rate)
    lags = np.arange(lo, hi + 1)
    # Within half an octave of the song's tempo (no octave jumps), then the same prior as the global tempo.
    near = _prior(lags, frame_rate, PRIOR_BPM, PRIOR_OCTAVES) * (np.abs(np.log2(lags / period)) < 0.5)
    centres, periods = [], []
    for start in range(0, frames - window + 1, hop):
        ac = autocorrelation(envelope[start:start + window], hi)
        lag, strength = _peak_lag(ac, lags, near)
        centres.append(start + window / 2)
        periods.append(lag if strength > 0.05 else period)
    periods = median_filter(np.array(periods), size=5, mode="nearest")
    return np.interp(np.arange(frames), centres, periods)
