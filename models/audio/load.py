"""Load any wav/flac/ogg/mp3 file as mono float32 at a chosen sample rate, with messages a user can act on."""

import os
from dataclasses import dataclass
from math import gcd

import numpy as np

MAX_SECONDS_DEFAULT = 15 * 60.0
SILENCE_PEAK = 1e-4  # ~ -80 dBFS: below this nothing audible was recorded


class AudioError(ValueError):
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


def load_audio(path, sample_rate: int = 16000, max_seconds: float = MAX_SECONDS_DEFAULT,
               allow_silence: bool = False) -> Audio:
    """Decode, downmix and resample; raise AudioError for missing, unreadable, empty, silent or too long audio."""
    import soundfile

    path = os.fspath(path)
    if not path or not os.path.isfile(path):
        raise AudioError(f"Audio file not found: {path or '(no file chosen)'}. Choose an existing wav, flac, ogg or mp3 file.")
    try:
        info = soundfile.info(path)
    except Exception:
        raise AudioError(
            f"Cannot read {os.path.basename(path)} as audio. Convert it to wav, flac, ogg or mp3 and try again.") from None
    if info.frames <= 0 or info.duration <= 0:
        raise AudioError(f"{os.path.basename(path)} contains no audio samples. Choose a file with sound in it.")
    if info.duration > max_seconds:
        raise AudioError(
            f"{os.path.basename(path)} is {info.duration / 60:.1f} minutes long; the limit is "
            f"{max_seconds / 60:.0f} minutes. Trim the audio or split it into parts.")
    try:
        data, native_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as error:
        raise AudioError(f"Cannot decode {os.path.basename(path)} ({error}). Re-export it as wav and try again.") from None
    mono = data.mean(axis=1)
    if len(mono) == 0:
        raise AudioError(f"{os.path.basename(path)} contains no audio samples. Choose a file with sound in it.")
    if not allow_silence and float(np.max(np.abs(mono))) < SILENCE_PEAK:
        raise AudioError(f"{os.path.basename(path)} is silent. Choose a file in which something can be heard.")
    return Audio(resample(mono, native_rate, sample_rate), sample_rate, path)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate:
        return np.ascontiguousarray(samples, dtype=np.float32)
    from ..filters import resample_poly

    divisor = gcd(int(from_rate), int(to_rate))
    out = resample_poly(samples, int(to_rate) // divisor, int(from_rate) // divisor)
    return np.clip(out, -1.0, 1.0).astype(np.float32)
