"""Dense per-frame curves → key poses an animator can edit: keys where the performance has its poses, at the
extremes of each curve, and the fewest in-betweens that keep the curves within tolerance, with Bezier slopes so
that Blender's own evaluation (bezier.py) reproduces the performance.

    keys = key_poses([CurveBlock(quats, "quaternion", radians(0.5))], pose_frames=[12, 30, 41])
    keys[0].frames, keys[0].values, keys[0].slopes, keys[0].left_slopes, keys[0].roles

A *block* is one property's channels (a bone's 4 quaternion channels, its 3 location channels, one shape key);
blocks reduced together share their key frames, so a bone keeps one set of keys in the Dope Sheet. Errors are
measured the way the channels act: a quaternion by the angle of its normalised value (Blender normalises it
before posing), Euler and axis-angle triples by the angle of the rotation they make, locations by distance,
anything else channel by channel.

Steps: the poses where the group moves and comes (nearly) to a stop, and prominent extremes, are keyed first
(roles POSE and EXTREME); every segment still out of tolerance is split at its worst frame until none is
(BREAKDOWN keys); then in-betweens that turn out not to be needed are dropped. Each segment's two end slopes are
fitted to the performance between its keys (least squares, bezier.fit_slopes), so every segment depends only on
its own keys and stretch of performance and the work stays vectorised. Last, each key's two slopes are joined
into one (aligned handles) wherever the segments on both sides stay within tolerance; the rest keep broken
tangents, where the motion turns sharply.
"""

import warnings
from dataclasses import dataclass

import numpy as np

from ..clips.rotations import Rotation
from ..models.filters import find_peaks
from . import bezier

POSE, EXTREME, BREAKDOWN = 0, 1, 2  # key roles; operators/keyframes.py shows them as Blender keyframe types
# Frames over which an extreme's swing is measured: a turn counts where it stands out within ±10 frames, so an edit
# elsewhere in the take cannot make or unmake it.
EXTREME_WINDOW = 21
# A pose frame is one of the group's poses where the group comes (nearly) to a stop there: its speed around the frame
# at most this share of its top speed between the neighbouring poses. A bone that only passes through (the spine
# while a hand strikes) gets no key there; it still gets keys where tolerance asks.
STOP_SHARE = 0.25
# Rotation tolerance along bone chains (chain_scales): 0.3° for a bone that carries no other, 0.2° for a hand with its
# 15 finger bones, 0.16° for a pelvis with 50 bones below it.
CHAIN_EXPONENT = 0.15
MEASURES = ("value", "distance", "quaternion", "axis_angle") + tuple(
    f"euler_{order}" for order in ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"))


@dataclass
class CurveBlock:
    values: np.ndarray   # (T, C) one value per frame per channel
    measure: str         # one of MEASURES
    tolerance: float     # in the measure's unit: the channel's own, distance units or radians

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64).reshape(len(self.values), -1)
        if self.measure not in MEASURES:
            raise ValueError(f"Unknown error measure {self.measure!r}; use one of {', '.join(MEASURES)}.")
        if not self.tolerance > 0:
            raise ValueError(f"The tolerance must be positive, got {self.tolerance}.")


@dataclass
class Keys:
    frames: np.ndarray         # (K,) int, offsets from the curve's first frame
    values: np.ndarray         # (K, C)
    slopes: np.ndarray         # (K, C) per frame, leaving each key (zeros unless interpolation is BEZIER)
    roles: np.ndarray          # (K,) POSE, EXTREME or BREAKDOWN
    interpolation: str = "BEZIER"  # "BEZIER", "LINEAR" or "CONSTANT", as Blender names them
    left_slopes: np.ndarray = None  # (K, C) slopes arriving at each key where they differ (broken); None: aligned

    def __len__(self):
        return len(self.frames)

    @property
    def broken(self) -> np.ndarray:
        """(K,) whether the key's two handles point along different slopes (Blender's FREE handles)."""
        if self.left_slopes is None:
            return np.zeros(len(self.frames), bool)
        return np.any(self.left_slopes != self.slopes, axis=1)

    def evaluate(self, frames) -> np.ndarray:
        """(len(frames), C) values as Blender evaluates these keys (Bezier keys; see bezier.py)."""
        return bezier.evaluate(self.frames, self.values, self.slopes, frames, self.left_slopes)


def every_frame(block: CurveBlock) -> Keys:
    """One linear key per frame: the bake."""
    count = len(block.values)
    return Keys(np.arange(count), block.values.copy(), np.zeros_like(block.values), np.full(count, POSE, np.int8),
                "LINEAR")


def stepped(block: CurveBlock, step: int, epsilon: float = 1e-3) -> Keys:
    """Constant keys every `step` frames (animation "on twos", "on threes"), without keys that repeat a value."""
    frames = np.arange(0, len(block.values), max(1, int(step)))
    values = block.values[frames]
    keep = np.ones(len(frames), bool)
    held = values[0]
    for i in range(1, len(frames)):
        if np.abs(values[i] - held).max() > epsilon:
            held = values[i]
        else:
            keep[i] = False
    frames, values = frames[keep], values[keep]
    return Keys(frames, values, np.zeros_like(values), np.full(len(frames), POSE, np.int8), "CONSTANT")


FITS = ("LEAST_SQUARES", "LOCAL")


def key_poses(blocks: list, pose_frames=(), fit: str = "LEAST_SQUARES") -> list:
    """Keys (one per block, on shared frames) within every block's tolerance, as Blender evaluates them.

    `fit`: LEAST_SQUARES fits each segment's end slopes to the performance between its keys (fewest keys; a key's
    handles may break where the motion turns sharply); LOCAL puts every key's handles along the performance's own
    slope at the key, so each segment depends only on the performance around its two keys, and an edit of the
    performance leaves the segments that do not reach it exactly as they were (the face's phone track)."""
    if fit not in FITS:
        raise ValueError(f"Unknown fit {fit!r}; use one of {', '.join(FITS)}.")
    count = len(blocks[0].values)
    if any(len(block.values) != count for block in blocks):
        raise ValueError("Blocks reduced together must have the same number of frames.")
    if count == 1 or _error(blocks, [np.repeat(b.values[:1], count, axis=0) for b in blocks]).max() <= 1.0:
        return [Keys(np.zeros(1, int), block.values[:1].copy(), np.zeros_like(block.values[:1]),
                     np.full(1, POSE, np.int8)) for block in blocks]  # one key holds the value
    curves = _Curves(blocks, fit)
    roles = np.full(count, -1, np.int8)
    poses = _moving_poses(blocks, np.unique(np.clip(np.asarray(pose_frames, int), 0, count - 1)))
    roles[_stopping_poses(blocks, poses)] = POSE
    for frame in _extremes(blocks):
        if roles[max(0, frame - 1):frame + 2].max() < 0:
            roles[frame] = EXTREME
    for end in (0, count - 1):
        if roles[end] < 0:
            roles[end] = POSE  # the take starts and ends in a pose
    while True:  # split every segment still out of tolerance at its worst frame
        keyed = np.flatnonzero(roles >= 0)
        worst = _worst_per_segment(keyed, curves.error(keyed))
        if len(worst) == 0:
            break
        roles[worst] = BREAKDOWN
    _drop_unneeded(curves, roles)
    keyed = np.flatnonzero(roles >= 0)
    slopes, left_slopes = curves.align(keyed)
    return [Keys(keyed, block.values[keyed].copy(), slopes[:, columns], roles[keyed].astype(np.int8),
                 left_slopes=left_slopes[:, columns]) for block, columns in zip(blocks, curves.columns)]


class _Curves:
    """The blocks' channels side by side, fitted with Bezier segments between given key frames."""

    def __init__(self, blocks, fit: str = "LEAST_SQUARES"):
        self.blocks = blocks
        self.local = fit == "LOCAL"
        self.values = np.hstack([block.values for block in blocks])
        self.prior = _derivative(self.values)  # the performance's own slope, for segments too short to fit
        widths = np.cumsum([0] + [block.values.shape[1] for block in blocks])
        self.columns = [slice(a, b) for a, b in zip(widths[:-1], widths[1:])]
        self.frames = np.arange(len(self.values))

    def fit(self, keyed) -> tuple:
        if self.local:
            return self.prior[keyed].copy(), self.prior[keyed].copy()
        return bezier.fit_slopes(keyed, self.values, self.prior)

    def evaluate(self, keyed, slopes, left_slopes) -> np.ndarray:
        return bezier.evaluate(keyed, self.values[keyed], slopes, self.frames, left_slopes)

    def error(self, keyed, slopes=None, left_slopes=None) -> np.ndarray:
        """(T,) the worst block's error in units of its tolerance, with fitted slopes unless given."""
        if slopes is None:
            slopes, left_slopes = self.fit(keyed)
        approx = self.evaluate(keyed, slopes, left_slopes)
        return _error(self.blocks, [approx[:, columns] for columns in self.columns])

    def align(self, keyed) -> tuple:
        """Fitted slopes, each key's two joined into one where both its segments stay within tolerance.

        Each key on its own: the one slope that fits both its segments best, their far ends' slopes as fitted;
        it is kept where both segments stay within tolerance. Where two neighbours both joined theirs and the
        segment between them then strays, the later one stays broken. Each key's handles so depend only on the
        performance over its own and its neighbours' segments (an edit elsewhere leaves them as they were)."""
        slopes, left_slopes = self.fit(keyed)
        left_slopes[0], slopes[-1] = slopes[0], left_slopes[-1]  # the outer handles shape nothing
        count = len(keyed)
        if count < 3 or self.local:
            return slopes, left_slopes
        segment, width, h00, h10, h01, h11 = bezier.segment_basis(keyed, self.frames)
        ends = self.values[keyed]
        start, finish = width * h10, width * h11  # weights of a segment's start and end slopes
        fixed = (h00[:, None] * ends[segment] + h01[:, None] * ends[segment + 1])
        # The frame's share of the key before it (its start slope) and of the key after it (its end slope).
        before = self.values - fixed - finish[:, None] * left_slopes[segment + 1]
        after = self.values - fixed - start[:, None] * slopes[segment]
        numerator = np.zeros_like(slopes)
        np.add.at(numerator, segment, start[:, None] * before)
        np.add.at(numerator, segment + 1, finish[:, None] * after)
        denominator = (np.bincount(segment, weights=start * start, minlength=count)
                       + np.bincount(segment + 1, weights=finish * finish, minlength=count))
        pull = 2.0 * bezier.SLOPE_PRIOR
        joined = (numerator + pull * 0.5 * (slopes + left_slopes)) / (denominator + pull)[:, None]
        inner = np.zeros(count, bool)
        inner[1:-1] = True

        def segment_worst(out_slopes, in_slopes):
            worst = np.zeros(count - 1)
            np.maximum.at(worst, segment, self.error(keyed, out_slopes, in_slopes))
            return worst

        # Each key alone: its segments with its joined slope, the neighbours' as fitted.
        leaving = segment_worst(np.where(inner[:, None], joined, slopes), left_slopes)   # segment k: key k joined
        arriving = segment_worst(slopes, np.where(inner[:, None], joined, left_slopes))  # segment k-1: key k joined
        accepted = inner.copy()
        accepted[1:-1] = (arriving[:-1] <= 1.0) & (leaving[1:] <= 1.0)
        both = segment_worst(np.where(accepted[:, None], joined, slopes), np.where(accepted[:, None], joined,
                                                                                   left_slopes))
        clash = np.flatnonzero(accepted[:-1] & accepted[1:] & (both > 1.0)) + 1
        accepted[clash] = False
        slopes[accepted], left_slopes[accepted] = joined[accepted], joined[accepted]
        return slopes, left_slopes


def _derivative(values: np.ndarray) -> np.ndarray:
    """Per-frame slope: 5-point Savitzky–Golay (quadratic) inside, narrower differences at the ends."""
    count = len(values)
    slope = np.zeros_like(values)
    if count < 2:
        return slope
    padded = np.concatenate([values[:1], values[:1], values, values[-1:], values[-1:]])
    slope[:] = (-2 * padded[:-4] - padded[1:-3] + padded[3:-1] + 2 * padded[4:]) / 10.0
    if count >= 3:
        slope[[1, -2]] = (values[[2, -1]] - values[[0, -3]]) / 2.0
    slope[0], slope[-1] = values[1] - values[0], values[-1] - values[-2]
    return slope


def _block_error(block: CurveBlock, approx: np.ndarray) -> np.ndarray:
    """(T,) error of `approx` against the block's values, in units of its tolerance."""
    return _measure_error(block.measure, approx, block.values) / block.tolerance


def _measure_error(measure: str, approx: np.ndarray, target: np.ndarray) -> np.ndarray:
    if measure == "value":
        return np.abs(approx - target).max(axis=1)
    if measure == "distance":
        return np.linalg.norm(approx - target, axis=1)
    if measure == "quaternion":
        norm = np.maximum(np.linalg.norm(approx, axis=1), 1e-12) * np.linalg.norm(target, axis=1)
        dot = np.abs(np.sum(approx * target, axis=1)) / norm
        return 2.0 * np.arccos(np.clip(dot, -1.0, 1.0))
    return (_rotation(measure, approx).inv() * _rotation(measure, target)).magnitude()


def _rotation(measure: str, values: np.ndarray) -> Rotation:
    if measure == "axis_angle":
        axes = values[:, 1:] / np.maximum(np.linalg.norm(values[:, 1:], axis=1, keepdims=True), 1e-12)
        return Rotation.from_rotvec(axes * values[:, :1])
    order = measure.split("_")[1]
    # Blender's Euler modes apply the first letter first (extrinsic axes): scipy's lower-case order.
    return Rotation.from_euler(order.lower(), values[:, ["XYZ".index(axis) for axis in order]])


def _error(blocks, approximations) -> np.ndarray:
    return np.max([_block_error(b, a) for b, a in zip(blocks, approximations)], axis=0)


def _channel_tolerances(block: CurveBlock) -> np.ndarray:
    """How much one channel may swing before it matters: a quaternion component moves half the angle."""
    scale = 0.5 if block.measure == "quaternion" else 1.0
    return np.full(block.values.shape[1], block.tolerance * scale)


def _extremes(blocks) -> np.ndarray:
    """Frames where some channel turns, with a swing larger than its tolerance."""
    found = []
    for block in blocks:
        for channel, tolerance in zip(block.values.T, _channel_tolerances(block)):
            for sign in (1.0, -1.0):
                with warnings.catch_warnings():  # flat stretches have peaks of no prominence: not extremes
                    warnings.filterwarnings("ignore", message="some peaks have a prominence of 0")
                    peaks, _ = find_peaks(sign * channel, prominence=tolerance, wlen=EXTREME_WINDOW)
                found.append(peaks)
    return np.unique(np.concatenate(found)) if found else np.zeros(0, int)


def _moving_poses(blocks, poses: np.ndarray) -> np.ndarray:
    """The pose frames around which the group moves (a still hand gets no keys on every beat): those whose value,
    held from the previous pose to the next, would leave the tolerance somewhere."""
    if len(poses) == 0:
        return poses
    bounds = np.concatenate([[0], poses, [len(blocks[0].values) - 1]])
    low, lengths = bounds[:-2], bounds[2:] - bounds[:-2] + 1
    owner = np.repeat(np.arange(len(poses)), lengths)
    frames = low[owner] + np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    error = np.max([_measure_error(b.measure, b.values[poses[owner]], b.values[frames]) / b.tolerance
                    for b in blocks], axis=0)
    worst = np.zeros(len(poses))
    np.maximum.at(worst, owner, error)
    return poses[worst > 1.0]


def _stopping_poses(blocks, poses: np.ndarray) -> np.ndarray:
    """The pose frames where the group comes (nearly) to a stop (STOP_SHARE): a pose of the performance is one of
    this group's poses only if the group arrives there, not if it passes through on its way somewhere else."""
    if len(poses) == 0:
        return poses
    step = np.max([_measure_error(b.measure, b.values[1:], b.values[:-1]) / b.tolerance for b in blocks], axis=0)
    speed = np.concatenate([step[:1], 0.5 * (step[1:] + step[:-1]), step[-1:]])  # per frame, tolerances a frame
    count = len(speed)
    around = np.min([speed[np.clip(poses + shift, 0, count - 1)] for shift in (-1, 0, 1)], axis=0)
    bounds = np.concatenate([[0], poses, [count - 1]])
    top = np.maximum.reduceat(speed, bounds[:-1])  # between consecutive bounds (a bound's own frame included)
    top = np.maximum(top, speed[bounds[1:]])
    return poses[around <= STOP_SHARE * np.maximum(top[:-1], top[1:])]


def _worst_per_segment(keyed: np.ndarray, error: np.ndarray) -> np.ndarray:
    """The worst frame of each segment whose error exceeds 1 (one tolerance)."""
    bad = np.flatnonzero(error > 1.0)
    if len(bad) == 0:
        return bad
    segment = np.searchsorted(keyed, bad, side="right")
    order = np.lexsort((-error[bad], segment))
    _, first = np.unique(segment[order], return_index=True)
    return bad[order][first]


def _drop_unneeded(curves: _Curves, roles):
    """Remove in-betweens whose two neighbouring segments, merged, stay within tolerance.

    Alternate in-betweens are tried at once (their merged segments do not overlap), until none can go."""
    frames = curves.frames
    changed = True
    while changed:
        changed = False
        for parity in (0, 1):
            keyed = np.flatnonzero(roles >= 0)
            # Parity counts from the last pose or extreme: those are never dropped, so the curve between two of
            # them is reduced on its own, and editing one stretch of a performance leaves the others' keys as
            # they were.
            anchor = np.maximum.accumulate(np.where(roles[keyed] != BREAKDOWN, np.arange(len(keyed)), 0))
            inner = np.arange(1, len(keyed) - 1)
            candidates = inner[(roles[keyed[inner]] == BREAKDOWN) & ((inner - anchor[inner]) % 2 == parity)]
            if len(candidates) == 0:
                continue
            trial = np.delete(keyed, candidates)
            error = curves.error(trial)
            # a candidate may go when the merged segment it sat in stays within tolerance
            segment = np.searchsorted(trial, frames, side="right") - 1
            segment_error = np.zeros(len(trial))
            np.maximum.at(segment_error, np.clip(segment, 0, len(trial) - 1), error)
            merged = np.searchsorted(trial, keyed[candidates]) - 1
            removable = keyed[candidates][segment_error[merged] <= 1.0]
            if len(removable):
                roles[removable] = -1
                changed = True


@dataclass
class KeyStyle:
    """How a take is keyed: every frame (a bake), key poses (the default), or stepped on ones/twos/threes."""

    mode: str = "POSES"                   # "POSES" or "FRAMES"
    pose_frames: tuple = ()               # offsets from the take's first frame where the performance has poses,
    #                                       or a dict: group (bone, shape key) → its own (see poses_of)
    step: int = 0                         # 1, 2, 3: constant keys every `step` frames (a stepped mouth); 0: smooth
    value_tolerance: float = 0.02         # shape-key values and other plain channels
    rotation_tolerance: float = np.radians(0.3)
    location_tolerance: float = 0.005     # metres
    fit: str = "LEAST_SQUARES"            # how slopes are set (key_poses): "LEAST_SQUARES" or "LOCAL", or a dict:
    #                                       group → its own (groups it does not name: LEAST_SQUARES)

    def __post_init__(self):
        if self.mode not in ("POSES", "FRAMES"):
            raise ValueError(f"Keys must be POSES or FRAMES, got {self.mode!r}.")
        fits = self.fit.values() if isinstance(self.fit, dict) else [self.fit]
        unknown = [fit for fit in fits if fit not in FITS]
        if unknown:
            raise ValueError(f"Unknown fit {unknown[0]!r}; use one of {', '.join(FITS)}.")

    def tolerance(self, measure: str) -> float:
        if measure == "value":
            return self.value_tolerance
        return self.location_tolerance if measure == "distance" else self.rotation_tolerance

    def poses_of(self, group: str = "") -> tuple:
        """The pose frames of one group (a bone, a shape key): `pose_frames` is either one tuple for every group
        or a dict from group names to theirs (a group it does not name has no poses of its own)."""
        if isinstance(self.pose_frames, dict):
            return tuple(self.pose_frames.get(group, ()))
        return tuple(self.pose_frames)

    def fit_of(self, group: str = "") -> str:
        if isinstance(self.fit, dict):
            return self.fit.get(group, "LEAST_SQUARES")
        return self.fit

    def reduce(self, blocks: list, group: str = "") -> list:
        """Keys for blocks that share their frames (one bone, one shape key), in this style."""
        if self.step:
            return [stepped(block, self.step) for block in blocks]
        if self.mode == "FRAMES":
            return [every_frame(block) for block in blocks]
        return key_poses(blocks, self.poses_of(group), self.fit_of(group))


def chain_scales(parents: dict, keyed) -> dict:
    """Each keyed bone's share of the rotation tolerance: (1 + keyed bones below it) ** -CHAIN_EXPONENT.

    A bone's error turns every bone below it, and errors add up along a chain, so a bone that carries many (the
    pelvis, the spine, a hand with its fingers) is held tighter than one that carries none (a finger tip, the
    head). `parents`: every bone's parent name (None for a root)."""
    below = dict.fromkeys(keyed, 0)
    for bone in keyed:
        parent = parents.get(bone)
        while parent is not None:
            if parent in below:
                below[parent] += 1
            parent = parents.get(parent)
    return {bone: float((1 + count) ** -CHAIN_EXPONENT) for bone, count in below.items()}


def pose_frames(times_seconds, fps: float, count: int) -> tuple:
    """Frame offsets (0 .. count-1) of pose times given in seconds from the take's start."""
    frames = np.round(np.asarray(list(times_seconds), dtype=np.float64) * fps).astype(int)
    return tuple(int(f) for f in np.unique(frames[(frames >= 0) & (frames < count)]))
