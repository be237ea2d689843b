"""The "no steady beat" decision (models/music/analysis.steady_beat) and the evidence it weighs."""

import numpy as np
import pytest

from soundmotion.models.music import analysis
from soundmotion.models.music.spectrum import SAMPLE_RATE


def evidence(confidence, regularity, change, peaks=None):
    out = {"confidence": confidence, "regularity": regularity, "change": change}
    if peaks is not None:
        out["peaks"] = peaks
    return out


def test_steady_beat_on_the_tuning_material_near_the_line():
    # figures bench/no_steady_beat.py printed for real clips (confidence, regularity, change, peaks;
    # a regularity printed as 0.18 is given as 0.178 or 0.181, the side of MIN_PERIODICITY it was on)
    assert not analysis.steady_beat(evidence(0.36, 0.25, 0.43))                    # English prompts
    assert not analysis.steady_beat(evidence(0.51, 0.21, 0.88))                    # a LibriVox line
    assert not analysis.steady_beat(evidence(0.46, 0.178, 0.99, 0.000))      # wind
    assert not analysis.steady_beat(evidence(0.34, 0.16, 0.99, 0.008))             # an owl in a forest at night
    assert not analysis.steady_beat(evidence(0.22, 0.46, 0.58))                    # a raven's looped caws
    assert not analysis.steady_beat(evidence(0.12, 0.04, 0.80))                    # a sauna's hiss
    assert not analysis.steady_beat(evidence(0.16, 0.19, 0.87))                    # prompts under noise (10 dB)
    assert not analysis.steady_beat(evidence(0.05, 0.09, 0.93))                    # the same under noise (0 dB)
    assert analysis.steady_beat(evidence(0.24, 0.59, 0.89))   # M.A.R.S.'s metal under white noise at 10 dB
    assert analysis.steady_beat(evidence(0.08, 0.31, 0.91))   # another clipped +18 dB (beat F 0.66 on its beats)
    assert analysis.steady_beat(evidence(0.37, 0.178, 0.98, 0.025))          # Flare's forest theme (rubato)
    assert analysis.steady_beat(evidence(0.47, 0.20, 0.97))                        # Flare's dungeon theme
    assert analysis.steady_beat(evidence(0.29, 0.181, 0.99))                      # Warzone 2100's menu music
    assert analysis.steady_beat(evidence(0.67, 0.10, 0.50))                        # strong beats win


def test_a_held_tone_chord_or_drone_has_no_steady_beat_unless_the_beats_are_strong():
    # figures bench/no_steady_beat.py printed: a just A major triad, an organ's held note, a 60 Hz sine
    assert not analysis.steady_beat(evidence(0.64, 0.96, 1.000))
    assert not analysis.steady_beat(evidence(0.15, 0.74, 1.000))
    assert not analysis.steady_beat(evidence(0.16, 0.96, 0.9987))
    assert analysis.steady_beat(evidence(0.65, 0.42, 0.9920))     # Flare's cave theme clipped: the most held music
    assert analysis.steady_beat(evidence(0.70, 0.90, 1.000))      # strong beats over one held spectrum still count


@pytest.mark.parametrize("partials", [(220.0,), (110.0, 137.5, 165.0), (50.0, 100.0, 150.0, 200.0)],
                         ids=["sine", "just triad", "hum"])
def test_analysis_of_a_held_tone_falls_back_and_says_why(partials):
    from soundmotion.models.audio.load import Audio

    t = np.arange(10 * SAMPLE_RATE) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * f * t) for f in partials)
    result = analysis.analyse_music(Audio((0.3 * tone / np.abs(tone).max()).astype(np.float32), SAMPLE_RATE))
    assert result.fallback
    assert "holds one tone, chord or drone" in result.notes[-1] and "110 BPM" in result.notes[-1]


def test_spectral_change_tells_a_held_chord_from_changing_syllables():
    rng = np.random.default_rng(0)
    chord = np.tile(rng.normal(size=40), (400, 1)) + 0.05 * rng.normal(size=(400, 40))
    syllables = np.repeat(rng.normal(size=(40, 40)), 10, axis=0)      # a new spectral shape every 10 frames
    assert analysis.spectral_change(chord, 86.0) > 0.95
    assert analysis.spectral_change(syllables, 86.0) < 0.3
    assert analysis.spectral_change(chord[:5], 86.0) == 1.0             # too short to say


def test_harmonic_peaks_tell_notes_from_noise_and_a_bare_drone():
    rng = np.random.default_rng(1)
    t = np.arange(5 * SAMPLE_RATE) / SAMPLE_RATE
    noise = rng.normal(size=len(t)).astype(np.float32)
    drone = np.sin(2 * np.pi * 110.0 * t)
    notes = sum(np.sin(2 * np.pi * f * k * t) / k for f in (220.0, 277.2, 329.6) for k in range(1, 12))
    notes = notes + 0.05 * noise                      # a chord with its partials over a little room noise
    assert analysis.harmonic_peaks(noise) < 0.005
    assert analysis.harmonic_peaks(drone) < analysis.HARMONIC_PEAKS < analysis.harmonic_peaks(notes)
    assert analysis.harmonic_peaks(noise[:100]) == 0.0


def test_the_tuning_script_counts_fallbacks_and_notes_with_other_thresholds(capsys):
    from soundmotion.bench import no_steady_beat as check

    music, none = check.GROUPS[0][0], check.GROUPS[-1][0]
    forest = dict(evidence(0.37, 0.178, 0.98, 0.025), beats=40)
    prompts = dict(evidence(0.36, 0.25, 0.43), beats=60)
    short = dict(evidence(0.40, 0.50, 0.99), beats=5)                  # too few beats: falls back anyway
    rows = {music: [("forest", False, forest)], none: [("prompts", True, prompts), ("short", True, short),
                                                        ("silence", True, None)]}
    assert check.report(rows, {}) == (0, 0)
    assert check.report(rows, dict(HARMONIC_PEAKS=0.03)) == (1, 0)     # the forest theme would fall back
    assert check.report(rows, dict(SPEECH_CHANGE=0.0)) == (0, 1)       # the prompts would get beats
    assert analysis.HARMONIC_PEAKS == 0.015 and analysis.SPEECH_CHANGE == 0.90   # constants put back
    assert "1 of 1 fall back (forest)" in capsys.readouterr().out


def test_the_tuning_scripts_degraded_material_is_what_it_says(capsys):
    # `bench/no_steady_beat.py --degraded` chose the weak-beat rule: its noise must sit 10 dB under the music, its
    # clipping must clip, its synthesized noises must be the same every run, and its groups must be reported.
    from soundmotion.bench import no_steady_beat as check
    from soundmotion.models.audio.load import Audio

    rng = np.random.default_rng(3)
    music = Audio((0.3 * np.sin(np.arange(22050 * 4) * 0.05) * (1 + rng.random(22050 * 4))).astype(np.float32),
                  22050)
    (name, noisy), = check._noisy([("tune", music)], 10)
    noise = noisy.samples - music.samples
    assert name == "tune+noise10"
    assert 10 * np.log10(np.mean(music.samples ** 2) / np.mean(noise ** 2)) == pytest.approx(10.0, abs=0.2)
    (_, clipped), = check._clipped([("tune", music)])
    assert np.abs(clipped.samples).max() == 1.0 and np.mean(np.abs(clipped.samples) == 1.0) > 0.5
    from soundmotion.bench import degrade   # bench/degraded_music.py's other conditions
    phone = degrade.band_limited(music.samples, 22050)      # 8 kHz: the tune (175 Hz and its wobble) passes
    assert len(phone) == 4 * 8000
    assert np.sqrt(np.mean(phone ** 2)) == pytest.approx(np.sqrt(np.mean(music.samples ** 2)), rel=0.05)
    late = degrade.behind_silence(music.samples, 22050, 2.0)
    assert len(late) == len(music.samples) + 44100 and not late[:44100].any()
    voice = (0.1 * np.sin(np.arange(16000 * 3) * 0.3)).astype(np.float32)      # 3 s at 16 kHz: looped to 4 s
    rms = lambda x: float(np.sqrt(np.mean(x ** 2)))
    quiet = 0.5 * music.samples             # room for the voice: the mix is not scaled down
    for decibels in (0.0, -6.0):
        spoken = degrade.under_voice(quiet, 22050, voice, 16000, decibels)
        assert len(spoken) == len(quiet) and np.abs(spoken).max() < 1.0
        assert 20 * np.log10(rms(spoken - quiet) / rms(quiet)) == pytest.approx(decibels, abs=0.2)
    loud = degrade.under_voice(2.0 * music.samples, 22050, voice, 16000, 0.0)
    assert np.abs(loud).max() == pytest.approx(1.0)        # scaled down where the sum would clip
    sounds = check.noises(seconds=2.0)
    assert [n for n, _ in sounds] == ["white noise", "pink noise", "brown noise", "hum 50 Hz", "fan", "crowd",
                                      "applause"]
    assert all(len(a.samples) == 44100 and np.abs(a.samples).max() == pytest.approx(0.5) for _, a in sounds)
    assert np.array_equal(sounds[0][1].samples, check.noises(seconds=2.0)[0][1].samples)
    degraded = check.DEGRADED_GROUPS[0][0]
    rows = {degraded: [("tune+noise10", False, dict(evidence(0.24, 0.59, 0.89), beats=40))]}
    assert check.report(rows, {}) == (0, 0)
    assert check.report(rows, dict(WEAK_BEATS_PERIODICITY=2.0)) == (1, 0)   # the rule before: it fell back
    assert f"{degraded}: 1 of 1 fall back" in capsys.readouterr().out
