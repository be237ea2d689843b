"""Where a performance has its poses, in seconds from the take's start: the frames key_poses keys first.

Face: each phone's viseme target (its middle) and both ends of every lip closure and lip–teeth contact.
Gestures, per part of the body (the gesture model knows where each has its poses: GestureResult.pose_times): each
arm where its hand arrives and stops (rest, preparation, apex, hold, dip), the neck and head on their nods, shakes
and tilts, the pelvis, spine and legs where a posture shift starts and settles. Fingers follow the hand with a lag:
they get no pose times of their own (their curls are keyed at their own extremes).
Dance: every beat (moves hit their poses on the beat).
"""

from ..models.face.visemes import LIP_TARGETS, phone_viseme
from ..models.speech.segments import SILENCE

_CONTACTS = {viseme for viseme, *_ in LIP_TARGETS}


def face_pose_times(phones) -> list:
    times = []
    for phone in phones:
        if phone.phone == SILENCE:
            if phone.duration > 0.2:
                times.append(phone.start + 0.5 * phone.duration)
            continue
        if phone_viseme(phone.phone, phone.duration) in _CONTACTS:
            times += [phone.start, phone.end]
        else:
            times.append(phone.start + 0.5 * phone.duration)
    return sorted(times)


GESTURE_PARTS = {
    **{f"{side}_{joint}": f"{side}_arm" for side in ("left", "right")
       for joint in ("collar", "shoulder", "elbow", "wrist")},
    "neck": "head", "head": "head",
    **{joint: "body" for joint in ("pelvis", "spine1", "spine2", "spine3", "left_hip", "right_hip", "left_knee",
                                   "right_knee", "left_ankle", "right_ankle", "left_foot", "right_foot")},
}


def plan_pose_times(plan) -> list:
    """One list for the whole body from a gesture plan: units' ends, strokes' apexes, head moves."""
    if plan is None:
        return []
    times = [t for unit in plan.units for t in unit]
    times += [stroke.time for stroke in plan.strokes] + [move.time for move in plan.head]
    return sorted(times)


def gesture_pose_times(gestures, bone_map) -> dict:
    """Rig bone → seconds of its poses, for a models.gesture GestureResult retargeted with `bone_map` (SMPL-X
    joint → rig bone). A result without per-part times gives every mapped bone the plan's."""
    bones = getattr(bone_map, "bones", bone_map)
    parts = getattr(gestures, "pose_times", None)
    if parts is None:
        times = plan_pose_times(getattr(gestures, "plan", None))
        return {bone: list(times) for bone in bones.values()}
    return {bone: list(parts.get(GESTURE_PARTS[joint], ())) for joint, bone in bones.items() if joint in GESTURE_PARTS}


def dance_pose_times(beats) -> list:
    return sorted(float(t) for t in beats)
