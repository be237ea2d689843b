"""What `soundmotion beats` prints and writes, and where *Add Beat Markers* puts timeline markers (no bpy)."""

import numpy as np

from ..audio.load import AudioError, load_audio
from .analysis import HELD_TONE_NOTE, MusicAnalysis, analyse_music, silent_breaks
from .meter import in_meter
from .spectrum import SAMPLE_RATE

MIN_SECONDS = 2.0


def track_file(path, meter: str = "auto") -> MusicAnalysis:
    """Beats, bars and meter of a music file; AudioError (a sentence for the user) where there are none to find.
    `meter` (meter.METERS): "auto", the tracker's; else its bars counted again in the meter named ("3/4")."""
    audio = load_audio(path, SAMPLE_RATE)   # refuses missing, unreadable, silent and over-long files
    if audio.duration < MIN_SECONDS:
        raise AudioError(f"{audio.stem} is only {audio.duration:.1f} s long; beats need at least "
                         f"{MIN_SECONDS:.0f} s of music. Choose a longer file.")
    analysis = analyse_music(audio)
    if analysis.fallback:
        held = f": {HELD_TONE_NOTE}" if any(HELD_TONE_NOTE in note for note in analysis.notes) else ""
        raise AudioError(f"No steady beat was found in {audio.stem}{held} (beat confidence "
                         f"{analysis.confidence:.2f}). Choose music with a beat: speech, noise and drones have none.")
    return in_meter(analysis, meter)


def beats_document(analysis: MusicAnalysis) -> dict:
    """The JSON of `soundmotion beats --json`: beats and downbeats in seconds, tempo in BPM, beats per bar; also the
    confidence, the duration and the analysis' notes (sentences, e.g. that the beats are faint)."""
    return {"beats": [round(float(t), 4) for t in analysis.beats],
            "downbeats": [round(float(t), 4) for t in analysis.downbeats],
            "tempo": round(float(analysis.tempo), 2),
            "beats_per_bar": int(analysis.beats_per_bar),
            "confidence": round(float(analysis.confidence), 3),
            "duration": round(float(analysis.duration), 3),
            "notes": [str(note) for note in analysis.notes]}


def summary(analysis: MusicAnalysis) -> str:
    return (f"beats: {analysis.tempo:.1f} BPM, {analysis.beats_per_bar} beats to the bar, {len(analysis.beats)} beats, "
            f"{len(analysis.downbeats)} bars, confidence {analysis.confidence:.2f}")


def marker_frames(analysis: MusicAnalysis, fps: float, start_frame: int = 1, bars_only: bool = False) -> list:
    """[(frame, name)]: a marker per beat named by bar and beat ("7.2"), a downbeat named by its bar ("Bar 7").

    Frames are rounded to the scene's frame rate; two beats on one frame keep the first (the downbeat wins).
    After a silent break (analysis.silent_breaks: no beats there) the bar numbers go on; beats before the first
    downbeat after it (a pickup) are the last beats of a bar of their own ("9.4", then "Bar 10").
    """
    starts = np.asarray(analysis.bar_starts, dtype=int)
    index_of = np.arange(len(analysis.beats))
    resumed = np.setdiff1d(silent_breaks(analysis.beats) + 1, starts)   # a pickup after a break: a bar of its own
    bar_of_beat = np.cumsum(np.isin(index_of, starts) | np.isin(index_of, resumed))   # pickup beats: bar 0
    markers, used = [], set()
    for index, time in enumerate(analysis.beats):
        downbeat = bool(np.any(starts == index))
        if bars_only and not downbeat:
            continue
        frame = start_frame + int(round(float(time) * fps))
        if frame in used:
            continue
        used.add(frame)
        if downbeat:
            name = f"Bar {int(bar_of_beat[index])}"
        else:
            earlier = starts[starts <= index]
            later = starts[starts > index]
            pickup = resumed[resumed <= index]
            if len(pickup) and (not len(earlier) or pickup[-1] > earlier[-1]):   # a pickup after a silent break
                beat_in_bar = (analysis.beats_per_bar - (int(later[0]) - index) + 1 if len(later)
                               else index - int(pickup[-1]) + 1)
            elif len(earlier):
                beat_in_bar = index - int(earlier[-1]) + 1
            else:  # a pickup: the last beats of an unwritten bar 0
                beat_in_bar = analysis.beats_per_bar - (int(starts[0]) - index) + 1 if len(starts) else index + 1
            name = f"{int(bar_of_beat[index])}.{beat_in_bar}"
        markers.append((frame, name))
    return markers
