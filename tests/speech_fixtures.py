"""Speech with exact phoneme timings for tests: espeak-ng utterances written as wav files (see
bench/espeak_truth.py), plus synthetic non-speech (silence, noise, music)."""

import numpy as np
import soundfile

from soundmotion.bench import espeak_truth


def speech_wav(tmp_path, text, voice="en-us", rate=175, name="speech", transcript_file=False):
    utterance = espeak_truth.synthesize(text, voice, rate)
    path = tmp_path / f"{name}.wav"
    utterance.write_wav(path)
    if transcript_file:
        (tmp_path / f"{name}.txt").write_text(text + "\n")
    return path, utterance


def write_wav(tmp_path, name, samples, rate=22050):
    path = tmp_path / f"{name}.wav"
    soundfile.write(str(path), np.asarray(samples, np.float32), rate, subtype="PCM_16")
    return path


def silence(seconds=3.0, rate=22050):
    return np.zeros(int(seconds * rate), np.float32)


def white_noise(seconds=4.0, rate=22050, level=0.2, seed=0):
    return (np.random.default_rng(seed).normal(0.0, level, int(seconds * rate))).astype(np.float32)


def chord_music(seconds=8.0, rate=22050):
    """Sustained piano-like chords changing every second: continuous, harmonic, not speech."""
    t = np.arange(int(seconds * rate)) / rate
    roots = [220.0, 246.9, 196.0, 261.6]
    out = np.zeros_like(t)
    for k in range(int(seconds)):
        inside = (t >= k) & (t < k + 1)
        for ratio in (1.0, 1.26, 1.5, 2.0):
            out[inside] += np.sin(2 * np.pi * roots[k % 4] * ratio * t[inside]) * np.exp(-0.5 * (t[inside] - k))
    return (0.2 * out / np.max(np.abs(out))).astype(np.float32)


def plucked_music(seconds=8.0, rate=22050, seed=1):
    """Plucked notes every 0.25 s over a sustained pad: rhythmic and harmonic, like a song without voice."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    out = 0.3 * np.sin(2 * np.pi * 110.0 * t) + 0.2 * np.sin(2 * np.pi * 165.0 * t)
    for k in range(int(seconds / 0.25)):
        start = k * 0.25
        inside = t >= start
        pitch = 220.0 * 2 ** (rng.integers(0, 12) / 12)
        out[inside] += np.sin(2 * np.pi * pitch * (t[inside] - start)) * np.exp(-6.0 * (t[inside] - start))
    return (0.3 * out / np.max(np.abs(out))).astype(np.float32)


def drum_loop(seconds=8.0, rate=22050, seed=2):
    """Noise-burst kicks and snares on eighth notes with silence between: loud, rhythmic, unvoiced."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    out = np.zeros_like(t)
    for k in range(int(seconds / 0.25)):
        start = k * 0.25
        inside = (t >= start) & (t < start + 0.2)
        burst = rng.normal(0.0, 1.0, inside.sum()) * np.exp(-25.0 * (t[inside] - start))
        kick = np.sin(2 * np.pi * 60.0 * (t[inside] - start)) * np.exp(-15.0 * (t[inside] - start))
        out[inside] += burst if k % 2 else kick
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)
