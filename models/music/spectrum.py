"""Log-mel spectrogram and spectral-flux onset strength, plain numpy/scipy (librosa is not bundled in Blender)."""

from dataclasses import dataclass

import numpy as np

from ..filters import stft

from ..audio.frames import frame_chunks

SAMPLE_RATE = 22050
HOP = 256            # 11.6 ms: fine enough for beat positions, cheap enough for 10 minutes of audio
N_FFT = 1024       # 46 ms: a longer window smears onsets early and lets hi-hats outweigh kicks
N_MELS = 40
BASS_HZ = 180.0
SPECTRUM_CHUNK_FRAMES = 2048  # 24 s of frames: ~17 MB of complex spectrum at a time


@dataclass
class Spectrum:
    log_mel: np.ndarray      # (frames, N_MELS) dB
    mel_hz: np.ndarray       # centre frequency of each band
    frame_rate: float        # frames per second

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.log_mel.shape[0]) / self.frame_rate


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 30.0, fmax: float = None):
    fmax = fmax or sample_rate / 2
    to_mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
    to_hz = lambda m: 700.0 * (10 ** (m / 2595.0) - 1.0)
    edges = to_hz(np.linspace(to_mel(fmin), to_mel(fmax), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None] - lower) / (centre - lower)
    falling = (upper - bins[None]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12), edges[1:-1]


def log_mel_spectrum(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Spectrum:
    """Log-mel frames of scipy's STFT (even extension at both ends, zero-padded to whole frames), computed a
    chunk of frames at a time so an hour of music never holds its full spectrogram (same numbers)."""
    samples = np.asarray(samples)
    if len(samples) < N_FFT:
        samples = np.pad(samples, (0, N_FFT - len(samples)))
    half = N_FFT // 2
    extended = len(samples) + 2 * half
    padded_length = extended + (-(extended - N_FFT) % HOP) % N_FFT
    count = (padded_length - N_FFT) // HOP + 1
    weights, centres = mel_filterbank(sample_rate, N_FFT, N_MELS)
    log_mel = np.empty((count, N_MELS))
    for first, end in frame_chunks(count, SPECTRUM_CHUNK_FRAMES):
        part = _extended_slice(samples, first * HOP - half, (end - 1) * HOP + N_FFT - half)
        _, _, spec = stft(part, fs=sample_rate, nperseg=N_FFT, noverlap=N_FFT - HOP, boundary=None, padded=False)
        mel = weights @ (np.abs(spec) ** 2)
        log_mel[first:end] = 10.0 * np.log10(np.maximum(mel.T, 1e-10))
    # stft frame k is centred on sample k*HOP, so frame times are k*HOP/sr.
    return Spectrum(log_mel, centres, sample_rate / HOP)


def _extended_slice(samples: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Samples lo..hi (float64) of the signal extended as scipy's stft does (boundary="even": mirrored about the
    first and last sample, N_FFT // 2 each side; then zeros)."""
    n, half = len(samples), N_FFT // 2
    if 0 <= lo and hi <= n:                    # inside the signal (all but the first and last chunk)
        return samples[lo:hi].astype(np.float64)
    out = np.zeros(hi - lo)
    a, b = max(lo, -half), min(hi, 0)          # before the first sample: samples[-i]
    if b > a:
        out[a - lo:b - lo] = samples[-a:-b:-1]
    a, b = max(lo, 0), min(hi, n)              # the signal itself
    if b > a:
        out[a - lo:b - lo] = samples[a:b]
    a, b = max(lo, n), min(hi, n + half)       # after the last sample: samples[2·(n - 1) - i]
    if b > a:
        first, last = 2 * (n - 1) - a, 2 * (n - 1) - (b - 1)
        out[a - lo:b - lo] = samples[first:last - 1:-1] if last > 0 else samples[first::-1]
    return out


def onset_strength(spectrum: Spectrum, max_hz: float = None, min_hz: float = None) -> np.ndarray:
    """Half-wave rectified spectral flux of the log-mel spectrum (optionally only of the bands up to max_hz and
    above min_hz; the floor is taken from all bands), per frame.

    The local mean is removed so slow swells (a chord fading in) do not read as onsets. The flux is taken a chunk
    of frames at a time (each chunk with the frame before it), as one pass over the whole gives.
    """
    floor = spectrum.log_mel.max() - 80.0
    bands = slice(None)
    if max_hz is not None or min_hz is not None:
        bands = ((spectrum.mel_hz <= (np.inf if max_hz is None else max_hz))
                 & (spectrum.mel_hz > (-np.inf if min_hz is None else min_hz)))
    count = len(spectrum.log_mel)
    flux = np.empty(count)
    for first, end in frame_chunks(count, SPECTRUM_CHUNK_FRAMES * 8):
        part = np.maximum(spectrum.log_mel[max(first - 1, 0):end], floor)[:, bands]
        if first == 0:
            part = np.concatenate([part[:1], part])  # the first frame has no rise (prepend itself)
        flux[first:end] = np.maximum(0.0, np.diff(part, axis=0)).mean(axis=1)
    width = max(1, min(count, max(3, int(round(spectrum.frame_rate * 0.4)))))  # (audio under 0.4 s: all of it)
    local_mean = np.convolve(flux, np.ones(width) / width, mode="same")
    return np.maximum(0.0, flux - local_mean)
