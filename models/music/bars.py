"""Downbeats: which beats start a bar, from bass onsets and harmonic change.

A bar-position tracker (Viterbi over positions 1–4 of a 4/4 bar) rather than one phase for the whole song: a
beat the tracker inserted or dropped, or a tempo change, costs a short bar and the bars find the one again.
"""

import numpy as np

BEATS_PER_BAR = 4


RESTART_COST = 6.0   # in evidence standard deviations: bars break their 4-beat rhythm only on strong evidence


def downbeat_indices(beat_frames: np.ndarray, bass_onset: np.ndarray, log_mel: np.ndarray) -> np.ndarray:
    """Indices into the beats of every downbeat (bar start)."""
    count = len(beat_frames)
    if count < 2 * BEATS_PER_BAR:
        return np.arange(0, count, BEATS_PER_BAR)
    evidence = _evidence(beat_frames, bass_onset, log_mel)
    # score[i, p]: best total with beat i at bar position p; the one earns its evidence, other beats lose it.
    gain = np.stack([evidence] + [-evidence / (BEATS_PER_BAR - 1)] * (BEATS_PER_BAR - 1), axis=1)
    score = np.full((count, BEATS_PER_BAR), -np.inf)
    back = np.zeros((count, BEATS_PER_BAR), dtype=int)
    score[0] = gain[0]
    for i in range(1, count):
        for p in range(BEATS_PER_BAR):
            regular = score[i - 1, (p - 1) % BEATS_PER_BAR]
            candidates = [(regular, (p - 1) % BEATS_PER_BAR)]
            if p == 0:   # a bar cut short or stretched: restart on the one from any position
                best = int(np.argmax(score[i - 1]))
                candidates.append((score[i - 1, best] - RESTART_COST, best))
            value, origin = max(candidates)
            score[i, p], back[i, p] = value + gain[i, p], origin
    position = np.zeros(count, dtype=int)
    position[-1] = int(np.argmax(score[-1]))
    for i in range(count - 1, 0, -1):
        position[i - 1] = back[i, position[i]]
    return np.flatnonzero(position == 0)


def downbeat_phase(beat_frames: np.ndarray, bass_onset: np.ndarray, log_mel: np.ndarray) -> int:
    """Index (0..3) of the first downbeat, one phase for the whole song."""
    count = len(beat_frames)
    if count < 2 * BEATS_PER_BAR:
        return 0
    evidence = _evidence(beat_frames, bass_onset, log_mel)
    scores = [evidence[phase::BEATS_PER_BAR].mean() for phase in range(BEATS_PER_BAR)]
    return int(np.argmax(scores))


def _evidence(beat_frames, bass_onset, log_mel):
    """Kicks and chord changes both land on the one: each beat's bass onset plus how much the spectrum after
    it differs from the spectrum before it, standardised."""
    count = len(beat_frames)
    bass = _normalise(bass_onset[np.clip(beat_frames, 0, len(bass_onset) - 1)])
    change = np.zeros(count)
    for i in range(1, count - 1):
        before = log_mel[beat_frames[i - 1]:beat_frames[i]].mean(axis=0)
        after = log_mel[beat_frames[i]:beat_frames[i + 1]].mean(axis=0)
        change[i] = np.linalg.norm(after - before)
    return _normalise(bass + _normalise(change))


def _normalise(x):
    x = np.asarray(x, dtype=np.float64)
    spread = x.std()
    return (x - x.mean()) / spread if spread > 1e-12 else np.zeros_like(x)
