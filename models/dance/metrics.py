"""Dance metrics shared by the bench and the tests: beat alignment (AIST++/FACT/Bailando), feet, jitter, diversity."""

import numpy as np

from ..filters import argrelextrema, gaussian_filter1d


BEAT_SIGMA_FRAMES_60 = 3.0     # Bailando's calc_ba_score: exp(-d² / (2·9)) in 60 fps frames
SPEED_SMOOTHING_FRAMES_60 = 5.0
CONTACT_HEIGHT = 0.025
FLOAT_HEIGHT = 0.05


def kinematic_beats(positions: np.ndarray, fps: float) -> np.ndarray:
    """Times (s) of local minima of the mean joint speed, smoothed as in Bailando's evaluation code."""
    speed = np.linalg.norm(np.diff(positions, axis=0), axis=2).mean(axis=1) * fps
    speed = gaussian_filter1d(speed, SPEED_SMOOTHING_FRAMES_60 * fps / 60.0)
    minima = argrelextrema(speed, np.less)[0]
    return (minima + 1) / fps


def beat_align_score(from_beats: np.ndarray, to_beats: np.ndarray, sigma_seconds: float = 3.0 / 60.0) -> float:
    """Mean over `from_beats` of exp(-d²/2σ²), d = distance to the nearest of `to_beats`.

    FACT's paper: from kinematic beats to music beats; Bailando's code: from music beats to kinematic beats.
    """
    from_beats, to_beats = np.asarray(from_beats, float), np.asarray(to_beats, float)
    if len(from_beats) == 0 or len(to_beats) == 0:
        return 0.0
    distance = np.min(np.abs(from_beats[:, None] - to_beats[None, :]), axis=1)
    return float(np.mean(np.exp(-distance ** 2 / (2 * sigma_seconds ** 2))))


def foot_figures(positions: np.ndarray, joint_index: dict, floor_heights: dict, fps: float) -> dict:
    """`joint_index` maps left/right_ankle and left/right_foot to columns of `positions`.

    Foot slide (cm per contact frame of each ankle and toe joint), penetration (max and mean below floor, cm), floating (fraction of time)."""
    slide, contact_frames, below = 0.0, 0, []
    lowest = np.full(len(positions), np.inf)
    for name in ("left_ankle", "left_foot", "right_ankle", "right_foot"):
        track = positions[:, joint_index[name]]
        height = track[:, 2] - floor_heights[name]
        lowest = np.minimum(lowest, height)
        contact = height < CONTACT_HEIGHT
        both = contact[1:] & contact[:-1]
        step = np.linalg.norm(np.diff(track[:, :2], axis=0), axis=1)
        slide += float(step[both].sum())
        contact_frames += int(both.sum())
        below.append(np.maximum(0.0, -height))
    below = np.concatenate(below)
    return {
        "slide_cm": 100.0 * slide / max(contact_frames, 1),
        "penetration_max_cm": 100.0 * float(below.max()),
        "penetration_mean_cm": 100.0 * float(below.mean()),
        "floating": float(np.mean(lowest > FLOAT_HEIGHT)),
    }


def jitter(positions: np.ndarray, fps: float) -> float:
    """Mean joint jerk magnitude (m/s³)."""
    if len(positions) < 4:
        return 0.0
    jerk = np.diff(positions, n=3, axis=0) * fps ** 3
    return float(np.linalg.norm(jerk, axis=2).mean())


def root_relative(positions: np.ndarray) -> np.ndarray:
    centred = positions.copy()
    centred[..., :2] -= positions[:, :1, :2]
    return centred


def diversity_between(a: np.ndarray, b: np.ndarray) -> float:
    """Mean joint distance (m) between two dances frame by frame, each relative to its own pelvis on the floor."""
    n = min(len(a), len(b))
    return float(np.linalg.norm(root_relative(a[:n]) - root_relative(b[:n]), axis=2).mean())


def diversity_within(a: np.ndarray, seed: int = 0, pairs: int = 2000) -> float:
    """Mean joint distance between random pairs of frames of one dance."""
    rng = np.random.default_rng(seed)
    centred = root_relative(a)
    i, j = rng.integers(0, len(a), pairs), rng.integers(0, len(a), pairs)
    return float(np.linalg.norm(centred[i] - centred[j], axis=2).mean())


def foot_joint_index(skeleton) -> dict:
    return {n: skeleton.index(n) for n in ("left_ankle", "left_foot", "right_ankle", "right_foot")}


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets (as FID / AIST++'s FID_k)."""
    from scipy.linalg import sqrtm

    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    # A small ridge: 6D rotations are redundant and some joints never move, so raw covariances are singular.
    ridge = 1e-6 * np.eye(features_a.shape[1])
    cov_a, cov_b = np.cov(features_a, rowvar=False) + ridge, np.cov(features_b, rowvar=False) + ridge
    root = sqrtm(cov_a @ cov_b)
    root = root.real if np.iscomplexobj(root) else root
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * root))
