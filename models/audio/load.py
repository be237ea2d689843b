"""Load any wav/flac/ogg/mp3 file (and, where Blender's FFmpeg is at hand, m4a/aac or a video's sound:
blender_audio.py) as mono float32 at a chosen sample rate, with messages a user can act on.

Decoding streams: the file is read in blocks, each block is downmixed and resampled as it arrives, so memory holds
the mono signal at the analysis rate (16 kHz speech: 230 MB an hour) and one block, never the file's own channels
at its own rate (an hour at 48 kHz in stereo would be 1.4 GB as float32). Resampling in blocks gives the same
samples as resampling the whole signal at once: each block is filtered with enough of its neighbours around it.
"""

import math
import os
import re
from dataclasses import dataclass
from math import gcd

import numpy as np

from ...errors import SoundMotionError

MAX_SECONDS_DEFAULT = 120 * 60.0  # analysis memory grows with length (about 1 GB at an hour): keep it bounded
SILENCE_PEAK = 1e-4  # ~ -80 dBFS: below this nothing audible was recorded
DC_OFFSET = 0.01     # a recording's mean beyond 1 % of full scale is a converter's offset and is taken out (a smaller
                     # one harms nothing, and a waveform's own small mean taken out would sit in its digital silence)
QUIET_PEAK = 0.1     # -20 dBFS: a quieter recording (low gain, a far microphone) is raised to this peak, so that its
                     # speech clears the analyses' absolute floors (speech at -41 dBFS was heard as none)
BLOCK_SAMPLES = 1 << 18  # ~5 s at 48 kHz: what decoding and resampling hold at once
CANCELLED_SHARE = 0.1    # a downmix with under this share of its channels' mean energy has cancelled them (below)
MIN_SAMPLE_RATE = 4000   # Hz: a file sampled slower holds no speech or beat to analyse (its output would be made up)


class AudioError(SoundMotionError):
    """The audio cannot be used; the message tells the user what to do about it."""


@dataclass
class Audio:
    samples: np.ndarray  # mono float32 in [-1, 1]
    sample_rate: int
    path: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def stem(self) -> str:
        return os.path.splitext(os.path.basename(self.path))[0] if self.path else "audio"

    def __fspath__(self) -> str:
        """Decoded audio stands for its file (a transcript beside it, its name in messages)."""
        return self.path


def load_audio(path, sample_rate: int = 16000, max_seconds: float = MAX_SECONDS_DEFAULT,
               allow_silence: bool = False) -> Audio:
    """Decode, downmix and resample; raise AudioError for missing, unreadable, empty, silent or too long audio.

    `path` may be an Audio already decoded (it is resampled if needed and checked the same way)."""
    if isinstance(path, Audio):
        audio = path
        samples = resample(audio.samples, audio.sample_rate, sample_rate)
        name = os.path.basename(audio.path) or "The audio"
        if len(samples) == 0:
            raise AudioError(f"{name} contains no audio samples. Choose a file with sound in it.")
        _check_length(name, len(samples) / sample_rate, max_seconds)
        if not allow_silence and peak_of(samples) < SILENCE_PEAK:
            raise AudioError(f"{name} is silent. Choose a file in which something can be heard.")
        return audio if samples is audio.samples else Audio(samples, sample_rate, audio.path)
    import soundfile

    path = os.fspath(path)
    name = os.path.basename(path)
    if not path or not os.path.exists(path):
        raise AudioError(f"Audio file not found: {path or '(no file chosen)'}. Choose an existing wav, flac, ogg or "
                         "mp3 file.")
    if os.path.isdir(path):
        raise AudioError(f"{path} is a folder, not an audio file. Choose a wav, flac, ogg or mp3 file.")
    if not os.path.isfile(path):  # a pipe (/dev/stdin) or a device (/dev/null) cannot be read twice, nor sized
        raise AudioError(f"{path} is a pipe or a device, not a file on disk: save the audio to a file first and give "
                         "that file.")
    if not os.access(path, os.R_OK):
        raise AudioError(f"No permission to read {path}. Change its permissions or copy it somewhere readable.")
    if os.path.getsize(path) == 0:
        raise AudioError(f"{name} is an empty file (0 bytes). Choose a file with sound in it.")
    try:
        info = soundfile.info(path)
    except Exception:
        return _decoded_by_blender(path, name, sample_rate, max_seconds, allow_silence)
    if info.frames <= 0 or info.duration <= 0 or info.samplerate <= 0:
        raise AudioError(f"{name} contains no audio samples. Choose a file with sound in it.")
    if info.samplerate < MIN_SAMPLE_RATE:
        raise AudioError(f"{name} is sampled at {info.samplerate} Hz, under the {MIN_SAMPLE_RATE} Hz SoundMotion "
                         "needs: use a recording of at least 8 kHz.")
    _check_length(name, info.duration, max_seconds)
    _refuse_truncated(name, info)
    try:
        samples = _decode(soundfile, path, info, sample_rate)
    except (RuntimeError, soundfile.LibsndfileError, OSError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise AudioError(f"Cannot decode {name} ({reason}). Re-export it as wav and try again.") from None
    return _checked(samples, sample_rate, path, allow_silence)


# libsndfile's report of a WAV/W64 "data" or AIFF "SSND" chunk whose header claims more bytes than the file holds:
# "data : 486020 (should be 29956)" for a 11.0 s WAV cut to its first 30000 bytes (0.68 s).
_CHUNK_CLAIM = re.compile(r"^\s*(data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
UNKNOWN_LENGTH = 0xFFFFFF00  # streaming writers put 0xFFFFFFFF (length unknown) in the header: not a truncation
TRUNCATED_SECONDS = 0.1      # missing audio beyond this is a file cut short (a chunk's padding byte is not)


def _refuse_truncated(name: str, info):
    """A file whose header says it is longer than the samples it holds (a recorder that crashed, a copy that was
    interrupted) is refused: libsndfile reads what is there and says nothing, so an 11 s line cut to 0.7 s used to
    make a 0.7 s clip without a word (README: a truncated file is bad input)."""
    for _, claimed, held in _CHUNK_CLAIM.findall(getattr(info, "extra_info", "") or ""):
        claimed, held = int(claimed), int(held)
        if held <= 0 or claimed <= held or claimed >= UNKNOWN_LENGTH:
            continue
        said = info.duration * claimed / held
        if said - info.duration > TRUNCATED_SECONDS:
            raise AudioError(f"{name} is truncated: its header says {said:.1f} s but the file holds "
                             f"{info.duration:.1f} s (a copy or recording cut short). Copy or export it again, or "
                             "re-save the part that is there (e.g. with Audacity or sox) to use only that.")


VIDEO_SIGNATURES = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (8, b"AVI "), (0, b"\x00\x00\x01\xba"))  # MP4/MOV,
# Matroska/WebM, AVI, MPEG-PS: containers whose sound (when there is one) Blender's FFmpeg reads


def _unreadable_kind(path: str) -> str:
    """What a file no decoder reads looks like: "video" (a container that may lack sound), "text", or ""."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if any(head[offset:offset + len(magic)] == magic for offset, magic in VIDEO_SIGNATURES):
        return "video"
    text = head.decode("utf-8", errors="ignore")  # a character cut at the 512th byte is dropped
    return "text" if b"\x00" not in head and text.strip() and all(c.isprintable() or c.isspace() for c in text) else ""


def _decoded_by_blender(path: str, name: str, sample_rate: int, max_seconds: float, allow_silence: bool) -> Audio:
    """A file libsndfile cannot read (AAC / M4A, a video's sound), decoded by Blender's FFmpeg where there is one."""
    from . import blender_audio

    seconds = blender_audio.sound_seconds(path)
    if seconds is None:
        kind = _unreadable_kind(path)
        if kind == "video" and blender_audio.audaspace() is not None:  # without it no video's sound could be read
            raise AudioError(f"{name} is a video with no sound track that can be read. Choose a video with sound, or "
                             "its sound as a wav, flac, ogg or mp3 file.")
        if kind == "text":
            raise AudioError(f"{name} holds text, not audio. Choose the recording itself (wav, flac, ogg or mp3).")
        raise AudioError(f"Cannot read {name} as audio. Convert it to wav, flac, ogg or mp3 and try again.")
    _check_length(name, seconds, max_seconds)
    samples = downmixed(_finite(blender_audio.decode(path, sample_rate)))
    return _checked(np.clip(samples, -1.0, 1.0), sample_rate, path, allow_silence)


def _checked(samples: np.ndarray, sample_rate: int, path: str, allow_silence: bool) -> Audio:
    """The decoded samples conditioned, refused where there are none or nothing can be heard."""
    name = os.path.basename(path)
    if len(samples) == 0:
        raise AudioError(f"{name} contains no audio samples. Choose a file with sound in it.")
    samples, peak = conditioned(samples)
    if not allow_silence and peak < SILENCE_PEAK:
        raise AudioError(f"{name} is silent. Choose a file in which something can be heard.")
    return Audio(samples, sample_rate, path)


def conditioned(samples: np.ndarray) -> tuple:
    """(samples, peak) with what a recorder adds and the analyses should not hear taken out, in place: a constant
    offset (DC, from a cheap converter) is removed, which otherwise raised every frame's level so that speech no
    longer stood above the floor (an offset of 0.1 hid it all), and a quiet recording is raised to QUIET_PEAK."""
    offset = float(np.mean(samples, dtype=np.float64))
    if abs(offset) > DC_OFFSET:
        samples -= np.float32(offset)
    peak = peak_of(samples)
    if SILENCE_PEAK <= peak < QUIET_PEAK:
        samples *= np.float32(QUIET_PEAK / peak)
        peak = QUIET_PEAK
    return samples, peak


def downmixed(block: np.ndarray) -> np.ndarray:
    """Mono of a (samples, channels) block: the channels' mean; but where that mean has cancelled them (a channel
    wired or exported with its polarity inverted: left = -right, whose mean is silence; its energy under
    CANCELLED_SHARE of the channels' mean energy, where channels that share nothing give half), the loudest
    channel instead."""
    if block.ndim == 1 or block.shape[1] == 1:
        return np.ascontiguousarray(block.reshape(len(block), -1)[:, 0])
    mono = block.mean(axis=1)
    if channels_cancel(block, mono):
        return np.ascontiguousarray(block[:, int(np.argmax(np.einsum("ij,ij->j", block, block, dtype=np.float64)))])
    return mono


def channels_cancel(block: np.ndarray, mono: np.ndarray) -> bool:
    """Whether `mono`, the mean of a (samples, channels) block's channels, holds under CANCELLED_SHARE of their mean
    energy (downmixed's rule; blender_audio asks it of a file's first minute)."""
    energies = np.einsum("ij,ij->j", block, block, dtype=np.float64)
    return float(np.dot(mono, mono)) < CANCELLED_SHARE * float(energies.mean())


def _finite(samples: np.ndarray) -> np.ndarray:
    """`samples` with a float file's NaN as silence and its infinities at full scale."""
    return samples if np.isfinite(samples).all() else np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)


def peak_of(samples: np.ndarray) -> float:
    """The largest absolute sample, without an |samples| copy of the signal."""
    return float(max(samples.max(), -samples.min())) if len(samples) else 0.0


def _check_length(name: str, seconds: float, max_seconds: float):
    if seconds > max_seconds:
        raise AudioError(f"{name} is {seconds / 60:.1f} minutes long; the limit is {max_seconds / 60:.0f} minutes. "
                         "Trim the audio or split it into parts.")


def _decode(soundfile, path: str, info, sample_rate: int) -> np.ndarray:
    """Mono float32 at sample_rate, read block by block."""
    native = int(info.samplerate)
    out = np.empty(output_length(int(info.frames), native, sample_rate), np.float32)
    filled = 0

    def mono_blocks():
        with soundfile.SoundFile(path) as handle:
            while True:
                block = handle.read(BLOCK_SAMPLES, dtype="float32", always_2d=True)
                if not len(block):
                    return
                yield downmixed(_finite(block))  # before resampling: NaN would spread through the filter

    for piece in resampled_blocks(mono_blocks(), native, sample_rate):
        if filled + len(piece) > len(out):  # a header that undercounts its frames
            out = np.concatenate([out[:filled], np.empty(filled + len(piece) - len(out) + BLOCK_SAMPLES, np.float32)])
        out[filled:filled + len(piece)] = piece
        filled += len(piece)
    return out[:filled]


def output_length(count: int, from_rate: int, to_rate: int) -> int:
    up, down = _ratio(from_rate, to_rate)
    return count * up // down + bool(count * up % down)


def _ratio(from_rate: int, to_rate: int) -> tuple:
    divisor = gcd(int(from_rate), int(to_rate))
    return int(to_rate) // divisor, int(from_rate) // divisor


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """The signal at `to_rate` (float32, clipped to [-1, 1]); long signals are filtered block by block."""
    if from_rate == to_rate:
        return np.ascontiguousarray(samples, dtype=np.float32)
    out = np.empty(output_length(len(samples), from_rate, to_rate), np.float32)
    filled = 0
    blocks = (samples[k:k + BLOCK_SAMPLES] for k in range(0, len(samples), BLOCK_SAMPLES))
    for piece in resampled_blocks(blocks, from_rate, to_rate):
        out[filled:filled + len(piece)] = piece
        filled += len(piece)
    return out[:filled]


def resampled_blocks(blocks, from_rate: int, to_rate: int):
    """Resample a signal that arrives in blocks; yields float32 pieces that join into what scipy's
    `resample_poly` gives for the whole signal (clipped to [-1, 1]).

    Each piece is filtered with `margin` input samples on either side, more than the filter's reach, and starts
    at a multiple of `down` input samples so that it lands on the output's sample grid."""
    from ..filters import resample_poly

    up, down = _ratio(from_rate, to_rate)
    if up == down:
        for block in blocks:
            yield np.asarray(block, np.float32)
        return
    reach = math.ceil(10 * max(up, down) / up) + 2  # resample_poly's filter: 10·max(up, down) taps each side
    margin = down * math.ceil(reach / down)
    step = down * max(1, math.ceil(BLOCK_SAMPLES / down))
    buffer, buffer_start, start = np.zeros(0, np.float32), 0, 0  # buffer holds input samples from buffer_start

    def piece(end: int, final: bool) -> np.ndarray:
        window_start = max(0, start - margin)
        window = buffer[window_start - buffer_start:(end if final else end + margin) - buffer_start]
        out = resample_poly(window, up, down)
        first = (start - window_start) * up // down
        count = None if final else (end - start) * up // down
        return np.clip(out[first:None if count is None else first + count], -1.0, 1.0).astype(np.float32)

    for block in blocks:
        buffer = np.concatenate([buffer, np.asarray(block, np.float32)])
        while buffer_start + len(buffer) >= start + step + margin:
            yield piece(start + step, final=False)
            start += step
            keep = max(0, start - margin)
            buffer, buffer_start = buffer[keep - buffer_start:], keep
    end = buffer_start + len(buffer)
    if end > start:
        yield piece(end, final=True)
