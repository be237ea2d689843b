"""A waltz for music in three: ballroom figures stepped on every beat, the rise and fall of 1-2-3, captured arms.

Nothing in `../shared/mocap` is a waltz (CMU subject 5 dances ballet and modern dance, G1 Moves pop, hip-hop,
salsa, disco and Broadway routines, all in fours), so the legs are procedural, after the ballroom syllabus:
- figures of two bars (six steps) or one bar (three), one step on every beat, the feet alternating: the box
  (forward half then back half, or from the back), the forward/back balance, the side balance (balancé), the
  quarter-turn box, the travelling waltz turn (a whole turn over two bars, moving sideways), the spot turn and the
  hesitation (one step, the other foot closes without weight);
- the rise and fall: down on one (knees soft, the step's width lowers the body too), rising through two onto the
  balls of the feet (heels up), highest on three, lowering at the end of three;
- facing the audience most of the time: figures that turn come back, a turned dancer is drawn back to the front,
  and a song that has not yet turned half round is urged to (turns land on the louder phrases);
- a section that repeats dances its figures again; quiet phrases step smaller and favour balances and the
  hesitation; the figures keep the dancer on the floor area.
Feet are placed exactly by leg IK: planted feet do not move (on a rise the ball of the foot stays put and the heel
lifts), swinging feet lift before they travel. The upper body (spine, arms, head) is the captured dance's (the
motion graph over the library, with a taste for its lyrical captures): captured arm lines over waltz steps. The
pelvis faces where the figure faces and keeps half the captured pelvis's tilt.
"""

from dataclasses import dataclass

import numpy as np

from ...clips import rotations
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON
from ..interpolate import PchipInterpolator
from .contacts import ANKLE_MARGIN, heel_lift
from .leg_ik import Leg

HALF_STANCE = 0.09          # m from the body's midline to each ankle
STRIDE = 0.36               # m of a forward step at full size …
SIDE = 0.30                 # … and of a side step
TURNOUT = 6.0               # degrees each foot points outwards
FALL = 0.1                  # m the pelvis lowers on one (at full loudness and energy) …
RISE = 0.06                 # … and rises on the balls of the feet on two and three
RISE_AT_BEATS = (-1.0, 0.25, 1.0)   # the height on one (lowest), two and three (up), of FALL below, RISE above
SWING = 0.9                 # share of the beat before its step that the stepping foot is in the air …
WEIGHT_SHIFT = 1.0          # … and that the weight takes to move over to it, arriving as it lands, on the beat:
                            # the body moves through the whole beat and is still only on it (the weight arriving
                            # 0.15 beat after the step, then resting, put the motion's stops a quarter beat late)
LIFT = 0.05                 # m a travelling foot's ankle clears the floor by
LIFT_IN_PLACE = 0.022       # m for a step in place
POINTED = -6.0              # degrees the toes point down at the top of a swing (here up a little: clear of the floor)
WEIGHT_ON_FOOT = 0.82       # share of the way the pelvis goes over the foot that has the weight
PELVIS_AHEAD = 0.02         # m the pelvis sits ahead of the ankles' midpoint (as SMPL-X stands)
BASE_BEND = 0.012           # m soft knees
REACH = 0.985               # of the leg's length at most from hip to a planted ankle
CAPTURED_TILT = 0.5         # share of the captured pelvis's tilt kept
HEEL_CLEAR = 0.006          # m a planted heel rises above ANKLE_MARGIN (the ball stays on the floor) …
HEEL_CLEAR_ROLL = 0.05      # … plus m per radian the pelvis rolls down towards that leg …
HEEL_CLEAR_BEHIND = 0.03    # … plus m per leg length the foot stands behind the hip: other rigs' hips sit
                            # otherwise on the pelvis and share a leg's length otherwise between thigh and shin,
                            # and there such stances lower the ankle (up to 9 mm on the demo character)
FLOOR_MARGIN = 0.45         # m kept inside the floor area
FACING_LIMIT = 50.0         # degrees: facing the audience within this counts as facing it
W_AWAY = 3.0                # cost of a figure's steps spent turned away from the audience (per share)
W_END_AWAY = 2.0            # cost of ending turned away (per 1 - cos)
W_FLOOR = 40.0              # per square metre past the floor area
W_CENTRE = 0.4              # per square metre from the centre
W_REPEAT = 0.9              # for the figure danced just before …
W_USED = 0.25               # … and per earlier use in the song
W_TURN = 3.5                # a turning figure's reward while the dance has not turned half round (scaled by
                            # how far the song is and how loud the phrase is)
W_QUIET = 1.6               # a quiet phrase prefers balances and the hesitation: the lively figures cost this
W_LIVELY = 1.0              # a loud phrase prefers the lively figures by up to this
NOISE = 0.5                 # seeded spread of the choice (Gumbel scale, cost units)


@dataclass(frozen=True)
class Figure:
    name: str
    bars: int
    lively: bool                      # travels or turns (loud phrases); balances and hesitations are calm
    steps: tuple                      # ((foot "L"/"R", x left, forward, turn degrees left, weight), …) written
                                      # starting with the left foot free, in (half stance, stride, side) metres
    weight: float = 1.0               # how often it is chosen, other things equal
    travels: bool = False


def _box(h, d, w, back=False, turn=0.0):
    s = -1.0 if back else 1.0
    spots = [("L", h, s * d), ("R", -h - w, s * d), ("L", h - w, s * d),
             ("R", -h - w, 0.0), ("L", h, 0.0), ("R", -h, 0.0)]
    if not turn:
        return tuple((f, x, y, 0.0, True) for f, x, y in spots)
    centre = np.array([-0.5 * w, 0.5 * s * d])
    out = []
    for k, (f, x, y) in enumerate(spots):
        a = np.radians(turn * (k + 1) / 6)
        p = centre + _rot(np.array([x, y]) - centre, a)
        out.append((f, float(p[0]), float(p[1]), turn * (k + 1) / 6, True))
    return tuple(out)


def _turning(h, travel_x, turn, steps=6):
    """A turn of `turn` degrees over `steps` steps (feet alternating from the left), the stance moving
    `travel_x` metres sideways (in the figure's starting frame) as it turns."""
    out = []
    for k in range(steps):
        share = (k + 1) / steps
        a = np.radians(turn * share)
        foot = "L" if k % 2 == 0 else "R"
        centre = np.array([travel_x * share, 0.0])
        p = centre + _rot(np.array([h if foot == "L" else -h, 0.0]), a)
        out.append((foot, float(p[0]), float(p[1]), turn * share, True))
    return tuple(out)


def figures(h=HALF_STANCE, d=STRIDE, w=SIDE) -> dict:
    """The figures at a stride of `d` and a side step of `w` (metres)."""
    box = [
        Figure("box", 2, False, _box(h, d, w), 3.0),
        Figure("box from the back", 2, False, _box(h, d, w, back=True), 2.0),
        Figure("balance forward and back", 2, False,
               (("L", h, d, 0, True), ("R", -h, d, 0, True), ("L", h, d, 0, True),
                ("R", -h, 0, 0, True), ("L", h, 0, 0, True), ("R", -h, 0, 0, True)), 2.0),
        Figure("side balance", 2, False,
               (("L", h + w, 0, 0, True), ("R", -h + w, 0, 0, True), ("L", h + w, 0, 0, True),
                ("R", -h, 0, 0, True), ("L", h, 0, 0, True), ("R", -h, 0, 0, True)), 2.0),
        Figure("quarter-turn box left", 2, True, _box(h, d, w, turn=90.0), 1.2),
        Figure("quarter-turn box right", 2, True, _box(h, d, w, turn=-90.0), 1.2),
        Figure("waltz turn travelling left", 2, True, _turning(h, 2.2 * w, 360.0), 1.4, True),
        Figure("waltz turn travelling right", 2, True, _turning(h, -2.2 * w, -360.0), 1.4, True),
        Figure("spot turn", 1, True, _turning(h, 0.0, 360.0, 3), 0.8),
        Figure("balancé", 1, False, (("L", h + 0.7 * w, 0, 0, True), ("R", -h + 0.7 * w, 0, 0, True),
                                     ("L", h + 0.7 * w, 0, 0, True)), 1.0),
        Figure("hesitation", 1, False, (("L", h + 0.8 * w, 0, 0, True), ("R", -h + 0.8 * w, 0, 0, False)), 0.6),
    ]
    return {f.name: f for f in box}


def _rot(xy, angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([c * xy[0] - s * xy[1], s * xy[0] + c * xy[1]])


FIGURE_NAMES = tuple(figures())


@dataclass
class StepEvent:
    time: float            # s: the foot lands (its weight arrives) on this beat
    period: float          # s: the beat before it
    foot: int              # 0 left, 1 right
    xy: np.ndarray         # world ankle position (m)
    yaw: float             # the foot's heading (radians, 0 = facing the audience at -y, left +)
    heading: float         # the body's heading after the step (radians)
    weight: bool           # the weight goes onto the foot (False: it only closes beside the other)
    figure: str


@dataclass
class WaltzPlan:
    events: list           # StepEvents in time order
    figures: list          # (start s, figure name, mirrored)
    start_heading: float = 0.0


class _Floor:
    """Where the dancer is: the feet's world spots and yaws, the body's heading, the free foot."""

    def __init__(self):
        self.feet = [np.array([HALF_STANCE, 0.0]), np.array([-HALF_STANCE, 0.0])]
        self.yaws = [np.radians(TURNOUT), -np.radians(TURNOUT)]
        self.heading = 0.0
        self.free = 0           # left foot free: the right has the weight


def plan_waltz(phrases: list, seed: int = 0, energy: float = 1.0, in_place: bool = False,
               floor_half_size: float = 1.5, tempo: float = 120.0) -> WaltzPlan:
    """Figures for every phrase (graph.plan_phrases' phrases in 3/4), their steps on the beats."""
    rng = np.random.default_rng([int(seed), 0x3A17])
    size = float(np.clip(energy, 0.3, 1.5)) ** 0.5 * float(np.clip(1.25 - (tempo - 90.0) / 240.0, 0.7, 1.15))
    state = _Floor()
    events, chosen, by_key, used = [], [], {}, {}
    turned = [0.0, 0.0]
    limit = max(0.3, floor_half_size - FLOOR_MARGIN)
    song_end = phrases[-1].end if phrases else 1.0
    previous = None
    for phrase in phrases:
        beats = np.asarray(phrase.beats, dtype=float)
        count = len(beats) - 1          # steps land on beats[0 … count-1]
        if phrase.key[0] == "pickup" or count <= 0:
            continue
        loud = float(phrase.loudness)
        scale = size * (0.7 + 0.3 * loud)
        catalogue = figures(HALF_STANCE, STRIDE * scale, SIDE * scale)
        plan = by_key.get(phrase.key)
        sequence, k = [], 0
        while k < count:
            left = count - k
            if plan is not None and len(sequence) < len(plan) and \
                    3 * catalogue[plan[len(sequence)]].bars <= left:
                name = plan[len(sequence)]
            else:
                name = _choose(catalogue, left, state, used, previous, loud, turned,
                               phrase.start / max(song_end, 1e-6), limit, in_place, rng)
            figure = catalogue[name] if name else None
            n_steps = 3 * figure.bars if figure else 1
            times = beats[k:k + n_steps]
            periods = np.diff(beats)[k:k + n_steps]
            if figure is None:    # a bar cut short: a step in place
                _in_place_step(state, events, times[0], periods[0])
            else:
                mirror = state.free == 1
                chosen.append((float(times[0]), name, mirror))
                _dance_figure(figure, mirror, state, events, times, periods, in_place)
                used[name] = used.get(name, 0) + 1
                previous = name
                turned = [min(turned[0], state.heading), max(turned[1], state.heading)]
            sequence.append(name)
            k += n_steps
        by_key.setdefault(phrase.key, [n for n in sequence if n])
    return WaltzPlan(events, chosen)


def _choose(catalogue, left, state, used, previous, loud, turned, progress, limit, in_place, rng):
    fits = [f for f in catalogue.values() if 3 * f.bars <= left and not (in_place and f.travels)]
    if not fits:
        return None
    costs = []
    short = max(0.0, 1.0 - (turned[1] - turned[0]) / np.pi)
    for figure in fits:
        mirror = state.free == 1
        path, end_xy, end_heading = _simulate(figure, mirror, state, in_place)
        away = np.mean(np.abs(_wrap(path)) > np.radians(FACING_LIMIT))
        cost = -np.log(figure.weight) + W_AWAY * away + W_END_AWAY * (1 - np.cos(end_heading))
        excess = np.maximum(np.abs(end_xy) - limit, 0.0)
        cost += W_FLOOR * float(np.sum(excess ** 2)) + W_CENTRE * float(np.sum(end_xy ** 2))
        cost += W_REPEAT * (figure.name == previous) + W_USED * used.get(figure.name, 0)
        swing = float(np.max(path) - np.min(path)) if len(path) else 0.0
        if swing > 0:
            cost -= W_TURN * short * (0.3 + progress) * (0.4 + loud) * min(swing / np.pi, 1.0)
        if figure.lively:   # turns and travel on the louder phrases, balances on the quiet ones
            cost += W_QUIET * max(0.0, 0.45 - loud) / 0.45 - W_LIVELY * max(0.0, loud - 0.45) / 0.55
        costs.append(cost + NOISE * rng.gumbel())
    return fits[int(np.argmin(costs))].name


def _simulate(figure, mirror, state, in_place):
    """(the body's heading after each step, end position of the stance's centre, end heading)."""
    headings, spots = [], [state.feet[0].copy(), state.feet[1].copy()]
    origin, heading = 0.5 * (state.feet[0] + state.feet[1]), state.heading
    for foot, x, f, turn, _ in figure.steps:
        side, turn = _mirrored(foot, turn, mirror)
        heading = state.heading + np.radians(turn)
        headings.append(heading)
        spots[side] = _place(origin, state.heading, -x if mirror else x, f, in_place and figure.travels)
    return np.array(headings), 0.5 * (spots[0] + spots[1]), heading


def _mirrored(foot, turn, mirror):
    side = 0 if foot == "L" else 1
    if mirror:
        return 1 - side, -turn
    return side, turn


def _place(origin, heading, x, f, no_travel=False):
    """World spot of a foot written at (x left, f forward) in the frame of the figure's start (`origin`, the
    stance's centre, and `heading` when the figure began); `no_travel`: a travelling figure danced on the spot."""
    local = np.array([x, -f], dtype=float)
    if no_travel:
        local[0] = np.sign(local[0]) * HALF_STANCE
    return origin + _rot(local, heading)


def _dance_figure(figure, mirror, state, events, times, periods, in_place):
    origin, start_heading = 0.5 * (state.feet[0] + state.feet[1]), state.heading
    for (foot, x, f, turn, weight), time, period in zip(figure.steps, times, periods):
        side, turn = _mirrored(foot, turn, mirror)
        xy = _place(origin, start_heading, -x if mirror else x, f, in_place and figure.travels)
        heading = start_heading + np.radians(turn)
        yaw = heading + np.radians(TURNOUT) * (1.0 if side == 0 else -1.0)
        events.append(StepEvent(float(time), float(period), side, xy, float(yaw), float(heading), bool(weight),
                                figure.name))
        state.feet[side], state.yaws[side], state.heading = xy, yaw, heading
        if weight:
            state.free = 1 - side


def _in_place_step(state, events, time, period):
    side = state.free
    events.append(StepEvent(float(time), float(period), side, state.feet[side].copy(), float(state.yaws[side]),
                            float(state.heading), True, "step in place"))
    state.free = 1 - side


def _wrap(angle):
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


# -- the figures as motion -------------------------------------------------------------------------------------

def _minimum_jerk(u):
    u = np.clip(u, 0.0, 1.0)
    return u ** 3 * (10 - 15 * u + 6 * u * u)


def foot_tracks(plan: WaltzPlan, times: np.ndarray) -> dict:
    """Per foot: ankle xy (T, 2), lift above the floor (T,), yaw (T,), planted (T,) bool; and the weight's share
    on the left foot (T,) and the body's heading (T,)."""
    frames = len(times)
    start = _Floor()
    feet = {}
    for side in (0, 1):
        xy = np.tile(start.feet[side], (frames, 1))
        lift = np.zeros(frames)
        yaw = np.full(frames, start.yaws[side])
        planted = np.ones(frames, dtype=bool)
        here, here_yaw, free_from = start.feet[side].copy(), start.yaws[side], -np.inf
        for event in (e for e in plan.events if e.foot == side):
            travel = float(np.linalg.norm(event.xy - here))
            leave = max(event.time - SWING * event.period, free_from)
            span = max(event.time - leave, 1e-3)
            u = (times - leave) / span
            inside = (u > 0) & (u < 1)
            after = times >= event.time
            horizontal = _minimum_jerk((u - 0.18) / 0.64)       # up first, then across, then down
            xy[inside] = here + (event.xy - here) * horizontal[inside, None]
            yaw[inside] = here_yaw + (event.yaw - here_yaw) * _minimum_jerk(u[inside])
            height = LIFT if travel > 0.06 else LIFT_IN_PLACE
            lift[inside] = height * np.sin(np.pi * u[inside]) ** 0.5
            planted[inside] = False
            xy[after], yaw[after] = event.xy, event.yaw
            here, here_yaw = event.xy.copy(), event.yaw
            free_from = event.time + 0.12 * event.period
        feet[side] = {"xy": xy, "lift": lift, "yaw": yaw, "planted": planted}
    weight = np.full(frames, 1.0 - WEIGHT_ON_FOOT)   # on the right foot at first
    heading_keys_t, heading_keys_v = [times[0] - 1.0], [0.0]
    for event in plan.events:
        if event.weight:
            target = WEIGHT_ON_FOOT if event.foot == 0 else 1.0 - WEIGHT_ON_FOOT
            begin = event.time - WEIGHT_SHIFT * event.period
            u = (times - begin) / (WEIGHT_SHIFT * event.period)
            move = _minimum_jerk(u)
            current = np.interp(begin, times, weight)
            weight = np.where(u > 0, current + (target - current) * move, weight)
        heading_keys_t.append(event.time - 0.15 * event.period)
        heading_keys_v.append(event.heading)
    keys_t, keys_v = np.array(heading_keys_t), np.array(heading_keys_v)
    keep = np.concatenate([np.diff(keys_t) > 1e-3, [True]])
    keys_t, keys_v = keys_t[keep], keys_v[keep]
    if len(keys_t) >= 2:
        heading = PchipInterpolator(keys_t, keys_v)(np.clip(times, keys_t[0], keys_t[-1]))
    else:
        heading = np.zeros(frames)
    return {"feet": feet, "weight": weight, "heading": heading}


def rise_and_fall(analysis, times: np.ndarray, energy: float) -> np.ndarray:
    """(T,) metres: negative on one (the knees give), positive on two and three (on the balls of the feet)."""
    from .meter import bar_phase
    _, phase = bar_phase(analysis, times)
    loud = np.clip(analysis.curve_at(analysis.loudness, times), 0.2, 1.0)
    scale = float(np.clip(energy, 0.0, 1.6)) * (0.7 + 0.3 * loud)
    # Lowest on one (lowered through three into it), rising from one through two onto three, lowered through the end
    # of three into the next one, as the syllabus counts the natural and reverse turns: "commence to rise at the
    # end of 1, continue to rise on 2 and 3, lower at the end of 3", each figure begun "at the lowest point" of it.
    # Each beat's change is a minimum-jerk glide, so the body is still vertically on every beat, as the steps land
    # and the weight arrives: the motion's stops fall on the beats (Beat Align Score 0.60-0.73 on a steady 3/4
    # grid at 90-150 BPM; with the low point 0.18 beat after one and the weight arriving after the step, 0.03-0.12,
    # and 0.63-0.75 a quarter beat later).
    keys = np.append(RISE_AT_BEATS, RISE_AT_BEATS[0])
    beat = np.minimum(phase * 3.0, 3.0 - 1e-9)
    k = np.floor(beat).astype(int)
    shape = keys[k] + (keys[k + 1] - keys[k]) * _minimum_jerk(beat - k)
    return np.where(shape < 0, FALL * shape, RISE * shape) * scale


def waltz_legs(body_q: np.ndarray, plan: WaltzPlan, analysis, times: np.ndarray, fps: float, energy: float,
               in_place: bool = False):
    """Local rotations (T, 22, 4) and root (T, 3): the captured upper body over the waltz's pelvis and legs."""
    skeleton = SMPLX_SKELETON
    index = skeleton.index
    rest = skeleton.rest_positions()
    tracks = foot_tracks(plan, times)
    level = rise_and_fall(analysis, times, energy)
    feet, weight, heading = tracks["feet"], tracks["weight"], tracks["heading"]
    frames = len(times)
    left, right = feet[0]["xy"], feet[1]["xy"]
    forward = np.stack([np.sin(heading), -np.cos(heading)], axis=1)
    root = np.zeros((frames, 3))
    root[:, :2] = right + (left - right) * weight[:, None] + PELVIS_AHEAD * forward
    if in_place:
        from ..filters import gaussian_filter1d
        drift = gaussian_filter1d(root[:, :2], 0.8 * fps, axis=0, mode="nearest")
        root[:, :2] -= drift
        for side in (0, 1):
            feet[side]["xy"] = feet[side]["xy"] - drift
    # The pelvis: facing the figure's heading, with half the captured tilt and a sway into the turn.
    captured = rotations.to_rotation(body_q[:, 0])
    across = captured.apply([1.0, 0.0, 0.0])
    captured_heading = np.arctan2(across[:, 1], across[:, 0])
    tilt = Rotation.from_euler("z", -captured_heading[:, None]) * captured
    tilt = Rotation.from_rotvec(tilt.as_rotvec() * CAPTURED_TILT)
    if frames > 1 and np.all(np.diff(times) > 0):
        turning = np.gradient(heading, times)
    else:   # music times held (a silent intro, tail or break) repeat: the turn per second of the frames themselves
        turning = np.gradient(heading) * fps if frames > 1 else np.zeros(frames)
    sway = np.clip(0.05 * turning, -0.12, 0.12)                   # radians of lean into a turn
    pelvis = Rotation.from_euler("z", heading[:, None]) * Rotation.from_euler("y", -sway[:, None]) * tilt
    # Height: soft knees, down on one and up on two and three; never higher than the planted legs reach.
    rise = np.maximum(level, 0.0)
    root[:, 2] = rest[0, 2] - BASE_BEND + level
    rest_ankle = rest[index("left_ankle"), 2]
    legs = [Leg(skeleton, side) for side in ("left", "right")]
    lengths = [REACH * leg.length for leg in legs]
    ankle_targets, pitch_of = [], []
    up_axis = pelvis.apply([0.0, 0.0, 1.0])
    across_axis = pelvis.apply([1.0, 0.0, 0.0])
    across_axis[:, 2] = 0.0
    across_axis /= np.maximum(np.linalg.norm(across_axis, axis=1, keepdims=True), 1e-9)
    for side, leg in enumerate(legs):
        foot = feet[side]
        planted = foot["planted"]
        fwd = np.stack([np.sin(foot["yaw"]), -np.cos(foot["yaw"])], axis=1)
        roll = np.sum(up_axis * across_axis, axis=1) * (1.0 if side == 0 else -1.0)
        behind = -np.sum((foot["xy"] - (root + pelvis.apply(leg.hip_offset))[:, :2]) * fwd, axis=1) / leg.length
        clear = HEEL_CLEAR + HEEL_CLEAR_ROLL * np.maximum(roll, 0.0) + HEEL_CLEAR_BEHIND * np.maximum(behind, 0.0)
        up = np.where(planted, rise + clear, 0.0)
        pitch, shift = heel_lift(skeleton, ("left", "right")[side], up)
        target = np.zeros((frames, 3))
        target[:, :2] = foot["xy"] + fwd * shift[:, None]
        target[:, 2] = rest_ankle + ANKLE_MARGIN + np.where(planted, up, clear + foot["lift"] + 0.6 * rise)
        ankle_targets.append(target)
        pointed = np.radians(POINTED) * np.clip(foot["lift"] / LIFT, 0.0, 1.0)
        pitch_of.append(np.where(planted, pitch, pointed))
    for _ in range(2):   # hips depend on the pelvis's height: settle it twice
        for side, leg in enumerate(legs):
            hip = root + pelvis.apply(leg.hip_offset)
            horizontal = np.linalg.norm(ankle_targets[side][:, :2] - hip[:, :2], axis=1)
            reach = np.sqrt(np.maximum(lengths[side] ** 2 - horizontal ** 2, 0.0))
            highest = ankle_targets[side][:, 2] + reach + (root[:, 2] - hip[:, 2])
            root[:, 2] = np.minimum(root[:, 2], highest)
    from ..filters import gaussian_filter1d
    smooth = gaussian_filter1d(root[:, 2], 0.04 * fps, mode="nearest")
    root[:, 2] = np.minimum(root[:, 2], smooth + 0.004) if frames > 3 else root[:, 2]
    local = body_q.copy()
    local[:, 0] = rotations.from_rotation(pelvis)
    for side, leg in enumerate(legs):
        yaw = feet[side]["yaw"]
        foot_rot = Rotation.from_euler("z", yaw[:, None]) * Rotation.from_euler("x", pitch_of[side][:, None])
        knee = foot_rot.apply(np.tile([0.12 * (1 if side == 0 else -1), -1.0, 0.0], (frames, 1)))
        hip = root + pelvis.apply(leg.hip_offset)
        thigh, shin = leg.solve(hip, ankle_targets[side], knee)
        local[:, leg.hip] = rotations.from_rotation(pelvis.inv() * thigh)
        local[:, leg.knee] = rotations.from_rotation(thigh.inv() * shin)
        local[:, leg.ankle] = rotations.from_rotation(shin.inv() * foot_rot)
        toes = np.where(feet[side]["planted"], -pitch_of[side], 0.0)      # toes stay flat on the floor
        local[:, index(f"{('left', 'right')[side]}_foot")] = rotations.from_rotation(
            Rotation.from_euler("x", toes[:, None]))
    contacts = np.stack([feet[0]["planted"], feet[1]["planted"]], axis=1)
    return local, root, contacts
