import numpy as np
import pytest
import soundfile

from soundmotion.models.audio.load import AudioError, load_audio
from soundmotion.models.audio.loudness import rms_envelope


def tone(seconds=1.0, rate=44100, channels=2, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    mono = amplitude * np.sin(2 * np.pi * 220 * t)
    return np.column_stack([mono] * channels) if channels > 1 else mono


@pytest.mark.parametrize("suffix, fmt", [(".wav", "WAV"), (".flac", "FLAC"), (".ogg", "OGG"), (".mp3", "MP3")])
def test_any_format_rate_and_channel_count_becomes_mono_16k(tmp_path, suffix, fmt):
    path = tmp_path / f"tone{suffix}"
    soundfile.write(path, tone(), 44100, format=fmt)
    audio = load_audio(path)
    assert audio.sample_rate == 16000 and audio.samples.ndim == 1
    assert abs(audio.duration - 1.0) < 0.06  # mp3 adds encoder padding
    assert 0.3 < np.sqrt(np.mean(audio.samples ** 2)) < 0.4  # 0.5 * sin has RMS 0.354
    assert audio.stem == "tone"


def test_missing_file_says_to_choose_another(tmp_path):
    with pytest.raises(AudioError, match="not found.*Choose an existing"):
        load_audio(tmp_path / "nope.wav")


def test_unreadable_file_says_what_it_is_or_to_convert(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio")
    with pytest.raises(AudioError, match="notes.wav holds text, not audio. Choose the recording itself"):
        load_audio(path)
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8)
    with pytest.raises(AudioError, match="Cannot read notes.wav as audio. Convert"):
        load_audio(path)
    video = tmp_path / "shot.mp4"  # an MP4 container's header, no stream Blender's FFmpeg can read sound from
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64))
    with pytest.raises(AudioError, match="shot.mp4 is a video with no sound track that can be read"):
        load_audio(video)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.wav"
    soundfile.write(path, np.zeros((0,)), 16000)
    with pytest.raises(AudioError, match="no audio samples"):
        load_audio(path)


def test_silent_file_is_refused_unless_allowed(tmp_path):
    path = tmp_path / "quiet.wav"
    soundfile.write(path, np.zeros(16000), 16000)
    with pytest.raises(AudioError, match="is silent"):
        load_audio(path)
    assert load_audio(path, allow_silence=True).duration == pytest.approx(1.0)


def test_too_long_file_names_the_limit(tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, tone(3.0, 8000, 1), 8000)
    with pytest.raises(AudioError, match="limit is 0 minutes|Trim the audio"):
        load_audio(path, max_seconds=2.0)


def test_rms_envelope_follows_loudness_per_frame(tmp_path):
    path = tmp_path / "steps.wav"
    soundfile.write(path, np.concatenate([tone(1.0, 16000, 1, 0.5), np.zeros(16000)]), 16000)
    envelope = rms_envelope(load_audio(path), fps=30)
    assert len(envelope) == 60
    assert envelope[10] == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    assert envelope[45] == 0.0


def test_an_offset_a_quiet_recording_and_a_float_files_nan_are_conditioned(tmp_path):
    rate = 16000
    voice = tone(1.0, rate, 1, 0.5)
    soundfile.write(tmp_path / "offset.wav", 0.1 + voice, rate)  # a cheap converter's DC
    soundfile.write(tmp_path / "far.wav", 0.01 * voice, rate)    # -46 dBFS: a far microphone, low gain
    broken = voice.astype(np.float32)
    broken[::1000] = np.nan
    soundfile.write(tmp_path / "nan.wav", broken, rate, subtype="FLOAT")
    offset = load_audio(tmp_path / "offset.wav")
    assert abs(float(offset.samples.mean())) < 1e-4 and offset.samples.max() == pytest.approx(0.5, abs=0.01)
    far = load_audio(tmp_path / "far.wav")
    assert np.abs(far.samples).max() == pytest.approx(0.1, rel=1e-3)
    clean = load_audio(tmp_path / "nan.wav")  # NaN through the resampler's filter silenced whole stretches
    assert np.isfinite(clean.samples).all() and np.sqrt(np.mean(clean.samples ** 2)) == pytest.approx(0.354, abs=0.01)
    loud = tmp_path / "loud.wav"
    soundfile.write(loud, voice, rate)
    as_written = soundfile.read(loud, dtype="float32")[0]
    assert np.array_equal(load_audio(loud).samples, as_written)  # a clean recording is left alone


def test_stereo_whose_channels_cancel_keeps_its_sound(tmp_path):
    # One channel with its polarity inverted (left = -right: a miswired recorder, a bad export) averaged to
    # silence: the file was refused as silent. Ordinary stereo is still the channels' mean.
    signal = tone(1.0, 44100, 1, 0.5).astype(np.float32)
    soundfile.write(tmp_path / "inverted.wav", np.stack([signal, -signal], 1), 44100)
    soundfile.write(tmp_path / "left.wav", np.stack([signal, 0 * signal], 1), 44100)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((44100, 2)).astype(np.float32) * 0.1
    soundfile.write(tmp_path / "wide.wav", noise, 44100, subtype="FLOAT")
    inverted = load_audio(tmp_path / "inverted.wav", 44100).samples
    assert np.sqrt(np.mean(inverted ** 2)) == pytest.approx(0.354, abs=0.01)
    assert np.allclose(load_audio(tmp_path / "left.wav", 44100).samples, signal / 2, atol=1e-4)
    assert np.allclose(load_audio(tmp_path / "wide.wav", 44100).samples, noise.mean(axis=1), atol=1e-6)


def test_a_voice_memo_in_m4a_and_a_videos_sound_are_read_by_blenders_ffmpeg(tmp_path):
    # libsndfile reads neither AAC nor a video container: phones' voice memos (.m4a) and reference video were
    # refused with "Convert it". Blender's Audaspace decodes them with its own FFmpeg (bpy 5.0's module has it;
    # 4.2's PyPI module has no `aud`, where the old refusal stands).
    import subprocess

    from soundmotion.models.audio import blender_audio

    if blender_audio.audaspace() is None:
        pytest.skip("this bpy module has no Audaspace")
    wav = tmp_path / "memo.wav"
    soundfile.write(wav, tone(2.0, 44100, 1, 0.5), 44100)
    memo, video = tmp_path / "memo.m4a", tmp_path / "take.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(memo)], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=64x64:rate=10", "-i",
                    str(wav), "-shortest", "-c:v", "libx264", "-c:a", "aac", str(video)], check=True)
    inverted = tmp_path / "inverted.m4a"  # stereo, right = -left: Audaspace's own downmix silenced it
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-af", "pan=stereo|c0=c0|c1=-1*c0", "-c:a", "aac",
                    str(inverted)], check=True)
    with pytest.raises(Exception):
        soundfile.info(memo)
    for path in (memo, video, inverted):
        audio = load_audio(path)
        assert audio.sample_rate == 16000 and abs(audio.duration - 2.0) < 0.1
        assert np.sqrt(np.mean(audio.samples[1600:-1600] ** 2)) == pytest.approx(0.354, abs=0.02)
        spectrum = np.abs(np.fft.rfft(audio.samples[:16000]))
        assert abs(np.argmax(spectrum) - 220) <= 1  # the 220 Hz tone, 1 Hz bins
    garbage = tmp_path / "memo2.m4a"
    garbage.write_bytes(b"\x00\x01" * 4000)
    with pytest.raises(AudioError, match="Cannot read memo2.m4a as audio"):
        load_audio(garbage)
    assert blender_audio.sound_seconds(str(garbage)) is None
