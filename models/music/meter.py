"""A meter the user names (`--meter`, the Meter menus): the tracker's bars counted again in that many beats.

Dance to Music and Add Beat Markers take it, so bars and markers follow a waltz the tracker hears in four.
"""

import dataclasses

import numpy as np

METERS = ("auto", "4/4", "3/4", "6/8", "5/4", "7/8")
COMPOUND_FAST = 150.0      # BPM: a 6/8 whose tracked beats come faster than this is counted in six, else in two


def beats_per_bar_for(meter: str, tempo: float) -> int:
    """Beats to the bar for a meter name (METERS; "auto": 0, keep the tracker's). 7/8 is seven beats: its eighths
    are the beats the tracker follows (55–215 BPM)."""
    if meter in (None, "", "auto"):
        return 0
    if meter == "6/8":
        return 6 if tempo >= COMPOUND_FAST else 2
    return int(meter.split("/")[0])


def with_meter(analysis, beats_per_bar: int):
    """The analysis with its bars regrouped in `beats_per_bar` from its first downbeat (the meter handed over); after
    a silent break (analysis.silent_breaks) afresh from the tracker's first downbeat after it, as the tracker counts
    its own bars there (counted straight across, a forced 3/4's bars after a break started wherever the count fell)."""
    from .analysis import silent_breaks

    beats, tracked = len(analysis.beats), np.asarray(analysis.bar_starts, dtype=int)
    edges = [0] + [int(i) + 1 for i in silent_breaks(analysis.beats)] + [beats]
    parts = []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        inside = tracked[(tracked >= lo) & (tracked < hi)]
        first = analysis.first_downbeat_index if k == 0 else int(inside[0]) if len(inside) else lo
        parts.append(np.arange(first, hi, beats_per_bar))
    bar_starts = np.concatenate(parts).astype(int)
    return dataclasses.replace(analysis, bar_starts=bar_starts, downbeats=analysis.beats[bar_starts],
                               beats_per_bar=beats_per_bar, notes=list(analysis.notes))


def in_meter(analysis, meter: str):
    """The analysis with its bars counted in the meter named (METERS), with a note saying so, where that differs from
    the tracker's; as it is for "auto", the tracker's own meter (its bars, phased stretch by stretch, stay) and a
    fallback grid."""
    per_bar = beats_per_bar_for(meter, analysis.tempo)
    if not per_bar or analysis.fallback or per_bar == int(analysis.beats_per_bar or 4):
        return analysis
    analysis = with_meter(analysis, per_bar)
    analysis.notes.append(f"Meter {meter} as asked: bars of {per_bar} beats.")
    return analysis
