"""The gesture vocabulary as code: hand shapes placed in gesture space, with palm direction, fingers and stroke.

Gesture space is measured from the chest joint (spine3) in the chest's own frame, for a hand on its own side:
`out` = away from the midline, `forward` = towards the listener, `up`; metres. The palm is set by rolling the hand
about the forearm (pronation/supination), which stays smooth whatever the arm does.
Fingers: curl 0 (straight) … 1 (fist) for thumb, index, middle, ring, pinky.
"""

from dataclasses import dataclass

RELAXED = (0.35, 0.25, 0.3, 0.35, 0.4)
OPEN = (0.1, 0.05, 0.08, 0.1, 0.12)
FIST = (0.65, 0.95, 0.95, 0.95, 0.95)
POINTING = (0.6, 0.0, 0.9, 0.95, 0.95)
GRIP = (0.55, 0.55, 0.45, 0.5, 0.55)


@dataclass(frozen=True)
class HandShape:
    name: str
    position: tuple                      # (out, forward, up) from the chest
    roll: float                          # forearm roll, degrees: 0 palm faces in (thumb up), 90 down, -90 up
    fingers: tuple = RELAXED
    stroke: tuple = (0.0, -0.03, 0.09)   # where the preparation sits relative to the apex: the stroke moves back
    both: bool = False                   # made with both hands by default
    shoulder_lift: float = 0.0           # degrees the collar bones rise (a shrug)
    elbow_out: float = 0.0               # 1: the elbow points out to the side (hand on the hip), 0: down and back


SHAPES = {s.name: s for s in (
    HandShape("rest", (0.25, 0.05, -0.36), 0.0, (0.3, 0.2, 0.25, 0.3, 0.35), (0, 0, 0)),
    HandShape("rest_seated", (0.14, 0.27, -0.29), 85.0, RELAXED, (0, 0, 0)),
    # Rest poses a posture picks (posture.py): hanging at the side, clasped or loosely held in front of the
    # belly, on the hip (elbow out: `elbow_out`), on the lap. Hanging, the hand sits a little out from the thigh
    # and in front of it: on the demo character, whose hips are wider than SMPL-X's, the relaxed curls at
    # (0.21, 0.03) put its fingertips up to 6 cm into the thighs at the end of the demo line's take; here 0.5 cm.
    HandShape("side", (0.25, 0.05, -0.36), 0.0, (0.3, 0.2, 0.25, 0.3, 0.35), (0, 0, 0)),
    HandShape("clasped", (0.035, 0.2, -0.19), 70.0, (0.45, 0.45, 0.5, 0.55, 0.6), (0, 0, 0)),
    HandShape("front", (0.1, 0.2, -0.21), 45.0, (0.35, 0.3, 0.35, 0.4, 0.45), (0, 0, 0)),
    # On the hip the palm turns to the body (roll -40: at 10 it faced backwards and the index and thumb curled
    # into the waist) and the fingers lie nearly straight along the hip, spread a little, the thumb opened
    # (body.py: HIP_SPREAD_DEGREES), each fingertip steered out of the body at its knuckle.
    HandShape("hip", (0.2, 0.0, -0.24), -40.0, (0.15, 0.1, 0.15, 0.2, 0.25), (0, 0, 0), elbow_out=1.0),
    HandShape("lap", (0.14, 0.27, -0.29), 85.0, RELAXED, (0, 0, 0)),
    HandShape("lap_clasped", (0.04, 0.26, -0.27), 70.0, (0.45, 0.45, 0.5, 0.55, 0.6), (0, 0, 0)),
    HandShape("ready", (0.19, 0.2, -0.2), -20.0, RELAXED, (0, 0, 0)),
    HandShape("dip", (0.21, 0.1, -0.33), 0.0, RELAXED, (0, 0, 0)),        # dropped towards rest in a short pause
    HandShape("beat", (0.2, 0.3, -0.1), 40.0, (0.25, 0.15, 0.2, 0.25, 0.3)),
    HandShape("open_palm", (0.25, 0.32, -0.08), -65.0, OPEN, (-0.04, -0.05, 0.07)),
    HandShape("precision_grip", (0.15, 0.3, -0.02), 10.0, GRIP, (0.0, -0.02, 0.08)),
    HandShape("fist_beat", (0.18, 0.3, -0.12), 0.0, FIST, (0.0, -0.02, 0.12)),
    HandShape("sweep", (0.38, 0.28, -0.06), 85.0, OPEN, (-0.3, 0.0, 0.04)),
    HandShape("frame", (0.17, 0.3, -0.08), 0.0, OPEN, (0.06, -0.02, 0.06), both=True),
    HandShape("big", (0.42, 0.26, 0.04), -10.0, OPEN, (-0.28, 0.0, -0.04), both=True),
    HandShape("small", (0.06, 0.3, 0.0), 15.0, GRIP, (0.05, -0.02, 0.05), both=True),
    HandShape("palms_up", (0.3, 0.24, -0.12), -85.0, OPEN, (-0.12, -0.04, 0.03), both=True, shoulder_lift=9.0),
    HandShape("self", (0.05, 0.17, 0.04), 80.0, (0.2, 0.1, 0.1, 0.15, 0.2), (0.08, 0.12, -0.03)),
    HandShape("point_you", (0.17, 0.42, 0.02), 55.0, POINTING, (0.0, -0.1, 0.05)),
    HandShape("point_here", (0.12, 0.33, -0.16), 80.0, POINTING, (0.0, -0.03, 0.1)),
    HandShape("point_there", (0.42, 0.3, 0.05), 70.0, POINTING, (-0.2, 0.0, 0.0)),
    HandShape("wipe", (0.4, 0.3, -0.12), 90.0, OPEN, (-0.3, 0.0, 0.02), both=True),
    HandShape("count", (0.12, 0.32, 0.0), 20.0, OPEN, (0.0, -0.05, 0.05)),
)}
REST_SHAPES = ("side", "clasped", "front", "hip", "lap", "lap_clasped")
BEAT_SHAPES = ("beat", "open_palm", "precision_grip", "fist_beat", "sweep", "frame")
CUE_SHAPES = {"self": "self", "other": "point_you", "here": "point_here", "there": "point_there", "big": "big",
              "small": "small", "negation": "wipe", "question": "palms_up", "count": "count"}


def counting_fingers(count: int) -> tuple:
    """Finger curls showing `count` (1 = index, … 4 = four fingers, 5 = thumb too)."""
    curls = [0.7, 0.95, 0.95, 0.95, 0.95]
    for k in range(min(max(count, 1), 4)):
        curls[1 + k] = 0.0
    if count >= 5:
        curls[0] = 0.0
    return tuple(curls)
