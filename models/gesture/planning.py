"""Prosody (+ word cues) → a gesture plan: gesture units over phrases, strokes on accents and stressed
syllables, shapes and hands for each stroke, head nods and shakes.

Speakers keep gesturing through short pauses; the hands go back to rest only in pauses longer than
LONG_PAUSE_SECONDS and at the end (Kendon's gesture units; McNeill's beats land on prosodic peaks).
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .prosody import Prosody
from .shapes import CUE_SHAPES, SHAPES
from .styles import GestureStyle

LONG_PAUSE_SECONDS = 1.5
ANTICIPATION_SECONDS = 0.03     # the stroke's apex lands just before the accented syllable's peak
CUE_REACH_SECONDS = 0.35        # a word cue takes over a prosodic stroke this close to it
QUICK_SUCCESSION_SECONDS = 0.8
SHAPE_REUSE = 0.65
DOMINANT_SHARE = 0.85           # one-handed strokes made by the dominant hand (the rest by the other)
MAX_BOTH_RUN = 2                # strokes in a row with one two-handed shape at most (word cues aside)
# When word cues crowd each other, the question's palms-up (it frames the whole sentence) and a negation win.
CUE_PRIORITY = {"question": 2.6, "negation": 2.4, "count": 2.2}              # speakers repeat a unit's beat shape (a catchment) more often than not


@dataclass(frozen=True)
class Stroke:
    time: float          # seconds: the apex, where the hand's motion stops
    shape: str           # a SHAPES name
    hands: str           # "left", "right" or "both"
    strength: float      # 0..1
    cue: str = ""        # "accent", "stress" or a word cue kind
    word: str = ""
    count: int = 0
    effort: float = 1.0  # the phrase's vocal effort over the take's (prosody.Prosody.effort_at): its size


@dataclass(frozen=True)
class HeadMove:
    time: float
    kind: str            # "nod", "shake" or "tilt"
    strength: float


@dataclass
class GesturePlan:
    duration: float
    units: list                            # (start, end) seconds where the hands are up
    strokes: list
    head: list
    notes: list = field(default_factory=list)

    def rests(self) -> list:
        edges = [0.0] + [t for unit in self.units for t in unit] + [self.duration]
        return [(a, b) for a, b in zip(edges[0::2], edges[1::2]) if b > a]


def plan_gestures(prosody: Prosody, cues: list, style: GestureStyle, amount: float, handedness: str,
                  rng: np.random.Generator) -> GesturePlan:
    if not prosody.speech_like:
        return GesturePlan(prosody.duration, [], [], [], ["No clear speech found: the character idles calmly."])
    if amount <= 0:
        return GesturePlan(prosody.duration, [], [], [], ["Gesture amount 0: the character idles and breathes."])
    units = gesture_units(prosody.regions())
    spacing = style.spacing / amount ** 0.7
    candidates = _candidates(prosody, cues, rng)
    strokes, head = [], []
    for start, end in units:
        inside = [c for c in candidates if start - 0.05 <= c[0] <= end + 0.05]
        chosen = _pick(inside, spacing)
        if not chosen and end - start > 0.3:
            chosen = [((start + end) / 2, 0.5, "stress", None)]
        unit_shape = _weighted(style.shapes, rng)
        previous, run, run_limit, both_run = None, 0, int(rng.integers(3, 7)), 0
        for time, strength, kind, cue in chosen:
            stroke = _stroke(time, strength, kind, cue, unit_shape, style, handedness, rng)
            stroke = replace(stroke, effort=prosody.effort_at(time))
            if previous is not None and not stroke.word and not previous.word \
                    and stroke.time - previous.time < QUICK_SUCCESSION_SECONDS and run < run_limit:
                # No time to change hand shape between quick beats: repeat the last one (a few times at most).
                stroke = replace(stroke, shape=previous.shape, hands=previous.hands)
                run += 1
            else:
                run, run_limit = 0, int(rng.integers(3, 7))
            if SHAPES[stroke.shape].both and not stroke.word and both_run >= MAX_BOTH_RUN:
                # One two-handed shape stroke after stroke looks like holding a box: the hands change to another
                # shape, each at its own place in gesture space, or one hand carries on alone.
                one_handed = {k: v for k, v in style.shapes.items() if not SHAPES[k].both}
                alone = "left" if handedness == "left" else "right"
                stroke = replace(stroke, shape=_weighted(one_handed, rng),
                                 hands="both" if rng.random() < 0.5 else alone)
            both_run = both_run + 1 if SHAPES[stroke.shape].both else 0
            previous = stroke
            strokes.append(stroke)
            head.extend(_head_moves(stroke, style, rng))
    from_words = sum(1 for s in strokes if s.word)
    notes = [f"{len(units)} gesture unit(s), {len(strokes)} stroke(s)"
             + (f", {from_words} shaped by words." if cues else ".")]
    return GesturePlan(prosody.duration, units, strokes, head, notes)


def gesture_units(regions: list) -> list:
    units = []
    for start, end in regions:
        if units and start - units[-1][1] < LONG_PAUSE_SECONDS:
            units[-1] = (units[-1][0], end)
        else:
            units.append((start, end))
    return units


def _candidates(prosody: Prosody, cues: list, rng) -> list:
    """(time, strength, kind, cue) for every place a stroke could land, strongest kinds first."""
    out = [(t, 1.4 + rng.uniform(0, 0.3), "accent", None) for t in prosody.accents]
    prominence = np.clip(prosody.prominence / 8.0, 0.0, 0.6)
    out += [(t, 0.3 + p + rng.uniform(0, 0.4), "stress", None) for t, p in zip(prosody.syllables, prominence)]
    cue_times = [c.time for c in cues]
    # Word cues replace the prosodic strokes around them.
    out = [c for c in out if not any(abs(c[0] - t) < CUE_REACH_SECONDS for t in cue_times)]
    out += [(_stressed_time(c.time, prosody), CUE_PRIORITY.get(c.kind, 2.0), c.kind, c) for c in cues]
    return out


def _stressed_time(time: float, prosody: Prosody) -> float:
    """A word's stroke lands on its pitch accent, or else its loudest syllable, when one is close."""
    near = prosody.accents[(prosody.accents > time - 0.15) & (prosody.accents < time + 0.3)]
    if len(near):
        return float(near[np.argmin(np.abs(near - time))])
    inside = (prosody.syllables > time - 0.12) & (prosody.syllables < time + 0.25)
    if inside.any():
        return float(prosody.syllables[inside][np.argmax(prosody.prominence[inside])])
    return time


def _pick(candidates: list, spacing: float) -> list:
    chosen = []
    for candidate in sorted(candidates, key=lambda c: -c[1]):
        gap = spacing * (0.6 if candidate[3] is not None else 1.0)
        if all(abs(candidate[0] - c[0]) >= gap for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c[0])


def _stroke(time, strength, kind, cue, unit_shape, style, handedness, rng) -> Stroke:
    strength = float(np.clip(strength / 1.4, 0.2, 1.0))
    if cue is not None:
        shape = CUE_SHAPES[cue.kind]
        strength = 1.0
    else:
        shape = unit_shape if rng.random() < SHAPE_REUSE else _weighted(style.shapes, rng)
    dominant = "right" if handedness == "right" else "left" if handedness == "left" else rng.choice(["left", "right"])
    other = "left" if dominant == "right" else "right"
    if SHAPES[shape].both or (cue is None and rng.random() < style.both_share):
        hands = "both"
    elif cue is not None:
        hands = dominant
    else:
        hands = dominant if rng.random() < DOMINANT_SHARE else other
    return Stroke(float(time - ANTICIPATION_SECONDS), shape, str(hands), strength, kind,
                  cue.word if cue is not None else "", cue.count if cue is not None else 0)


def _head_moves(stroke: Stroke, style: GestureStyle, rng) -> list:
    if stroke.cue == "negation":
        return [HeadMove(stroke.time, "shake", 1.0)]
    if stroke.cue == "question":
        return [HeadMove(stroke.time, "tilt", 1.0)]
    if rng.random() < style.nod_share * (0.5 + stroke.strength):
        # A phrase said with more effort than the take's baseline nods harder, a quieter aside less.
        return [HeadMove(stroke.time + 0.04, "nod", stroke.strength * stroke.effort)]
    return []


def _weighted(weights: dict, rng) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names], float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]
