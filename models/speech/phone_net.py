"""Phone recognition without a transcript: a small learned frame classifier plus a duration-aware decode.

Log-mel frames (10 ms, frame k centred on k·10 ms) go through a non-causal dilated convolution net that sees
about ±330 ms around each frame and gives per-frame log-posteriors over ARPAbet phones and SIL. A Viterbi
decode with a price on every phone change and a minimum length per phone turns them into timed segments.

The net is trained by `scripts/train_phone_net.py` (torch, offline) on synthetic speech: espeak-ng's, and flite
voices made from recordings of real speakers; here it runs on numpy alone, with the weights in
`phone_net_weights.npz` beside this file.
"""

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..audio.frames import frame_chunks, framed
from ..audio.load import Audio, resample
from ..audio.mel import htk_mel_triangles
from .segments import FRAME_SECONDS, SILENCE, PhoneSegment

WEIGHTS_PATH = os.path.join(os.path.dirname(__file__), "phone_net_weights.npz")
# The English real-speech recogniser: the same net fine-tuned on real English speakers (scripts/
# train_recognition_head.py); audio-only recognition takes the lip closures it hears as a second opinion.
ENGLISH_WEIGHTS_PATH = os.path.join(os.path.dirname(__file__), "phone_net_en_weights.npz")

FEATURE_RATE = 16000
WINDOW_SAMPLES = 400   # 25 ms
FFT_SIZE = 512
MEL_BANDS = 40
MEL_LOW_HZ, MEL_HIGH_HZ = 60.0, 7600.0
LOG_FLOOR = 1e-6

# Decode settings, chosen on held-out synthetic speech (other voices and sentences than the lip-sync bench).
# Measured there: any penalty 1–6 and minimum 1–4 frames lie within 0.006 of frame accuracy; longer minimum
# lengths trade lip closures found for fewer closed lips in vowels; dividing by the priors changed < 0.002.
SWITCH_PENALTY = 4.0      # log-probability paid for each change of phone
MIN_FRAMES = 3            # shortest phone, in 10 ms frames
SILENCE_MIN_FRAMES = 3
PRIOR_SCALE = 0.0         # 0: decode posteriors as they are; 1: divide by the training phone frequencies
# Log-probability added to the lip closures (B, M, P) before decoding: people's closures are shorter and softer than
# a synthesiser's. 0 → 0.75 → 1.0 gave the LibriVox lines 83 → 90 → 97 % closures with 2.2 → 4.5 → 4.7 % closed
# open-vowel frames, Festival's slt (8 sentences) 74 → 83 → 83 %, half the espeak bench 97.7 → 98.2 → 98.5 % with
# 0.33 → 0.71 → 0.93 %. At 0.75 the full benches measured English espeak 1.0 % closed open-vowel frames (today's
# limit 0.9 %) and Russian 7.2 % (limit 5 %), held-out real speakers 52 → 61 % closures: left at 0 (see
# bench/lipsync_results.md).
LABIAL_BIAS = 0.0
LABIALS = ("B", "M", "P")


class PhoneNetUnavailable(RuntimeError):
    """The weights file is missing (run `make train-phones`)."""


def log_mel_frames(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """(T, MEL_BANDS) log-mel energies, one frame per 10 ms, frame k centred on k·10 ms, T = ceil(duration/10 ms);
    computed a chunk of frames at a time (models/audio/frames.py)."""
    samples = resample(np.asarray(samples, np.float32), int(sample_rate), FEATURE_RATE)
    hop = int(FEATURE_RATE * FRAME_SECONDS)
    count = max(1, int(np.ceil(len(samples) / hop - 1e-9)))
    starts = np.arange(count) * hop - WINDOW_SAMPLES // 2
    window = np.hanning(WINDOW_SAMPLES).astype(np.float32)
    mel = np.empty((count, MEL_BANDS), np.float32)
    for first, end in frame_chunks(count):
        frames = framed(samples, starts[first:end], WINDOW_SAMPLES)
        power = np.abs(np.fft.rfft(frames * window, n=FFT_SIZE, axis=1)).astype(np.float32) ** 2
        mel[first:end] = np.log(power @ _mel_filters() + LOG_FLOOR)
    return mel


def normalized_features(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Log-mel frames with each band's mean and spread over the utterance removed (level and channel)."""
    mel = log_mel_frames(samples, sample_rate)
    return ((mel - mel.mean(axis=0)) / (mel.std(axis=0) + 1e-3)).astype(np.float32)


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """(FFT_SIZE//2+1, MEL_BANDS) triangular filters on the HTK mel scale."""
    return htk_mel_triangles(FFT_SIZE, FEATURE_RATE, MEL_BANDS, MEL_LOW_HZ, MEL_HIGH_HZ)


@dataclass(frozen=True)
class PhoneNet:
    phones: tuple        # class names: ARPAbet without stress, and SIL
    layers: tuple        # (weight (k·C_in, C_out), bias (C_out,), kernel, dilation, residual) in order
    log_prior: np.ndarray


def load_phone_net(path: str = WEIGHTS_PATH) -> PhoneNet:
    """The trained net at `path` (the shared net, or ENGLISH_WEIGHTS_PATH), read once per process (one cache entry
    per file, however the call names it)."""
    return _load_phone_net(os.path.realpath(path))


@lru_cache(maxsize=2)
def _load_phone_net(path: str) -> PhoneNet:
    if not os.path.isfile(path):
        raise PhoneNetUnavailable(f"Phone recogniser weights are missing ({path}); run `make train-phones`.")
    with np.load(path, allow_pickle=False) as data:
        phones = tuple(str(p) for p in data["phones"])
        if int(data["mel_bands"]) != MEL_BANDS or int(data["feature_rate"]) != FEATURE_RATE:
            raise PhoneNetUnavailable("Phone recogniser weights were trained on other features; retrain them.")
        layers = []
        for k in range(int(data["layer_count"])):
            weight = data[f"layer{k}_weight"].astype(np.float32)  # (C_out, C_in, kernel), torch's layout
            out_channels, in_channels, kernel = weight.shape
            stacked = np.ascontiguousarray(weight.transpose(2, 1, 0).reshape(kernel * in_channels, out_channels))
            layers.append((stacked, data[f"layer{k}_bias"].astype(np.float32), kernel,
                           int(data[f"layer{k}_dilation"]), bool(data[f"layer{k}_residual"])))
        log_prior = data["log_prior"].astype(np.float32)
    return PhoneNet(phones, tuple(layers), log_prior)


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, kernel: int, dilation: int) -> np.ndarray:
    """'Same' 1-D convolution over time of x (T, C_in) as one matmul over the stacked shifted copies."""
    if kernel == 1:
        return x @ weight + bias
    reach = dilation * (kernel - 1) // 2
    padded = np.pad(x, ((reach, reach), (0, 0)))
    count = len(x)
    columns = np.concatenate([padded[j * dilation:j * dilation + count] for j in range(kernel)], axis=1)
    return columns @ weight + bias


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def net_log_posteriors(features: np.ndarray, net: PhoneNet) -> np.ndarray:
    """Run the net on normalised features (T, MEL_BANDS) → (T, K) log-posteriors, a chunk of frames at a time
    with the net's reach of context on either side (so every frame sees what it sees in one pass).

    The architecture is read from the weights: each layer is a convolution followed by ReLU, except the
    last; a residual layer adds its input back (a block of dilated conv → ReLU → 1×1 conv → + input).
    """
    reach = sum(dilation * (kernel - 1) // 2 for _, _, kernel, dilation, _ in net.layers)
    count = len(features)
    out = None
    for first, end in frame_chunks(count):
        lo, hi = max(0, first - reach), min(count, end + reach)
        part = _net_pass(features[lo:hi], net)[first - lo:end - lo]
        out = np.empty((count, part.shape[1]), part.dtype) if out is None else out
        out[first:end] = part
    return out if out is not None else _net_pass(features, net)


def _net_pass(features: np.ndarray, net: PhoneNet) -> np.ndarray:
    x = features
    block_input = None
    for index, (weight, bias, kernel, dilation, residual) in enumerate(net.layers):
        if kernel > 1 and index > 0:
            block_input = x
        x = _conv(x, weight, bias, kernel, dilation)
        if residual:
            x = x + block_input
        if index < len(net.layers) - 1:
            np.maximum(x, 0.0, out=x)
    return _log_softmax(x)


def phone_posteriors(audio: Audio, path: str = WEIGHTS_PATH, features: np.ndarray | None = None) -> tuple:
    """(log_probs (T, K), phone names): per 10 ms frame (frame k centred on k·10 ms), how likely each phone is,
    by the net at `path`. `features`: the audio's normalized_features, when already made (both nets take the
    same)."""
    net = load_phone_net(path)
    if features is None:
        features = normalized_features(audio.samples, audio.sample_rate)
    return net_log_posteriors(features, net), net.phones


def decode_phones(log_probs: np.ndarray, phones: tuple, log_prior: np.ndarray | None = None,
                  switch_penalty: float = SWITCH_PENALTY, min_frames: int = MIN_FRAMES,
                  silence_min_frames: int = SILENCE_MIN_FRAMES, prior_scale: float = PRIOR_SCALE,
                  labial_bias: float | None = None, labial_boost: np.ndarray | None = None) -> list:
    """Most likely phone sequence under a price per change and a minimum length → [(phone, first, end) frames].
    `labial_boost` (T,): log-probability added to p/b/m frame by frame (phonemes.dip_boost).

    Each phone is a left-to-right chain of `min_frames` states whose last state may repeat; leaving a chain's
    last state for another phone's first costs `switch_penalty`.
    """
    scores = log_probs.astype(np.float64)
    if log_prior is not None and prior_scale:
        scores = scores - prior_scale * log_prior[None, :]
    bias = LABIAL_BIAS if labial_bias is None else labial_bias
    labials = [k for k, name in enumerate(phones) if name in LABIALS]
    if bias:
        scores[:, labials] += bias
    if labial_boost is not None:
        boost = np.zeros(len(scores))
        boost[:min(len(scores), len(labial_boost))] = labial_boost[:len(scores)]
        scores[:, labials] += boost[:, None]
    count, classes = scores.shape
    if count == 0:
        return []
    lengths = np.full(classes, max(1, min_frames))
    if SILENCE in phones:
        lengths[phones.index(SILENCE)] = max(1, silence_min_frames)
    depth = int(lengths.max())
    # State (k, i): the i-th frame of phone k's chain; its last state lengths[k]-1 may repeat. Unused: -inf.
    unused = np.arange(depth)[None, :] >= lengths[:, None]
    rows, last = np.arange(classes), lengths - 1
    state = np.full((classes, depth), -np.inf)
    state[:, 0] = scores[0]
    state[unused] = -np.inf
    entered_from = np.zeros((count, classes), np.int32)  # chain starts: the phone that ended before
    stayed = np.zeros((count, classes), bool)            # last states: repeated, rather than reached
    for t in range(1, count):
        ends = state[rows, last]
        runner_up, best = np.argsort(ends)[-2:]
        source = np.where(rows == best, runner_up, best)
        enter = ends[source] - switch_penalty
        following = np.full_like(state, -np.inf)
        following[:, 1:] = state[:, :-1]
        reached = np.where(lengths == 1, enter, following[rows, last])
        stayed[t] = ends >= reached
        following[:, 0] = enter
        following[rows, last] = np.maximum(ends, reached)
        following[unused] = -np.inf
        entered_from[t] = source
        state = following + scores[t][:, None]
    phone = int(np.argmax(state[rows, last]))
    position = int(last[phone])
    labels = np.empty(count, np.int32)
    for t in range(count - 1, -1, -1):
        labels[t] = phone
        if t == 0:
            break
        if position == last[phone] and stayed[t, phone]:
            continue
        if position > 0:
            position -= 1
            continue
        phone = int(entered_from[t, phone])
        position = int(last[phone])
    runs = []
    change = np.flatnonzero(np.diff(labels)) + 1
    for first, end in zip(np.concatenate([[0], change]), np.concatenate([change, [count]])):
        runs.append((phones[labels[first]], int(first), int(end)))
    return runs


def recognize_phones_with_net(audio: Audio) -> list:
    """Timed phones (PhoneSegment, seconds; SIL where nothing is said) heard in `audio`, without a transcript."""
    net = load_phone_net()
    log_probs = net_log_posteriors(normalized_features(audio.samples, audio.sample_rate), net)
    return [PhoneSegment(name, first * FRAME_SECONDS, end * FRAME_SECONDS)
            for name, first, end in decode_phones(log_probs, net.phones, net.log_prior)]


__all__ = ["PhoneNet", "PhoneNetUnavailable", "decode_phones", "load_phone_net", "log_mel_frames",
           "net_log_posteriors", "normalized_features", "phone_posteriors", "recognize_phones_with_net"]
