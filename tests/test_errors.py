"""The error path and bounded memory without Blender: one exception family, all-or-nothing outputs, bugs said as
bugs, Ctrl+C, and the streaming analysis giving the same numbers as whole-signal analysis."""

import os
import signal
import subprocess
import sys
import time
import types

import numpy as np
import pytest
import soundfile

import fuzz_inputs as bad
from soundmotion import cli, errors
from soundmotion.clips.errors import ClipError
from soundmotion.models.audio import frames as framing
from soundmotion.models.audio import load
from soundmotion.models.audio.load import AudioError, load_audio
from soundmotion.retarget.errors import RetargetError

SOUNDMOTION = os.path.join(os.path.dirname(sys.executable), "soundmotion")


def test_every_user_error_is_one_family():
    from soundmotion.batch.rows import BatchInputError
    from soundmotion.models.dance.choreography import ChoreographyError
    from soundmotion.models.face.exports import ExportError
    from soundmotion.models.face.pipeline import FaceSettingsError
    from soundmotion.models.gesture.styles import GestureSettingsError
    from soundmotion.retarget.shape_keys import ShapeKeyMapError

    for family in (AudioError, ClipError, RetargetError, ShapeKeyMapError, ExportError, FaceSettingsError,
                   ChoreographyError, GestureSettingsError, BatchInputError):
        assert issubclass(family, errors.SoundMotionError), family


def test_outputs_are_moved_into_place_only_when_everything_succeeded(tmp_path):
    outputs = errors.OutputFiles()
    first = outputs.add(tmp_path / "new" / "deeper" / "a.npz", "--clip", (".npz",))
    second = outputs.add(tmp_path / "b.bvh", "--bvh", (".bvh",))
    with pytest.raises(OSError):
        with outputs.writing():
            np.savez(outputs.temporary(first), x=np.zeros(3))
            with open(outputs.temporary(second), "w") as handle:
                handle.write("HIERARCHY")
            raise OSError("disk full")
    assert sorted(os.listdir(tmp_path)) == []  # temporary files and the folders made for them are gone
    outputs = errors.OutputFiles()
    first = outputs.add(tmp_path / "new" / "a.npz", "--clip", (".npz",))
    (tmp_path / "b.bvh").write_text("old")
    second = outputs.add(tmp_path / "b.bvh", "--bvh", (".bvh",))
    with outputs.writing():
        np.savez(outputs.temporary(first), x=np.zeros(3))
        with open(outputs.temporary(second), "w") as handle:
            handle.write("new")
    assert np.load(first)["x"].shape == (3,) and (tmp_path / "b.bvh").read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["b.bvh", "new"] and os.listdir(tmp_path / "new") == ["a.npz"]


def test_a_failure_while_writing_leaves_no_file(tmp_path, capsys, monkeypatch):
    """The clip is written, then the BVH writer fails half-way: neither file is left (and a full disk is bad
    input: exit 2 with a sentence)."""
    from soundmotion.models.dance import bvh_export

    def failing_bvh(clip, path):
        with open(path, "w") as handle:
            handle.write("HIERARCHY\n")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(bvh_export, "write_bvh", failing_bvh)
    status = cli.main(["dance", bad.DEMO_MUSIC, "--fps", "10", "--clip", str(tmp_path / "d.npz"),
                       "--bvh", str(tmp_path / "d.bvh")])
    message = capsys.readouterr().err.strip()
    assert status == 2 and "disk is full" in message and len(message.splitlines()) == 1
    assert os.listdir(tmp_path) == []


def test_a_bug_exits_1_with_its_type_on_one_line(tmp_path, capsys, monkeypatch):
    from soundmotion.models.face import pipeline

    def broken(*args, **kwargs):
        return [][1]

    monkeypatch.setattr(pipeline, "generate_face", broken)
    status = cli.main(["face", bad.DEMO_SPEECH, "--clip", str(tmp_path / "f.npz")])
    message = capsys.readouterr().err.strip()
    assert status == 1 and len(message.splitlines()) == 1
    assert "internal error (IndexError: list index out of range)" in message and "bug" in message
    assert os.listdir(tmp_path) == []


def test_ctrl_c_exits_130_without_a_traceback_or_files(tmp_path):
    speech, rate = soundfile.read(bad.DEMO_SPEECH, dtype="float32")
    long_line = bad.wav(str(tmp_path), "long.wav", np.tile(speech, 30), rate)  # 5.5 minutes
    outputs = tmp_path / "out"
    # Ctrl+C as in a terminal: a suite started in the background (`make test &`) hands its children SIGINT
    # ignored, and Python then never turns it into KeyboardInterrupt
    terminal_ctrl_c = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    process = subprocess.Popen([SOUNDMOTION, "face", long_line, "--clip", str(outputs / "f.npz"), "--cues",
                                str(outputs / "f.tsv")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=terminal_ctrl_c)
    time.sleep(3.0)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip() == "soundmotion face: interrupted; nothing was written."
    assert not outputs.exists()


def test_option_ranges_and_files_are_sentences(tmp_path):
    with pytest.raises(errors.SoundMotionError, match=r"--energy must be a number from 0 to 2, got 100"):
        errors.check_range("--energy", 100.0, 0.0, 2.0)
    assert errors.check_seed("--seed", 7) == 7
    with pytest.raises(errors.SoundMotionError, match="whole number from 0 to 2147483647, got -5"):
        errors.check_seed("--seed", -5)
    assert errors.check_resolution("--resolution", (640, 360)) == (640, 360)
    with pytest.raises(errors.SoundMotionError, match="try 642 362"):
        errors.check_resolution("--resolution", (641, 361))
    sentence = errors.os_error_sentence(FileNotFoundError(2, "No such file or directory", "/x/line.wav"))
    assert sentence == "File /x/line.wav was not found. Check the path and try again."
    latin1 = bad.write(str(tmp_path), "map.json", "{\"a\": \"caf\xe9\"}".encode("latin-1"))
    with pytest.raises(RetargetError, match="map.json is not a bone map: it is not UTF-8"):
        errors.read_json_file(latin1, "bone map", RetargetError)


def test_accented_words_are_aligned_not_recognised(tmp_path):
    from speech_fixtures import speech_wav

    from soundmotion.models.speech.phonemes import find_phones

    text = "We met at the café in Zürich, a naïve idea."
    path, _ = speech_wav(tmp_path, text)
    track = find_phones(load_audio(path), text)
    assert track.source == "alignment", track.notes
    words = {p.word.split("(")[0] for p in track.phones if p.word}
    assert {"cafe", "zurich", "naive"} <= words
    assert not any("skipped" in note for note in track.notes)


# ---- streaming analysis: the same numbers a block at a time --------------------------------------------------

def _whole_resample(samples, from_rate, to_rate):
    from math import gcd

    from soundmotion.models.filters import resample_poly

    divisor = gcd(from_rate, to_rate)
    return np.clip(resample_poly(samples, to_rate // divisor, from_rate // divisor), -1, 1).astype(np.float32)


@pytest.mark.parametrize("rates", [(22050, 16000), (44100, 16000), (48000, 22050), (16000, 8000), (8000, 16000)])
def test_block_resampling_is_whole_signal_resampling(rates, monkeypatch):
    monkeypatch.setattr(load, "BLOCK_SAMPLES", 4096)
    signal_ = (np.random.default_rng(1).standard_normal(50_001) * 0.3).astype(np.float32)
    np.testing.assert_array_equal(load.resample(signal_, *rates), _whole_resample(signal_, *rates))


def test_streamed_decoding_is_the_whole_file_downmixed_and_resampled(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "BLOCK_SAMPLES", 3000)
    stereo = (np.random.default_rng(2).standard_normal((40_000, 2)) * 0.2).astype(np.float32)
    path = str(tmp_path / "stereo.wav")
    soundfile.write(path, stereo, 48000, subtype="FLOAT")
    np.testing.assert_array_equal(load_audio(path, 16000).samples,
                                  _whole_resample(stereo.mean(axis=1), 48000, 16000))


def test_speech_and_music_features_do_not_depend_on_the_chunk_size(monkeypatch):
    from soundmotion.models.audio.pitch import estimate_pitch
    from soundmotion.models.music import bar_decoder, beat_net, spectrum
    from soundmotion.models.speech import phone_net
    from soundmotion.models.speech.features import frame_features

    speech = load_audio(bad.DEMO_SPEECH, 16000)
    music = load_audio(bad.DEMO_MUSIC, 22050).samples

    def measured():
        features = frame_features(speech.samples, 16000)
        pitch = estimate_pitch(speech)
        posteriors, _ = phone_net.phone_posteriors(speech)
        music_spectrum = spectrum.log_mel_spectrum(music)
        activations = beat_net.beat_activations(music, 22050)
        beats = bar_decoder.decode(activations, beat_net.FRAME_RATE).beats
        return [features.decibels, features.high_ratio, pitch.f0, posteriors, music_spectrum.log_mel,
                spectrum.onset_strength(music_spectrum), activations, beats]

    from soundmotion.models.audio import pitch as pitch_module

    whole = measured()
    monkeypatch.setattr(framing, "CHUNK_FRAMES", 97)  # cut the demo files' analysis into many pieces
    monkeypatch.setattr(pitch_module, "PITCH_CHUNK_FRAMES", 61)
    monkeypatch.setattr(spectrum, "SPECTRUM_CHUNK_FRAMES", 53)
    monkeypatch.setattr(beat_net, "ACTIVATION_BLOCK", 300)
    for a, b in zip(whole, measured()):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)


def test_frame_slices_pad_with_zeros_like_a_padded_copy():
    samples = np.arange(10, dtype=np.float32)
    frames = framing.framed(samples, np.array([-3, 4, 8]), 5)
    np.testing.assert_array_equal(frames, [[0, 0, 0, 0, 1], [4, 5, 6, 7, 8], [8, 9, 0, 0, 0]])


def test_long_music_is_danced_in_cross_faded_parts(monkeypatch):
    """An 18-minute beat grid danced in parts of 5 minutes: one clip of the right length, continuous across the
    joins (no jump larger than the dance's own frame-to-frame motion), each part kept on the floor about its own
    middle (a part shifted to start where the dancer stood went round a circle about another middle)."""
    from soundmotion.clips.motion import MotionClip
    from soundmotion.clips.skeleton import SMPLX_SKELETON
    from soundmotion.models.dance import long_music
    from soundmotion.models.dance.pipeline import DanceResult
    from soundmotion.models.music.analysis import fallback_analysis

    analysis = fallback_analysis(18 * 60.0, "steady", bpm=120.0)
    calls = []
    spine = SMPLX_SKELETON.index("spine1")   # the legs are re-pinned where parts join: an upper-body joint

    def dance(part, report):
        count = int(np.ceil(part.duration * 10 - 1e-9))
        clip = MotionClip.rest(count, fps=10)
        angle = 0.3 * np.sin(np.arange(count) / 7.0 + len(calls))  # each part moves its own way
        clip.rotations[:, spine] = np.stack([np.cos(angle), np.sin(angle), 0 * angle, 0 * angle], axis=1)
        around = np.arange(count) / 100.0 + len(calls)  # round a 1 m circle at 1 cm a frame, starting elsewhere
        clip.root_translation[:, :2] = np.stack([np.cos(around), np.sin(around)], axis=1)
        calls.append(part)
        return DanceResult(clip, part.beats, part.tempo, [f"Style part {len(calls)}"], part, [(0, "step", False)])

    result = long_music.dance_in_parts(analysis, 10.0, dance)
    assert len(calls) == round(18 / 5) and all(part.duration < 7 * 60 for part in calls)
    assert result.clip.num_frames == 18 * 60 * 10
    assert all(abs(part.beats[0]) < 0.6 and part.downbeats[0] == part.beats[part.first_downbeat_index]
               for part in calls)
    steps = np.linalg.norm(np.diff(result.clip.root_translation, axis=0), axis=1)
    assert steps.max() < 0.05  # the parts' own travel is 1 cm a frame; where they start never shows
    assert np.abs(result.clip.root_translation[:, :2]).max() < 1.5  # each part about its own middle, on the floor
    turn = np.abs(np.diff(result.clip.rotations[:, spine, 1]))
    assert turn.max() < 0.06
    assert any("danced in 4 parts" in note or "danced in 3 parts" in note for note in result.notes)
    # One count for the whole dance (the first part's note counted that part only), said once.
    assert [note for note in result.notes if note.startswith("Style ")] == \
        [f"Style part 1: {len(result.moves)} bars danced over the whole music."]


def test_talk_renders_a_short_line_as_a_short_movie(tmp_path):
    """The movie is the take (the line, and the hands settling after it), not the character file's frame range."""
    speech, rate = soundfile.read(bad.DEMO_SPEECH, dtype="float32")
    line = bad.wav(str(tmp_path), "short.wav", speech[:int(1.2 * rate)], rate)
    movie = tmp_path / "short.mp4"
    done = subprocess.run([SOUNDMOTION, "talk", bad.DEMO_BLEND, line, "--out", str(tmp_path / "short.blend"),
                           "--render", str(movie), "--resolution", "64", "36"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                    str(movie)], capture_output=True, text=True, check=True).stdout)
    assert 1.1 < seconds < 1.2 + 1.7  # the demo file's own range is 8.3 s
    assert sorted(os.listdir(tmp_path)) == ["short.blend", "short.mp4", "short.wav"]


def test_long_music_is_danced_in_parts_by_the_captured_engine(monkeypatch):
    """The captured dance (the default engine) also goes through the parts: parts shrunk to 40 s so that 100 s of
    music is danced in 2-3 parts; the phrases' start times (seconds) run on across the joins and the dancer does
    not jump where two parts meet."""
    from soundmotion.models.dance import library, long_music, pipeline
    from soundmotion.models.music.analysis import fallback_analysis

    if not library.available():
        pytest.skip("no dance library in this checkout")
    monkeypatch.setattr(long_music, "PART_SECONDS", 40.0)
    analysis = fallback_analysis(100.0, "steady", bpm=120.0)
    parts = []
    real = pipeline.dance_to_analysis

    def counted(part, *args, **kwargs):
        parts.append(part.duration)
        return real(part, *args, **kwargs)

    monkeypatch.setattr(pipeline, "dance_to_analysis", counted)
    monkeypatch.setattr(pipeline, "analyse_music", lambda audio: analysis)
    audio = types.SimpleNamespace(sample_rate=pipeline.SAMPLE_RATE, duration=100.0)
    result = pipeline.dance_from_audio(audio, fps=30.0, engine="captured", seed=3)
    assert len(parts) >= 2 and max(parts) < 70.0
    assert result.clip.num_frames == 3000
    starts = [move[0] for move in result.moves]
    assert starts == sorted(starts) and starts[-1] > 60.0  # captured moves: (start s, dance, mirrored)
    assert all(isinstance(move[1], str) for move in result.moves)
    steps = np.linalg.norm(np.diff(result.clip.root_translation[:, :2], axis=0), axis=1)
    assert steps.max() < 0.12  # no teleport at a join (a dancer covers well under 3.6 m/s)
    assert any(f"seed 3: {len(result.moves)} phrases danced over the whole music" in note  # not the coded bars
               for note in result.notes)
    assert any("danced in" in note for note in result.notes)
