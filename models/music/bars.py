"""Downbeats: which of every four beats starts a bar, from bass onsets and harmonic change."""

import numpy as np

BEATS_PER_BAR = 4


def downbeat_phase(beat_frames: np.ndarray, bass_onset: np.ndarray, log_mel: np.ndarray) -> int:
    """Index (0..3) of the first downbeat among the beats.

    Kicks and chord changes both land on the one; each beat's evidence is its bass onset plus how much the
    spectrum after it differs from the spectrum before it.
    """
    count = len(beat_frames)
    if count < 2 * BEATS_PER_BAR:
        return 0
    bass = _normalise(bass_onset[np.clip(beat_frames, 0, len(bass_onset) - 1)])
    change = np.zeros(count)
    for i in range(1, count - 1):
        before = log_mel[beat_frames[i - 1]:beat_frames[i]].mean(axis=0)
        after = log_mel[beat_frames[i]:beat_frames[i + 1]].mean(axis=0)
        change[i] = np.linalg.norm(after - before)
    evidence = bass + _normalise(change)
    scores = [evidence[phase::BEATS_PER_BAR].mean() for phase in range(BEATS_PER_BAR)]
    return int(np.argmax(scores))


def _normalise(x):
    x = np.asarray(x, dtype=np.float64)
    spread = x.std()
    return (x - x.mean()) / spread if spread > 1e-12 else np.zeros_like(x)
