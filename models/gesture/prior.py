"""The dance model's learned motion prior (models/dance/prior.py, a denoising MLP trained on CMU mocap) applied to
co-speech gesture: arms, spine, neck and head only, so the finger poses and the IK-planted feet stay as planned.

The gesture clip has the prior's layout (SMPL-X local rotations of the same 21 body joints, 0.4 s windows at 30 fps),
so the prior runs on it unchanged. What differs is what its correction does to gesture, measured on the gesture bench:
- at the dance model's light smoothing (1 frame) it carries frame-to-frame wobble from the cross-faded windows
  (hand jerk about fourfold, arms never settling in long pauses), so it is smoothed over CORRECTION_SMOOTHING_SECONDS;
- its slow part is a fixed pose bias towards CMU's walking and dancing poses (spine2 bent about 17° and the seated
  elbows straightened by 20–25° at strength 0.5), not motion, so the part slower than POSE_BIAS_SECONDS is dropped
  and the gesture space stays where the plan put it;
- it gives the elbows CMU's forearm twist and side bend (up to 17°); the gesture arm is a hinge (arm_ik.py; the palm
  is set by the wrist's roll), so only the elbow's flexion is kept, within its range.
What is left damps the strokes a little and keeps the idle arms drifting gently through long pauses.
"""

import numpy as np

from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON
from ..dance.prior import MotionPrior, apply_prior, weights_available

CORRECTION_SMOOTHING_SECONDS = 0.17
POSE_BIAS_SECONDS = 1.0
ELBOW_FLEXION_DEGREES = (0.0, 145.0)


def apply_gesture_prior(clip: MotionClip, strength: float, prior: MotionPrior = None,
                        smoothing_seconds: float = CORRECTION_SMOOTHING_SECONDS,
                        pose_bias_seconds: float = POSE_BIAS_SECONDS) -> MotionClip:
    """The clip with `strength` (0..1) of the prior's smoothed correction added to its upper-body rotations."""
    if strength <= 0 or clip.num_frames < 2:
        return clip
    corrected = apply_prior(clip, strength, prior, smoothing_seconds, "nearest", pose_bias_seconds)
    local = corrected.rotations
    for side, sign in (("left", 1.0), ("right", -1.0)):
        column = SMPLX_SKELETON.index(f"{side}_elbow")
        local[:, column] = _hinge(local[:, column], sign)
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), clip.root_translation.copy())


def _hinge(elbow: np.ndarray, sign: float) -> np.ndarray:
    """(T, 4) elbow rotations → flexion about the elbow's hinge axis (z; flexion is −sign·z) only.

    A bend past 180° reads as a rotation vector of the other sign (about −170° for 190°): that is a fold, so it is
    kept at the largest flexion, not clipped to 0 (which straightened a folded arm within one frame and back)."""
    flexion = -sign * rotations.to_rotation(elbow).as_rotvec()[:, 2]
    flexion = np.where(flexion < -0.5 * np.pi, flexion + 2.0 * np.pi, flexion)
    flexion = np.clip(flexion, *np.radians(ELBOW_FLEXION_DEGREES))
    hinge = np.zeros((len(elbow), 3))
    hinge[:, 2] = -sign * flexion
    return rotations.from_rotation(Rotation.from_rotvec(hinge))


__all__ = ["apply_gesture_prior", "weights_available", "CORRECTION_SMOOTHING_SECONDS"]
