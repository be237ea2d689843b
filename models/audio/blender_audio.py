"""Blender adapter: audio that libsndfile cannot read (AAC / M4A voice memos, the sound track of an MP4, MOV or MKV
video, WMA, ...) decoded by Blender's own FFmpeg through Audaspace (`aud`).

Only where Blender's Python runs (the add-on), or where the bpy module can be imported beside the command line
(bpy from PyPI brings `aud` with it from 5.0; 4.2's module has none); elsewhere such a file is refused as before, with
a sentence that says to convert it. Nothing is downloaded.
"""

import importlib.util
import sys

import numpy as np


def audaspace():
    """The `aud` module, or None where there is none."""
    try:
        import aud  # inside Blender

        return aud
    except ImportError:
        pass
    if "bpy" not in sys.modules and importlib.util.find_spec("bpy") is None:
        return None
    try:
        import bpy  # noqa: F401  (the PyPI module: `aud` comes with it)
        import aud

        return aud
    except ImportError:
        return None


def sound_seconds(path: str) -> float | None:
    """The length of `path` in seconds as Blender's FFmpeg reads it; None where it cannot read it (or has no aud)."""
    aud = audaspace()
    if aud is None:
        return None
    try:
        sound = aud.Sound(path)
        rate, _ = sound.specs  # raises aud.error (never aborts) where no reader takes the file
        frames = sound.length
    except Exception:  # noqa: BLE001 - aud.error, or whatever an unusual build raises: the file is not for us
        return None
    return frames / rate if rate > 0 and frames > 0 else None


def decode(path: str, sample_rate: int) -> np.ndarray:
    """(samples, channels) float32 at `sample_rate` for load.downmixed: mixed to one channel by Audaspace, or, where
    the channels cancel in the first PROBE_SECONDS (a channel of opposite polarity, whose mix is silence), the file's
    own channels (twice the memory, so only then). Call only after sound_seconds(path) found the file readable:
    Audaspace aborts the process (an uncaught C++ exception) when asked for the samples of a file no reader
    takes."""
    aud = audaspace()
    sound = aud.Sound(path)
    if not _channels_cancel(sound):
        sound = sound.rechannel(1)
    try:
        sound = sound.resample(sample_rate, 3)  # 5.0: quality 0 (fastest) .. 3 (best)
    except TypeError:
        sound = sound.resample(sample_rate, True)  # older Audaspace: high_quality
    samples = np.asarray(sound.data(), dtype=np.float32)
    return samples.reshape(len(samples), -1)


PROBE_SECONDS = 60.0


def _channels_cancel(sound) -> bool:
    """Whether the channels cancel over the first PROBE_SECONDS (load.channels_cancel, the downmix's own rule)."""
    from .load import channels_cancel

    if sound.specs[1] < 2:
        return False
    probe = np.asarray(sound.limit(0.0, PROBE_SECONDS).data(), dtype=np.float64)
    probe = probe.reshape(len(probe), -1)
    return channels_cancel(probe, probe.mean(axis=1))
