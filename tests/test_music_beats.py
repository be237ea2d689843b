"""The beat tracker: bar-pointer decoding, the learned net's features, meter, markers and `soundmotion beats`."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from soundmotion.models.audio.load import Audio
from soundmotion.models.music import analyse_music
from soundmotion.models.music.analysis import MusicAnalysis
from soundmotion.models.music import bar_decoder
from soundmotion.models.music.bar_decoder import decode
from soundmotion.models.music.beat_markers import beats_document, marker_frames
from soundmotion.models.music.beat_net import FRAME_RATE, spectral_features
from soundmotion.models.music.synth import SongPart, synthesize, write_wav

SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"


def _activations(beat_frames, downbeat_frames, count, floor=0.005):
    activations = np.full((count, 2), floor)
    activations[beat_frames, 0] = 0.9
    activations[downbeat_frames, 1] = 0.85
    return activations


def _recall(found, truth, tolerance=0.07):
    return float(np.mean(np.min(np.abs(np.asarray(found)[:, None] - np.asarray(truth)[None]), axis=0) < tolerance))


@pytest.mark.parametrize("meter", [3, 4])
def test_decoder_finds_the_meter_the_beats_and_the_bars(meter):
    period = 25                                      # frames: 120 BPM at 50 frames/s
    beats = np.arange(10, 3000, period)
    downbeats = beats[2::meter]                      # bars start on the third beat: a pickup of two beats
    decoded = decode(_activations(beats, downbeats, 3000), 50.0)
    assert decoded.beats_per_bar == meter
    assert _recall(decoded.beats, beats / 50.0, 0.021) == 1.0
    found_downbeats = decoded.beats[decoded.beat_in_bar == 1]
    assert _recall(found_downbeats, downbeats / 50.0, 0.021) == 1.0
    assert len(found_downbeats) == len(downbeats)


def test_decoder_follows_a_tempo_change_and_ignores_a_missing_beat():
    first = np.arange(10, 1500, 30)                  # 100 BPM, then 125 BPM
    second = np.arange(first[-1] + 24, 3000, 24)
    beats = np.concatenate([first, second])
    activations = _activations(beats, beats[::4], 3000)
    activations[beats[20], :] = 0.005                # a beat nobody played
    decoded = decode(activations, 50.0)
    assert _recall(decoded.beats, np.delete(beats, 20) / 50.0, 0.021) == 1.0 and len(decoded.beats) == len(beats)
    assert np.any(np.abs(decoded.beats - beats[20] / 50.0) < 0.05), "the missing beat is filled in"


@pytest.mark.parametrize("period, section", [(25, (1000, 1600)), (30, (500, 1500))])
def test_decoder_keeps_the_beat_where_the_net_hears_the_off_beat_for_a_section(period, section, monkeypatch):
    # 120 BPM for 60 s (or 100 BPM); for 24 (33) beats from 20 s (10 s) the net's peaks sit half a beat late and
    # the beats themselves are weak, as where guitar riffs accent the off-beat: the beat goes on through it
    beats = np.arange(10, 3000, period)
    activations = _activations(beats, beats[::4], 3000)
    inside = (beats >= section[0]) & (beats < section[1])
    activations[beats[inside], 0], activations[beats[inside], 1] = 0.15, 0.005
    activations[beats[inside] + period // 2, 0] = 0.9
    decoded = decode(activations, 50.0)
    assert _recall(decoded.beats, beats / 50.0, 0.021) == 1.0 and len(decoded.beats) == len(beats)
    # reading every beat on the beat (as before 2026-12-02), the decode followed the off-beat through the section
    monkeypatch.setattr(bar_decoder, "OFFBEAT_COST", None)
    before = decode(activations, 50.0)
    assert _recall(before.beats, beats[inside] / 50.0, 0.021) == 0.0
    assert _recall(before.beats, beats[~inside] / 50.0, 0.021) >= 0.98


def test_decoder_results_are_pinned_and_each_meter_decodes_as_alone():
    # A noisy floor, 100 then 125 BPM, a missing beat and 8 s where the net hears the off-beat: the decoder's
    # exact beats and log-probabilities (as before it was made faster, 2026-12-02; any change to them shows here),
    # and the one-pass decode of both meters gives what a decode of each meter alone gives.
    from soundmotion.models.music.bar_decoder import decode_each_meter
    rng = np.random.default_rng(7)
    beats = np.concatenate([np.arange(40, 1500, 30), np.arange(1504, 2900, 24)])
    activations = rng.uniform(0.0, 0.03, (3000, 2))
    activations[beats, 0] = rng.uniform(0.5, 0.95, len(beats))
    activations[beats[::4], 1] = rng.uniform(0.4, 0.8, len(beats[::4]))
    activations[beats[10], :] = 0.02
    section = (beats >= 1700) & (beats < 2100)
    activations[beats[section], 0], activations[beats[section] + 12, 0] = 0.15, 0.9
    three, four = decode_each_meter(activations, 50.0, (3, 4))
    for alone, together in zip((decode(activations, 50.0, (3,)), decode(activations, 50.0, (4,))), (three, four)):
        np.testing.assert_array_equal(together.beats, alone.beats)
        np.testing.assert_array_equal(together.beat_in_bar, alone.beat_in_bar)
        assert together.log_probability == alone.log_probability and together.beats_per_bar == alone.beats_per_bar
    assert (len(three.beats), len(four.beats)) == (108, 108)
    assert three.log_probability == pytest.approx(-7359.420238824, abs=1e-6)
    assert four.log_probability == pytest.approx(-7190.225216427, abs=1e-6)
    np.testing.assert_allclose(three.beats[:3], [1.399974, 1.999936, 2.599901], atol=1e-6)
    np.testing.assert_allclose(four.beats[:3], [0.799996, 1.399974, 1.999936], atol=1e-6)
    assert three.beats.sum() == pytest.approx(3378.499199419, abs=1e-6)
    assert four.beats.sum() == pytest.approx(3340.786479894, abs=1e-6)
    assert list(np.flatnonzero(three.beat_in_bar == 1)[:3]) == [1, 4, 7]
    assert list(np.flatnonzero(four.beat_in_bar == 1)[:3]) == [0, 4, 8]
    assert _recall(four.beats, np.delete(beats, 10) / 50.0, 0.021) == 1.0     # the off-beat section kept its beat
    assert decode(activations, 50.0).beats_per_bar == 4


def test_where_one_net_hears_every_other_beat_the_beats_both_nets_hear_are_kept():
    from soundmotion.models.music.analysis import choose_bars, slower_net_reading
    slow = np.arange(60, 3000, 44)                   # 68 BPM: both nets hear these beats
    between = slow[:-1] + 22                         # one net also hears the eighths between them (136 BPM)
    faster_net = _activations(np.concatenate([slow, between]), slow[::4], 3000)
    slower_net = _activations(slow, slow[::4], 3000)
    mean = 0.5 * (faster_net + slower_net)
    no_bass = np.zeros(3000)
    decoded = choose_bars([decode(mean, 50.0, (4,))], no_bass, 50.0, mean[:, 1])
    tempo = 60.0 / np.median(np.diff(decoded.beats))
    assert 130 < tempo < 142, "the mean of the nets doubles the tempo"
    chosen = slower_net_reading(decoded, [faster_net, slower_net], no_bass, 50.0, mean[:, 1])
    assert _recall(chosen.beats, slow / 50.0, 0.021) == 1.0 and len(chosen.beats) == len(slow)
    assert _recall(chosen.beats[chosen.beat_in_bar == 1], slow[::4] / 50.0, 0.021) == 1.0
    # both nets hearing the eighths: the mean's beats stay
    assert slower_net_reading(decoded, [faster_net, faster_net], no_bass, 50.0, mean[:, 1]) is decoded
    # a single net has nothing to disagree with
    assert slower_net_reading(decoded, [faster_net], no_bass, 50.0, mean[:, 1]) is decoded


def test_time_stretched_features_take_frames_further_apart():
    rate = 22050
    samples = np.random.default_rng(1).standard_normal(rate * 4).astype(np.float32)
    plain, faster = spectral_features(samples, rate), spectral_features(samples, rate, stretch=1.25)
    assert len(faster) == int(np.ceil(4 * FRAME_RATE / 1.25))
    # frame k of the stretched features is the plain frame at k·1.25 where that falls on a plain frame
    assert np.allclose(faster[4, :64], plain[5, :64], atol=1e-5) and np.allclose(faster[8, :64], plain[10, :64], atol=1e-5)


def test_features_have_one_frame_per_20_ms():
    rate = 22050
    samples = np.random.default_rng(0).standard_normal(int(rate * 3.01)).astype(np.float32)
    features = spectral_features(samples, rate)
    assert features.shape == (int(np.ceil(3.01 * FRAME_RATE)), 128) and np.isfinite(features).all()
    assert (features[:, 64:] >= 0).all()


def test_a_waltz_gets_three_beats_to_the_bar():
    song = synthesize([SongPart(16, 150, "A", beats_per_bar=3), SongPart(16, 150, "B", beats_per_bar=3)],
                      seed=3, lead_in=0.3)
    analysis = analyse_music(Audio(song.samples, song.sample_rate))
    assert not analysis.fallback and analysis.beats_per_bar == 3
    assert _recall(analysis.beats, song.beats) >= 0.9
    assert _recall(analysis.downbeats, song.downbeats) >= 0.8
    assert analysis.tempo == pytest.approx(150, rel=0.04)
    assert np.allclose(analysis.downbeats, analysis.beats[analysis.bar_starts])


def test_a_silent_intro_and_tail_get_no_beats():
    # The nets hear ±10 s: in a 12 s digital silence before the music they heard beats (0.9 in its last 2 s) and
    # the decode counted them from the file's start, so the dancer danced to nothing.
    # A constant under it all (what taking a whole file's offset out leaves in its digital silence) is no sound
    # either.
    song = synthesize([SongPart(16, 120, "A")], seed=4, lead_in=0.0)
    start, end = 12.0 + song.beats[0], 12.0 + song.beats[-1]
    silence = np.zeros(int(12 * song.sample_rate), np.float32)
    for offset in (0.0, -0.02):
        samples = np.concatenate([silence, song.samples, silence]) + np.float32(offset)
        analysis = analyse_music(Audio(samples, song.sample_rate))
        assert not analysis.fallback
        assert analysis.beats[0] >= start - 0.1 and analysis.beats[-1] <= end + 0.6
        assert _recall(analysis.beats, song.beats + 12.0) >= 0.9


def _f_measure(found, truth, tolerance=0.07):
    found, truth = np.asarray(found), np.asarray(truth)
    if len(found) == 0 or len(truth) == 0:
        return 0.0
    near = np.abs(found[:, None] - truth[None]) < tolerance
    precision, recall = near.any(axis=1).mean(), near.any(axis=0).mean()
    return float(2 * precision * recall / max(precision + recall, 1e-9))


@pytest.mark.parametrize("meter, bpm, seed", [(5, 132, 301), (7, 186, 302), (4, 124, 303)])
def test_odd_meters_get_their_beats_to_the_bar_and_four_four_keeps_four(meter, bpm, seed, monkeypatch):
    bars = int(round(24 * bpm / 60 / meter))
    song = synthesize([SongPart(bars // 2, bpm, "A", beats_per_bar=meter),
                       SongPart(bars - bars // 2, bpm, "B", beats_per_bar=meter)], seed=seed, lead_in=0.4)
    audio = Audio(song.samples, song.sample_rate)
    analysis = analyse_music(audio)
    assert not analysis.fallback and analysis.beats_per_bar == meter, analysis.notes
    assert _f_measure(analysis.beats, song.beats) >= 0.95
    assert _f_measure(analysis.downbeats, song.downbeats) >= 0.9
    assert np.all(np.diff(analysis.bar_starts) == meter)
    assert f"{meter} beats to the bar" in analysis.notes[-1]
    if meter in (5, 7):      # without the odd-meter step the bars of 3 or 4 cycle through the bar
        monkeypatch.setattr("soundmotion.models.music.analysis.ODD_METERS", ())
        regular = analyse_music(audio)
        assert regular.beats_per_bar in (3, 4) and _f_measure(regular.downbeats, song.downbeats) < 0.5


def test_beats_in_a_cleared_silent_tail_do_not_hide_an_odd_meter():
    # downbeat evidence every 5 beats; the last two beats fall where the activations were cleared (a silent tail):
    # their 0-over-0 ratio must not swamp the bar positions' variance
    from soundmotion.models.music.analysis import meter_periodicity
    frames = np.arange(40) * 25 + 10
    activations = _activations(frames, frames[::5], frames[-1] + 30)
    activations[frames[1::5], 1] = 0.2   # some downbeat noise on other beats, so the variance within is not zero
    activations[frames[-2] - 3:, :] = 0.0
    beats = frames / FRAME_RATE
    strength = meter_periodicity(beats, activations[:, 1], activations[:, 0])
    without_tail = meter_periodicity(beats[:-2], activations[:, 1], activations[:, 0])
    assert strength[5] == pytest.approx(without_tail[5]) and strength[5] > 100
    assert strength[5] > 4 * max(strength[3], strength[4])


@pytest.mark.parametrize("meter, bpm, seed", [(5, 150, 452), (7, 168, 451)])
def test_odd_meter_without_drums_is_heard_through_the_silent_tail(meter, bpm, seed):
    # bass on every beat and a chord per bar, no drums; the synthesizer's reverb ends in digital silence, whose
    # beats get no activation (bench/odd_meters.py's pieces without drums)
    song = synthesize([SongPart(int(round(36 * bpm / 60 / meter)), bpm, "A", drums=False, beats_per_bar=meter)],
                      seed=seed, lead_in=0.5)
    analysis = analyse_music(Audio(song.samples, song.sample_rate))
    assert analysis.beats_per_bar == meter, analysis.notes
    assert _f_measure(analysis.downbeats, song.downbeats) >= 0.9


def test_speech_has_no_steady_beat():
    speech = pathlib.Path(__file__).resolve().parents[1] / "assets" / "demo_speech.wav"
    samples, rate = soundfile.read(str(speech), dtype="float32")
    analysis = analyse_music(Audio(samples, rate))
    assert analysis.fallback and "No steady beat" in analysis.notes[0]


@pytest.mark.parametrize("seconds", [0.05, 0.3])
def test_a_clip_shorter_than_the_onset_window_gets_the_steady_fallback(seconds):
    # the CLI and the dance refuse or skip clips under 2 s before analysing; the analysis itself (a library call)
    # gave a ValueError under 0.4 s: the onset curve's local mean window was longer than the clip
    samples = (0.1 * np.random.default_rng(3).standard_normal(int(22050 * seconds))).astype(np.float32)
    analysis = analyse_music(Audio(samples, 22050))
    assert analysis.fallback and analysis.tempo == pytest.approx(110.0)
    assert analysis.notes and "110 BPM" in analysis.notes[0]


def test_markers_name_bars_and_beats_and_the_pickup():
    beats = np.arange(10) * 0.5 + 0.25
    analysis = MusicAnalysis(5.0, 120.0, beats, beats[[2, 5, 8]], 2, [], 100.0, np.zeros(10), np.zeros(10),
                             bar_starts=np.array([2, 5, 8]), beats_per_bar=3, confidence=0.9)
    markers = marker_frames(analysis, fps=24.0, start_frame=10)
    assert markers[:6] == [(16, "0.2"), (28, "0.3"), (40, "Bar 1"), (52, "1.2"), (64, "1.3"), (76, "Bar 2")]
    assert marker_frames(analysis, 24.0, 1, bars_only=True) == [(31, "Bar 1"), (67, "Bar 2"), (103, "Bar 3")]
    document = beats_document(analysis)
    assert document["beats_per_bar"] == 3 and document["downbeats"] == [1.25, 2.75, 4.25]


def _soundmotion(*args):
    return subprocess.run([str(SOUNDMOTION), *map(str, args)], capture_output=True, text=True, timeout=300)


def test_cli_beats_writes_json_with_beats_downbeats_tempo_and_meter(tmp_path):
    song = synthesize([SongPart(12, 96, "A"), SongPart(12, 96, "B")], seed=4, lead_in=0.5)
    write_wav(song, tmp_path / "song.wav")
    result = _soundmotion("beats", tmp_path / "song.wav", "--json", tmp_path / "beats.json")
    assert result.returncode == 0, result.stderr
    assert "96" in result.stdout and "4 beats to the bar" in result.stdout
    document = json.loads((tmp_path / "beats.json").read_text())
    assert set(document) >= {"beats", "downbeats", "tempo", "beats_per_bar"}
    assert document["tempo"] == pytest.approx(96, rel=0.03) and document["beats_per_bar"] == 4
    assert _recall(document["beats"], song.beats) >= 0.9 and _recall(document["downbeats"], song.downbeats) >= 0.85
    assert any(note.startswith("Tempo 96 BPM, 4 beats to the bar") for note in document["notes"])


@pytest.mark.parametrize("kind, message", [("silence", "silent"), ("noise", "No steady beat"),
                                           ("short", "too short|only"), ("missing", "not found"),
                                           ("triad", "No steady beat was found in triad: the sound holds one tone")])
def test_cli_beats_refuses_bad_input_with_exit_2(kind, message, tmp_path):
    rate = 22050
    path = tmp_path / f"{kind}.wav"
    if kind == "silence":
        soundfile.write(str(path), np.zeros(rate * 8, np.float32), rate)
    elif kind == "noise":
        soundfile.write(str(path), 0.3 * np.random.default_rng(1).standard_normal(rate * 8).astype(np.float32), rate)
    elif kind == "short":
        soundfile.write(str(path), synthesize([SongPart(1, 120)]).samples[:int(1.5 * rate)], rate)
    elif kind == "triad":      # a held just A major triad: the nets used to hear 143 BPM in it
        t = np.arange(rate * 8) / rate
        soundfile.write(str(path), (0.1 * sum(np.sin(2 * np.pi * f * t) for f in (110.0, 137.5, 165.0))
                                    ).astype(np.float32), rate)
    result = _soundmotion("beats", path, "--json", tmp_path / "out.json")
    assert result.returncode == 2 and not (tmp_path / "out.json").exists()
    assert len(result.stderr.strip().splitlines()) == 1
    import re
    assert re.search(message, result.stderr), result.stderr


def test_bars_and_meter_follow_where_the_bass_starts_its_notes():
    from soundmotion.models.music.analysis import choose_bars
    from soundmotion.models.music.bar_decoder import DecodedBeats
    rate = 50.0
    beats = 1.0 + np.arange(48) * 0.5                                  # 120 BPM
    onsets = np.zeros(int(26 * rate))
    for i, t in enumerate(beats):
        onsets[int(t * rate)] = 0.2                                    # something on every beat
        if i % 3 == 2:                                                 # a bass note every three beats, from the third
            onsets[int(t * rate)] += 1.0
    in_four = DecodedBeats(beats, np.arange(48) % 4 + 1, 4, -100.0)    # the decoder slightly prefers 4/4
    in_three = DecodedBeats(beats, np.arange(48) % 3 + 1, 3, -110.0)
    chosen = choose_bars([in_three, in_four], onsets, rate)
    assert chosen.beats_per_bar == 3
    assert list(np.flatnonzero(chosen.beat_in_bar == 1)) == list(range(2, 48, 3))
    assert list(chosen.beat_in_bar[:5]) == [2, 3, 1, 2, 3]
    flat = np.where(onsets > 0, 0.2, 0.0)                              # no bass: the decoder's choice stands
    chosen = choose_bars([DecodedBeats(beats, np.arange(48) % 3 + 1, 3, -110.0),
                          DecodedBeats(beats, (np.arange(48) + 3) % 4 + 1, 4, -100.0)], flat, rate)
    assert chosen.beats_per_bar == 4 and list(chosen.beat_in_bar[:5]) == [4, 1, 2, 3, 4]


def test_beats_tracked_on_the_off_beat_move_onto_the_bass():
    from soundmotion.models.music.analysis import onto_the_bass
    rate = 50.0
    beats = 1.0 + np.arange(40) * 0.5
    onsets = np.zeros(int(24 * rate))
    onsets[np.round((beats + 0.25) * rate).astype(int)] = 1.0          # the bass plays between the beats found
    moved = onto_the_bass(beats, onsets, rate)
    assert len(moved) == len(beats) and np.allclose(moved, beats + 0.25)
    onsets[np.round(beats * rate).astype(int)] = 0.8                   # and on them too: the beats stay
    assert np.array_equal(onto_the_bass(beats, onsets, rate), beats)


def test_bars_start_where_the_bass_and_the_nets_downbeats_agree():
    from soundmotion.models.music.analysis import DOWNBEAT_WEIGHT, choose_bars
    from soundmotion.models.music.bar_decoder import DecodedBeats
    rate = 50.0
    beats = 1.0 + np.arange(48) * 0.5
    frames = np.round(beats * FRAME_RATE).astype(int)
    onsets = np.zeros(int(26 * rate))
    onsets[np.round(beats * rate).astype(int)] = 0.2
    onsets[np.round(beats[1::4] * rate).astype(int)] = 0.3            # the bass a little stronger on beat 2
    downbeat = np.full(int(26 * FRAME_RATE), 0.02)
    downbeat[frames[3::4]] = 0.05                                      # the net hears bars start on beat 4
    decoded = [DecodedBeats(beats, np.arange(48) % 4 + 1, 4, -100.0)]
    assert list(np.flatnonzero(choose_bars(decoded, onsets, rate).beat_in_bar == 1)[:3]) == [1, 5, 9]
    chosen = choose_bars(decoded, onsets, rate, downbeat)
    assert DOWNBEAT_WEIGHT > 0 and list(np.flatnonzero(chosen.beat_in_bar == 1)[:3]) == [3, 7, 11]
    # a bass far stronger on beat 2 outweighs it: scores log(bass / its mean) + 6·log(downbeat / its mean) for
    # beats 2 and 4 are -0.54 and -0.34 with a bass of 40 (200× the other beats'), -0.53 and -1.25 with 100
    onsets[np.round(beats[1::4] * rate).astype(int)] = 40.0
    assert DOWNBEAT_WEIGHT == 6.0
    assert list(np.flatnonzero(choose_bars(decoded, onsets, rate, downbeat).beat_in_bar == 1)[:3]) == [3, 7, 11]
    onsets[np.round(beats[1::4] * rate).astype(int)] = 100.0
    assert list(np.flatnonzero(choose_bars(decoded, onsets, rate, downbeat).beat_in_bar == 1)[:3]) == [1, 5, 9]


def test_a_snare_on_the_beat_counts_against_a_bar_starting_there():
    from soundmotion.models.music.analysis import SNARE_WEIGHT, choose_bars
    from soundmotion.models.music.bar_decoder import DecodedBeats
    rate = 50.0
    beats = 1.0 + np.arange(48) * 0.5
    frames = np.round(beats * FRAME_RATE).astype(int)
    onsets = np.zeros(int(26 * rate))
    onsets[np.round(beats * rate).astype(int)] = 0.2                  # the same bass on every beat: no vote
    downbeat = np.full(int(26 * FRAME_RATE), 0.02)
    downbeat[frames[0::4]] = 0.05                                      # the net: bars start on beat 1 or 3,
    downbeat[frames[2::4]] = 0.06                                      # a little more likely 3 (half a bar off)
    snare = np.zeros(int(26 * rate))
    snare[np.round(beats * rate).astype(int)] = 0.2
    snare[np.round(beats[2::4] * rate).astype(int)] = 1.0             # a half-time snare on beat 3
    decoded = [DecodedBeats(beats, np.arange(48) % 4 + 1, 4, -100.0)]
    # phase scores: 6·log(0.05/0.0375) + 1.5·log(0.45/0.2) = 2.94 for beat 1, 6·log(0.06/0.0375) -
    # 1.5·log(1.2/0.45) = 1.35 for beat 3
    assert SNARE_WEIGHT == 1.5
    assert list(np.flatnonzero(choose_bars(decoded, onsets, rate, downbeat).beat_in_bar == 1)[:3]) == [2, 6, 10]
    chosen = choose_bars(decoded, onsets, rate, downbeat, snare)
    assert list(np.flatnonzero(chosen.beat_in_bar == 1)[:3]) == [0, 4, 8]


def test_the_nets_downbeat_counts_over_its_beat_probability():
    from soundmotion.models.music.analysis import choose_bars, downbeat_phase_strength
    from soundmotion.models.music.bar_decoder import DecodedBeats
    rate = 50.0
    beats = 1.0 + np.arange(48) * 0.5
    frames = np.round(beats * FRAME_RATE).astype(int)
    beat = np.full(int(26 * FRAME_RATE), 0.01)
    downbeat = np.full(int(26 * FRAME_RATE), 0.01)
    for phase, (b, d) in enumerate(((0.9, 0.3), (0.3, 0.2), (0.9, 0.25), (0.3, 0.05))):
        beat[frames[phase::4]], downbeat[frames[phase::4]] = b, d   # loud beats 1 and 3 get more of both
    assert np.allclose(downbeat_phase_strength(beats, 4, downbeat), [0.3, 0.2, 0.25, 0.05])
    ratio = downbeat_phase_strength(beats, 4, downbeat, beat)      # 0.3/0.901, 0.2/0.301, 0.25/0.901, 0.05/0.301
    assert np.allclose(ratio, [0.333, 0.664, 0.277, 0.166], atol=0.001)
    onsets = np.zeros(int(26 * rate))
    onsets[np.round(beats * rate).astype(int)] = 0.2                  # the same bass on every beat: no vote
    decoded = [DecodedBeats(beats, np.arange(48) % 4 + 1, 4, -100.0)]
    assert list(np.flatnonzero(choose_bars(decoded, onsets, rate, downbeat).beat_in_bar == 1)[:3]) == [0, 4, 8]
    chosen = choose_bars(decoded, onsets, rate, downbeat, beat_activation=beat)
    assert list(np.flatnonzero(chosen.beat_in_bar == 1)[:3]) == [1, 5, 9]


def _chord_spectra(beats, frame_rate, chord_of_beat, bands=40, seed=0):
    """Log-mel frames (dB) holding one random 'chord' (a band pattern) per beat as chord_of_beat[i] says."""
    rng = np.random.default_rng(seed)
    chords = rng.normal(0.0, 6.0, (max(chord_of_beat) + 1, bands))
    count = int((beats[-1] + 1.0) * frame_rate)
    index = np.clip(np.searchsorted(beats, np.arange(count) / frame_rate, side="right") - 1, 0, len(beats) - 1)
    return -40.0 + chords[np.asarray(chord_of_beat)[index]] + rng.normal(0.0, 1.0, (count, bands))


def test_bars_start_where_the_chords_change():
    from soundmotion.models.music.analysis import (HARMONY_WEIGHT, choose_bars, harmony_change_phase_strength)
    from soundmotion.models.music.bar_decoder import DecodedBeats
    rate = 86.0
    beats = 1.0 + np.arange(48) * 0.5
    chord_of_beat = [((i - 1) // 4) % 3 for i in range(48)]          # a new chord every 4 beats from beat 2
    log_mel = _chord_spectra(beats, rate, chord_of_beat)
    change = harmony_change_phase_strength(beats, 4, log_mel, rate)
    assert int(np.argmax(change)) == 1 and change[1] > 1.0 and max(change[0], change[2], change[3]) < 0.05
    onsets = np.zeros(int(26 * rate))
    onsets[np.round(beats * rate).astype(int)] = 0.2                  # no bass vote
    downbeat = np.full(int(26 * FRAME_RATE), 0.02)
    downbeat[np.round(beats[3::4] * FRAME_RATE).astype(int)] = 0.022  # the net: a little more on beat 4
    decoded = [DecodedBeats(beats, np.arange(48) % 4 + 1, 4, -100.0)]
    assert list(np.flatnonzero(choose_bars(decoded, onsets, rate, downbeat).beat_in_bar == 1)[:3]) == [3, 7, 11]
    chosen = choose_bars(decoded, onsets, rate, downbeat, log_mel=log_mel)
    assert HARMONY_WEIGHT == 0.5 and list(np.flatnonzero(chosen.beat_in_bar == 1)[:3]) == [1, 5, 9]


def test_phrases_start_on_a_downbeat():
    from soundmotion.models.music.analysis import NOVELTY_BEATS, novelty_phase_strength
    rate = 86.0
    beats = 1.0 + np.arange(64) * 0.5
    # two-bar phrases of one texture each (chords every beat inside them), from beat 3: a phrase's first beat
    # differs from the 4 before it, the others share them
    chord_of_beat = [2 * (((i - 2) // 8) % 2) + i % 2 for i in range(64)]
    log_mel = _chord_spectra(beats, rate, chord_of_beat, seed=1)
    novelty = novelty_phase_strength(beats, 4, log_mel, rate)
    assert NOVELTY_BEATS == 4 and int(np.argmax(novelty)) == 2
    # measured 7.7, 11.2, 14.6, 10.5: beats near a phrase start get some of its novelty, mid-phrase beat 3s none
    assert novelty[2] > 1.25 * max(novelty[0], novelty[1], novelty[3])


def test_snare_band_onsets_hear_the_backbeat_and_bars_still_start_on_the_kick():
    from soundmotion.models.music.analysis import (BASS_ONSET_HZ, SNARE_HIGH_HZ, SNARE_LOW_HZ,
                                                     bass_phase_strength)
    from soundmotion.models.music.spectrum import log_mel_spectrum, onset_strength
    song = synthesize([SongPart(bars=8, bpm=120.0)], seed=4, lead_in=0.5)   # kick on 1 and 3, snare on 2 and 4
    spectrum = log_mel_spectrum(song.samples, song.sample_rate)
    snare = bass_phase_strength(song.beats, 4, onset_strength(spectrum, SNARE_HIGH_HZ, min_hz=SNARE_LOW_HZ),
                                spectrum.frame_rate)
    bass = bass_phase_strength(song.beats, 4, onset_strength(spectrum, BASS_ONSET_HZ), spectrum.frame_rate)
    ratio = snare / bass            # measured: 0.38, 0.27, 0.23, 0.26 (the chord on 1 is heard there too)
    assert min(ratio[1], ratio[3]) > ratio[2] and ratio[0] > 0.3
    analysis = analyse_music(Audio(song.samples, song.sample_rate))
    assert analysis.beats_per_bar == 4 and _recall(analysis.downbeats, song.downbeats) >= 0.85


def test_the_analysis_averages_both_nets():
    from soundmotion.models.music.beat_net import WEIGHTS_PATHS, BeatNet, beat_activations
    song = synthesize([SongPart(bars=4, bpm=120.0)], seed=3)
    features = spectral_features(song.samples, song.sample_rate)
    each = [BeatNet(path).activations(features) for path in WEIGHTS_PATHS]
    assert len(WEIGHTS_PATHS) == 2 and not np.allclose(each[0], each[1], atol=0.05)
    assert np.allclose(beat_activations(song.samples, song.sample_rate), 0.5 * (each[0] + each[1]), atol=1e-5)


def test_unsure_beats_get_a_second_look_with_the_third_net(monkeypatch):
    # The third net (trained on noisy, clipped and narrow-band windows) joins the pair's mean only where the pair's
    # confidence is under SECOND_LOOK_CONFIDENCE: a clean song keeps the pair's beats, an unsure one gets the
    # three nets' beats and confidence.
    from soundmotion.models.music import analysis as music_analysis
    from soundmotion.models.music.beat_net import SECOND_LOOK_PATHS, WEIGHTS_PATHS, BeatNet
    song = synthesize([SongPart(16, 132, "A"), SongPart(16, 132, "B")], seed=5, lead_in=0.0)
    audio = Audio(song.samples, song.sample_rate)
    features = spectral_features(song.samples, song.sample_rate)
    assert not np.allclose(BeatNet(SECOND_LOOK_PATHS[0]).activations(features),
                           BeatNet(WEIGHTS_PATHS[1]).activations(features), atol=0.05)
    pair = analyse_music(audio, second_look=())
    trio = analyse_music(audio, nets=WEIGHTS_PATHS + SECOND_LOOK_PATHS)
    assert not np.array_equal(pair.beats, trio.beats)
    sure = analyse_music(audio)
    assert sure.confidence >= music_analysis.SECOND_LOOK_CONFIDENCE       # measured 0.97
    assert np.array_equal(sure.beats, pair.beats) and sure.confidence == pair.confidence
    monkeypatch.setattr(music_analysis, "SECOND_LOOK_CONFIDENCE", 1.01)    # every song unsure
    unsure = analyse_music(audio)
    assert np.array_equal(unsure.beats, trio.beats) and unsure.confidence == pytest.approx(trio.confidence)
    assert not unsure.fallback and unsure.beats_per_bar == 4


def test_faint_beats_that_repeat_are_kept_with_a_note(monkeypatch):
    # Music under heavy noise or clipping: the nets' beats come out faint (confidence under 0.25) but as regular
    # as ever. They were refused as "no steady beat" and the dancer fell back to a 110 BPM grid.
    from soundmotion.models.music import analysis as music_analysis

    song = synthesize([SongPart(16, 132, "A"), SongPart(16, 132, "B")], seed=5, lead_in=0.0)
    real = music_analysis.each_net_activations
    monkeypatch.setattr(music_analysis, "each_net_activations",
                        lambda *args, **kwargs: [a * np.float32(0.2) for a in real(*args, **kwargs)])
    faint = analyse_music(Audio(song.samples, song.sample_rate))
    assert not faint.fallback and faint.confidence < music_analysis.MIN_CONFIDENCE
    assert faint.tempo == pytest.approx(132, rel=0.03) and _recall(faint.beats, song.beats) >= 0.9
    assert any("beats are faint" in note for note in faint.notes)
    monkeypatch.setattr(music_analysis, "WEAK_BEATS_PERIODICITY", 2.0)        # the pair's rule off:
    assert analyse_music(Audio(song.samples, song.sample_rate), second_look=()).fallback     # a fallback
    # ... unless the three nets' mean repeats (faint_music_heard): kept, still with the note
    kept = analyse_music(Audio(song.samples, song.sample_rate))
    assert not kept.fallback and _recall(kept.beats, song.beats) >= 0.9
    assert any("beats are faint" in note for note in kept.notes)
    monkeypatch.setattr(music_analysis, "SECOND_LOOK_PERIODICITY", 2.0)
    assert analyse_music(Audio(song.samples, song.sample_rate)).fallback


def test_bars_follow_a_change_of_phase_in_a_long_song(monkeypatch):
    from soundmotion.models.music import analysis
    from soundmotion.models.music.analysis import choose_bars
    from soundmotion.models.music.bar_decoder import DecodedBeats
    rate = 50.0
    beats = 1.0 + np.arange(320) * 0.5                                 # 160 s at 120 BPM
    frames = np.round(beats * FRAME_RATE).astype(int)
    onsets = np.zeros(int(165 * rate))
    onsets[np.round(beats * rate).astype(int)] = 0.2
    downbeat = np.full(int(165 * FRAME_RATE), 0.02)
    # bars start on beat 1 for 40 bars, then a bar of two beats: from beat 162 on they start two beats later
    starts = list(range(0, 160, 4)) + list(range(162, 320, 4))
    downbeat[frames[starts]] = 0.2
    onsets[np.round(beats[starts] * rate).astype(int)] = 1.0
    decoded = [DecodedBeats(beats, np.arange(320) % 4 + 1, 4, -100.0)]
    assert analysis.PHASE_CHANGE_COST == 5.0
    found = np.flatnonzero(choose_bars(decoded, onsets, rate, downbeat).beat_in_bar == 1)
    assert list(found) == starts                                       # the bar of two beats is found
    # a 60 s excerpt of steady bars keeps one phase: the first 30 bars only
    excerpt = [DecodedBeats(beats[:120], np.arange(120) % 4 + 1, 4, -40.0)]
    found = np.flatnonzero(choose_bars(excerpt, onsets, rate, downbeat).beat_in_bar == 1)
    assert list(found) == list(range(0, 120, 4))
    monkeypatch.setattr(analysis, "PHASE_CHANGE_COST", 0.0)           # one phase for the whole song: half right
    whole = np.flatnonzero(choose_bars(decoded, onsets, rate, downbeat).beat_in_bar == 1)
    assert len(set(whole) & set(starts)) == 40 and len(whole) == 80
