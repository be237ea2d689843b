"""The meter in the body: a waltz's rise and fall and a compound meter's sway, over the captured dance.

Captured dance is mostly danced in fours. In triple meter (3/4) the body sways to alternate sides bar by bar (the
waltz's steps, waltz.py, bring their own rise and fall; over captured legs the body goes down on one and rises
through two and three); in a compound meter (6/8, heard in two or counted in six) it sways with the bar's two
pulses: the weight goes over one foot on the first and over the other on the second, dipping a little on each (a
lilt). In an odd meter the bar's uneven pulses (GROUPS: 5/4 as 3 + 2, 7/8 as 2 + 2 + 3, counted at the beat level
the tracker hears) sway the same way, the weight going over one foot and the other on each group's first beat, a
longer group holding the side longer. In 4/4 nothing is added: the captured grooves already carry it. Feet stay
where they are (the leg IK re-solves them afterwards): the pelvis lowers by bending the knees.
"""

import numpy as np
from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation

RISE_FALL = 0.06           # m the pelvis dips on the one of a 3/4 bar, at energy 1
LOWEST = 0.05              # bar fraction where the dip is deepest (just after the one)
SWAY_DEGREES = 7.0         # torso side bend at the height of a sway
PULSE_SHIFT = 0.035        # m the pelvis moves over one foot and then the other in a compound meter (6/8) …
PULSE_DIP = 0.03           # … and dips on each of the bar's two pulses
SPINE = ("spine1", "spine2", "spine3")

# The pulses of an odd bar, in beats: 5 as 3 + 2, 7 as 2 + 2 + 3 (7/8 counted in its seven eighths).
GROUPS = {5: (3, 2), 7: (2, 2, 3)}


def bar_phase(analysis, times: np.ndarray) -> tuple:
    """(bar number (float, counted from the first bar), 0..1 position in the bar) at `times`."""
    position = analysis.beat_position(times)
    starts = np.asarray(analysis.bar_starts, dtype=float)
    per_bar = int(getattr(analysis, "beats_per_bar", 4) or 4)
    if len(starts) == 0:
        starts = np.array([0.0])
    index = np.clip(np.searchsorted(starts, position, side="right") - 1, 0, len(starts) - 1)
    before = position < starts[0]
    begin = np.where(before, starts[0] - per_bar * np.ceil((starts[0] - position) / per_bar), starts[index])
    length = np.where((index + 1 < len(starts)) & ~before,
                      np.diff(np.append(starts, starts[-1] + per_bar))[index], per_bar)
    fraction = np.clip((position - begin) / np.maximum(length, 1), 0.0, 1.0 - 1e-9)
    number = np.where(before, -np.ceil((starts[0] - position) / per_bar), index)
    return number + fraction, fraction


def pulse_count(bars: np.ndarray, groups: tuple) -> np.ndarray:
    """Pulses counted (float) at bar positions `bars` (bar number + fraction, bar_phase) for a bar of `groups`
    beats each: one pulse per group, so the weight changes side on each group's first beat (with three groups,
    as 7/8's 2 + 2 + 3, a bar starts on the other side from the bar before)."""
    edges = np.concatenate([[0.0], np.cumsum(groups)]) / float(sum(groups))
    whole = np.floor(bars)
    inside = np.interp(bars - whole, edges, np.arange(len(groups) + 1))
    return whole * len(groups) + inside


def add_meter(clip: MotionClip, analysis, energy: float = 1.0, rise: bool = True,
              times: np.ndarray = None) -> MotionClip:
    """The meter's rise and fall (3/4; `rise` False: the caller's waltz has its own) and sway on the clip (3/4,
    6/8 and the odd meters of GROUPS), at `times` per frame (default the frames' own; the dance passes its music
    times, held where the file is silent)."""
    per_bar = int(getattr(analysis, "beats_per_bar", 4) or 4)
    if per_bar not in (2, 3, 6) and per_bar not in GROUPS or clip.num_frames < 2:
        return clip
    times = np.arange(clip.num_frames) / clip.fps if times is None else times
    bars, phase = bar_phase(analysis, times)
    loud = np.clip(analysis.curve_at(analysis.loudness, times), 0.2, 1.0)
    scale = float(np.clip(energy, 0.0, 2.0)) * (0.6 + 0.4 * loud)
    root = clip.root_translation.copy()
    local = clip.rotations.copy()
    if per_bar == 3 and rise:   # down on one, up through two and three
        root[:, 2] -= RISE_FALL * scale * 0.5 * (1.0 + np.cos(2 * np.pi * (phase - LOWEST)))
    if per_bar == 3:
        sway = np.radians(SWAY_DEGREES) * scale * np.sin(np.pi * bars)   # one side per bar, through the middle
    else:   # compound or odd: pulses (two to a compound bar, GROUPS' to an odd one), the weight over one foot on
        # the first, the other on the second, …
        pulse = 2.0 * bars if per_bar not in GROUPS else pulse_count(bars, GROUPS[per_bar])
        side = np.cos(np.pi * pulse)
        sway = np.radians(SWAY_DEGREES) * scale * side
        across = rotations.rotate(local[:, 0], np.array([1.0, 0.0, 0.0]))
        across[:, 2] = 0.0
        across /= np.maximum(np.linalg.norm(across, axis=1, keepdims=True), 1e-9)
        root[:, :2] += (PULSE_SHIFT * scale * side)[:, None] * across[:, :2]
        root[:, 2] -= PULSE_DIP * scale * (0.5 + 0.5 * np.cos(2 * np.pi * (pulse - 0.05)))   # a lilt on each pulse
    bend = Rotation.from_euler("y", sway[:, None] / len(SPINE))
    for name in SPINE:
        j = clip.skeleton.index(name)
        local[:, j] = rotations.from_rotation(bend * rotations.to_rotation(local[:, j]))
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), root)
