"""Where a performance has its poses, in seconds from the take's start: the frames key_poses keys first.

Face: each phone's viseme target (its middle) and both ends of every lip closure and lip–teeth contact.
Gestures: each gesture unit's start and end (preparation, retraction), every stroke's apex and head move.
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


def gesture_pose_times(plan) -> list:
    if plan is None:
        return []
    times = [t for unit in plan.units for t in unit]
    times += [stroke.time for stroke in plan.strokes] + [move.time for move in plan.head]
    return sorted(times)


def dance_pose_times(beats) -> list:
    return sorted(float(t) for t in beats)
