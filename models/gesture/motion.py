"""Gesture plan → per-frame hand tracks (position in gesture space, forearm roll, finger curls, shoulder lift).

Each hand works on its own: its strokes are grouped into excursions (runs of strokes close enough that the hand
stays up); between excursions it goes back to the posture's rest pose (hanging, clasped or loosely in front of the
belly, on the hip: posture.py), and where there is no time for that it dips towards rest between phrases. So one
hand often gestures while the other rests. Each excursion has its own place in gesture space (a catchment), some
strokes are large, finger curls and palms vary from stroke to stroke.
Each stroke is keyed as preparation → apex → hold; consecutive keys are joined with minimum-jerk easing, so the
hand stops at every apex (the kinematic beat lands on the stroke). Between strokes of one excursion the hand drifts
through a relaxed ready pose instead of freezing. Fingers and palm follow the arm with a little lag (overlap and
follow-through). The take starts with the hands at rest and still; keys keep clear of the shoulder, where the arm
cannot fold (arm_ik.py).
"""

from dataclasses import dataclass

import numpy as np

from ..filters import gaussian_filter1d, lfilter
from .planning import GesturePlan
from .posture import Posture
from .shapes import SHAPES, counting_fingers
from .styles import GestureStyle

RAISE_SECONDS = 0.5           # rest → preparation
RETRACT_SECONDS = 0.65        # last hold → rest
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
EXCURSION_GAP_SECONDS = 1.1   # a hand's strokes further apart than about this: it rests between them
MIN_REST_SECONDS = 0.25       # shorter rests are skipped: the hand stays up
STROKE_SCATTER = 0.06        # metres between the apexes of one excursion's strokes (sd per axis)
HAND_CEILING = 0.16           # metres above the chest joint: hands stay below the face
# The shoulder in gesture space (SMPL-X, collars dropped: body.py) and how far every key stays from it. A stroke's
# preparation (pushed back and up by its travel, scatter and a large stroke's jitter) landed on the shoulder in 3 %
# of takes, where the arm cannot fold (arm_ik.py) and the elbow flipped within a frame.
SHOULDER = (0.18, 0.0, 0.13)
SHOULDER_CLEARANCE = 0.24     # metres; the elbow starts easing into its fold limit at about 0.2
FIRST_RAISE_SECONDS = 0.45    # the take starts at rest: the shortest raise from there (else no preparation)
EARLIEST_STROKE_SECONDS = 0.25  # a stroke earlier in the take is not made: the hands start at rest
ROLL_LIMIT_DEGREES = 90.0     # forearm roll either way from palm-in (shapes.HandShape.roll)
PHRASE_PAUSE_SECONDS = 0.2    # a pause between phrases where an excursion may end
EXCURSION_SECONDS = (1.5, 4.0)  # how long a hand stays up through phrases before it drops at a pause
REST_SWITCH_SECONDS = 0.9     # from one rest pose to another
PARTNER_WAIT_SECONDS = 1.2
# Vocal effort (prosody.vocal_effort; the style is scaled by it: styles.with_effort) also moves the strokes: a quiet
# voice's apexes are drawn towards a place low and close in front of the belly, a raised voice's go up and forward.
QUIET_PLACE = (0.19, 0.15, -0.3)
RAISED_LIFT = (0.04, 0.1, 0.18)      # metres per unit of effort above 1 (below HAND_CEILING all the same)


@dataclass
class HandTrack:
    position: np.ndarray   # (T, 3) out, forward, up from the chest
    roll: np.ndarray       # (T,) forearm roll, degrees (shapes.HandShape.roll)
    fingers: np.ndarray    # (T, 5) curls
    lift: np.ndarray       # (T,) collar lift, degrees
    elbow_out: np.ndarray = None   # (T,) 0 elbow down and back … 1 out to the side (hand on the hip)
    key_times: np.ndarray = None   # seconds where the hand arrives at a key pose and stops (the track's poses)


def _pose(name, fingers=None, offset=(0.0, 0.0, 0.0), roll=0.0):
    shape = SHAPES[name]
    return (np.asarray(shape.position) + offset, np.array([shape.roll + roll]),
            np.asarray(fingers if fingers is not None else shape.fingers, float), shape.shoulder_lift,
            shape.elbow_out)


def _excursions(plan: GesturePlan, side: str, style: GestureStyle, rng, regions: list = ()) -> list:
    """The side's strokes grouped into excursions: runs of strokes close enough that the hand stays up between
    them; between excursions it goes back to rest (if there is time), as speakers' hands do in pauses. A long run
    also ends at a pause between phrases once it has lasted a few seconds (or sometimes sooner)."""
    mine = [s for s in plan.strokes if s.hands in (side, "both") and s.time >= EARLIEST_STROKE_SECONDS]
    unit_of = [next((k for k, (a, b) in enumerate(plan.units) if a - 0.2 <= s.time <= b + 0.2), -1) for s in mine]
    pauses = [(a[1], b[0]) for a, b in zip(regions[:-1], regions[1:]) if b[0] - a[1] >= PHRASE_PAUSE_SECONDS]
    groups, limit = [], 0.0
    for stroke, unit in zip(mine, unit_of):
        gap = EXCURSION_GAP_SECONDS * rng.uniform(0.7, 1.4)
        if groups and groups[-1][1] == unit and stroke.time - groups[-1][0][-1].time < gap:
            previous = groups[-1][0][-1].time
            between = any(previous < a and b < stroke.time for a, b in pauses)
            if not (between and (stroke.time - groups[-1][0][0].time > limit or rng.random() < 0.6)):
                groups[-1][0].append(stroke)
                continue
        groups.append(([stroke], unit))
        limit = rng.uniform(*EXCURSION_SECONDS)
    out = []
    for strokes, unit in groups:
        unit_end = plan.units[unit][1] if unit >= 0 else strokes[-1].time
        first = strokes[0].time - style.stroke_seconds - RAISE_SECONDS
        keep_up = rng.uniform(0.25, 0.7)
        # At the end of a unit (a long pause follows) the hands go down with the voice, so they have settled
        # early in the pause.
        retract = min(strokes[-1].time + style.hold_seconds + keep_up, max(unit_end - 0.1, strokes[-1].time + 0.15))
        if out and first - (out[-1][1] + RETRACT_SECONDS) < MIN_REST_SECONDS:
            # No time to rest: the hand only dips towards it between the phrases, then starts a new catchment.
            out[-1] = (out[-1][0], retract, out[-1][2] + [strokes])
        else:
            out.append((first, retract, [strokes]))
    return out


def hand_tracks(plan: GesturePlan, style: GestureStyle, amount: float, times: np.ndarray, seated: bool,
                rng: np.random.Generator, postures: list = None, regions: list = ()) -> dict:
    if not postures:
        rest_name = "rest_seated" if seated else "rest"
        postures = [Posture(0.0, (rest_name, rest_name), 0.0, 0.0, 0.0, "right")]
    excursions = {side: _excursions(plan, side, style, rng, regions) for side in ("left", "right")}
    rest_jitter = {(k, side): rng.normal(0.0, 0.012, 3) for k in range(len(postures)) for side in ("left", "right")}
    starts = np.array([p.start for p in postures])
    tracks = {}
    for side_index, side in enumerate(("left", "right")):
        other = excursions["right" if side == "left" else "left"]

        def busy(t, spans=other):
            return any(a <= t <= b - 0.2 for a, b, _ in spans)     # clasp while the partner comes down

        def rest_pose(t):
            k = max(int(np.searchsorted(starts, t, side="right")) - 1, 0)
            name = postures[k].rest[side_index]
            if busy(t) and name in ("clasped", "lap_clasped"):
                name = "front" if name == "clasped" else "lap"       # the partner left: no one to clasp
            return name, _pose(name, offset=rest_jitter[(k, side)])

        changes = sorted(set(starts.tolist()) | {t for a, b, _ in other for t in (a, b - 0.2)})
        keys, anchors = [], set()

        def rest_stretch(a, b):
            name, pose = rest_pose(a)
            keys.append((a, pose))
            for c in changes:
                if a + 0.3 < c < b - REST_SWITCH_SECONDS:
                    new_name, new_pose = rest_pose(c + 0.01)
                    if new_name in ("front", "lap") and rest_pose(c + PARTNER_WAIT_SECONDS)[0] != new_name:
                        continue   # the partner is about to come back: clasp then, not twice
                    if new_name != name or c in starts:
                        keys.append((c, pose))
                        keys.append((c + REST_SWITCH_SECONDS, new_pose))
                        name, pose = new_name, new_pose
            keys.append((b, pose))

        cursor = 0.0       # the take starts at rest, still: a cut or the first rendered frame shows no pop
        for first, retract, strokes in excursions[side]:
            start = None
            if keys:
                rest_stretch(cursor, max(first, cursor + 0.1))
            else:   # the first raise starts at t ≥ 0, from a rest that _limit_speed may not move
                rest_stretch(cursor, max(first, cursor))
                anchors.update(t for t, _ in keys)
                start = keys[-1][0]
            for k, phrase in enumerate(strokes):
                if k:
                    last, following = strokes[k - 1][-1].time, phrase[0].time - style.stroke_seconds
                    if following - last > 0.5:
                        keys.append((0.5 * (last + following) + 0.1, _pose("dip", offset=rng.normal(0, 0.02, 3))))
                _excursion_keys(keys, anchors, phrase, style, amount, rng, start if k == 0 else None)
            apex = strokes[-1][-1].time
            keys[:] = [key for key in keys if key[0] <= max(retract, apex + 1e-6)]   # no hold past the retraction
            last = keys[-1]
            hold_until = max(retract, last[0] + MIN_KEY_GAP)
            keys.append((hold_until, last[1]))
            # Long enough to get back to rest without outrunning the style's hand speed.
            distance = float(np.linalg.norm(last[1][0] - rest_pose(hold_until + RETRACT_SECONDS)[1][0]))
            cursor = hold_until + max(RETRACT_SECONDS, MIN_JERK_PEAK * distance / (0.8 * style.hand_speed))
        rest_stretch(cursor, plan.duration + 10.0)
        keys = [(t, (_clear_of_shoulder(_below_face(pose[0])),) + tuple(pose[1:])) for t, pose in keys]
        track = _interpolate(_limit_speed(_ordered(keys), anchors, style.hand_speed), times)
        track.position = clear_of_torso(track.position)
        tracks[side] = track
    return tracks


def _excursion_keys(keys, anchors, mine, style, amount, rng, start=None):
    """Preparation → apex → hold keys of one excursion's strokes; the strokes share a locus in gesture space (a
    catchment) that wanders from excursion to excursion, and some are made large. `start`: seconds of the take's
    first rest key, which stays (the take starts at rest)."""
    spread = style.spread
    locus = rng.normal(0.0, 1.0, 3) * np.array([0.05, 0.03, 0.06]) * spread - np.array([0.0, 0.0, 0.05])
    for k, stroke in enumerate(mine):
        shape = SHAPES[stroke.shape]
        fingers = counting_fingers(stroke.count) if stroke.shape == "count" else _relaxed(shape.fingers, stroke, rng)
        scale = STROKE_GAIN * style.amplitude * (0.6 + 0.4 * stroke.strength) * min(amount, 1.5) ** 0.5 \
            * stroke.effort
        # Successive beats land near each other, not on one spot: the hand travels between them.
        jitter = rng.normal(0, STROKE_SCATTER, 3) * (0.5 if stroke.word else 1.0) + (0.0 if stroke.word else locus)
        if not stroke.word and rng.random() < style.large_share * (0.5 + stroke.strength) * min(amount, 1.5):
            jitter = jitter + np.array([rng.uniform(0.06, 0.16), rng.uniform(0.0, 0.06), rng.uniform(0.03, 0.12)])
        roll = 0.0 if stroke.word else float(np.clip(rng.normal(0.0, 12.0), -25.0, 25.0))
        # Within the forearm's turn (a sweep's 85° palm-down plus 25° went to 110°, past the wrist's limit).
        roll = float(np.clip(shape.roll + roll, -ROLL_LIMIT_DEGREES, ROLL_LIMIT_DEGREES)) - shape.roll
        jitter = jitter + _effort_offset(shape.position, jitter, style.effort * stroke.effort)
        apex = _pose(stroke.shape, fingers, jitter, roll)
        travel = np.asarray(shape.stroke) * scale
        length = float(np.linalg.norm(travel))
        limit = style.stroke_metres * min(stroke.effort, 1.0)
        if length > limit:
            travel, length = travel * limit / length, limit
        prep = _pose(stroke.shape, fingers, jitter + travel, roll)
        prep = (prep[0], prep[1] + _flick(shape.roll + roll, style.wrist_flick)) + prep[2:]
        prep_time = stroke.time - max(style.stroke_seconds, MIN_JERK_PEAK * length / style.hand_speed)
        if k > 0:
            # Strokes in quick succession: rebound from the last apex straight into this stroke.
            last = mine[k - 1].time
            prep_time = max(prep_time, last + 0.45 * (stroke.time - last))
            keys[:] = [key for key in keys if key[0] <= last + 1e-6 or key[0] < prep_time - MIN_KEY_GAP]
        elif start is not None and prep_time < start + FIRST_RAISE_SECONDS:
            # Speech from the first moment: no time to prepare, the raise from rest is the stroke (it comes as
            # far as the hand can get at the style's speed: _limit_speed), easing in from still.
            keys[:] = [key for key in keys if key[0] <= start]
            prep_time = None
        else:
            keys[:] = [key for key in keys if key[0] < prep_time - MIN_KEY_GAP]
        if prep_time is not None:
            keys.append((prep_time, prep))
        keys.append((stroke.time, apex))
        anchors.add(stroke.time)
        # The hand leaves the apex slowly (a post-stroke hold that relaxes), so its motion stops at the
        # apex itself rather than somewhere along a hold.
        following = mine[k + 1].time - style.stroke_seconds if k + 1 < len(mine) else stroke.time + 1.5
        gap = following - stroke.time
        if gap > HOLD_MIN_GAP_SECONDS:
            hold = _pose(stroke.shape, fingers, jitter + travel * REBOUND, roll)
            keys.append((stroke.time + min(max(style.hold_seconds, 0.35 * gap), 0.45), hold))
        if gap > DRIFT_GAP_SECONDS + HOLD_MIN_GAP_SECONDS and k + 1 < len(mine):
            keys.append((stroke.time + 0.75 * gap, _pose("ready", offset=locus + rng.normal(0, 0.03, 3))))


def _effort_offset(position, jitter, effort: float) -> np.ndarray:
    """How far a stroke's apex (shape position + jitter) moves for the voice's effort: below 1 towards QUIET_PLACE
    (at 0.5 most of the way: hands low, near the body), above 1 up and forward by RAISED_LIFT per unit."""
    if effort < 1.0:
        place = np.asarray(position) + jitter
        return (np.asarray(QUIET_PLACE) - place) * min(1.4 * (1.0 - effort), 0.8)
    return np.asarray(RAISED_LIFT) * (effort - 1.0)


def _below_face(position: np.ndarray) -> np.ndarray:
    """A hand's key position kept below HAND_CEILING, and lower still near the midline, in front of the face."""
    out, forward, up = position
    ceiling = HAND_CEILING - 0.12 * float(np.clip((0.16 - out) / 0.1, 0.0, 1.0))
    return np.array([out, forward, min(up, ceiling)])


def _clear_of_shoulder(position: np.ndarray) -> np.ndarray:
    """A hand's key position at least SHOULDER_CLEARANCE from the shoulder, moved forwards (the way a
    preparation pulled back towards the shoulder would have to come anyway): heights and sideways places stay."""
    offset = position - np.asarray(SHOULDER)
    if float(np.linalg.norm(offset)) >= SHOULDER_CLEARANCE:
        return position
    forward = np.sqrt(max(SHOULDER_CLEARANCE ** 2 - offset[0] ** 2 - offset[2] ** 2, 0.0))
    return np.array([position[0], SHOULDER[1] + forward, position[2]])


def _relaxed(fingers, stroke, rng) -> np.ndarray:
    """A stroke's finger curls, varied: relaxed hands are never the same twice, and curl more towards the pinky."""
    base = np.asarray(fingers, float)
    if stroke.word:
        return base
    cascade = np.array([0.0, 0.0, 0.04, 0.08, 0.12]) * rng.uniform(0.0, 1.5)
    return np.clip(base + rng.normal(0.0, 0.07, 5) + cascade + rng.uniform(-0.05, 0.15), 0.0, 1.0)


def _flick(roll: float, degrees: float) -> float:
    """Roll offset of a stroke's preparation: the wrist turns into the apex's palm direction, as beats flick
    the hand; always away from the roll limits, so the flick never over-rotates the forearm."""
    return -degrees if roll > 0 else degrees


def _limit_speed(keys: list, anchors: set, max_speed: float = MAX_HAND_SPEED) -> list:
    """Pull preparation, hold and rest keys towards their neighbours where reaching them would need the hand to
    move faster than `max_speed`; apexes stay where the plan put them, in time, but an apex too far from the one
    before to get there at that speed comes only as far as it can (a word cue's stroke 0.23 s after another one
    on the other side of the body took the hand at 4.6 m/s)."""
    times = [k[0] for k in keys]
    positions = [k[1][0].copy() for k in keys]
    fixed = [t in anchors for t in times]
    pinned = [i for i in range(len(keys)) if fixed[i]]
    for i, j in zip(pinned[:-1], pinned[1:]):
        reach = max_speed * (times[j] - times[i]) / MIN_JERK_PEAK
        step = positions[j] - positions[i]
        distance = float(np.linalg.norm(step))
        if distance > reach:
            positions[j] = positions[i] + step * reach / distance
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
    values = [np.array([np.atleast_1d(k[1][c]) for k in keys], float) for c in range(5)]
    index = np.clip(np.searchsorted(key_times, times, side="right") - 1, 0, len(keys) - 2)
    u = np.clip((times - key_times[index]) / (key_times[index + 1] - key_times[index]), 0.0, 1.0)
    ease = (u ** 3 * (10 - 15 * u + 6 * u * u))[:, None]
    channels = [v[index] + (v[index + 1] - v[index]) * ease for v in values]
    position, roll, fingers, lift, elbow_out = channels
    return HandTrack(position, roll[:, 0], fingers, lift[:, 0], elbow_out[:, 0], key_times)


def follow_through(track: HandTrack, fps: float) -> HandTrack:
    """Fingers and the hand's roll trail the arm: a critically damped lag, as soft tissue and relaxed joints do."""
    alpha = 1.0 - np.exp(-1.0 / (FINGER_LAG_SECONDS * fps))

    def lag(x):
        once = lfilter([alpha], [1, alpha - 1], x, axis=0, zi=(1 - alpha) * x[:1])[0]
        return lfilter([alpha], [1, alpha - 1], once, axis=0, zi=(1 - alpha) * once[:1])[0]
    return HandTrack(track.position, lag(track.roll), lag(track.fingers), track.lift, track.elbow_out, track.key_times)


def idle_sway(count: int, fps: float, rng: np.random.Generator, amplitude: float, seconds: float = 0.9):
    """Smooth random wander (count, 3) with roughly the given amplitude: nobody holds perfectly still."""
    noise = rng.normal(0, 1, (count + int(6 * seconds * fps), 3))
    smooth = gaussian_filter1d(noise, seconds * fps, axis=0)[int(3 * seconds * fps):][:count]
    return amplitude * smooth / max(float(smooth.std()), 1e-9)
