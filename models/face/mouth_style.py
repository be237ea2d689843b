"""Mouth style: how long each mouth shape holds, and the 2D mouth charts (Rhubarb A–X, Preston Blair) as integer
indices for sprite and Grease Pencil mouths.

- `hold_phones`: no mouth shape shorter than a minimum hold. Neighbouring phones that make the same viseme become
  one; a shorter one gives its time to its neighbours, except lip closures and lip–teeth contacts, which take
  the time from their neighbours instead (animators judge lip sync on those first).
- How much neighbouring shapes blend (hold vs. blend) is FaceSettings.coarticulation, used by visemes.py.
- `mouth_indices`: per frame, the index of the chart's shape that the viseme mixture is closest to.
"""

import numpy as np

from ..speech.segments import SILENCE, PhoneSegment
from .mouth_cues import SHAPES as RHUBARB_SHAPES
from .mouth_cues import VISEME_SHAPE as RHUBARB_VISEME_SHAPE
from .visemes import LIP_TARGETS, VISEMES, phone_viseme

_CONTACTS = {viseme for viseme, *_ in LIP_TARGETS}

# Preston Blair's chart (the classic 2D animation mouth set), index 0 at rest.
PRESTON_BLAIR_SHAPES = ("rest", "AI", "E", "O", "U", "etc", "L", "WQ", "MBP", "FV")
PRESTON_BLAIR_VISEME_SHAPE = {"sil": "rest", "PP": "MBP", "FF": "FV", "TH": "L", "DD": "etc", "kk": "etc",
                              "CH": "etc", "SS": "etc", "nn": "L", "RR": "WQ", "aa": "AI", "E": "E", "ih": "E",
                              "oh": "O", "ou": "U", "ax": "etc"}
CHARTS = {"RHUBARB": (RHUBARB_SHAPES, RHUBARB_VISEME_SHAPE),
          "PRESTON_BLAIR": (PRESTON_BLAIR_SHAPES, PRESTON_BLAIR_VISEME_SHAPE)}


def hold_phones(phones: list, min_hold: float) -> list:
    """The phones with no viseme held shorter than `min_hold` seconds (silence counts as the rest shape)."""
    if min_hold <= 0 or not phones:
        return list(phones)
    runs = []  # [viseme, start, end, [phones]]
    for phone in phones:
        viseme = "sil" if phone.phone == SILENCE else phone_viseme(phone.phone, phone.duration)
        if runs and runs[-1][0] == viseme and abs(runs[-1][2] - phone.start) < 1e-6:
            runs[-1][2] = phone.end
            runs[-1][3].append(phone)
        else:
            runs.append([viseme, phone.start, phone.end, [phone]])
    while len(runs) > 1:
        short = [k for k, run in enumerate(runs) if run[2] - run[1] < min_hold - 1e-9]
        if not short:
            break
        k = min(short, key=lambda i: (runs[i][2] - runs[i][1], i))
        viseme, start, end, members = runs[k]
        if viseme in _CONTACTS and _widen(runs, k, min_hold):
            continue
        if k == 0:
            runs[1][1] = start
        elif k == len(runs) - 1:
            runs[k - 1][2] = end
        else:
            middle = 0.5 * (start + end)
            runs[k - 1][2], runs[k + 1][1] = middle, middle
        del runs[k]
    return [p for run in runs for p in _stretched(run)]


def _widen(runs: list, k: int, min_hold: float) -> bool:
    """Give run k the time it lacks from its neighbours, if they can spare it and stay at least min_hold."""
    _, start, end, _ = runs[k]
    need = min_hold - (end - start)
    before = runs[k - 1] if k > 0 else None
    after = runs[k + 1] if k + 1 < len(runs) else None
    spare_before = (before[2] - before[1] - min_hold) if before else 0.0
    spare_after = (after[2] - after[1] - min_hold) if after else 0.0
    if max(spare_before, 0.0) + max(spare_after, 0.0) < need - 1e-9:
        return False
    take_before = min(max(spare_before, 0.0), need / 2 if spare_after >= need / 2 else need - max(spare_after, 0.0))
    take_after = need - take_before
    if before:
        before[2] -= take_before
    if after:
        after[1] += take_after
    runs[k][1], runs[k][2] = start - take_before, end + take_after
    return True


def _stretched(run) -> list:
    """The run's phones rescaled to its (possibly moved) start and end."""
    _, start, end, members = run
    first, last = members[0].start, members[-1].end
    scale = (end - start) / (last - first) if last > first else 0.0
    return [PhoneSegment(p.phone, start + (p.start - first) * scale, start + (p.end - first) * scale, p.word)
            for p in members]


def rest_index(chart: str) -> int:
    """The chart's shape at rest (Rhubarb's X, Preston Blair's rest): a mouth index outside any take."""
    shapes, viseme_shape = CHARTS[chart]
    return shapes.index(viseme_shape["sil"])


def mouth_indices(visemes: np.ndarray, chart: str) -> np.ndarray:
    """(T,) int: the chart's shape for each frame's strongest viseme (index into the chart's shapes)."""
    shapes, viseme_shape = CHARTS[chart]
    lookup = np.array([shapes.index(viseme_shape[name]) for name in VISEMES])
    return lookup[np.argmax(visemes, axis=1)]
