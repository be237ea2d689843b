"""Scoring lip sync against espeak-ng ground truth on 10 ms frames with coarse mouth classes.

The face is classified from its ARKit weights alone (what a viewer would see), not from internal
viseme labels, so the score covers the whole pipeline including smoothing and JALI scaling.
"""

from dataclasses import dataclass

import numpy as np

from .espeak_truth import CLOSED, LABIODENTAL, OPEN, OTHER, REST, ROUNDED, phone_class, truth_frames

FRAME_SECONDS = 0.01
CLOSURE_TOLERANCE = 0.03


def _channel(weights, names, name):
    return weights[:, names.index(name)]


def face_classes(weights: np.ndarray, names) -> np.ndarray:
    """One coarse class per frame from ARKit weights (T, 52)."""
    w = lambda n: _channel(weights, list(names), n)
    jaw = w("jawOpen")
    gap = np.clip(jaw - w("mouthClose"), 0, None) + 0.5 * (w("mouthLowerDownLeft") + w("mouthUpperUpLeft"))
    press = 0.5 * (w("mouthPressLeft") + w("mouthPressRight")) + 0.5 * (w("mouthRollLower") + w("mouthRollUpper"))
    rounding = w("mouthFunnel") + w("mouthPucker")
    mouth = np.max(weights[:, [i for i, n in enumerate(names) if n.startswith(("mouth", "jaw", "tongue"))]], axis=1)
    labels = np.full(len(weights), OTHER, dtype=object)
    labels[jaw > 0.25] = OPEN
    labels[rounding > 0.45] = ROUNDED
    labels[(w("mouthRollLower") > 0.25) & (w("mouthUpperUpLeft") > 0.1)] = LABIODENTAL
    labels[(gap < 0.04) & (press > 0.1)] = CLOSED
    labels[mouth < 0.06] = REST
    return labels


def rhubarb_classes(cues, count: int) -> np.ndarray:
    """Coarse classes for Rhubarb cues [(start, shape)] on `count` 10 ms frames."""
    shape_class = {"A": CLOSED, "B": OTHER, "C": OPEN, "D": OPEN, "E": ROUNDED, "F": ROUNDED, "G": LABIODENTAL,
                   "H": OTHER, "X": REST}
    labels = np.full(count, REST, dtype=object)
    for k, (start, shape) in enumerate(cues):
        end = cues[k + 1][0] if k + 1 < len(cues) else count * FRAME_SECONDS
        labels[int(round(start / FRAME_SECONDS)):int(round(end / FRAME_SECONDS))] = shape_class.get(shape, OTHER)
    return labels


@dataclass
class Score:
    closures_hit: int
    closures: int
    open_frames: int
    closed_in_open: int
    frames_correct: int
    frames: int

    @property
    def closure_rate(self) -> float:
        return self.closures_hit / max(self.closures, 1)

    @property
    def closed_in_open_rate(self) -> float:
        return self.closed_in_open / max(self.open_frames, 1)

    @property
    def frame_accuracy(self) -> float:
        return self.frames_correct / max(self.frames, 1)

    def __add__(self, other: "Score") -> "Score":
        return Score(*(a + b for a, b in zip(self.__dict__.values(), other.__dict__.values())))


def score(utterance, predicted: np.ndarray, acoustic_edges: bool = True) -> Score:
    """Compare predicted classes (one per 10 ms frame from t=0) with the utterance's phone timings."""
    closures = [(phone.start, phone.end) for phone in utterance.phones if phone_class(phone.ipa) == CLOSED]
    return score_frames(truth_frames(utterance, FRAME_SECONDS, acoustic_edges), closures, predicted)


def score_frames(truth: np.ndarray, closures: list, predicted: np.ndarray) -> Score:
    """Score predicted classes against true classes per 10 ms frame and the (start, end) seconds of every
    true p/b/m: a closure counts as hit when the lips shut anywhere within ±30 ms of it."""
    count = min(len(truth), len(predicted))
    truth, predicted = truth[:count], predicted[:count]
    hits = 0
    for start, end in closures:
        lo = max(0, int(np.floor((start - CLOSURE_TOLERANCE) / FRAME_SECONDS)))
        hi = min(count, int(np.ceil((end + CLOSURE_TOLERANCE) / FRAME_SECONDS)))
        hits += bool(np.any(predicted[lo:hi] == CLOSED))
    open_frames = truth == OPEN
    return Score(hits, len(closures), int(open_frames.sum()), int(np.sum(open_frames & (predicted == CLOSED))),
                 int(np.sum(truth == predicted)), count)


__all__ = ["Score", "face_classes", "rhubarb_classes", "score", "score_frames", "CLOSED", "LABIODENTAL", "OPEN",
           "OTHER", "REST", "ROUNDED"]
