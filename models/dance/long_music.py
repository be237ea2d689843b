"""Long recordings (a DJ set, an hour of music) danced in parts, so memory stays bounded.

The music is analysed once as a whole (beats, bars and sections keep their global view); the dance is then made
part by part, each part a stretch of about PART_SECONDS cut at a downbeat, choreographed on its own window of the
analysis, and joined to the previous part by a cross-fade over OVERLAP_BARS bars (the new part starts where the
dancer stands, then the two performances are blended: normalised lerp of the joint rotations, a blend of the root
paths). Memory is what one part needs plus the finished clip, instead of every intermediate array for the whole
hour (measured by bench/memory.py). Music up to 1.5 × PART_SECONDS is danced in one piece, exactly as before.
"""

import dataclasses

import numpy as np

from ...clips.motion import MotionClip

PART_SECONDS = 300.0
OVERLAP_BARS = 2


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
        _join(rotations, root, window_start, overlap, clip.rotations[:count], clip.root_translation[:count])
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


def _join(rotations, root, start: int, overlap: int, part_rotations, part_root):
    """Write a part's frames from `start` on; its first `overlap` frames cross-fade with what is there."""
    count = len(part_rotations)
    part_root = np.asarray(part_root, np.float64).copy()
    if overlap:
        part_root[:, :2] += root[start, :2] - part_root[0, :2]  # the new part starts where the dancer stands
        n = min(overlap, count)
        w = np.linspace(0.0, 1.0, n + 2)[1:-1]
        w = (w * w * (3.0 - 2.0 * w))[:, None]
        old, new = rotations[start:start + n], np.asarray(part_rotations[:n], np.float64)
        new = np.where(np.sum(old * new, axis=-1, keepdims=True) < 0.0, -new, new)
        mixed = (1.0 - w[:, :, None]) * old + w[:, :, None] * new
        rotations[start:start + n] = mixed / np.linalg.norm(mixed, axis=-1, keepdims=True)
        root[start:start + n] = (1.0 - w) * root[start:start + n] + w * part_root[:n]
        rotations[start + n:start + count] = part_rotations[n:]
        root[start + n:start + count] = part_root[n:]
    else:
        rotations[start:start + count] = part_rotations
        root[start:start + count] = part_root
