"""Blender's Bezier F-curve segments, as the key reduction needs them (no bpy).

Blender evaluates a Bezier segment between keys (x0, y0) and (x1, y1) through the first key's right handle and the
second key's left handle: it solves x(t) = frame for t, then returns y(t). With each handle one third of the
segment's length away from its key, x(t) is linear in t and the segment is exactly the cubic Hermite curve whose
end slopes the handles point along; that is what `evaluate` computes, and what `handles` writes. A key's two
handles lie on one line (ALIGNED), so dragging one turns the other, as an animator expects. Before the first key
and after the last the curve holds (Blender's constant extrapolation).
"""

import numpy as np


def evaluate(key_frames: np.ndarray, key_values: np.ndarray, slopes: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(len(frames), C) values of the curves through keys (K,) with values and slopes (K, C) (per frame)."""
    key_frames = np.asarray(key_frames, dtype=np.float64)
    key_values = np.asarray(key_values, dtype=np.float64).reshape(len(key_frames), -1)
    slopes = np.asarray(slopes, dtype=np.float64).reshape(key_values.shape)
    frames = np.asarray(frames, dtype=np.float64)
    if len(key_frames) == 1:
        return np.repeat(key_values, len(frames), axis=0)
    segment = np.clip(np.searchsorted(key_frames, frames, side="right") - 1, 0, len(key_frames) - 2)
    x0, x1 = key_frames[segment], key_frames[segment + 1]
    width = x1 - x0
    s = np.clip((frames - x0) / width, 0.0, 1.0)[:, None]
    s2, s3 = s * s, s * s * s
    h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, 3 * s2 - 2 * s3, s3 - s2
    # Outside the keyed range Blender holds the end values (the slopes' terms vanish because s is clamped).
    return (h00 * key_values[segment] + h10 * width[:, None] * slopes[segment]
            + h01 * key_values[segment + 1] + h11 * width[:, None] * slopes[segment + 1])


def handles(key_frames: np.ndarray, key_values: np.ndarray, slopes: np.ndarray) -> tuple:
    """(left, right) handle positions, each (K, C, 2) as (frame, value), one third of a segment from their key.

    The first key's left handle and the last key's right handle mirror the other side (they shape nothing)."""
    key_frames = np.asarray(key_frames, dtype=np.float64)
    key_values = np.asarray(key_values, dtype=np.float64).reshape(len(key_frames), -1)
    slopes = np.asarray(slopes, dtype=np.float64).reshape(key_values.shape)
    gaps = np.diff(key_frames)
    if len(gaps) == 0:
        gaps = np.ones(1)
        before = after = gaps
    else:
        before = np.concatenate([gaps[:1], gaps])
        after = np.concatenate([gaps, gaps[-1:]])
    reach_left, reach_right = (before / 3.0)[:, None], (after / 3.0)[:, None]
    left = np.stack(np.broadcast_arrays(key_frames[:, None] - reach_left, key_values - slopes * reach_left), axis=-1)
    right = np.stack(np.broadcast_arrays(key_frames[:, None] + reach_right, key_values + slopes * reach_right),
                     axis=-1)
    return left, right
