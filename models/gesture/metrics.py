"""Gesture metrics shared by the bench and the tests: beat consistency (BEAT/EMAGE), arm angular speed,
hand jerk, diversity between takes."""

import numpy as np

from ...clips import rotations
from ...clips.kinematics import joint_positions
from ...clips.motion import MotionClip
from ..dance.metrics import beat_align_score, kinematic_beats

ARM_JOINTS = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
HANDS = ("left_wrist", "right_wrist")
BEAT_SIGMA_SECONDS = 0.1


def arm_positions(clip: MotionClip, names=ARM_JOINTS) -> np.ndarray:
    """World positions (T, len(names), 3) of the named joints, relative to the pelvis (the body's own motion)."""
    positions = joint_positions(clip)
    return positions[:, [clip.skeleton.index(n) for n in names]] - positions[:, :1]


def motion_beats(clip: MotionClip) -> np.ndarray:
    """Seconds of local minima of arm and hand speed: where a gesture's motion stops."""
    return kinematic_beats(arm_positions(clip, ARM_JOINTS[2:]), clip.fps)


def beat_consistency(audio_beats: np.ndarray, clip: MotionClip, sigma: float = BEAT_SIGMA_SECONDS) -> float:
    """Mean over audio beats of exp(-d²/2σ²), d = distance to the nearest motion beat (BEAT's BC)."""
    return beat_align_score(audio_beats, motion_beats(clip), sigma)


def angular_speed(clip: MotionClip, names=ARM_JOINTS) -> np.ndarray:
    """Per frame transition, the mean angular speed (rad/s) of the named joints' local rotations."""
    columns = [clip.skeleton.index(n) for n in names]
    q = clip.rotations[:, columns]
    if len(q) < 2:
        return np.zeros(0)
    step = rotations.to_rotation(q[:-1]).inv() * rotations.to_rotation(q[1:])
    return np.linalg.norm(step.as_rotvec(), axis=1).reshape(len(q) - 1, len(columns)).mean(axis=1) * clip.fps


def hand_jerk(positions: np.ndarray, fps: float) -> float:
    """Median hand jerk magnitude (m/s³) over frames, hands relative to the pelvis, at 30 frames a second."""
    step = max(1, int(round(fps / 30.0)))
    p = positions[::step]
    if len(p) < 4:
        return 0.0
    jerk = np.diff(p, n=3, axis=0) * (fps / step) ** 3
    return float(np.median(np.linalg.norm(jerk, axis=2)))


def diversity(a: MotionClip, b: MotionClip) -> float:
    """Mean distance (m) between the two takes' hands, frame by frame."""
    pa, pb = arm_positions(a, HANDS), arm_positions(b, HANDS)
    n = min(len(pa), len(pb))
    return float(np.linalg.norm(pa[:n] - pb[:n], axis=2).mean())


def long_pause_frames(active: np.ndarray, frame_seconds: float, times: np.ndarray, settle: float = 0.8,
                      long_pause: float = 1.5, prepare: float = 0.8) -> np.ndarray:
    """Frames inside silences longer than `long_pause`, after their first `settle` seconds and before the last
    `prepare` seconds (hands rise again before the next phrase, as a speaker's do)."""
    edges = np.diff(np.concatenate([[1], active.astype(np.int8), [1]]))
    mask = np.zeros(len(times), bool)
    for a, b in zip(np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)):
        start, end = a * frame_seconds, b * frame_seconds
        if end - start > long_pause:
            mask |= (times >= start + settle) & (times < end - prepare)
    return mask


def speaking_frames(active: np.ndarray, frame_seconds: float, times: np.ndarray) -> np.ndarray:
    index = np.clip((times / frame_seconds).astype(int), 0, len(active) - 1)
    return active[index]
