"""Secondary face motion that makes a talking head look alive: blinks, brow raises on pitch accents,
small eye saccades. Deterministic for a given seed."""

import numpy as np

from ...clips.arkit import ARKIT_INDEX
from ..filters import gaussian_filter1d, maximum_filter1d

BLINK_MEAN_SECONDS = 3.6   # people blink every ~2–6 s while talking
BLINK_CLOSE_SECONDS, BLINK_OPEN_SECONDS = 0.07, 0.15
ACCENT_SEMITONES = 2.0     # a pitch peak this far above the local level is an accent
ACCENT_SPACING_SECONDS = 0.8


def add_blinks(weights: np.ndarray, fps: float, rng: np.random.Generator, expressiveness: float):
    duration = len(weights) / fps
    mean = BLINK_MEAN_SECONDS * (1.2 - 0.4 * expressiveness)
    time = rng.uniform(0.3, mean)
    curve = np.zeros(len(weights))
    t = np.arange(len(weights)) / fps
    while time < duration:
        closing = np.clip((t - (time - BLINK_CLOSE_SECONDS)) / BLINK_CLOSE_SECONDS, 0.0, 1.0)
        opening = np.clip(1.0 - (t - time) / BLINK_OPEN_SECONDS, 0.0, 1.0)
        curve = np.maximum(curve, np.where(t <= time, closing, opening))
        gap = rng.gamma(3.0, mean / 3.0)
        if rng.random() < 0.15:  # the occasional double blink
            gap = 0.35
        time += max(gap, 0.3)
    for name in ("eyeBlinkLeft", "eyeBlinkRight"):
        weights[:, ARKIT_INDEX[name]] = np.maximum(weights[:, ARKIT_INDEX[name]], curve)


def pitch_accents(semitones: np.ndarray, voiced: np.ndarray, fps: float) -> np.ndarray:
    """Frame indices of pitch accents: voiced local peaks clearly above the surrounding pitch level."""
    if voiced.sum() < 5:
        return np.zeros(0, int)
    filled = np.interp(np.arange(len(semitones)), np.flatnonzero(voiced), semitones[voiced])
    smooth = gaussian_filter1d(filled, max(1.0, 0.04 * fps))
    local = gaussian_filter1d(filled, max(1.0, 0.8 * fps))
    window = max(3, int(ACCENT_SPACING_SECONDS * fps) | 1)
    peaks = (smooth == maximum_filter1d(smooth, window)) & (smooth - local > ACCENT_SEMITONES) & voiced
    return np.flatnonzero(peaks)


def add_brow_raises(weights: np.ndarray, accents: np.ndarray, fps: float, expressiveness: float):
    if len(accents) == 0 or expressiveness <= 0:
        return
    t = np.arange(len(weights)) / fps
    curve = np.zeros(len(weights))
    for frame in accents:
        peak = frame / fps
        rise = np.clip(1.0 - (peak - t) / 0.15, 0.0, 1.0)
        fall = np.clip(1.0 - (t - peak) / 0.5, 0.0, 1.0)
        bump = np.where(t <= peak, rise, fall)
        curve = np.maximum(curve, bump * bump * (3 - 2 * bump))
    amount = 0.45 * expressiveness
    weights[:, ARKIT_INDEX["browInnerUp"]] = np.maximum(weights[:, ARKIT_INDEX["browInnerUp"]], amount * curve)
    for name in ("browOuterUpLeft", "browOuterUpRight"):
        weights[:, ARKIT_INDEX[name]] = np.maximum(weights[:, ARKIT_INDEX[name]], 0.8 * amount * curve)
    for name in ("eyeWideLeft", "eyeWideRight"):
        weights[:, ARKIT_INDEX[name]] = np.maximum(weights[:, ARKIT_INDEX[name]], 0.25 * amount * curve)


def add_saccades(weights: np.ndarray, fps: float, rng: np.random.Generator, expressiveness: float):
    """Small gaze shifts every 0.5–2.5 s, each a quick ~40 ms jump, as eyes do while talking."""
    count = len(weights)
    horizontal, vertical = np.zeros(count), np.zeros(count)
    frame, h, v = 0, 0.0, 0.0
    reach = 0.06 + 0.1 * expressiveness
    while frame < count:
        hold = int(rng.uniform(0.5, 2.5) * fps)
        h, v = (0.0, 0.0) if rng.random() < 0.35 else (rng.uniform(-reach, reach), rng.uniform(-reach, reach) * 0.6)
        horizontal[frame:frame + hold], vertical[frame:frame + hold] = h, v
        frame += max(hold, 1)
    sigma = max(0.5, 0.015 * fps)
    horizontal, vertical = gaussian_filter1d(horizontal, sigma), gaussian_filter1d(vertical, sigma)
    right, left = np.clip(horizontal, 0, None), np.clip(-horizontal, 0, None)
    up, down = np.clip(vertical, 0, None), np.clip(-vertical, 0, None)
    # Looking to the character's right turns the right eye outward and the left eye inward.
    channels = {"eyeLookOutRight": right, "eyeLookInLeft": right, "eyeLookOutLeft": left, "eyeLookInRight": left,
                "eyeLookUpLeft": up, "eyeLookUpRight": up, "eyeLookDownLeft": down, "eyeLookDownRight": down}
    for name, curve in channels.items():
        weights[:, ARKIT_INDEX[name]] = np.maximum(weights[:, ARKIT_INDEX[name]], curve)
