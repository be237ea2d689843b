"""Blender's Bezier F-curve segments, as the key reduction needs them (no bpy).

Blender evaluates a Bezier segment between keys (x0, y0) and (x1, y1) through the first key's right handle and the
second key's left handle: it solves x(t) = frame for t, then returns y(t). With each handle one third of the
segment's length away from its key, x(t) is linear in t and the segment is exactly the cubic Hermite curve whose
end slopes the handles point along; that is what `evaluate` computes, and what `handles` writes. A key's two
handles usually lie on one line (ALIGNED), so dragging one turns the other, as an animator expects; where the
motion turns sharply (a hand stopping at a stroke's apex) they may point along different slopes (FREE, a "broken"
tangent): `left_slopes` then gives each key's incoming slope. Before the first key and after the last the curve
holds (Blender's constant extrapolation).

`fit_slopes` chooses the slopes: per segment, the two end slopes that bring the segment closest to the
performance in the least-squares sense, with its two keys on the performance.
"""

import numpy as np

# How strongly a fitted slope is drawn towards the performance's own slope at its key, per frame of segment: it
# decides the slopes of segments too short to say (one or two frames) and barely moves the others.
SLOPE_PRIOR = 1e-3


def segment_basis(key_frames: np.ndarray, frames: np.ndarray) -> tuple:
    """For each frame: its segment (index of the key before it), the segment's width and the four Hermite weights
    (start value, start slope × width, end value, end slope × width)."""
    key_frames = np.asarray(key_frames, dtype=np.float64)
    frames = np.asarray(frames, dtype=np.float64)
    segment = np.clip(np.searchsorted(key_frames, frames, side="right") - 1, 0, len(key_frames) - 2)
    x0, x1 = key_frames[segment], key_frames[segment + 1]
    width = x1 - x0
    s = np.clip((frames - x0) / width, 0.0, 1.0)
    s2, s3 = s * s, s * s * s
    # Outside the keyed range Blender holds the end values (the slopes' terms vanish because s is clamped).
    return segment, width, 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, 3 * s2 - 2 * s3, s3 - s2


def evaluate(key_frames: np.ndarray, key_values: np.ndarray, slopes: np.ndarray, frames: np.ndarray,
             left_slopes: np.ndarray = None) -> np.ndarray:
    """(len(frames), C) values of the curves through keys (K,) with values and slopes (K, C) (per frame).

    `slopes` leave each key (its right handle); `left_slopes` arrive at it (its left handle), if they differ."""
    key_values = np.asarray(key_values, dtype=np.float64).reshape(len(key_frames), -1)
    slopes = np.asarray(slopes, dtype=np.float64).reshape(key_values.shape)
    left_slopes = slopes if left_slopes is None else np.asarray(left_slopes, dtype=np.float64).reshape(slopes.shape)
    if len(key_frames) == 1:
        return np.repeat(key_values, len(frames), axis=0)
    segment, width, h00, h10, h01, h11 = segment_basis(key_frames, frames)
    return (h00[:, None] * key_values[segment] + h01[:, None] * key_values[segment + 1]
            + (width * h10)[:, None] * slopes[segment] + (width * h11)[:, None] * left_slopes[segment + 1])


def fit_slopes(key_frames: np.ndarray, values: np.ndarray, prior: np.ndarray) -> tuple:
    """(slopes, left_slopes), each (K, C): per segment between keys at `key_frames` (offsets into `values`, (T, C)),
    the end slopes that fit the segment to `values` in the least-squares sense, keys on the values. `prior` (T, C)
    is the performance's own slope per frame, which decides segments too short to fit.

    Each segment is fitted on its own, so a key's two slopes may differ (a broken tangent): `align` joins them."""
    key_frames = np.asarray(key_frames)
    prior_keys = prior[key_frames]
    slopes, left_slopes = prior_keys.copy(), prior_keys.copy()
    count = len(key_frames)
    if count < 2:
        return slopes, left_slopes
    first, last = key_frames[0], key_frames[-1]
    frames = np.arange(first, last + 1)
    segment, width, h00, h10, h01, h11 = segment_basis(key_frames, frames)
    ends = values[key_frames]
    residual = values[first:last + 1] - h00[:, None] * ends[segment] - h01[:, None] * ends[segment + 1]
    a, b = width * h10, width * h11

    def per_segment(x):
        return np.bincount(segment, weights=x, minlength=count - 1)

    pull = SLOPE_PRIOR * np.diff(key_frames).astype(np.float64)
    a11, a12, a22 = per_segment(a * a) + pull, per_segment(a * b), per_segment(b * b) + pull
    det = a11 * a22 - a12 * a12
    for channel in range(values.shape[1]):
        r1 = per_segment(a * residual[:, channel]) + pull * prior_keys[:-1, channel]
        r2 = per_segment(b * residual[:, channel]) + pull * prior_keys[1:, channel]
        slopes[:-1, channel] = (a22 * r1 - a12 * r2) / det
        left_slopes[1:, channel] = (a11 * r2 - a12 * r1) / det
    return slopes, left_slopes


def handles(key_frames: np.ndarray, key_values: np.ndarray, slopes: np.ndarray,
            left_slopes: np.ndarray = None) -> tuple:
    """(left, right) handle positions, each (K, C, 2) as (frame, value), one third of a segment from their key.

    The first key's left handle and the last key's right handle mirror the other side (they shape nothing)."""
    key_frames = np.asarray(key_frames, dtype=np.float64)
    key_values = np.asarray(key_values, dtype=np.float64).reshape(len(key_frames), -1)
    slopes = np.array(slopes, dtype=np.float64).reshape(key_values.shape)
    left_slopes = slopes.copy() if left_slopes is None else np.array(left_slopes, dtype=np.float64).reshape(
        key_values.shape)
    left_slopes[0], slopes[-1] = slopes[0], left_slopes[-1]
    gaps = np.diff(key_frames)
    if len(gaps) == 0:
        gaps = np.ones(1)
        before = after = gaps
    else:
        before = np.concatenate([gaps[:1], gaps])
        after = np.concatenate([gaps, gaps[-1:]])
    reach_left, reach_right = (before / 3.0)[:, None], (after / 3.0)[:, None]
    left = np.stack(np.broadcast_arrays(key_frames[:, None] - reach_left, key_values - left_slopes * reach_left),
                    axis=-1)
    right = np.stack(np.broadcast_arrays(key_frames[:, None] + reach_right, key_values + slopes * reach_right),
                     axis=-1)
    return left, right
