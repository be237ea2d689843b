"""Gesture plan → per-frame hand tracks (position in gesture space, forearm roll, finger curls, shoulder lift).

Each stroke is keyed as preparation → apex → hold; consecutive keys are joined with minimum-jerk easing, so the
hand stops at every apex (the kinematic beat lands on the stroke). Between strokes inside a unit the hands drift
through a relaxed ready pose instead of freezing; between units (long pauses) they return to rest.
Fingers and palm follow the arm with a little lag (overlap and follow-through).
"""

from dataclasses import dataclass

import numpy as np

from ..filters import gaussian_filter1d, lfilter
from .planning import GesturePlan
from .shapes import SHAPES, counting_fingers
from .styles import GestureStyle

RAISE_SECONDS = 0.6           # rest → preparation
RETRACT_SECONDS = 0.8         # last hold → rest
HOLD_MIN_GAP_SECONDS = 0.8
DRIFT_GAP_SECONDS = 1.0       # a gap this long between strokes gets a drifting ready pose
FINGER_LAG_SECONDS = 0.07
MIN_KEY_GAP = 0.06
MAX_HAND_SPEED = 1.8          # m/s: default cap; each style sets its own (styles.GestureStyle.hand_speed)
MIN_JERK_PEAK = 1.875         # a minimum-jerk move's peak speed over its mean speed
TORSO_HALF_WIDTH = 0.15
TORSO_FRONT = 0.15            # metres in front of the chest joint that the body surface reaches
STROKE_GAIN = 1.5
REBOUND = 0.4                 # how far the hand springs back after a beat's apex


@dataclass
class HandTrack:
    position: np.ndarray   # (T, 3) out, forward, up from the chest
    roll: np.ndarray       # (T,) forearm roll, degrees (shapes.HandShape.roll)
    fingers: np.ndarray    # (T, 5) curls
    lift: np.ndarray       # (T,) collar lift, degrees


def _pose(name, fingers=None, offset=(0.0, 0.0, 0.0)):
    shape = SHAPES[name]
    return (np.asarray(shape.position) + offset, np.array([shape.roll]),
            np.asarray(fingers if fingers is not None else shape.fingers, float), shape.shoulder_lift)


def hand_tracks(plan: GesturePlan, style: GestureStyle, amount: float, times: np.ndarray, seated: bool,
                rng: np.random.Generator) -> dict:
    rest = _pose("rest_seated" if seated else "rest")
    tracks = {}
    for side in ("left", "right"):
        keys, anchors = [(-1.0, rest)], set()
        for start, end in plan.units:
            strokes = [s for s in plan.strokes if start - 0.1 <= s.time <= end + 0.1]
            mine = [s for s in strokes if s.hands in (side, "both")]
            if not strokes:
                continue
            if not mine:
                # The idle hand joins the unit low in gesture space and sways a little with its partner.
                ready = _pose("ready", offset=rng.normal(0, 0.015, 3) + (0, -0.05, -0.06))
                first = strokes[0].time - style.stroke_seconds - RAISE_SECONDS * 0.5
                keys.append((first - 0.2, rest))
                keys.append((first + 0.3, ready))
                for s in strokes[1::2]:
                    keys.append((s.time, _pose("ready", offset=rng.normal(0, 0.02, 3) + (0, -0.05, -0.06))))
                keys.append((strokes[-1].time + style.hold_seconds + 0.2, ready))
                keys.append((strokes[-1].time + style.hold_seconds + 0.2 + RETRACT_SECONDS * 1.3, rest))
                continue
            keys.append((mine[0].time - style.stroke_seconds - RAISE_SECONDS, rest))
            for k, stroke in enumerate(mine):
                shape = SHAPES[stroke.shape]
                fingers = counting_fingers(stroke.count) if stroke.shape == "count" else shape.fingers
                scale = STROKE_GAIN * style.amplitude * (0.6 + 0.4 * stroke.strength) * min(amount, 1.5) ** 0.5
                jitter = rng.normal(0, 0.02, 3) * (0.5 if stroke.word else 1.0)
                apex = _pose(stroke.shape, fingers, jitter)
                travel = np.asarray(shape.stroke) * scale
                length = float(np.linalg.norm(travel))
                if length > style.stroke_metres:
                    travel, length = travel * style.stroke_metres / length, style.stroke_metres
                prep = _pose(stroke.shape, fingers, jitter + travel)
                prep = (prep[0], prep[1] + _flick(shape.roll, style.wrist_flick)) + prep[2:]
                prep_time = stroke.time - max(style.stroke_seconds, MIN_JERK_PEAK * length / style.hand_speed)
                if k > 0:
                    # Strokes in quick succession: rebound from the last apex straight into this stroke.
                    last = mine[k - 1].time
                    prep_time = max(prep_time, last + 0.45 * (stroke.time - last))
                    keys = [key for key in keys if key[0] <= last + 1e-6 or key[0] < prep_time - MIN_KEY_GAP]
                keys.append((prep_time, prep))
                keys.append((stroke.time, apex))
                anchors.add(stroke.time)
                # The hand leaves the apex slowly (a post-stroke hold that relaxes), so its motion stops at the
                # apex itself rather than somewhere along a hold.
                following = mine[k + 1].time - style.stroke_seconds if k + 1 < len(mine) else stroke.time + 1.5
                gap = following - stroke.time
                if gap > HOLD_MIN_GAP_SECONDS:
                    hold = _pose(stroke.shape, fingers, jitter + travel * REBOUND)
                    keys.append((stroke.time + min(max(style.hold_seconds, 0.35 * gap), 0.45), hold))
                if gap > DRIFT_GAP_SECONDS + HOLD_MIN_GAP_SECONDS and k + 1 < len(mine):
                    keys.append((stroke.time + 0.75 * gap, _pose("ready", offset=rng.normal(0, 0.03, 3))))
            retract = max(end - 0.2, mine[-1].time + style.hold_seconds)
            keys.append((retract, keys[-1][1]))
            keys.append((retract + RETRACT_SECONDS, rest))
        keys.append((plan.duration + 10.0, rest))
        track = _interpolate(_limit_speed(_ordered(keys), anchors, style.hand_speed), times)
        track.position = clear_of_torso(track.position)
        tracks[side] = track
    return tracks


def _flick(roll: float, degrees: float) -> float:
    """Roll offset of a stroke's preparation: the wrist turns into the apex's palm direction, as beats flick
    the hand; always away from the roll limits, so the flick never over-rotates the forearm."""
    return -degrees if roll > 0 else degrees


def _limit_speed(keys: list, anchors: set, max_speed: float = MAX_HAND_SPEED) -> list:
    """Pull preparation, hold and rest keys towards their neighbours where reaching them would need the hand to
    move faster than `max_speed`; apexes stay where the plan put them."""
    times = [k[0] for k in keys]
    positions = [k[1][0].copy() for k in keys]
    fixed = [t in anchors for t in times]
    for _ in range(2):
        for i in range(1, len(keys)):
            if fixed[i]:
                continue
            for j in (i - 1, i + 1):
                if j >= len(keys):
                    continue
                reach = max_speed * abs(times[i] - times[j]) / MIN_JERK_PEAK
                step = positions[i] - positions[j]
                distance = float(np.linalg.norm(step))
                if distance > reach:
                    positions[i] = positions[j] + step * reach / distance
    return [(t, (p,) + tuple(k[1][1:])) for t, p, k in zip(times, positions, keys)]


def clear_of_torso(position: np.ndarray) -> np.ndarray:
    """Keep the hand in front of the belly and chest on its way between rest and the midline."""
    out, forward, up = position[:, 0], position[:, 1], position[:, 2]
    near = np.clip((TORSO_HALF_WIDTH + 0.05 - out) / 0.05, 0.0, 1.0) * (up > -0.5) * (up < 0.25)
    front = TORSO_FRONT * near
    smooth_max = 0.5 * (forward + front + np.sqrt((forward - front) ** 2 + 0.02 ** 2))
    return np.stack([out, np.where(near > 0, smooth_max, forward), up], axis=1)


def _ordered(keys: list) -> list:
    """Keys in time order, a later key replacing an earlier one that is too close to keep both."""
    keys = sorted(keys, key=lambda k: k[0])
    out = []
    for key in keys:
        while out and key[0] - out[-1][0] < MIN_KEY_GAP:
            out.pop()
        out.append(key)
    return out


def _interpolate(keys: list, times: np.ndarray) -> HandTrack:
    key_times = np.array([k[0] for k in keys])
    values = [np.array([np.atleast_1d(k[1][c]) for k in keys], float) for c in range(4)]
    index = np.clip(np.searchsorted(key_times, times, side="right") - 1, 0, len(keys) - 2)
    u = np.clip((times - key_times[index]) / (key_times[index + 1] - key_times[index]), 0.0, 1.0)
    ease = (u ** 3 * (10 - 15 * u + 6 * u * u))[:, None]
    channels = [v[index] + (v[index + 1] - v[index]) * ease for v in values]
    position, roll, fingers, lift = channels
    return HandTrack(position, roll[:, 0], fingers, lift[:, 0])


def follow_through(track: HandTrack, fps: float) -> HandTrack:
    """Fingers and the hand's roll trail the arm: a critically damped lag, as soft tissue and relaxed joints do."""
    alpha = 1.0 - np.exp(-1.0 / (FINGER_LAG_SECONDS * fps))

    def lag(x):
        once = lfilter([alpha], [1, alpha - 1], x, axis=0, zi=(1 - alpha) * x[:1])[0]
        return lfilter([alpha], [1, alpha - 1], once, axis=0, zi=(1 - alpha) * once[:1])[0]
    return HandTrack(track.position, lag(track.roll), lag(track.fingers), track.lift)


def idle_sway(count: int, fps: float, rng: np.random.Generator, amplitude: float, seconds: float = 0.9):
    """Smooth random wander (count, 3) with roughly the given amplitude: nobody holds perfectly still."""
    noise = rng.normal(0, 1, (count + int(6 * seconds * fps), 3))
    smooth = gaussian_filter1d(noise, seconds * fps, axis=0)[int(3 * seconds * fps):][:count]
    return amplitude * smooth / max(float(smooth.std()), 1e-9)
