"""The input pocketsphinx needs: 16 kHz mono signed 16-bit little-endian PCM bytes."""

import numpy as np

from ..audio.load import BLOCK_SAMPLES, Audio, peak_of, resample

DECODER_RATE = 16000


def decoder_pcm(audio: Audio) -> bytes:
    samples = resample(audio.samples, audio.sample_rate, DECODER_RATE)
    peak = peak_of(samples)
    # Quiet recordings decode worse; bring the peak near full scale (the decoder normalises cepstra anyway).
    gain = min(0.9 / peak, 30.0) if peak > 0 else 1.0
    pcm = bytearray(2 * len(samples))
    for first in range(0, len(samples), BLOCK_SAMPLES):  # converted a block at a time (same bytes)
        block = samples[first:first + BLOCK_SAMPLES]
        pcm[2 * first:2 * (first + len(block))] = (np.clip(block * gain, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return bytes(pcm)
