"""scripts/train_beat_net.py's degradations of training windows (noise, clipping, a narrow band): what each does to a
known signal, and that the same seed gives the same window."""

import importlib.util
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def training():
    spec = importlib.util.spec_from_file_location("train_beat_net", ROOT / "scripts" / "train_beat_net.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class OneKind:
    """A seeded generator that always picks the given degradation (and one of them)."""

    def __init__(self, kind, seed=0):
        self.kind, self.rng = kind, np.random.default_rng(seed)

    def choice(self, options, size=None, replace=True):
        return np.array([self.kind])

    def integers(self, low, high=None):
        return 1

    def __getattr__(self, name):
        return getattr(self.rng, name)


def band_energy(x, rate, low, high):
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    return spectrum[(freqs >= low) & (freqs < high)].sum()


def test_each_degradation_does_what_it_says(training):
    rate = training.RENDER_RATE
    t = np.arange(rate * 2) / rate
    clean = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t)
             + 0.2 * np.sin(2 * np.pi * 7000 * t)).astype(np.float32)
    noisy = training.degraded(OneKind("noise"), clean)
    snr = 10 * np.log10(np.mean(clean ** 2) / np.mean((noisy - clean) ** 2))
    assert 5.0 <= snr <= 25.0
    clipped = training.degraded(OneKind("clip"), clean)
    assert np.abs(clipped).max() <= np.abs(clean).max() + 1e-6     # raised, clipped, put back at the peak
    assert np.mean(np.abs(clipped) > 0.9 * np.abs(clean).max()) > 0.05   # flattened tops
    narrow = training.degraded(OneKind("band"), clean)
    assert band_energy(narrow, rate, 6000, 8000) < 1e-3 * band_energy(clean, rate, 6000, 8000)   # 7 kHz gone
    assert band_energy(narrow, rate, 900, 1100) > 0.5 * band_energy(clean, rate, 900, 1100)    # 1 kHz stays
    for out in (noisy, clipped, narrow):
        assert out.dtype == np.float32 and out.shape == clean.shape


def test_degradations_are_seeded(training):
    x = np.random.default_rng(1).standard_normal(22050).astype(np.float32) * 0.1
    a = training.degraded(np.random.default_rng(5), x)
    b = training.degraded(np.random.default_rng(5), x)
    c = training.degraded(np.random.default_rng(6), x)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
