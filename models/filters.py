"""Smoothing, peak picking, spectra and resampling in numpy: the part of scipy.ndimage and scipy.signal the
add-on uses, with scipy's names, arguments, defaults and results (tests/test_scipy_equivalence.py checks them
against scipy), so the extension ships without scipy's 20-37 MB wheels.

Only the arguments SoundMotion passes are implemented; anything else raises TypeError or ValueError rather
than silently doing something else.
"""

import math
from math import gcd

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# scipy.ndimage's boundary modes as numpy.pad modes ('reflect' repeats the edge sample, 'mirror' does not).
_PAD_MODES = {"reflect": "symmetric", "nearest": "edge", "mirror": "reflect", "wrap": "wrap", "constant": "constant"}


def _pad(x: np.ndarray, before: int, after: int, mode: str, cval: float = 0.0) -> np.ndarray:
    """Extend the last axis as scipy.ndimage does at the borders."""
    if mode not in _PAD_MODES:
        raise ValueError(f"boundary mode not supported: {mode!r}")
    width = [(0, 0)] * (x.ndim - 1) + [(before, after)]
    if mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=cval)
    return np.pad(x, width, mode=_PAD_MODES[mode])


def _window_origin(size: int, origin: int) -> int:
    """Samples before the centre that a window of `size` covers (scipy.ndimage's origin convention)."""
    if not -(size // 2) <= origin <= (size - 1) // 2:
        raise ValueError("invalid origin")
    return size // 2 + origin


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *,
                      radius=None):
    """scipy.ndimage.gaussian_filter1d (order 0): a normalised Gaussian kernel of radius
    int(truncate * sigma + 0.5); the result keeps the input's dtype."""
    if order != 0 or output is not None:
        raise TypeError("only order=0 and output=None are supported")
    x = np.asarray(input)
    sigma = float(sigma)
    lw = int(truncate * sigma + 0.5) if radius is None else int(radius)
    # exp from the C library, tap by tap: numpy's vectorised exp can differ in the last bit from one call to
    # the next (it falls back to the C library depending on where its arrays lie in memory).
    kernel = np.array([math.exp(-0.5 / (sigma * sigma) * tap * tap) for tap in range(-lw, lw + 1)])
    kernel = kernel / kernel.sum()
    moved = np.moveaxis(x, axis, -1).astype(np.float64)
    padded = _pad(moved, lw, lw, mode, cval)
    n = moved.shape[-1]
    result = kernel[lw] * moved
    for offset in range(1, lw + 1):   # a symmetric kernel: pair the taps on either side
        result = result + kernel[lw + offset] * (padded[..., lw + offset:lw + offset + n] +
                                                 padded[..., lw - offset:lw - offset + n])
    return np.moveaxis(result, -1, axis).astype(x.dtype, copy=False)


def _rank_filter1d(x: np.ndarray, size: int, axis: int, mode: str, cval: float, origin: int, reduce) -> np.ndarray:
    size = int(size)
    if size < 1:
        raise ValueError("incorrect filter size")
    before = _window_origin(size, origin)
    moved = np.moveaxis(x, axis, -1)
    windows = sliding_window_view(_pad(moved, before, size - 1 - before, mode, cval), size, axis=-1)
    return np.moveaxis(reduce(windows), -1, axis).astype(x.dtype, copy=False)


def maximum_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """scipy.ndimage.maximum_filter1d: the largest value in a window of `size` samples around each."""
    if output is not None:
        raise TypeError("only output=None is supported")
    return _rank_filter1d(np.asarray(input), size, axis, mode, cval, origin, lambda w: w.max(axis=-1))


def median_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0, origin=0, *,
                  axes=None):
    """scipy.ndimage.median_filter for 1-D input: the middle value (rank size // 2) of each window. (With
    'reflect' or 'mirror' and a window longer than the signal, scipy's 1-D and n-D median code disagree with
    each other; this follows the extension its other filters use.)"""
    x = np.asarray(input)
    if x.ndim != 1 or footprint is not None or output is not None or axes is not None or size is None:
        raise TypeError("only 1-D input with a window `size` is supported")
    size = int(np.ravel(size)[0])
    return _rank_filter1d(x, size, 0, mode, cval, origin,
                          lambda w: np.partition(w, size // 2, axis=-1)[..., size // 2])


def lfilter(b, a, x, axis=-1, zi=None):
    """scipy.signal.lfilter: the IIR/FIR filter b/a along `axis` (direct form II transposed); with `zi`
    (shape (max(len(a), len(b)) - 1, ...)) it returns (y, zf) as scipy does."""
    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    a = np.atleast_1d(np.asarray(a, dtype=np.float64))
    if a[0] == 0:
        raise ValueError("BUG: filter coefficient a[0] == 0 not supported yet")
    order = max(len(a), len(b))
    b = np.pad(b, (0, order - len(b))) / a[0]
    a = np.pad(a, (0, order - len(a))) / a[0]
    x = np.asarray(x)
    moved = np.moveaxis(x, axis, 0).astype(np.float64)
    if zi is None:
        state = np.zeros((order - 1,) + moved.shape[1:])
    else:
        state = np.moveaxis(np.asarray(zi, dtype=np.float64), axis, 0)
        state = np.broadcast_to(state, (order - 1,) + moved.shape[1:]).copy()
    if order == 2 and b[1] == 0 and abs(a[1]) < 1:
        y = _first_order(b[0], -a[1], moved, state[0, ...])
    else:
        y = _direct_form(b, a, moved, state)
    dtype = np.result_type(x.dtype, np.float64) if x.dtype.kind in "iub" else np.result_type(x.dtype, b.dtype)
    y = np.moveaxis(y, 0, axis).astype(dtype, copy=False)
    return y if zi is None else (y, np.moveaxis(state, 0, axis))


def _first_order(gain: float, decay: float, x: np.ndarray, state: np.ndarray, block: int = 256) -> np.ndarray:
    """y[t] = gain * x[t] + z[t], z[t+1] = decay * y[t] (|decay| < 1), starting from z = `state`, which is
    left holding the final z: a block of samples at a time through the filter's impulse response instead
    of one Python step per sample."""
    powers = decay ** np.arange(block)
    lags = np.subtract.outer(np.arange(block), np.arange(block))
    response = np.where(lags >= 0, powers[lags.clip(0)], 0.0)
    flat = x.reshape(len(x), int(np.prod(x.shape[1:]))) * gain
    z = state.reshape(-1).copy()
    y = np.empty_like(flat)
    for start in range(0, len(flat), block):
        n = len(flat[start:start + block])
        y[start:start + n] = response[:n, :n] @ flat[start:start + n] + powers[:n, None] * z
        z = decay * y[start + n - 1]
    state[...] = z.reshape(state.shape)
    return y.reshape(x.shape)


def _direct_form(b: np.ndarray, a: np.ndarray, moved: np.ndarray, state: np.ndarray) -> np.ndarray:
    order = len(a)
    y = np.empty_like(moved)
    for t in range(len(moved)):
        sample = moved[t]
        out = b[0] * sample + (state[0] if order > 1 else 0.0)
        for i in range(order - 2):
            state[i] = b[i + 1] * sample + state[i + 1] - a[i + 1] * out
        if order > 1:
            state[order - 2] = b[order - 1] * sample - a[order - 1] * out
        y[t] = out
    return y


def _local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of local maxima; a flat top counts once, at its middle (rounded down), as in scipy."""
    change = np.flatnonzero(np.diff(x))
    if len(change) < 2:
        return np.zeros(0, dtype=np.intp)
    rising = x[change + 1] > x[change]
    tops = np.flatnonzero(rising[:-1] & ~rising[1:])
    left, right = change[tops] + 1, change[tops + 1]
    return (left + right) // 2


def _within(values: np.ndarray, condition) -> np.ndarray:
    """scipy's interval conditions: a minimum, or a (minimum, maximum) pair where either may be None."""
    low, high = tuple(condition) if isinstance(condition, (tuple, list)) else (condition, None)
    if np.ndim(low) or np.ndim(high):
        raise TypeError("only scalar bounds are supported")
    keep = np.ones(len(values), dtype=bool)
    if low is not None:
        keep &= low <= values
    if high is not None:
        keep &= values <= high
    return keep


def _select_by_distance(peaks: np.ndarray, priority: np.ndarray, distance: float) -> np.ndarray:
    """Drop peaks closer than `distance` to a higher one, highest first (scipy's order, ties included)."""
    distance = np.ceil(distance)
    keep = np.ones(len(peaks), dtype=bool)
    for j in np.argsort(priority)[::-1]:
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and peaks[j] - peaks[k] < distance:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < len(peaks) and peaks[k] - peaks[j] < distance:
            keep[k] = False
            k += 1
    return keep


def _prominences(x: np.ndarray, peaks: np.ndarray, wlen: int = None):
    """scipy's peak prominences: from each peak, walk out on either side (within wlen // 2 samples when
    `wlen` is given) until a higher sample; each base is the lowest sample passed (the nearest one among
    equals). All peaks and both sides at once, a block of peaks at a time."""
    n = len(x)
    half = n if wlen is None else int(wlen) // 2
    offsets = np.stack([-np.arange(half + 1), np.arange(half + 1)])          # (side, step)
    prominences = np.empty(len(peaks))
    left, right = np.empty(len(peaks), dtype=np.intp), np.empty(len(peaks), dtype=np.intp)
    block = max(1, (1 << 21) // (half + 1))
    for start in range(0, len(peaks), block):
        chunk = peaks[start:start + block]
        index = chunk[:, None, None] + offsets[None]                          # (peak, side, step)
        values = np.where((index >= 0) & (index < n), x[np.clip(index, 0, n - 1)], np.inf)
        walking = np.logical_and.accumulate(values <= x[chunk][:, None, None], axis=2)   # until a higher sample
        candidates = np.where(walking, values, np.inf)
        nearest = np.argmin(candidates, axis=2)                               # (peak, side)
        lowest = np.take_along_axis(candidates, nearest[..., None], axis=2)[..., 0]
        prominences[start:start + len(chunk)] = x[chunk] - lowest.max(axis=1)
        left[start:start + len(chunk)] = chunk - nearest[:, 0]
        right[start:start + len(chunk)] = chunk + nearest[:, 1]
    return prominences, left, right


def find_peaks(x, height=None, threshold=None, distance=None, prominence=None, width=None, wlen=None,
               rel_height=0.5, plateau_size=None):
    """scipy.signal.find_peaks with `height`, `distance` and `prominence` (a minimum or a (min, max) pair,
    measured within `wlen` samples when given); returns (peaks, properties) with 'peak_heights',
    'prominences', 'left_bases', 'right_bases' as scipy does."""
    if threshold is not None or width is not None or plateau_size is not None:
        raise TypeError("only height, distance and prominence (with wlen) are supported")
    if wlen is not None:
        if not wlen > 1:
            raise ValueError(f"`wlen` must be larger than 1, was {wlen}")
        wlen = math.ceil(wlen)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("`x` must be a 1-D array")
    if distance is not None and distance < 1:
        raise ValueError("`distance` must be greater or equal to 1")
    peaks = _local_maxima(x)
    properties = {}
    if height is not None:
        heights = x[peaks]
        keep = _within(heights, height)
        peaks, properties["peak_heights"] = peaks[keep], heights[keep]
    if distance is not None:
        keep = _select_by_distance(peaks, x[peaks], distance)
        peaks = peaks[keep]
        properties = {key: value[keep] for key, value in properties.items()}
    if prominence is not None:
        prominences, left, right = _prominences(x, peaks, wlen)
        properties.update(prominences=prominences, left_bases=left, right_bases=right)
        keep = _within(prominences, prominence)
        peaks = peaks[keep]
        properties = {key: value[keep] for key, value in properties.items()}
    return peaks, properties


def argrelextrema(data, comparator, axis=0, order=1, mode="clip"):
    """scipy.signal.argrelextrema: indices where `comparator(data[i], data[i ± k])` holds for k = 1..order."""
    if mode != "clip" or int(order) < 1:
        raise ValueError("only mode='clip' and order >= 1 are supported")
    data = np.asarray(data)
    locations = np.arange(data.shape[axis])
    main = data.take(locations, axis=axis)
    result = np.ones(main.shape, dtype=bool)
    for shift in range(1, int(order) + 1):
        result &= comparator(main, data.take(locations + shift, axis=axis, mode="clip"))
        result &= comparator(main, data.take(locations - shift, axis=axis, mode="clip"))
    return np.nonzero(result)


def stft(x, fs=1.0, window="hann", nperseg=256, noverlap=None, nfft=None, detrend=False, return_onesided=True,
         boundary="zeros", padded=True, axis=-1, scaling="spectrum"):
    """scipy.signal.stft for real input with a periodic Hann window: returns (freqs, times, Zxx), Zxx shaped
    (..., freqs, frames) and scaled by the window's sum, as scipy does."""
    if window not in ("hann", "hann_periodic") or detrend is not False or not return_onesided or scaling != "spectrum":
        raise TypeError("only the Hann window, no detrending, one-sided 'spectrum' scaling are supported")
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise TypeError("only real input is supported")
    out_dtype = np.result_type(x, np.complex64)
    nperseg = int(nperseg)
    nfft = nperseg if nfft is None else int(nfft)
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    if noverlap >= nperseg:
        raise ValueError("noverlap must be less than nperseg.")
    step = nperseg - noverlap
    signal = np.moveaxis(x, axis, -1).astype(np.float64)
    half = nperseg // 2
    if boundary == "even":
        if half > signal.shape[-1] - 1:
            raise ValueError("The extension length n is too big. It must not exceed x.shape[axis]-1.")
        signal = np.concatenate([signal[..., half:0:-1], signal, signal[..., -2:-half - 2:-1]], axis=-1)
    elif boundary == "zeros":
        signal = _pad(signal, half, half, "constant")
    elif boundary is not None:
        raise ValueError(f"Unknown boundary option {boundary!r}")
    if padded:
        extra = (-(signal.shape[-1] - nperseg) % step) % nperseg
        signal = _pad(signal, 0, extra, "constant")
    win = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)
    frames = sliding_window_view(signal, nperseg, axis=-1)[..., ::step, :]
    spectrum = np.fft.rfft(win * frames, n=nfft) * (1.0 / win.sum())
    times = np.arange(nperseg / 2, signal.shape[-1] - nperseg / 2 + 1, step) / float(fs)
    if boundary is not None:
        times -= (nperseg / 2) / fs
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs)
    spectrum = np.moveaxis(spectrum.astype(out_dtype, copy=False), -1, axis - 1 if axis < 0 else axis)
    return freqs, times, spectrum


def _bessel_i0(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function I0 by its power series, in plain arithmetic (deterministic, unlike
    numpy.i0's exp); enough terms for the Kaiser windows here (x <= 20)."""
    term = np.ones_like(x)
    total = np.ones_like(x)
    quarter = x * x / 4.0
    for k in range(1, 60):
        term = term * quarter / (k * k)
        total = total + term
    return total


def _kaiser_lowpass(numtaps: int, cutoff: float, beta: float) -> np.ndarray:
    """scipy.signal.firwin(numtaps, cutoff, window=('kaiser', beta)): a windowed sinc scaled to unit gain."""
    m = np.arange(numtaps) - 0.5 * (numtaps - 1)
    alpha = 0.5 * (numtaps - 1)
    window = _bessel_i0(beta * np.sqrt(1.0 - (m / alpha) ** 2)) / _bessel_i0(np.array(float(beta)))
    h = cutoff * np.sinc(cutoff * m) * window
    return h / h.sum()


def resample_poly(x, up, down, axis=0, window=("kaiser", 5.0), padtype="constant", cval=None):
    """scipy.signal.resample_poly for 1-D input: zero-stuff by `up`, low-pass with a Kaiser-windowed sinc
    (10 zero crossings of the lower rate each side), keep every `down`-th sample; zeros outside the signal.

    Computed as one matrix product per block of `up` output samples (the polyphase form of scipy's upfirdn).
    """
    if tuple(window) != ("kaiser", 5.0) or padtype != "constant" or cval not in (None, 0):
        raise TypeError("only the default window and zero padding are supported")
    x = np.asarray(x)
    if x.ndim != 1 or axis not in (0, -1):
        raise TypeError("only 1-D input is supported")
    if up != int(up) or down != int(down) or int(up) < 1 or int(down) < 1:
        raise ValueError("up and down must be integers >= 1")
    divisor = gcd(int(up), int(down))
    up, down = int(up) // divisor, int(down) // divisor
    if up == down == 1:
        return x.copy()
    n_in = len(x)
    n_out = -(-n_in * up // down)
    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = _kaiser_lowpass(2 * half_len + 1, 1.0 / max_rate, 5.0) * up
    pre_pad = down - half_len % down
    h = np.concatenate([np.zeros(pre_pad), h])
    pre_remove = (half_len + pre_pad) // down
    # Output n = up*t + r is sum_j x[j] * h[(n + pre_remove)*down - j*up]; with j = down*t + c the taps
    # depend on (r, c) only: one (K, up) matrix G, applied to windows of x that start every `down` samples.
    residues = np.arange(up)
    c_low = int(np.min(((residues + pre_remove) * down - len(h)) // up + 1))
    c_high = int(np.max(((residues + pre_remove) * down) // up))
    offsets = np.arange(c_low, c_high + 1)
    tap = (residues[None, :] + pre_remove) * down - offsets[:, None] * up
    G = np.where((tap >= 0) & (tap < len(h)), h[np.clip(tap, 0, len(h) - 1)], 0.0)
    blocks = -(-n_out // up)
    before = max(0, -c_low)
    after = max(0, down * (blocks - 1) + c_high + 1 - n_in)
    padded = np.concatenate([np.zeros(before), x.astype(np.float64), np.zeros(after)])
    windows = sliding_window_view(padded, len(offsets))[c_low + before::down][:blocks]
    if up == 1:   # decimation: one dot product per output, straight from the overlapping windows
        out = np.einsum("ij,j->i", windows, G[:, 0])
    else:         # a block at a time, copied so that the product runs in BLAS
        out = np.empty((blocks, up))
        chunk = max(1, 2 ** 22 // len(offsets))
        for start in range(0, blocks, chunk):
            out[start:start + chunk] = np.ascontiguousarray(windows[start:start + chunk]) @ G
    dtype = x.dtype if x.dtype.kind in "fc" else np.float64
    return out.reshape(-1)[:n_out].astype(dtype, copy=False)
