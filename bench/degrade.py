"""Recordings as users' files may bring them, made from clean ones (benches only, seeded): under white noise,
clipped, band-limited to telephone quality, behind a silent intro, under people speaking."""

import numpy as np

from ..models.audio.load import resample


def noisy(samples: np.ndarray, snr_db: float, seed: int = 2) -> np.ndarray:
    """`samples` under white noise `snr_db` below their mean power, clipped at full scale."""
    x = np.asarray(samples, np.float32)
    noise = np.random.default_rng(seed).standard_normal(len(x)).astype(np.float32)
    return np.clip(x + noise * np.float32(np.sqrt(np.mean(x ** 2)) * 10 ** (-snr_db / 20)), -1, 1).astype(np.float32)


def clipped(samples: np.ndarray, gain: float) -> np.ndarray:
    """`samples` normalised, raised by `gain` and hard-clipped at full scale (a master pushed too loud)."""
    x = np.asarray(samples, np.float32)
    return np.clip(x / max(float(np.abs(x).max()), 1e-9) * gain, -1, 1).astype(np.float32)


def band_limited(samples: np.ndarray, rate: int, to_rate: int = 8000) -> np.ndarray:
    """`samples` at `to_rate` (a telephone's 8 kHz: nothing above 4 kHz)."""
    return resample(np.asarray(samples, np.float32), rate, to_rate)


def behind_silence(samples: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """`samples` after `seconds` of digital silence (times in them move `seconds` later)."""
    return np.concatenate([np.zeros(int(round(seconds * rate)), np.float32), np.asarray(samples, np.float32)])


def under_voice(samples: np.ndarray, rate: int, voice: np.ndarray, voice_rate: int, voice_db: float) -> np.ndarray:
    """`samples` with `voice` (looped to their length) mixed in `voice_db` above their mean power (0: as loud as the
    music, as a lead vocal is mixed), scaled down together where the sum would clip."""
    x = np.asarray(samples, np.float32)
    v = np.resize(resample(voice, voice_rate, rate), len(x))   # resample passes a signal at its rate through
    gain = np.sqrt(np.mean(x ** 2) / max(float(np.mean(v ** 2)), 1e-12)) * 10 ** (voice_db / 20)
    mixed = x + np.float32(gain) * v
    return (mixed / max(1.0, float(np.abs(mixed).max()))).astype(np.float32)
