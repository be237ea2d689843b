"""Vowel quality from formants, for speech without a transcript.

The phone recogniser confuses vowels badly on some voices, but the mouth shape of a vowel is written in
its first two formants: F1 rises as the jaw opens, F2 falls as the lips round. Formants come from LPC
(autocorrelation + Levinson–Durbin, root angles); they are normalised per recording (Lobanov z-scores)
so men, women and children land on the same vowel chart, then matched to the nearest reference vowel.
"""

import numpy as np

from ..audio.load import resample

LPC_RATE = 10000
LPC_ORDER = 12
WINDOW_SECONDS = 0.025

# Peterson & Barney (1952) adult male means (F1, F2 in Hz) for the vowels that decide a mouth shape,
# with the ARPAbet phone each stands for.
REFERENCE_VOWELS = {
    "IY": (270, 2290), "IH": (390, 1990), "EH": (530, 1840), "AE": (660, 1720), "AA": (730, 1090),
    "AO": (570, 840), "UH": (440, 1020), "UW": (300, 870), "AH": (640, 1190), "ER": (490, 1350),
}


def _reference_z():
    values = np.array(list(REFERENCE_VOWELS.values()), dtype=float)
    return list(REFERENCE_VOWELS), (values - values.mean(axis=0)) / values.std(axis=0)


def formant_tracks(samples: np.ndarray, sample_rate: int, frames: np.ndarray, frame_seconds: float) -> np.ndarray:
    """(len(frames), 2) F1, F2 in Hz at the given frame indices (NaN where no plausible pair is found)."""
    signal = resample(samples, sample_rate, LPC_RATE).astype(np.float64)
    signal = np.append(signal[0], signal[1:] - 0.7 * signal[:-1])  # pre-emphasis
    window = int(WINDOW_SECONDS * LPC_RATE)
    padded = np.concatenate([np.zeros(window), signal, np.zeros(window)])
    starts = np.round(frames * frame_seconds * LPC_RATE).astype(int) + window - window // 2
    chunk = padded[starts[:, None] + np.arange(window)[None, :]] * np.hamming(window)
    autocorr = np.stack([np.sum(chunk[:, :window - lag] * chunk[:, lag:], axis=1) for lag in range(LPC_ORDER + 1)],
                        axis=1)
    coefficients = _levinson(autocorr)
    # Roots of all LPC polynomials at once, as eigenvalues of their companion matrices.
    companion = np.zeros((len(frames), LPC_ORDER, LPC_ORDER))
    companion[:, 0, :] = -coefficients[:, 1:]
    companion[:, np.arange(1, LPC_ORDER), np.arange(LPC_ORDER - 1)] = 1.0
    roots = np.linalg.eigvals(companion)
    freqs = np.angle(roots) * LPC_RATE / (2 * np.pi)
    usable = (np.imag(roots) > 0) & (np.abs(roots) > 0.8) & (freqs > 200) & (freqs < 3500)
    freqs = np.sort(np.where(usable, freqs, np.inf), axis=1)[:, :2]
    return np.where(np.isfinite(freqs), freqs, np.nan)


def _levinson(autocorr: np.ndarray) -> np.ndarray:
    """LPC polynomials (frames, order+1), leading 1, from autocorrelations, vectorised over frames."""
    count, order = autocorr.shape[0], autocorr.shape[1] - 1
    a = np.zeros((count, order + 1))
    a[:, 0] = 1.0
    error = autocorr[:, 0].copy() + 1e-9
    for i in range(1, order + 1):
        reflection = -(autocorr[:, i] + np.sum(a[:, 1:i] * autocorr[:, i - 1:0:-1], axis=1)) / error
        a[:, 1:i] = a[:, 1:i] + reflection[:, None] * a[:, i - 1:0:-1]
        a[:, i] = reflection
        error *= 1.0 - reflection ** 2
        error = np.maximum(error, 1e-12)
    return a


def vowel_labels(formants: np.ndarray) -> list:
    """Nearest reference vowel (ARPAbet) per row of F1/F2, after per-recording z-scoring; "" if unknown."""
    valid = np.all(np.isfinite(formants), axis=1)
    labels = [""] * len(formants)
    if valid.sum() < 10:
        return labels
    mean, std = formants[valid].mean(axis=0), formants[valid].std(axis=0) + 1e-6
    names, reference = _reference_z()
    z = (formants[valid] - mean) / std
    nearest = np.argmin(((z[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2), axis=1)
    for row, index in zip(np.flatnonzero(valid), nearest):
        labels[row] = names[index]
    return labels


VOWEL_PHONES = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
LOUD_WITHIN_DB = 10.0


def relabel_vowels(phones: list, samples: np.ndarray, sample_rate: int, decibels: np.ndarray,
                   voiced: np.ndarray, frame_seconds: float, loud_voiced_segments: bool = False) -> list:
    """Give recognised vowels the vowel their formants say (and, with `loud_voiced_segments`, any loud
    voiced segment, which the recogniser may have called a consonant)."""
    from scipy.ndimage import maximum_filter1d

    from .segments import PhoneSegment

    count = min(len(decibels), len(voiced))
    peaks = maximum_filter1d(decibels[:count], size=31)
    candidates = []
    for k, phone in enumerate(phones):
        lo, hi = int(phone.start / frame_seconds), min(count, int(np.ceil(phone.end / frame_seconds)))
        frames = np.arange(lo, hi)
        if len(frames) == 0 or phone.phone in ("SIL", "P", "B", "M"):
            continue
        good = frames[voiced[frames] & (decibels[frames] > peaks[frames] - LOUD_WITHIN_DB)]
        is_vowel = phone.phone in VOWEL_PHONES
        if len(good) and (is_vowel or (loud_voiced_segments and len(good) >= 0.6 * len(frames))):
            candidates.append((k, good))
    if not candidates:
        return phones
    all_frames = np.concatenate([good for _, good in candidates])
    labels = vowel_labels(formant_tracks(samples, sample_rate, all_frames, frame_seconds))
    out, cursor = list(phones), 0
    for k, good in candidates:
        votes = [label for label in labels[cursor:cursor + len(good)] if label]
        cursor += len(good)
        if votes:
            winner = max(set(votes), key=votes.count)
            out[k] = PhoneSegment(winner, phones[k].start, phones[k].end, phones[k].word)
    return out
