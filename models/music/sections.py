"""Song sections from bar-synchronous features: novelty on a self-similarity matrix, repeats labelled alike."""

import numpy as np

from ..filters import find_peaks

MIN_SECTION_BARS = 4
SAME_LABEL_DISTANCE = 0.35      # cosine distance under which two sections count as the same part


def bar_features(log_mel: np.ndarray, bar_frames: np.ndarray) -> np.ndarray:
    """Mean log-mel spectrum per bar, centred per band and unit-normalised (timbre and harmony, not loudness)."""
    bars = []
    for start, end in zip(bar_frames[:-1], bar_frames[1:]):
        bars.append(log_mel[start:max(end, start + 1)].mean(axis=0))
    features = np.array(bars)
    features = features - features.mean(axis=0, keepdims=True)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-9)


def segment(features: np.ndarray, loudness: np.ndarray = None):
    """Section boundaries (bar indices, first 0, last = bar count) and a label per section (0, 1, …)."""
    count = len(features)
    if count < 2 * MIN_SECTION_BARS:
        return [0, count], [0]
    described = features
    if loudness is not None:   # a quiet break is a section even when its chords repeat the verse
        level = (loudness - loudness.mean()) / max(loudness.std(), 1e-9)
        described = np.concatenate([features, 0.5 * level[:, None]], axis=1)
        described /= np.maximum(np.linalg.norm(described, axis=1, keepdims=True), 1e-9)
    similarity = described @ described.T
    novelty = _checkerboard_novelty(similarity, half=MIN_SECTION_BARS // 2 * 2)
    threshold = max(0.15, np.percentile(novelty, 75))
    peaks, _ = find_peaks(novelty, height=threshold, distance=MIN_SECTION_BARS)
    peaks = [int(p) for p in peaks if MIN_SECTION_BARS <= p <= count - MIN_SECTION_BARS]
    bounds = [0] + peaks + [count]
    means = [described[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]
    means = [m / max(np.linalg.norm(m), 1e-9) for m in means]
    labels, prototypes = [], []
    for mean in means:
        distances = [1.0 - float(mean @ p) for p in prototypes]
        if distances and min(distances) < SAME_LABEL_DISTANCE:
            labels.append(int(np.argmin(distances)))
        else:
            labels.append(len(prototypes))
            prototypes.append(mean)
    return bounds, labels


def _checkerboard_novelty(similarity, half):
    count = len(similarity)
    sign = np.concatenate([-np.ones(half), np.ones(half)])
    kernel = np.outer(sign, sign)
    taper = np.hanning(2 * half + 2)[1:-1]
    kernel *= np.outer(taper, taper)
    padded = np.pad(similarity, half, mode="edge")
    novelty = np.zeros(count)
    for i in range(count):
        window = padded[i:i + 2 * half, i:i + 2 * half]
        novelty[i] = np.sum(window * kernel)
    novelty = np.maximum(novelty, 0.0)
    return novelty / max(novelty.max(), 1e-9)
