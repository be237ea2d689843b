"""Mel filter banks for the learned feature front ends (the phone net's and the beat net's log-mel frames)."""

import numpy as np


def htk_mel_edges(bands: int, low_hz: float, high_hz: float) -> np.ndarray:
    """(bands + 2,) Hz: band k rises from edge k, peaks at edge k+1 and falls to edge k+2 (HTK mel scale)."""
    to_mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)
    to_hz = lambda mel: 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    return to_hz(np.linspace(to_mel(low_hz), to_mel(high_hz), bands + 2))


def htk_mel_triangles(n_fft: int, sample_rate: float, bands: int, low_hz: float, high_hz: float) -> np.ndarray:
    """(n_fft//2+1, bands) float32 triangular filters on htk_mel_edges, each peaking at 1 (a band narrower than
    one FFT bin may be all zero)."""
    edges = htk_mel_edges(bands, low_hz, high_hz)
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    filters = np.zeros((len(bins), bands), np.float32)
    for band in range(bands):
        low, centre, high = edges[band:band + 3]
        rising = (bins - low) / (centre - low)
        falling = (high - bins) / (high - centre)
        filters[:, band] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters
