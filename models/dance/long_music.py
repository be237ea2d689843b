"""Long recordings (a DJ set, an hour of music) danced in parts, so memory stays bounded.

The music is analysed once as a whole (beats, bars and sections keep their global view); the dance is then made
part by part, each part a stretch of about PART_SECONDS cut at a downbeat, choreographed on its own window of the
analysis, and joined to the previous part by a cross-fade over OVERLAP_BARS bars (the new part starts where the
dancer stands and faces, then the two performances are blended: normalised lerp of the joint rotations, a blend of
the root paths). A part is choreographed about the middle of the floor, facing the audience, and keeps to the floor
area about that middle: so over RECENTRE_BARS from the join it eases from where the dancer stood back to its own
place and facing (parts left where the dancer stood danced up to 2.3 m from the middle, past the 1.5 m floor), and
the legs are re-solved over those bars: each foot goes where the parts put it, still while planted and changing
over from one part to the other, or to the part's new place, in the air (blended joint rotations sank the feet up
to 6 cm into the floor, and planted feet slid at 0.3 m/s). Memory is what one part needs plus the finished
clip, instead of every intermediate array for the whole hour (measured by bench/memory.py). Music up to
1.5 × PART_SECONDS is danced in one piece, exactly as before.
"""

import dataclasses

import numpy as np

from ...clips import rotations as quats
from ...clips.kinematics import world_transforms
from ...clips.motion import MotionClip

PART_SECONDS = 300.0
OVERLAP_BARS = 2
RECENTRE_BARS = 12       # bars from a join over which the new part eases back to its own place on the floor
SETTLE_SECONDS = 0.3     # s over which re-pinned legs hand back to the part's own at the end of those bars


def dance_in_parts(analysis, fps: float, dance, progress=None, moves_in_seconds: bool = False):
    """`dance(part_analysis, progress)` → DanceResult for one stretch; returns the DanceResult of the whole.
    `moves_in_seconds`: the result's moves start at a time in seconds (captured engine), else at a beat index."""
    report = progress or (lambda fraction, message: None)
    if analysis.duration <= 1.5 * PART_SECONDS or len(analysis.downbeats) < 4:
        return dance(analysis, report)
    total = max(1, int(np.ceil(analysis.duration * fps - 1e-9)))
    cuts = _cut_frames(analysis, fps, total)
    rotations = root = None
    moves, clip_bars, notes, first, style = [], [], [], None, None
    for k, (start, end) in enumerate(zip(cuts[:-1], cuts[1:])):
        overlap = 0 if k == 0 else _overlap_frames(analysis, start / fps, fps)
        window_start = start - overlap
        part_analysis, first_beat = analysis_window(analysis, window_start / fps, end / fps)
        parts = len(cuts) - 1  # each part reports 0.5 → 1 (after the analysis): shared out over 0.5 → 1
        result = dance(part_analysis, lambda f, m, k=k: report(0.5 + 0.5 * (k + 2 * max(0.0, f - 0.5)) / parts, m))
        clip = result.clip
        count = min(clip.num_frames, end - window_start, total - window_start)
        if rotations is None:
            first = result
            rotations = np.empty((total,) + clip.rotations.shape[1:])  # float64, as MotionClip keeps them
            root = np.empty((total, 3))
        _join(rotations, root, window_start, overlap, clip.rotations[:count], clip.root_translation[:count],
              _recentre_frames(analysis, fps, overlap), clip.skeleton, fps)
        del clip
        if moves_in_seconds:  # (phrase start s, captured dance, mirrored), kept from where this part takes over
            moves += [(at + window_start / fps,) + tuple(rest) for at, *rest in result.moves
                      if k == 0 or at + window_start / fps >= start / fps - 1e-6]
        else:                 # (bar start beat, move, mirrored)
            moves += [(bar + first_beat,) + tuple(rest) for bar, *rest in result.moves
                      if k == 0 or bar + first_beat >= _beat_index(analysis, start / fps)]
        beat_shift = first_beat
        clip_bars += [(bar + beat_shift,) + tuple(rest) for bar, *rest in getattr(result, "clip_bars", [])]
        notes += [note for note in result.notes if note not in notes and not note.startswith("Style ")]
        style = style or next((note for note in result.notes if note.startswith("Style ")), None)
        del result
    whole = MotionClip(fps, first.clip.skeleton, rotations, root)
    notes = list(analysis.notes) + notes
    if style:  # the first part's "Style …: N phrases …" counted that part only (91 of a 32-minute dance's 512)
        unit = "phrases" if moves_in_seconds else "bars"
        notes.append(f"{style.split(':')[0]}: {len(moves)} {unit} danced over the whole music.")
    notes.append(f"The music is {analysis.duration / 60:.0f} minutes long: it was danced in {len(cuts) - 1} parts "
                 f"of about {PART_SECONDS / 60:.0f} minutes, cross-faded over {OVERLAP_BARS} bars.")
    return dataclasses.replace(first, clip=whole, beats=analysis.beats.copy(), tempo=float(analysis.tempo),
                               notes=notes, analysis=analysis, moves=moves, clip_bars=clip_bars)


def _cut_frames(analysis, fps: float, total: int) -> list:
    """Frame indices where parts start: 0, the downbeats nearest every PART_SECONDS, and the end."""
    count = max(2, int(round(analysis.duration / PART_SECONDS)))
    cuts = [0]
    for k in range(1, count):
        target = k * analysis.duration / count
        downbeat = analysis.downbeats[np.argmin(np.abs(analysis.downbeats - target))]
        frame = int(round(downbeat * fps))
        if cuts[-1] < frame < total:
            cuts.append(frame)
    return cuts + [total]


def _overlap_frames(analysis, time: float, fps: float) -> int:
    bar = float(np.median(np.diff(analysis.downbeats)))
    return max(1, int(round(OVERLAP_BARS * bar * fps)))


def _recentre_frames(analysis, fps: float, overlap: int) -> int:
    bar = float(np.median(np.diff(analysis.downbeats)))
    return max(overlap, int(round(RECENTRE_BARS * bar * fps)))


def _beat_index(analysis, time: float) -> int:
    return int(np.searchsorted(analysis.beats, time - 1e-6))


def analysis_window(analysis, start: float, end: float) -> tuple:
    """(the analysis of the stretch start..end as if it were a song of its own, the global index of its first
    beat). Fields this function does not know are carried over unchanged."""
    beats = np.asarray(analysis.beats)
    inside = np.flatnonzero((beats >= start) & (beats < end))
    if len(inside) < 2:  # too few beats: keep the grid going through the stretch
        inside = np.arange(max(0, np.searchsorted(beats, start) - 1), min(len(beats), np.searchsorted(beats, end) + 1))
    first_beat = int(inside[0])
    bar_starts = np.asarray(analysis.bar_starts, dtype=int)
    bar_starts = bar_starts[(bar_starts >= inside[0]) & (bar_starts <= inside[-1])] - first_beat
    if len(bar_starts) == 0:
        bar_starts = np.array([0])
    part_beats = beats[inside] - start
    rate = analysis.envelope_rate
    lo, hi = int(np.floor(start * rate)), int(np.ceil(end * rate)) + 1
    sections = [dataclasses.replace(s, start=max(s.start, start) - start, end=min(s.end, end) - start)
                for s in analysis.sections if s.end > start and s.start < end]
    duration = end - start
    tempo = 60.0 / float(np.mean(np.diff(part_beats))) if len(part_beats) > 1 else analysis.tempo
    window = dataclasses.replace(
        analysis, duration=duration, tempo=tempo, beats=part_beats, downbeats=part_beats[bar_starts],
        first_downbeat_index=int(bar_starts[0]), sections=sections or [dataclasses.replace(
            analysis.sections[0], start=0.0, end=duration)],
        onset=np.asarray(analysis.onset)[lo:hi], loudness=np.asarray(analysis.loudness)[lo:hi], notes=[],
        bar_starts=bar_starts)
    return window, first_beat


def _join(rotations, root, start: int, overlap: int, part_rotations, part_root, recentre: int = 0, skeleton=None,
          fps: float = 30.0):
    """Write a part's frames from `start` on; its first `overlap` frames cross-fade with what is there. The part
    starts where the dancer stands and faces, easing back to its own place over `recentre` frames, over which the
    legs are re-pinned (`skeleton`, `fps`: the clip's)."""
    count = len(part_rotations)
    part_root = np.asarray(part_root, np.float64).copy()
    part_rotations = np.asarray(part_rotations, np.float64).copy()
    if not overlap:
        rotations[start:start + count] = part_rotations
        root[start:start + count] = part_root
        return
    n = min(overlap, count)
    span = min(max(recentre, overlap), count)
    pin = min(count, span + int(round(SETTLE_SECONDS * fps))) if skeleton is not None else 0
    if pin:   # the feet of the two performances as danced (each clean: planted feet still, on the floor)
        before = _feet(rotations[start:start + n], root[start:start + n], skeleton, fps)
        after = _feet(part_rotations[:pin], part_root[:pin], skeleton, fps)
    # Where the dancer stands and faces against where the part starts; that difference fades over `recentre`.
    turn = _wrap(_heading(rotations[start:start + 1, 0])[0] - _heading(part_rotations[:1, 0])[0])
    ease = np.ones(count)
    u = np.arange(span) / max(span - 1, 1)
    ease[:span] = u ** 3 * (10 - 15 * u + 6 * u * u)
    begin, shift = part_root[0, :2].copy(), root[start, :2] - part_root[0, :2]
    part_root[:, :2] = _moved(part_root[:, :2], turn * (1.0 - ease), begin, shift * (1.0 - ease)[:, None])
    part_rotations[:, 0] = quats.multiply(_about_z(turn * (1.0 - ease)), part_rotations[:, 0])
    w = np.linspace(0.0, 1.0, n + 2)[1:-1]
    w = (w * w * (3.0 - 2.0 * w))[:, None]
    old, new = rotations[start:start + n], part_rotations[:n]
    new = np.where(np.sum(old * new, axis=-1, keepdims=True) < 0.0, -new, new)
    mixed = (1.0 - w[:, :, None]) * old + w[:, :, None] * new
    rotations[start:start + n] = mixed / np.linalg.norm(mixed, axis=-1, keepdims=True)
    root[start:start + n] = (1.0 - w) * root[start:start + n] + w * part_root[:n]
    rotations[start + n:start + count] = part_rotations[n:]
    root[start + n:start + count] = part_root[n:]
    if not pin:
        return
    # The legs: each foot where the new part puts it, moved as the part is but by the move of the middle of its
    # contact while it is planted (so it stays put) and gliding from one such move to the next while it swings;
    # through the cross-fade blended with where the old part puts it (both on or above the floor, so the blend is:
    # blended joint rotations sank the feet up to 6 cm into it).
    share = np.ones(pin)
    share[:n] = w[:, 0]
    targets, facings = [], []
    for side in (0, 1):
        held = _held(ease[:pin], after["planted"][side])
        ankle = after["ankle"][side].copy()
        ankle[:, :2] = _moved(ankle[:, :2], turn * (1.0 - held), begin, shift * (1.0 - held)[:, None])
        facing = quats.multiply(_about_z(turn * (1.0 - held)), after["facing"][side])
        down = after["planted"][side].copy()
        down[:n] |= before["planted"][side]
        blend = _held(share, down)[:, None]     # the foot changes over from one part to the other in the air
        old_ankle = np.concatenate([before["ankle"][side], np.repeat(before["ankle"][side][-1:], pin - n, 0)])
        old_facing = np.concatenate([before["facing"][side], np.repeat(before["facing"][side][-1:], pin - n, 0)])
        ankle = (1.0 - blend) * old_ankle + blend * ankle
        facing = np.where(np.sum(old_facing * facing, axis=-1, keepdims=True) < 0.0, -facing, facing)
        facing = (1.0 - blend) * old_facing + blend * facing
        targets.append(ankle)
        facings.append(facing / np.linalg.norm(facing, axis=-1, keepdims=True))
    _solve_legs(rotations, root, start, pin, skeleton, fps, targets, facings)


def _feet(rotations, root, skeleton, fps: float) -> dict:
    """Per foot (left, right): ankle positions (T, 3), ankle world rotations (T, 4), planted (T,) bool."""
    from .body import rest_heights
    from .contacts import detect_contacts
    world, positions = world_transforms(MotionClip(fps, skeleton, rotations, root))
    planted = detect_contacts(positions, skeleton, rest_heights(skeleton), fps)
    ankles = [skeleton.index(f"{side}_ankle") for side in ("left", "right")]
    return {"ankle": [positions[:, j].copy() for j in ankles], "facing": [world[:, j].copy() for j in ankles],
            "planted": [planted["left"], planted["right"]]}


def _held(ease, planted):
    """`ease` held at its value in the middle of each run of `planted`, and eased from one such value to the next
    between runs (from `ease`'s first value before the first run, to its last after the last)."""
    frames = len(ease)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], planted.astype(np.int8), [0]])))
    keys = [(0, ease[0])]
    for a, b in zip(edges[::2], edges[1::2]):
        value = ease[(a + b - 1) // 2]
        keys += [(a, value), (b - 1, value)]
    keys.append((frames - 1, ease[-1]))
    held = ease.copy()
    for (a, va), (b, vb) in zip(keys[:-1], keys[1:]):
        u = np.arange(b - a + 1) / max(b - a, 1)
        held[a:b + 1] = va + (vb - va) * u * u * (3.0 - 2.0 * u)
    return held


def _solve_legs(rotations, root, start: int, count: int, skeleton, fps: float, targets, facings):
    """Re-solve both legs of frames start … start + count so each ankle reaches its target (T, 3) facing its world
    rotation (T, 4), handing back to the legs as they were over the last SETTLE_SECONDS."""
    from .leg_ik import Leg
    span = slice(start, start + count)
    world, positions = world_transforms(MotionClip(fps, skeleton, rotations[span], root[span]))
    local = rotations[span].copy()
    for side, name in enumerate(("left", "right")):
        leg = Leg(skeleton, name)
        hip = positions[:, leg.hip]
        knee = positions[:, leg.knee] - 0.5 * (hip + positions[:, leg.ankle])
        forward = quats.rotate(facings[side], np.tile([0.0, -1.0, 0.0], (count, 1))) + 2.0 * knee
        thigh, shin = leg.solve(hip, targets[side], forward)
        parent = quats.to_rotation(world[:, skeleton.parents[leg.hip]])
        local[:, leg.hip] = quats.from_rotation(parent.inv() * thigh)
        local[:, leg.knee] = quats.from_rotation(thigh.inv() * shin)
        local[:, leg.ankle] = quats.from_rotation(shin.inv() * quats.to_rotation(facings[side]))
    settle = min(count, max(1, int(round(SETTLE_SECONDS * fps))))
    keep = np.ones(count)
    u = np.arange(1, settle + 1) / (settle + 1)
    keep[count - settle:] = 1.0 - u * u * (3.0 - 2.0 * u)
    old = rotations[span]
    local = np.where(np.sum(old * local, axis=-1, keepdims=True) < 0.0, -local, local)
    mixed = keep[:, None, None] * local + (1.0 - keep[:, None, None]) * old
    rotations[span] = mixed / np.linalg.norm(mixed, axis=-1, keepdims=True)


def _moved(xy, angle, about, shift):
    """Points (T, 2) turned by `angle` (T,) about `about` and moved by `shift` (T, 2)."""
    return _rotate(xy - about, angle) + about + shift


def _about_z(angle):
    half = 0.5 * np.asarray(angle, np.float64)
    return np.stack([np.cos(half), 0 * half, 0 * half, np.sin(half)], axis=-1)


def _heading(pelvis):
    """(T,) radians about +z the pelvis's left-right axis is turned by."""
    across = quats.rotate(pelvis, np.tile([1.0, 0.0, 0.0], (len(pelvis), 1)))
    return np.arctan2(across[:, 1], across[:, 0])


def _rotate(xy, angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * xy[:, 0] - s * xy[:, 1], s * xy[:, 0] + c * xy[:, 1]], axis=1)


def _wrap(angle):
    return (angle + np.pi) % (2 * np.pi) - np.pi
