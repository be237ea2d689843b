"""From music analysis to a plan: a move per bar, phrases repeated when a section repeats, intensity from loudness.

The plan is in beats (key poses per beat, steps landing on beats, facing per beat); `performance.py` turns it
into poses at the frame times, so tempo drift and tempo changes are followed for free.
"""

from dataclasses import dataclass

import numpy as np

from ..music.analysis import MusicAnalysis
from .moves import CHANNELS, MOVES, NEUTRAL, STYLES, Move

PHRASE_BARS = 4
QUIET_SECTION = 0.4          # sections quieter than this (relative to the loudest) get calm moves
FLOOR_MARGIN = 0.35          # keep the dance frame this far inside the floor area


class ChoreographyError(ValueError):
    pass


@dataclass
class PlannedStep:
    foot: str
    lift: float           # global beat index (fractional)
    land: float
    position: np.ndarray  # ankle target on the floor (x, y), world
    yaw: float            # foot facing, radians (0 = facing -y)
    height: float


@dataclass
class Plan:
    first_beat: int            # global beat index of keys[0]
    keys: dict                 # channel -> (B,) values at beats first_beat … first_beat + B - 1
    facing: np.ndarray         # (B,) radians, dancer's facing at each beat
    steps: list                # PlannedStep, in landing order
    home: dict                 # foot -> (x, y) starting ankle position
    moves: list                # (bar start beat, move name, mirrored)
    stance: float
    base_bend: float


def plan_dance(analysis: MusicAnalysis, style: str = "groove", energy: float = 1.0, seed: int = 0,
               in_place: bool = False, floor_half_size: float = 1.5, ankle_home: tuple = (0.0, 0.0)) -> Plan:
    if style not in STYLES:
        raise ChoreographyError(f"Unknown dance style {style!r}; choose one of {', '.join(sorted(STYLES))}.")
    if not np.isfinite(energy) or energy < 0:
        raise ChoreographyError(f"Energy must be a number from 0 to 2, got {energy}.")
    energy = float(min(energy, 2.0))
    spec = STYLES[style]
    rng = np.random.default_rng(seed)
    times = np.array([0.0, analysis.duration])
    start_beat, end_beat = analysis.beat_position(times)
    bars = bar_grid(np.asarray(analysis.bar_starts, dtype=int), int(np.floor(start_beat)), end_beat + 2)
    first_bar = bars[0][0]
    stance = spec.stance * (0.9 + 0.2 * rng.random())
    feel = {c: 0.8 + 0.4 * rng.random() for c in CHANNELS}   # this seed's way of dancing: bigger arms, less hip…

    phrases = {}
    beats_total = bars[-1][0] + bars[-1][1] - first_bar + 1
    keys = {c: np.full(beats_total, NEUTRAL[c]) for c in CHANNELS}
    home = {"L": np.array([stance, 0.0]) + ankle_home, "R": np.array([-stance, 0.0]) + ankle_home}
    anchor = np.zeros(2)
    heading = 0.0
    steps, moves = [], []
    bar_times = beat_times(analysis, np.array([start for start, _ in bars]))
    loudness_per_bar = _bar_loudness(analysis, bar_times)
    for bar, (bar_start, length) in enumerate(bars):
        section_index, section = _section_at(analysis, bar_times[bar])
        calm = section.loudness < QUIET_SECTION or spec.name == "calm"
        label = (section.label, calm)
        if label not in phrases:
            phrases[label] = _phrase(spec, calm, in_place, rng)
        bar_in_section = bar - _first_bar_of_section(bar_times, bar, section.start)
        move, mirror = phrases[label][bar_in_section % PHRASE_BARS]
        if mirror:
            move = move.mirrored()
        if length < 4 and (move.travel != (0.0, 0.0) or any(st.turn for st in move.steps)):
            move = MOVES["bounce"]   # a bar cut short cannot finish a turn or a travel
        move, mirror = _keep_on_floor(move, mirror, anchor, heading, floor_half_size, in_place)
        moves.append((bar_start, move.name, mirror))
        scale = energy * spec.amplitude * (0.55 + 0.45 * loudness_per_bar[bar])
        for beat in range(length):
            index = bar_start - first_bar + beat
            for channel in CHANNELS:
                offset = move.key(channel, beat) - NEUTRAL[channel]
                keys[channel][index] = NEUTRAL[channel] + offset * scale * feel[channel]
        for step in move.steps:
            if step.land >= length:
                continue
            heading += np.radians(step.turn)
            offset = np.array([step.dx, step.dy]) + (home[step.foot] - ankle_home)
            target = ankle_home + anchor + _rotate(offset, heading)
            land = bar_start + step.land
            steps.append(PlannedStep(step.foot, land - step.lift, land, target, heading,
                                     spec.lift * min(1.3, 0.6 + 0.4 * scale)))
        anchor = anchor + _rotate(np.array(move.travel), heading)
    facing = _facing_from_steps(steps, first_bar, beats_total)
    return Plan(first_bar, keys, facing, steps, home, moves, stance, spec.base_bend)


def bar_grid(bar_starts, first_beat, last_beat, beats_per_bar: int = 4):
    """(start beat, length) of every bar covering first_beat … last_beat: the music's bars, padded with bars of
    `beats_per_bar` beats before the first downbeat and after the last."""
    if len(bar_starts) == 0:
        bar_starts = np.array([0])
    starts = list(bar_starts)
    while starts[0] > first_beat:
        starts.insert(0, starts[0] - beats_per_bar)
    while starts[-1] + beats_per_bar <= last_beat:
        starts.append(starts[-1] + beats_per_bar)
    starts.append(starts[-1] + beats_per_bar)
    return [(int(a), int(b - a)) for a, b in zip(starts[:-1], starts[1:])]


def _phrase(spec, calm, in_place, rng):
    pool = spec.calm_moves if calm else spec.moves
    names = [n for n in pool if not (in_place and MOVES[n].travel != (0.0, 0.0))]
    weights = np.array([pool[n] for n in names], dtype=float)
    chosen = rng.choice(len(names), size=PHRASE_BARS, p=weights / weights.sum())
    phrase = []
    for i, c in enumerate(chosen):
        mirror = bool(i % 2) if rng.random() < 0.7 else bool(rng.random() < 0.5)
        phrase.append((MOVES[names[c]], mirror))
    return phrase


def _keep_on_floor(move: Move, mirror, anchor, heading, half_size, in_place):
    if move.travel == (0.0, 0.0):
        return move, mirror
    limit = half_size - FLOOR_MARGIN
    for candidate, flipped in ((move, mirror), (move.mirrored(), not mirror), (_reversed(move), mirror)):
        end = anchor + _rotate(np.array(candidate.travel), heading)
        if not in_place and np.all(np.abs(end) <= limit):
            return candidate, flipped
    return MOVES["step_touch"], mirror


def _reversed(move):
    from dataclasses import replace
    steps = tuple(replace(s, dy=-s.dy) for s in move.steps)
    return replace(move, steps=steps, travel=(move.travel[0], -move.travel[1]))


def _facing_from_steps(steps, first_bar, beats_total):
    facing = np.zeros(beats_total)
    for step in steps:
        index = int(np.ceil(step.land)) - first_bar
        if 0 <= index < beats_total:
            facing[index:] = step.yaw
    return facing


def _rotate(xy, angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([c * xy[0] - s * xy[1], s * xy[0] + c * xy[1]])


def beat_times(analysis, beat_indices):
    """Times (s) of global beat indices, fractional or beyond the detected beats (extended at the end tempos)."""
    beats = analysis.beats
    indices = np.asarray(beat_indices, dtype=float)
    times = np.interp(indices, np.arange(len(beats)), beats)
    first, last = beats[1] - beats[0], beats[-1] - beats[-2]
    times = np.where(indices < 0, beats[0] + indices * first, times)
    return np.where(indices > len(beats) - 1, beats[-1] + (indices - len(beats) + 1) * last, times)


def _bar_loudness(analysis, bar_times):
    ends = np.append(bar_times[1:], bar_times[-1] + (bar_times[-1] - bar_times[-2] if len(bar_times) > 1 else 2.0))
    loud = []
    for a, b in zip(bar_times, ends):
        t = np.linspace(a, b, 16)
        loud.append(float(np.mean(analysis.curve_at(analysis.loudness, np.clip(t, 0, analysis.duration)))))
    loud = np.array(loud)
    return np.clip(loud / max(loud.max(), 1e-9), 0.0, 1.0)


def _section_at(analysis, time):
    for i, section in enumerate(analysis.sections):
        if time < section.end:
            return i, section
    return len(analysis.sections) - 1, analysis.sections[-1]


def _first_bar_of_section(bar_times, bar, section_start):
    first = int(np.searchsorted(bar_times, section_start - 1e-3))
    return min(first, bar)
