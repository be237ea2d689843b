"""Log-mel spectrogram and spectral-flux onset strength, plain numpy (librosa and scipy are not in the add-on)."""

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 22050
HOP = 256            # 11.6 ms: fine enough for beat positions, cheap enough for 10 minutes of audio
N_FFT = 1024       # 46 ms: a longer window smears onsets early and lets hi-hats outweigh kicks
N_MELS = 40
BASS_HZ = 180.0


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
    """The frames of scipy.signal.stft (periodic Hann, even extension at both ends, zero-padded to whole hops),
    computed with numpy.fft in blocks (a 20-minute file never holds its whole STFT)."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) < N_FFT:
        samples = np.pad(samples, (0, N_FFT - len(samples)))
    half = N_FFT // 2
    signal = np.concatenate([samples[half:0:-1], samples, samples[-2:-half - 2:-1]])
    signal = np.pad(signal, (0, (-(len(signal) - N_FFT) % HOP) % N_FFT))
    count = (len(signal) - N_FFT) // HOP + 1
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    weights, centres = mel_filterbank(sample_rate, N_FFT, N_MELS)
    weights = (weights.T / np.float32(window.sum()) ** 2).astype(np.float32)
    mel = np.empty((count, N_MELS), np.float32)
    for start in range(0, count, 4096):
        stop = min(count, start + 4096)
        frames = signal[(np.arange(start, stop) * HOP)[:, None] + np.arange(N_FFT)[None, :]] * window
        spectrum = np.fft.rfft(frames, axis=1)
        mel[start:stop] = (spectrum.real ** 2 + spectrum.imag ** 2) @ weights
    # frame k is centred on sample k*HOP, so frame times are k*HOP/sr.
    return Spectrum(10.0 * np.log10(np.maximum(mel.astype(np.float64), 1e-10)), centres, sample_rate / HOP)


def onset_strength(spectrum: Spectrum, max_hz: float = None) -> np.ndarray:
    """Half-wave rectified spectral flux of the log-mel spectrum (optionally only below max_hz), per frame.

    The local mean is removed so slow swells (a chord fading in) do not read as onsets.
    """
    log_mel = np.maximum(spectrum.log_mel, spectrum.log_mel.max() - 80.0)
    if max_hz is not None:
        log_mel = log_mel[:, spectrum.mel_hz <= max_hz]
    flux = np.maximum(0.0, np.diff(log_mel, axis=0, prepend=log_mel[:1])).mean(axis=1)
    width = max(3, int(round(spectrum.frame_rate * 0.4)))
    local_mean = np.convolve(flux, np.ones(width) / width, mode="same")
    return np.maximum(0.0, flux - local_mean)
