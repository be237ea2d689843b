"""The phone nets' training augmentation (scripts/train_phone_net.py): its noise options."""
import importlib.util
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _augment():
    spec = importlib.util.spec_from_file_location("train_phone_net", ROOT / "scripts" / "train_phone_net.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.augment


def _noise_share_db(samples) -> float:
    """dB of what lies outside the strongest spectral peak (a tone's ±8 bins) against the peak: the added noise."""
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    peak = int(np.argmax(spectrum))
    tone = spectrum[max(0, peak - 8):peak + 9].sum()
    return 10 * np.log10((spectrum.sum() - tone) / tone)


def test_loud_noise_option_puts_noise_that_far_under_the_voice():
    """Two copies with the same draws but the noise 0 or 30 dB under the voice: the noise share differs by about
    20 dB (less where the same music, a room tail or band limits add their own)."""
    augment = _augment()
    rate = 16000
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate)).astype(np.float32)
    gaps = []
    for seed in range(8):
        loud, _, _ = augment(tone, rate, np.random.default_rng(seed), noise_db=(0.0, 0.0), noise_chance=1.0)
        soft, _, _ = augment(tone, rate, np.random.default_rng(seed), noise_db=(30.0, 30.0), noise_chance=1.0)
        gaps.append(_noise_share_db(loud) - _noise_share_db(soft))
    assert min(gaps) > 5.0 and np.median(gaps) > 12.0, gaps  # 0 if the option were ignored


def test_default_noise_draws_are_unchanged_by_the_swell_option():
    augment = _augment()
    tone = np.sin(np.arange(8000) / 7.0).astype(np.float32)
    plain = augment(tone, 16000, np.random.default_rng(3))
    same = augment(tone, 16000, np.random.default_rng(3), noise_db=(10.0, 40.0), noise_chance=0.8,
                   noise_swell_db=0.0)
    swelling = augment(tone, 16000, np.random.default_rng(3), noise_chance=1.0, noise_db=(0.0, 0.0),
                       noise_swell_db=6.0)
    assert np.array_equal(plain[0], same[0])
    assert not np.array_equal(plain[0], swelling[0])
