"""The meter in the body: a waltz's rise and fall and a compound meter's sway, over the captured dance.

Captured dance is mostly danced in fours. In triple meter (3/4) the body goes down on one and rises through two
and three, and sways to alternate sides bar by bar, so the dance reads in threes whatever the arms do; in a
compound meter (6/8, heard in two or counted in six) it sways across each bar. In 4/4 nothing is added: the captured
grooves already carry it. Feet stay where they are (the leg IK re-solves them afterwards): the pelvis lowers by
bending the knees.
"""

import numpy as np
from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation

RISE_FALL = 0.06           # m the pelvis dips on the one of a 3/4 bar, at energy 1
LOWEST = 0.05              # bar fraction where the dip is deepest (just after the one)
SWAY_DEGREES = 7.0         # torso side bend at the height of a sway
SPINE = ("spine1", "spine2", "spine3")


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


def add_meter(clip: MotionClip, analysis, energy: float = 1.0) -> MotionClip:
    per_bar = int(getattr(analysis, "beats_per_bar", 4) or 4)
    if per_bar not in (2, 3, 6) or clip.num_frames < 2:
        return clip
    times = np.arange(clip.num_frames) / clip.fps
    bars, phase = bar_phase(analysis, times)
    loud = np.clip(analysis.curve_at(analysis.loudness, times), 0.2, 1.0)
    scale = float(np.clip(energy, 0.0, 2.0)) * (0.6 + 0.4 * loud)
    root = clip.root_translation.copy()
    local = clip.rotations.copy()
    if per_bar == 3:   # down on one, up through two and three
        root[:, 2] -= RISE_FALL * scale * 0.5 * (1.0 + np.cos(2 * np.pi * (phase - LOWEST)))
    sway = np.radians(SWAY_DEGREES) * scale * np.sin(np.pi * bars)   # one side per bar, through the middle
    bend = Rotation.from_euler("y", sway[:, None] / len(SPINE))
    for name in SPINE:
        j = clip.skeleton.index(name)
        local[:, j] = rotations.from_rotation(bend * rotations.to_rotation(local[:, j]))
    return MotionClip(clip.fps, clip.skeleton, rotations.make_continuous(local), root)
