"""Viseme mixtures → Rhubarb Lip Sync mouth cues (shapes A–H and X), for 2D rigs and other tools.

Rhubarb's shapes: A closed (M B P), B slightly open, teeth together (most consonants, EE), C open (EH, AE),
D wide open (AA), E slightly rounded (AO, ER), F puckered (UW, OW, W), G upper teeth on lower lip (F V),
H tongue up (L), X idle/rest.
"""

import numpy as np

from .visemes import VISEMES

VISEME_SHAPE = {"sil": "X", "PP": "A", "FF": "G", "TH": "B", "DD": "B", "kk": "B", "CH": "B", "SS": "B",
                "nn": "B", "RR": "E", "aa": "D", "E": "C", "ih": "B", "oh": "E", "ou": "F", "ax": "C"}
SHAPES = ("A", "B", "C", "D", "E", "F", "G", "H", "X")
MIN_CUE_SECONDS = 0.04  # shorter flickers merge into their neighbour, except lip closures


def mouth_cues(visemes: np.ndarray, times: np.ndarray, duration: float) -> list:
    """[(start_seconds, shape)]: each cue lasts until the next one starts, the last until `duration`.

    The first cue starts at 0 and consecutive shapes differ.
    """
    if len(times) == 0:
        return [(0.0, "X")]
    shapes = [VISEME_SHAPE[VISEMES[i]] for i in np.argmax(visemes, axis=1)]
    runs = []
    for time, shape in zip(times, shapes):
        if runs and runs[-1][1] == shape:
            continue
        runs.append([float(time), shape])
    merged = []
    for k, (start, shape) in enumerate(runs):
        end = runs[k + 1][0] if k + 1 < len(runs) else duration
        if merged and end - start < MIN_CUE_SECONDS and shape != "A":
            continue  # the previous cue simply lasts longer
        if merged and merged[-1][1] == shape:
            continue
        merged.append((round(start, 3), shape))
    if merged[0][0] > 0:
        merged[0] = (0.0, merged[0][1])
    return [cue for cue in merged if cue[0] < duration] or [(0.0, "X")]
