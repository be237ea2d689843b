"""Beat tracking by dynamic programming (Ellis 2007) against a tempo curve, so drifting tempo is followed."""

import numpy as np

TIGHTNESS = 100.0   # how strongly inter-beat intervals are held to the local period (Ellis' alpha)


def track_beats(envelope: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Frame indices of beats: maximise onset strength at beats minus a log-interval deviation penalty."""
    frames = len(envelope)
    if frames == 0:
        return np.zeros(0, dtype=int)
    strength = envelope / max(envelope.std(), 1e-9)
    score = strength.copy()
    backlink = np.full(frames, -1)
    max_period = float(np.max(periods))
    for t in range(1, frames):
        period = periods[t]
        first = max(0, int(t - 2.0 * period))
        last = int(t - 0.5 * period)
        if last <= first:
            continue
        candidates = np.arange(first, last)
        penalty = -TIGHTNESS * np.log((t - candidates) / period) ** 2
        total = score[candidates] + penalty
        best = int(np.argmax(total))
        if total[best] > 0:
            score[t] = strength[t] + total[best]
            backlink[t] = candidates[best]
    # The last beat: best score among the final period's local maxima.
    tail = max(0, frames - int(max_period * 1.2))
    local_max = _local_maxima(score)
    median = np.median(score[local_max]) if np.any(local_max) else 0.0
    candidates = [t for t in range(tail, frames) if local_max[t] and score[t] >= 0.5 * median]
    end = candidates[-1] if candidates else int(np.argmax(score[tail:]) + tail)
    beats = [end]
    while backlink[beats[-1]] >= 0:
        beats.append(int(backlink[beats[-1]]))
    beats = np.array(beats[::-1])
    return _trim_weak_edges(beats, strength)


def _local_maxima(x):
    peaks = np.zeros(len(x), dtype=bool)
    if len(x) > 2:
        peaks[1:-1] = (x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])
    return peaks


def _trim_weak_edges(beats, strength):
    if len(beats) < 3:
        return beats
    smoothed = np.convolve(strength, np.ones(5) / 5, mode="same")
    threshold = 0.25 * np.sqrt(np.mean(smoothed[beats] ** 2))
    keep = np.flatnonzero(smoothed[beats] > threshold)
    if len(keep) == 0:
        return beats
    return beats[keep[0]:keep[-1] + 1]
