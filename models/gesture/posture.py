"""Posture over a take: what a standing (or seated) speaker does between and around the gestures.

Every few seconds the speaker shifts posture, preferably in a pause: where the hands rest (hanging at the sides,
clasped in front, one on the hip), which way the body faces (towards one listener, then another), where the
weight sits (one hip out, then the other), a little lean. Some shifts are made with a step: one foot lifts, moves
and turns, and the other often follows to square up; otherwise the feet stay planted where they are, so nothing
slides. This module plans those events and turns the feet into per-frame world targets; body.py puts the pelvis
over them and solves the legs.
"""

from dataclasses import dataclass

import numpy as np

from .planning import GesturePlan
from .styles import GestureStyle

SHIFT_SECONDS = (3.0, 7.0)        # between posture shifts
SNAP_TO_PAUSE_SECONDS = 1.5       # a shift this close to the start of a pause moves there
IDLE_SHIFT_SCALE = 2.5
LONG_SILENCE_SECONDS = 1.2
STEP_SECONDS = 0.55               # one foot's swing
STEP_LIFT = 0.05                  # metres the ankle rises mid-swing
FOLLOW_GAP_SECONDS = 0.25         # the other foot starts this long after the first lands
FOOT_HALF_WIDTH = 0.085           # stance: ankles 17 cm apart (SMPL-X rest: 20), 2 cm behind the pelvis (+Y)
FOOT_FRONT = 0.02
MAX_FOOT_ANGLE = 25.0             # degrees between the feet
# How long a shift takes to be over: its steps (up to 0.3 s late, two swings and the gap; the weight back 0.15 s
# after the landing), and the eased facing, weight, lean (1.2 s) and rest pose of the hands (0.9 s; motion.py).
SHIFT_SETTLE_SECONDS = 0.3 + 2 * STEP_SECONDS + FOLLOW_GAP_SECONDS + 0.15
REST_CHOICES = {  # rest pose of the hands in pauses: name -> weight; "hip" puts one hand on its hip
    "presenter": {"side": 3.0, "clasped": 2.0, "hip": 1.0, "front": 1.0},
    "storyteller": {"side": 3.0, "clasped": 1.0, "hip": 0.6, "front": 1.5},
    "lecturer": {"clasped": 3.0, "side": 2.0, "hip": 1.2, "front": 1.0},
}
SEATED_RESTS = {"lap": 2.0, "lap_clasped": 1.5}


@dataclass(frozen=True)
class Posture:
    start: float
    rest: tuple          # (left hand's rest shape, right hand's), names in shapes.SHAPES
    facing: float        # degrees the body turns to the left (+) from facing the camera
    weight: float        # -1 all on the left foot … +1 all on the right
    lean: float          # degrees forward
    dominant: str        # the hand that gestures most in this posture


@dataclass(frozen=True)
class Step:
    start: float
    side: str            # the foot that moves
    to: tuple            # (x, y, yaw degrees) where it lands


@dataclass
class Stance:
    """Per-frame world targets: ankle positions (T, 3) and foot yaw (T,) degrees per side; `support` (T,) −1 … +1:
    where the weight must be (−1 left foot, +1 right; steps force it onto the standing foot)."""

    ankle: dict
    yaw: dict
    support: np.ndarray


def plan_postures(plan: GesturePlan, regions: list, style: GestureStyle, handedness: str, seated: bool,
                  rng: np.random.Generator, end: float | None = None) -> list:
    """Posture shifts over the take: every SHIFT_SECONDS (scaled by the style), moved into a nearby pause.
    `end`: seconds where the clip ends; no shift starts later than it can be over (SHIFT_SETTLE_SECONDS), so the
    take never ends mid-step (planned up to the audio's end + 1 s, it did in 9 of 45 takes)."""
    pauses = _pause_starts(regions, plan.duration)
    silences = [(a[1], b[0]) for a, b in zip(regions[:-1], regions[1:]) if b[0] - a[1] > LONG_SILENCE_SECONDS]
    calm = 1.0 if plan.units else IDLE_SHIFT_SCALE   # no speech: a calm idle shifts less often
    choices = SEATED_RESTS if seated else REST_CHOICES.get(style.name, REST_CHOICES["presenter"])
    postures, t = [], 0.0
    facing, weight = rng.uniform(-0.4, 0.4) * style.turn, float(rng.choice([-1.0, 1.0])) * rng.uniform(0.3, 0.8)
    base = "right" if handedness != "left" else "left"
    while t < plan.duration + 1.0:
        dominant = str(rng.choice(["left", "right"])) if handedness == "both" else base
        rest = _weighted(choices, rng)
        if rest == "hip":   # the other hand goes on its hip; the talking hand hangs when it rests
            rests = ("side", "hip") if dominant == "left" else ("hip", "side")
        else:
            rests = (rest, rest)
        postures.append(Posture(t, rests, float(facing), float(weight), float(rng.normal(0.0, 1.2)), dominant))
        gap = rng.uniform(*SHIFT_SECONDS) * style.shift_scale * calm
        t_next = t + gap
        near = pauses[(np.abs(pauses - t_next) < SNAP_TO_PAUSE_SECONDS) & (pauses > t + 1.5)]
        t_next = float(near[np.argmin(np.abs(near - t_next))]) if len(near) else t_next
        for a, b in silences:   # never in the middle of a long pause, where the body settles: at its start or end
            if a + 0.2 < t_next < b - 0.6:
                t_next = a - 0.1 if a - 0.1 > t + 1.5 else b - 0.5
        t = t_next
        if rng.random() < 0.6:   # towards a listener on the other side, or somewhere else
            swing = -np.sign(facing) * rng.uniform(0.4, 1.0) if rng.random() < 0.6 else rng.uniform(-1.0, 1.0)
            facing = float(swing * style.turn)
        weight = -np.sign(weight) * rng.uniform(0.3, 1.0) if rng.random() < 0.75 else weight
    if end is not None:   # dropped after planning, so the rest of the take draws the same random numbers
        postures = postures[:1] + [p for p in postures[1:] if p.start <= end - SHIFT_SETTLE_SECONDS]
    return postures


def posture_at(postures: list, time: float) -> Posture:
    index = np.searchsorted([p.start for p in postures], time, side="right") - 1
    return postures[max(int(index), 0)]


def plan_steps(postures: list, style: GestureStyle, rng: np.random.Generator) -> list:
    """Steps that carry the posture shifts whose new facing the planted feet cannot twist to, and a few more."""
    left = np.array([FOOT_HALF_WIDTH, FOOT_FRONT, 0.0])
    right = np.array([-FOOT_HALF_WIDTH, FOOT_FRONT, 0.0])
    steps = []
    for before, after in zip(postures[:-1], postures[1:]):
        feet_facing = 0.5 * (left[2] + right[2])
        turn = after.facing - feet_facing
        if abs(turn) < 6.0 and rng.random() > style.step_share:
            continue
        t = after.start + rng.uniform(0.0, 0.3)
        # The foot on the side of the turn opens first (turning left: the left foot), the other closes after it.
        first = "left" if turn > 0 else "right"
        if abs(turn) < 6.0:
            first = "left" if after.weight > 0 else "right"   # a weight-change step with the unweighted foot
        centre = 0.5 * (left[:2] + right[:2]) + rng.normal(0.0, 0.06, 2)
        centre = np.clip(centre, -0.25 + FOOT_FRONT, 0.25 + FOOT_FRONT)
        yaw = feet_facing + turn
        for k, side in enumerate((first, "right" if first == "left" else "left")):
            if k == 1 and abs(turn) < 6.0 and rng.random() < 0.5:
                break
            sign = 1.0 if side == "left" else -1.0
            splay = sign * rng.uniform(3.0, 8.0)
            a = np.radians(yaw)
            across = np.array([np.cos(a), np.sin(a)]) * FOOT_HALF_WIDTH * rng.uniform(0.85, 1.1)
            spot = centre + sign * across + rng.normal(0.0, 0.02, 2)
            foot_yaw = yaw + splay
            other = right if side == "left" else left
            foot_yaw = float(np.clip(foot_yaw, other[2] - MAX_FOOT_ANGLE, other[2] + MAX_FOOT_ANGLE))
            start = t + k * (STEP_SECONDS + FOLLOW_GAP_SECONDS)
            steps.append(Step(float(start), side, (float(spot[0]), float(spot[1]), foot_yaw)))
            if side == "left":
                left = np.array([spot[0], spot[1], foot_yaw])
            else:
                right = np.array([spot[0], spot[1], foot_yaw])
    return steps


def stance_tracks(steps: list, times: np.ndarray, ankle_height: float) -> Stance:
    """Feet planted except while stepping; a step lifts, carries and turns the foot with minimum-jerk easing."""
    frames = len(times)
    ankle, yaw = {}, {}
    support = np.zeros(frames)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        x = np.full(frames, sign * FOOT_HALF_WIDTH)
        y = np.full(frames, FOOT_FRONT)
        z = np.full(frames, ankle_height)
        a = np.zeros(frames)
        here = (sign * FOOT_HALF_WIDTH, FOOT_FRONT, 0.0)
        for step in (s for s in steps if s.side == side):
            u = np.clip((times - step.start) / STEP_SECONDS, 0.0, 1.0)
            ease = u ** 3 * (10 - 15 * u + 6 * u * u)
            after = times >= step.start
            for channel, start, end in ((x, here[0], step.to[0]), (y, here[1], step.to[1]), (a, here[2], step.to[2])):
                channel[after] = start + (end - start) * ease[after]
            z += STEP_LIFT * np.sin(np.pi * u) ** 2
            # Weight goes onto the standing foot before the lift and stays until the landing.
            window = np.clip(np.minimum((times - step.start + 0.3) / 0.3, (step.start + STEP_SECONDS + 0.15 - times)
                                        / 0.25), 0.0, 1.0)
            support += (-sign) * window
            here = step.to
        ankle[side] = np.stack([x, y, z], axis=1)
        yaw[side] = a
    return Stance(ankle, yaw, np.clip(support, -1.0, 1.0))


def _pause_starts(regions: list, duration: float) -> np.ndarray:
    """Where pauses begin (just before the voice stops): a shift made there is over early in the pause."""
    starts = [a[1] - 0.1 for a, b in zip(regions[:-1], regions[1:]) if b[0] - a[1] > 0.25]
    return np.array([c for c in starts if 0.0 < c < duration])


def _weighted(weights: dict, rng) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names], float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]
