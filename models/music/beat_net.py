"""Beat and downbeat activations from a small learned net over a log-mel spectrogram, run with numpy alone.

Frames are 20 ms (50 per second, frame k centred on k·20 ms). The features are a 64-band log-mel spectrum of
the peak-normalised signal at 22.05 kHz and its half-wave rectified change, standardised per band with the
training set's statistics. The net is a temporal convolution network in the manner of Böck & Davies
(2019–2020): an input layer over three frames, then residual blocks of two parallel dilated convolutions over
time (kernel 3, dilations d and 2d, d = 1, 2, 4 … 128: each frame hears about ±10 s), and two sigmoid outputs:
"a beat is here" and "a downbeat is here".

It is trained by `scripts/train_beat_net.py` (torch, offline, `make train-beats`) on music rendered from
notation with FluidSynth under human-like timing and on game music labelled by madmom (a teacher only); the
weights sit beside this file in `beat_net_weights.npz` and `beat_net_weights_2.npz` (two nets, averaged), and
`beat_net_weights_3.npz`, a third net the analysis adds to the mean where the pair's beats are not sure
(`analysis.SECOND_LOOK_CONFIDENCE`).
"""

import os
from functools import lru_cache

import numpy as np

from ..audio.frames import frame_chunks, framed
from ..audio.load import peak_of, resample
from ..audio.mel import htk_mel_edges, htk_mel_triangles

WEIGHTS_PATH = os.path.join(os.path.dirname(__file__), "beat_net_weights.npz")
# The analysis averages the activations of two nets trained on different recipes (README, "Beats, bars and
# meter"): on both tuning splits the pair beat either net alone.
SECOND_WEIGHTS_PATH = os.path.join(os.path.dirname(__file__), "beat_net_weights_2.npz")
WEIGHTS_PATHS = (WEIGHTS_PATH, SECOND_WEIGHTS_PATH)
# A third net, trained on more soundtracks and on noisy, clipped and narrow-band windows, joins the mean where the
# pair is unsure of its beats (noisy, clipped or telephone-band recordings): alone in the mean it cost clean music
# some downbeats and heard beats in rain and wind.
SECOND_LOOK_PATHS = (os.path.join(os.path.dirname(__file__), "beat_net_weights_3.npz"),)

FEATURE_RATE = 22050
HOP = 441                 # 20 ms
FRAME_RATE = FEATURE_RATE / HOP
WINDOW = 1024             # 46 ms
MEL_BANDS = 64
MEL_LOW_HZ, MEL_HIGH_HZ = 30.0, 11000.0
ACTIVATION_BLOCK = 8192  # frames the net runs on at once (2.7 min), plus its reach either side


class BeatNetUnavailable(RuntimeError):
    """The weights file is missing (run `make train-beats`)."""


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """(WINDOW//2+1, MEL_BANDS) triangular filters on the HTK mel scale, each summing to one."""
    filters = htk_mel_triangles(WINDOW, FEATURE_RATE, MEL_BANDS, MEL_LOW_HZ, MEL_HIGH_HZ)
    bins = np.fft.rfftfreq(WINDOW, 1.0 / FEATURE_RATE)
    centres = htk_mel_edges(MEL_BANDS, MEL_LOW_HZ, MEL_HIGH_HZ)[1:-1]
    for band in np.flatnonzero(filters.sum(axis=0) == 0.0):  # narrower than one FFT bin: take the nearest bin
        filters[np.argmin(np.abs(bins - centres[band])), band] = 1.0
    return filters / filters.sum(axis=0, keepdims=True)


def spectral_features(samples: np.ndarray, sample_rate: int, stretch: float = 1.0,
                      normalise: bool = True) -> np.ndarray:
    """(T, 2·MEL_BANDS) float32: log-mel and its positive change, T = ceil(duration / 20 ms), not standardised.
    Computed a block of frames at a time from the part of the signal they see (an hour of music never holds a
    normalised or padded copy of the signal, nor its STFT).

    Training only: `stretch` > 1 takes frames `stretch` × 20 ms apart (the music sounds that much faster to the
    net, its pitch unchanged); `normalise=False` keeps the signal's level instead of scaling it to a peak of one."""
    samples = np.asarray(samples, np.float32)
    if sample_rate != FEATURE_RATE:
        samples = resample(samples, int(sample_rate), FEATURE_RATE)
    scale = np.float32(max(peak_of(samples), 1e-4)) if normalise else np.float32(1.0)
    step = HOP * stretch
    count = max(1, int(np.ceil(len(samples) / step - 1e-9)))
    starts = np.round(np.arange(count) * step).astype(np.int64) - WINDOW // 2
    window = np.hanning(WINDOW).astype(np.float32)
    log_mel = np.empty((count, MEL_BANDS), np.float32)
    filters = _mel_filters()
    for start, stop in frame_chunks(count, 4096):
        frames = framed(samples, starts[start:stop], WINDOW) / scale
        magnitude = np.abs(np.fft.rfft(frames * window, axis=1)).astype(np.float32)
        log_mel[start:stop] = np.log1p(100.0 * (magnitude @ filters))
    change = np.maximum(0.0, np.diff(log_mel, axis=0, prepend=log_mel[:1]))
    return np.concatenate([log_mel, change], axis=1)


class BeatNet:
    """The trained net: `activations(features)` → (T, 2) probabilities of beat and downbeat per frame."""

    def __init__(self, path: str = WEIGHTS_PATH):
        if not os.path.isfile(path):
            raise BeatNetUnavailable(f"Beat tracker weights are missing ({path}); run `make train-beats`.")
        with np.load(path, allow_pickle=False) as data:
            if int(data["mel_bands"]) != MEL_BANDS or int(data["hop"]) != HOP:
                raise BeatNetUnavailable("Beat tracker weights were trained on other features; retrain them.")
            self.mean = data["feature_mean"].astype(np.float32)
            self.std = data["feature_std"].astype(np.float32)
            self.input = _stacked(data["input_weight"]), data["input_bias"].astype(np.float32)
            self.blocks = []
            for k in range(int(data["block_count"])):
                self.blocks.append((int(data[f"block{k}_dilation"]),
                                    _stacked(data[f"block{k}_a_weight"]), data[f"block{k}_a_bias"].astype(np.float32),
                                    _stacked(data[f"block{k}_b_weight"]), data[f"block{k}_b_bias"].astype(np.float32),
                                    _stacked(data[f"block{k}_mix_weight"]),
                                    data[f"block{k}_mix_bias"].astype(np.float32)))
            self.output = _stacked(data["output_weight"]), data["output_bias"].astype(np.float32)

    def activations(self, features: np.ndarray) -> np.ndarray:
        """A block of frames at a time, each with the net's reach of context on either side (so every frame sees
        what it sees in one pass over the whole: an hour of music holds one block's activations)."""
        reach = self.reach()
        count = len(features)
        out = np.empty((count, 2), np.float32)
        for first, end in frame_chunks(count, ACTIVATION_BLOCK):
            lo, hi = max(0, first - reach), min(count, end + reach)
            out[first:end] = self._pass(features[lo:hi])[first - lo:end - lo]
        return out

    def reach(self) -> int:
        """Frames each side that one output frame hears."""
        width = lambda weight, channels: weight.shape[0] // channels - 1  # kernel - 1
        channels = len(self.mean)
        total = width(self.input[0], channels) // 2
        channels = self.input[0].shape[1]
        for dilation, a_w, _, b_w, _, _, _ in self.blocks:
            total += max(dilation * width(a_w, channels), 2 * dilation * width(b_w, channels)) // 2
        return total + width(self.output[0], channels) // 2

    def _pass(self, features: np.ndarray) -> np.ndarray:
        x = (features - self.mean) / self.std
        x = _elu(_conv(x, *self.input, dilation=1))
        for dilation, a_w, a_b, b_w, b_b, mix_w, mix_b in self.blocks:
            branches = np.concatenate([_conv(x, a_w, a_b, dilation), _conv(x, b_w, b_b, 2 * dilation)], axis=1)
            x = x + _conv(_elu(branches), mix_w, mix_b, 1)
        logits = _conv(x, *self.output, dilation=1)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))


@lru_cache(maxsize=4)
def load_beat_net(path: str = WEIGHTS_PATH) -> BeatNet:
    """The trained net, read once per process."""
    return BeatNet(path)


def beat_activations(samples: np.ndarray, sample_rate: int, paths: tuple = WEIGHTS_PATHS) -> np.ndarray:
    """(T, 2) float32: per 20 ms frame, the probability of a beat and of a downbeat, the mean of the nets'."""
    return mean_activations(each_net_activations(samples, sample_rate, paths))


def each_net_activations(samples: np.ndarray, sample_rate: int, paths: tuple = WEIGHTS_PATHS) -> list:
    """[(T, 2) float32 per net in `paths`]: each net's beat and downbeat probabilities (features made once)."""
    features = spectral_features(samples, sample_rate)
    return [load_beat_net(path).activations(features) for path in paths]


def mean_activations(each: list) -> np.ndarray:
    """The nets' activations averaged (float64 sum, float32 result), as beat_activations gives them."""
    total = np.zeros(each[0].shape, np.float64)
    for activations in each:
        total += activations
    return (total / len(each)).astype(np.float32)


def _stacked(weight: np.ndarray) -> np.ndarray:
    """torch's (C_out, C_in, kernel) as (kernel·C_in, C_out) for one matmul over stacked shifted copies."""
    weight = np.asarray(weight, np.float32)
    out_channels, in_channels, kernel = weight.shape
    return np.ascontiguousarray(weight.transpose(2, 1, 0).reshape(kernel * in_channels, out_channels))


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, dilation: int) -> np.ndarray:
    """'Same' 1-D convolution over time (zero padding) of x (T, C_in)."""
    kernel = weight.shape[0] // x.shape[1]
    if kernel == 1:
        return x @ weight + bias
    reach = dilation * (kernel - 1) // 2
    padded = np.pad(x, ((reach, reach), (0, 0)))
    count, width = x.shape
    out = padded[:count] @ weight[:width] + bias
    for j in range(1, kernel):
        out += padded[j * dilation:j * dilation + count] @ weight[j * width:(j + 1) * width]
    return out


def _elu(x: np.ndarray) -> np.ndarray:
    """x where it is positive, expm1(x) elsewhere (expm1 taken only there: it is most of the net's time)."""
    out = np.array(x, copy=True)
    flat = out.reshape(-1)
    rest = np.flatnonzero(~(flat > 0.0))
    flat[rest] = np.expm1(np.minimum(flat[rest], 0.0))
    return out
