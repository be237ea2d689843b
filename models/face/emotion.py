"""Emotion on a talking face: an upper-face layer (brows, eyes, cheeks, nose) and a lower-face layer (mouth
corners, lips) blended into the ARKit curves so that they coexist with speech.

A take has one emotion with a strength (0..1), optionally shaped by a strength curve over time. The upper layer
raises its channels to at least the emotion's level (blinks, brow raises on accents and gaze still show on top);
the lower layer adds to the mouth, but never where speech needs the lips: during a p/b/m seal nothing may open the
lips (mouthUpperUp, mouthLowerDown, jaw), so a smiling mouth still closes, and lip rounding (oo, w) damps the
spreading of a smile or a stretch. Channel gains and offsets (Audio2Face-style) are applied last.
"""

import numpy as np

from ...clips.arkit import ARKIT_BLENDSHAPES, ARKIT_INDEX
from ...errors import SoundMotionError


class EmotionError(SoundMotionError):
    """An emotion setting is not usable; the message says which values are."""


def _both(name, value):
    return {f"{name}Left": value, f"{name}Right": value}


# (upper face, lower face) poses at full strength.
EMOTIONS = {
    "neutral": ({}, {}),
    "happy": ({**_both("cheekSquint", 0.55), **_both("eyeSquint", 0.3), **_both("browOuterUp", 0.1)},
              {**_both("mouthSmile", 0.65), **_both("mouthDimple", 0.2)}),
    "sad": ({"browInnerUp": 0.65, **_both("browDown", 0.15), **_both("eyeSquint", 0.1),
             **_both("eyeLookDown", 0.12)},
            {**_both("mouthFrown", 0.55), "mouthShrugLower": 0.25, **_both("mouthPress", 0.1)}),
    "angry": ({**_both("browDown", 0.7), **_both("eyeSquint", 0.4), **_both("noseSneer", 0.3)},
              {**_both("mouthPress", 0.35), **_both("mouthFrown", 0.25), **_both("mouthStretch", 0.15)}),
    "surprised": ({"browInnerUp": 0.75, **_both("browOuterUp", 0.7), **_both("eyeWide", 0.6)},
                  {"jawOpen": 0.12, "mouthFunnel": 0.1}),
    "afraid": ({"browInnerUp": 0.75, **_both("browOuterUp", 0.3), **_both("eyeWide", 0.6),
                **_both("browDown", 0.1)},
               {**_both("mouthStretch", 0.5), **_both("mouthFrown", 0.15)}),
    "disgusted": ({**_both("noseSneer", 0.7), **_both("browDown", 0.4), **_both("eyeSquint", 0.3),
                   **_both("cheekSquint", 0.3)},
                  {**_both("mouthUpperUp", 0.35), **_both("mouthFrown", 0.3), "mouthShrugUpper": 0.25}),
}
LIP_OPENING = [ARKIT_INDEX[n] for n in ("jawOpen", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft",
                                        "mouthLowerDownRight", "mouthFunnel")]
SPREADING = [ARKIT_INDEX[n] for n in ("mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
                                      "mouthDimpleLeft", "mouthDimpleRight")]
JAW, CLOSE = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]
PUCKER, FUNNEL = ARKIT_INDEX["mouthPucker"], ARKIT_INDEX["mouthFunnel"]


def _pose_vector(pose: dict) -> np.ndarray:
    vector = np.zeros(len(ARKIT_BLENDSHAPES))
    for name, value in pose.items():
        vector[ARKIT_INDEX[name]] = value
    return vector


def check_emotion(name: str, strength: float) -> str:
    key = (name or "neutral").strip().lower()
    if key not in EMOTIONS:
        raise EmotionError(f"Emotion must be one of {', '.join(EMOTIONS)}, got {name!r}.")
    if not (0.0 <= float(strength) <= 1.0):
        raise EmotionError(f"Emotion strength must be between 0 and 1, got {strength:g}.")
    return key


def strength_curve(strength: float, count: int, fps: float, curve=None) -> np.ndarray:
    """Per-frame strength: `strength` times the curve [(seconds, 0..1)] interpolated (held past its ends)."""
    values = np.full(count, float(strength))
    if curve is not None and len(curve):
        points = np.asarray(curve, np.float64).reshape(-1, 2)
        order = np.argsort(points[:, 0])
        if not np.all(np.isfinite(points)):
            raise EmotionError("Emotion curve times and values must be numbers.")
        if np.any(points[:, 1] < 0) or np.any(points[:, 1] > 1):
            raise EmotionError("Emotion curve values must lie between 0 and 1.")
        values *= np.interp(np.arange(count) / fps, points[order, 0], points[order, 1])
    return values


def add_emotion(weights: np.ndarray, emotion: str, strength: np.ndarray, seal: np.ndarray) -> np.ndarray:
    """Blend `emotion` at per-frame `strength` (T,) into (T, 52) ARKit `weights` in place; `seal` (T,) 0..1 is how
    shut the lips must be (the p/b/m viseme's share). Returns `weights`."""
    upper, lower = (_pose_vector(pose) for pose in EMOTIONS[emotion])
    if not upper.any() and not lower.any():
        return weights
    amount = np.clip(strength, 0.0, 1.0)[:, None]
    np.maximum(weights, amount * upper[None, :], out=weights)
    layer = amount * lower[None, :]
    rounding = np.clip(weights[:, PUCKER] + 0.5 * weights[:, FUNNEL], 0.0, 1.0)
    layer[:, SPREADING] *= (1.0 - 0.6 * rounding)[:, None]
    open_lips = np.clip(seal, 0.0, 1.0)
    layer[:, LIP_OPENING] *= (1.0 - open_lips)[:, None]
    weights += layer
    # The seal again, over the new jaw: lips meet however far the emotion opened the jaw.
    weights[:, CLOSE] = np.maximum(weights[:, CLOSE], open_lips * weights[:, JAW])
    return np.clip(weights, 0.0, 1.0, out=weights)


def apply_gain_offset(weights: np.ndarray, gains: dict | None, offsets: dict | None,
                      seal: np.ndarray = None) -> np.ndarray:
    """Per-channel `value · gain + offset` (ARKit names), clipped to 0..1, in place. With `seal` (T,) 0..1 (how shut
    the lips must be, as add_emotion's), the lips still meet on p/b/m afterwards: a wider jaw (jawOpen gain over 1,
    or an offset) gets mouthClose to match, and a lip opener the user raised is held back there, unless mouthClose
    itself has a gain or offset (then the user decides how far the lips close)."""
    for table, kind in ((gains or {}, "gain"), (offsets or {}, "offset")):
        unknown = sorted(set(table) - set(ARKIT_INDEX))
        if unknown:
            raise EmotionError(f"Channel {kind}s must name ARKit channels; unknown: {', '.join(unknown)}.")
        for name, value in table.items():
            if not np.isfinite(float(value)):
                raise EmotionError(f"The {kind} of {name} must be a number, got {value}.")
    for name, gain in (gains or {}).items():
        weights[:, ARKIT_INDEX[name]] *= float(gain)
    for name, offset in (offsets or {}).items():
        weights[:, ARKIT_INDEX[name]] += float(offset)
    np.clip(weights, 0.0, 1.0, out=weights)
    touched = set(gains or {}) | set(offsets or {})
    if seal is not None and touched and "mouthClose" not in touched:
        open_lips = np.clip(seal, 0.0, 1.0)
        for index in (i for i in LIP_OPENING if i != JAW and ARKIT_BLENDSHAPES[i] in touched):
            weights[:, index] *= 1.0 - open_lips
        weights[:, CLOSE] = np.maximum(weights[:, CLOSE], open_lips * weights[:, JAW])
    return weights


__all__ = ["EMOTIONS", "EmotionError", "add_emotion", "apply_gain_offset", "check_emotion", "strength_curve"]
