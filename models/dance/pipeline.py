"""Music file → dance MotionClip: analyse the music, plan moves by bars and sections, perform, clean the feet."""

import time
from dataclasses import dataclass, field

import numpy as np

from ...clips.motion import MotionClip
from ..audio.load import Audio, AudioError, load_audio
from ..music.analysis import MusicAnalysis, analyse_music, fallback_analysis
from ..music.spectrum import SAMPLE_RATE
from .body import build_clip, rest_heights
from .choreography import ChoreographyError, beat_times, plan_dance
from .contacts import clean_contacts
from .long_music import dance_in_parts
from .performance import perform

MIN_MUSIC_SECONDS = 2.0
PRIOR_STRENGTH = 0.5
CLIP_MOVES = 0.0         # share of bars danced with captured CMU upper-body segments (see clip_moves.py)


@dataclass
class DanceResult:
    clip: MotionClip
    beats: np.ndarray          # seconds
    tempo: float               # beats per minute
    notes: list = field(default_factory=list)
    analysis: MusicAnalysis = None
    moves: list = field(default_factory=list)   # (bar start beat, move, mirrored)
    clip_bars: list = field(default_factory=list)   # (bar start beat, clip move segment, mirrored)


def generate_dance(audio_path, fps: float = 30.0, style: str = "groove", energy: float = 1.0, seed: int = 0,
                   in_place: bool = False, progress=None, floor_half_size: float = 1.5,
                   prior_strength: float = PRIOR_STRENGTH, clip_moves: float = CLIP_MOVES) -> DanceResult:
    """Dance to a music file. `progress(fraction, message)` is called between stages and may raise to cancel.

    `prior_strength` (0..1) blends the learned motion prior into the upper body (0 = procedural only); without
    its weights file the dance is procedural and a note says so. `clip_moves` (0..1) is the share of bars whose
    upper body dances a captured CMU segment time-warped onto the bar's beats (0 = none).
    """
    report = progress or (lambda fraction, message: None)
    report(0.0, "Loading music")
    audio = load_audio(audio_path, SAMPLE_RATE, allow_silence=True)
    return dance_from_audio(audio, fps, style, energy, seed, in_place, report, floor_half_size, prior_strength,
                            clip_moves)


def dance_from_audio(audio: Audio, fps: float = 30.0, style: str = "groove", energy: float = 1.0, seed: int = 0,
                     in_place: bool = False, progress=None, floor_half_size: float = 1.5,
                     prior_strength: float = PRIOR_STRENGTH, clip_moves: float = CLIP_MOVES) -> DanceResult:
    """generate_dance for music already decoded at SAMPLE_RATE (load_audio(path, SAMPLE_RATE))."""
    report = progress or (lambda fraction, message: None)
    if audio.sample_rate != SAMPLE_RATE:
        raise AudioError(f"Internal: dance analysis needs audio at {SAMPLE_RATE} Hz, got {audio.sample_rate} Hz.")
    report(0.15, "Finding beats, bars and sections")
    if audio.duration < MIN_MUSIC_SECONDS:
        analysis = fallback_analysis(audio.duration, f"The audio is only {audio.duration:.1f} s long, too short to "
                                                     "find a beat, so the dancer grooves at a steady tempo.")
    else:
        analysis = analyse_music(audio)
    # An hour of music is danced in parts of a few minutes (long_music.py); a song in one piece.
    return dance_in_parts(analysis, fps, lambda part, part_report: dance_to_analysis(
        part, fps, style, energy, seed, in_place, part_report, floor_half_size, prior_strength, clip_moves), report)


def dance_to_analysis(analysis: MusicAnalysis, fps: float = 30.0, style: str = "groove", energy: float = 1.0,
                      seed: int = 0, in_place: bool = False, progress=None,
                      floor_half_size: float = 1.5, prior_strength: float = PRIOR_STRENGTH,
                      clip_moves: float = CLIP_MOVES) -> DanceResult:
    report = progress or (lambda fraction, message: None)
    if not np.isfinite(fps) or fps <= 0:
        raise ChoreographyError(f"Frame rate must be positive, got {fps}.")
    report(0.5, "Choreographing")
    heights = rest_heights()
    plan = plan_dance(analysis, style, energy, seed, in_place, floor_half_size)
    frames = max(1, int(np.ceil(analysis.duration * fps - 1e-9)))
    times = np.arange(frames) / fps
    report(0.7, "Dancing")
    clip = build_clip(perform(plan, analysis.beat_position(times)), fps, plan.base_bend)
    notes = list(analysis.notes)
    clip_bars = []
    if not np.isfinite(clip_moves) or clip_moves < 0:
        raise ChoreographyError(f"Clip moves must be a share from 0 to 1, got {clip_moves}.")
    if clip_moves > 0:
        from . import clip_moves as captured
        if captured.available():
            report(0.75, "Adding captured dance moves")
            clip, clip_bars = captured.apply_clip_moves(clip, lambda beats: beat_times(analysis, beats), plan.moves,
                                                        min(float(clip_moves), 1.0), seed)
        else:
            notes.append("The captured clip moves are missing, so the dance uses coded moves only.")
    if prior_strength > 0:
        from .prior import apply_prior, weights_available
        if weights_available():
            report(0.8, "Applying the motion prior")
            clip = apply_prior(clip, prior_strength)
        else:
            notes.append("The motion prior's weights are missing, so the dance is procedural only.")
    report(0.9, "Cleaning foot contacts")
    clip = clean_contacts(clip, heights)
    notes.append(f"Style {style}, energy {energy:g}, seed {seed}: {len(plan.moves)} bars of "
                 f"{len(set(m[1] for m in plan.moves))} different moves"
                 + (f", {len(clip_bars)} of them danced with captured moves." if clip_bars else "."))
    report(1.0, "Done")
    return DanceResult(clip, analysis.beats.copy(), float(analysis.tempo), notes, analysis, plan.moves, clip_bars)
