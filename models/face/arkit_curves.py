"""Viseme mixture → ARKit-52 mouth and jaw weights, JALI-style.

Every viseme is a pose on the ARKit channels. As in JALI (Edwards et al. 2016), jaw and lips are two
separate dials: loud speech opens the jaw wider, raised pitch and effort make the lips work harder,
while quiet speech stays small — the articulation is the same, only its amplitude changes. Lip seals
(p, b, m) are re-applied after scaling: `mouthClose` always cancels whatever `jawOpen` is, so the lips
meet however far the jaw moves.
"""

import numpy as np

from ...clips.arkit import ARKIT_BLENDSHAPES, ARKIT_INDEX
from ..filters import gaussian_filter1d
from .visemes import VISEMES, VISEME_INDEX


def _both(name, value):
    return {f"{name}Left": value, f"{name}Right": value}


VISEME_POSES = {
    "sil": {},
    "PP": {"jawOpen": 0.05, **_both("mouthPress", 0.35), "mouthRollLower": 0.12, "mouthRollUpper": 0.08},
    "FF": {"jawOpen": 0.08, "mouthRollLower": 0.5, **_both("mouthUpperUp", 0.25), "mouthShrugUpper": 0.1},
    "TH": {"jawOpen": 0.15, "tongueOut": 0.35, **_both("mouthLowerDown", 0.1)},
    "DD": {"jawOpen": 0.15, **_both("mouthStretch", 0.1), **_both("mouthLowerDown", 0.12),
           **_both("mouthUpperUp", 0.08)},
    "kk": {"jawOpen": 0.2, **_both("mouthStretch", 0.1), **_both("mouthLowerDown", 0.1)},
    "CH": {"jawOpen": 0.12, "mouthFunnel": 0.3, "mouthPucker": 0.1, **_both("mouthUpperUp", 0.2),
           **_both("mouthLowerDown", 0.15)},
    "SS": {"jawOpen": 0.06, **_both("mouthStretch", 0.25), **_both("mouthSmile", 0.12),
           **_both("mouthUpperUp", 0.12), **_both("mouthLowerDown", 0.12)},
    "nn": {"jawOpen": 0.12, **_both("mouthStretch", 0.08), **_both("mouthLowerDown", 0.06)},
    "RR": {"jawOpen": 0.12, "mouthFunnel": 0.2, "mouthPucker": 0.2, **_both("mouthLowerDown", 0.05)},
    "aa": {"jawOpen": 0.6, **_both("mouthLowerDown", 0.25), **_both("mouthUpperUp", 0.1),
           **_both("mouthStretch", 0.05)},
    "E": {"jawOpen": 0.42, **_both("mouthStretch", 0.3), **_both("mouthSmile", 0.12),
          **_both("mouthLowerDown", 0.2), **_both("mouthUpperUp", 0.1)},
    "ih": {"jawOpen": 0.18, **_both("mouthStretch", 0.35), **_both("mouthSmile", 0.22),
           **_both("mouthUpperUp", 0.1), **_both("mouthLowerDown", 0.1)},
    "oh": {"jawOpen": 0.35, "mouthFunnel": 0.55, "mouthPucker": 0.25, **_both("mouthLowerDown", 0.1)},
    "ou": {"jawOpen": 0.12, "mouthPucker": 0.75, "mouthFunnel": 0.4},
    "ax": {"jawOpen": 0.16, **_both("mouthLowerDown", 0.1), **_both("mouthStretch", 0.05)},
}
POSE_MATRIX = np.zeros((len(VISEMES), len(ARKIT_BLENDSHAPES)))
for _viseme, _pose in VISEME_POSES.items():
    for _channel, _value in _pose.items():
        POSE_MATRIX[VISEME_INDEX[_viseme], ARKIT_INDEX[_channel]] = _value

MOUTH_CHANNELS = [i for i, n in enumerate(ARKIT_BLENDSHAPES) if n.startswith("mouth") or n == "tongueOut"]
JAW = ARKIT_INDEX["jawOpen"]
CLOSE = ARKIT_INDEX["mouthClose"]
LIP_OPENERS = [ARKIT_INDEX[n] for n in ("mouthLowerDownLeft", "mouthLowerDownRight",
                                         "mouthUpperUpLeft", "mouthUpperUpRight")]


def mouth_weights(visemes: np.ndarray, jaw_scale: np.ndarray, lip_scale: np.ndarray, fps: float,
                  articulation: float = 1.0, smoothing: float = 0.5, jaw_visemes: np.ndarray = None) -> np.ndarray:
    """(T, 52) mouth/jaw weights from (T, V) viseme mixtures and per-frame JALI jaw and lip scales; `jaw_visemes`:
    the jaw's own mixture (visemes.jaw_weights), if it follows other dominances than the lips."""
    sigma_frames = smoothing * 0.03 * fps  # up to 30 ms: softens jitter without eating short visemes
    visemes = _smoothed(visemes, sigma_frames)
    weights = visemes @ POSE_MATRIX
    if jaw_visemes is not None:
        weights[:, JAW] = _smoothed(jaw_visemes, sigma_frames) @ POSE_MATRIX[:, JAW]
    weights[:, JAW] *= jaw_scale * articulation
    lips = [c for c in MOUTH_CHANNELS if c != CLOSE]
    weights[:, lips] *= (lip_scale * articulation)[:, None]
    seal = np.clip(visemes[:, VISEME_INDEX["PP"]], 0.0, 1.0)
    # The seal: lips meet however open the jaw is, and nothing pulls them apart meanwhile.
    weights[:, CLOSE] = seal * weights[:, JAW]
    weights[:, LIP_OPENERS] *= (1.0 - seal)[:, None]
    return np.clip(weights, 0.0, 1.0)


def _smoothed(visemes: np.ndarray, sigma_frames: float) -> np.ndarray:
    """The mixtures smoothed over time (a Gaussian of `sigma_frames`, none under 0.3), closures kept whole."""
    if sigma_frames <= 0.3:
        return visemes
    closure = visemes[:, VISEME_INDEX["PP"]].copy()
    visemes = gaussian_filter1d(visemes, sigma_frames, axis=0, mode="nearest")
    visemes[:, VISEME_INDEX["PP"]] = np.maximum(visemes[:, VISEME_INDEX["PP"]], closure)
    return visemes


REST_PAUSE_SECONDS = 0.15  # inside a pause this long (speech's own gaps are shorter) the mouth rests...
# ...fading over this much of the pause's ends. 0: at rest from the pause's first frame (the move from the last
# spoken frame is left to the keys). Chosen on tuning material (issue #14, seventeenth round): 0.02 let the lips
# move in the first 10-20 ms of nearly every pause, 2-3 % of the pause frames of real speech.
REST_FADE_SECONDS = 0.0


def rest_in_pauses(weights: np.ndarray, pauses: list, fps: float) -> np.ndarray:
    """Mouth and jaw at rest inside every pause [(start, end)] seconds of at least REST_PAUSE_SECONDS (fading over
    REST_FADE_SECONDS at its ends, if that is set): coarticulation and smoothing otherwise leave the lips moving into
    the silence."""
    times = np.arange(len(weights)) / fps
    keep = np.ones(len(weights))
    for start, end in pauses:
        if end - start < REST_PAUSE_SECONDS:
            continue
        inside = (times > start) & (times < end)
        if REST_FADE_SECONDS <= 0:
            keep[inside] = 0.0
            continue
        depth = np.minimum(times[inside] - start, end - times[inside])
        keep[inside] = np.minimum(keep[inside], np.clip(1.0 - depth / REST_FADE_SECONDS, 0.0, 1.0))
    weights[:, MOUTH_CHANNELS + [JAW]] *= keep[:, None]
    return weights


def jali_scales(loudness_db: np.ndarray, semitones: np.ndarray, speaking: np.ndarray,
                expressiveness: float = 0.5) -> tuple:
    """Per-frame jaw and lip amplitude from loudness (dB) and pitch (semitones from the median)."""
    reference = np.percentile(loudness_db[speaking], 90) if speaking.any() else 0.0
    level = np.clip((loudness_db - (reference - 30.0)) / 30.0, 0.0, 1.0)
    level = gaussian_filter1d(level, 3.0, mode="nearest")
    range_ = 0.3 + 0.5 * expressiveness
    jaw = (1.0 - range_ / 2) + range_ * level
    lips = 0.85 + 0.3 * expressiveness * np.clip(semitones / 6.0, -1.0, 1.0) + 0.15 * (level - 0.5)
    return jaw, np.clip(lips, 0.5, 1.4)
