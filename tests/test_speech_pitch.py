import numpy as np

from soundmotion.bench import espeak_truth
from soundmotion.models.audio.load import Audio
from soundmotion.models.audio.pitch import estimate_pitch


def tone(frequency, seconds=1.0, rate=22050):
    t = np.arange(int(seconds * rate)) / rate
    return Audio((0.5 * np.sin(2 * np.pi * frequency * t) + 0.2 * np.sin(4 * np.pi * frequency * t)).astype(np.float32), rate)


def test_pure_tones_are_measured_to_a_fraction_of_a_semitone():
    for frequency in (80.0, 140.0, 220.0, 330.0):
        track = estimate_pitch(tone(frequency), fps=100)
        inner = track.f0[10:-10]
        assert np.all(inner > 0)
        assert abs(12 * np.log2(np.median(inner) / frequency)) < 0.1


def test_noise_and_silence_are_unvoiced():
    noise = Audio(np.random.default_rng(0).normal(0, 0.1, 22050).astype(np.float32), 22050)
    assert estimate_pitch(noise).voiced.mean() < 0.05
    assert not estimate_pitch(Audio(np.zeros(22050, np.float32), 22050)).voiced.any()


def test_a_rising_glide_rises_and_the_frame_count_follows_fps():
    rate = 22050
    t = np.arange(rate) / rate
    phase = 2 * np.pi * np.cumsum(np.linspace(120, 240, rate)) / rate
    track = estimate_pitch(Audio((0.5 * np.sin(phase)).astype(np.float32), rate), fps=50)
    assert len(track.f0) == 50
    assert track.f0[5] < 150 and track.f0[-5] > 210
    assert np.all(np.diff(track.f0[5:-5]) > -2)


def test_a_female_voice_is_higher_than_a_male_voice():
    male = espeak_truth.synthesize("Bob bought a big map of Boston.", "en-us+m3", 175)
    female = espeak_truth.synthesize("Bob bought a big map of Boston.", "en+f3", 175)
    f0 = [np.median(t.f0[t.voiced]) for t in (estimate_pitch(Audio(u.samples, u.sample_rate)) for u in (male, female))]
    assert f0[1] > 1.4 * f0[0]
    assert 60 < f0[0] < 200
