"""The input pocketsphinx needs: 16 kHz mono signed 16-bit little-endian PCM bytes."""

import numpy as np

from ..audio.load import Audio, resample

DECODER_RATE = 16000


def decoder_pcm(audio: Audio) -> bytes:
    samples = resample(audio.samples, audio.sample_rate, DECODER_RATE)
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    # Quiet recordings decode worse; bring the peak near full scale (the decoder normalises cepstra anyway).
    gain = min(0.9 / peak, 30.0) if peak > 0 else 1.0
    return (np.clip(samples * gain, -1.0, 1.0) * 32767).astype("<i2").tobytes()
