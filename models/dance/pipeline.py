"""Music file → dance MotionClip: analyse the music, choreograph (captured dance by default, coded moves as the
fallback), clean the feet."""

from dataclasses import dataclass, field, replace

import numpy as np

from ...clips.motion import MotionClip
from ..audio.load import Audio, AudioError, load_audio
from ..music.analysis import MusicAnalysis, analyse_music, fallback_analysis, silent_breaks
from ..music.spectrum import SAMPLE_RATE
from .body import build_clip, rest_heights
from .choreography import ChoreographyError, bar_grid, beat_times, plan_dance
from .contacts import clean_contacts
from .long_music import dance_in_parts
from ..music.meter import METERS, in_meter
from .moves import STYLES
from .performance import perform

MIN_MUSIC_SECONDS = 2.0
PRIOR_STRENGTH = 0.5     # coded engine: how much of the learned motion prior's correction the upper body takes
ENGINES = ("captured", "coded")
ENGINE = "captured"
SWING_CLEARANCE = 0.04   # m a travelling swing foot clears the floor by (captured dance)
WALTZ = True             # music in three is danced as a waltz (waltz.py): figures stepped on every beat
CLIP_MOVES = 0.0         # coded engine: share of bars danced with captured CMU upper-body segments (clip_moves.py)
# Where the music starts later or stops earlier than the audio (a silent intro, a silent tail: the analysis finds
# no beats there) the dancer waits still and settles at the end: the dance is held from HOLD_BEATS before the
# first beat and after the last, eased in and out over as many beats (music_times).
HOLD_BEATS = 2.0
# Through a silent break inside the music (a long silence the analysis left without beats: MusicAnalysis notes it)
# the dance is planned as if the music went on without it, one beat from its last beat to its first after it
# (without_breaks); the dance is held through the silence, slowing to a stop over the beat after the last beat and
# starting again over the beat before the first one (music_times_through_breaks), while the dancer eases into a
# quiet stand and back (stand.py).


@dataclass
class DanceResult:
    clip: MotionClip
    beats: np.ndarray          # seconds
    tempo: float               # beats per minute
    notes: list = field(default_factory=list)
    analysis: MusicAnalysis = None
    moves: list = field(default_factory=list)   # coded: (bar start beat, move, mirrored); captured: (phrase start
                                                #   s, captured dance, mirrored)
    clip_bars: list = field(default_factory=list)   # (bar start beat, clip move segment, mirrored)


def generate_dance(audio_path, fps: float = 30.0, style: str = "groove", energy: float = 1.0, seed: int = 0,
                   in_place: bool = False, progress=None, floor_half_size: float = 1.5,
                   prior_strength: float = PRIOR_STRENGTH, clip_moves: float = CLIP_MOVES,
                   engine: str = ENGINE, meter: str = "auto") -> DanceResult:
    """Dance to a music file. `progress(fraction, message)` is called between stages and may raise to cancel.

    `engine`: "captured" (the default: real dance from the library, graph.py) or "coded" (moves written as code,
    the engine before the library). Without the library file the coded engine dances and a note says so.
    For the coded engine only: `prior_strength` (0..1) blends the learned motion prior into the upper body;
    `clip_moves` (0..1) is the share of bars whose upper body dances a captured CMU segment.
    `meter`: "auto" (the beat tracker's), "4/4", "3/4" (a waltz), "6/8" (two pulses to the bar), "5/4" (bars of 5
    beats, swaying 3 + 2) or "7/8" (bars of 7 beats, the eighths the tracker follows, swaying 2 + 2 + 3): the bars
    are regrouped from the tracker's first downbeat.
    """
    check_settings(fps, style, energy, clip_moves, engine, meter)
    report = progress or (lambda fraction, message: None)
    report(0.0, "Loading music")
    audio = load_audio(audio_path, SAMPLE_RATE, allow_silence=True)
    return dance_from_audio(audio, fps, style, energy, seed, in_place, report, floor_half_size, prior_strength,
                            clip_moves, engine, meter)


def dance_from_audio(audio: Audio, fps: float = 30.0, style: str = "groove", energy: float = 1.0, seed: int = 0,
                     in_place: bool = False, progress=None, floor_half_size: float = 1.5,
                     prior_strength: float = PRIOR_STRENGTH, clip_moves: float = CLIP_MOVES,
                     engine: str = ENGINE, meter: str = "auto") -> DanceResult:
    """generate_dance for music already decoded at SAMPLE_RATE (load_audio(path, SAMPLE_RATE))."""
    report = progress or (lambda fraction, message: None)
    if audio.sample_rate != SAMPLE_RATE:
        raise AudioError(f"Internal: dance analysis needs audio at {SAMPLE_RATE} Hz, got {audio.sample_rate} Hz.")
    check_settings(fps, style, energy, clip_moves, engine, meter)
    report(0.15, "Finding beats, bars and sections")
    if audio.duration < MIN_MUSIC_SECONDS:
        analysis = fallback_analysis(audio.duration, f"The audio is only {audio.duration:.1f} s long, too short to "
                                                     "find a beat, so the dancer grooves at a steady tempo.")
    else:
        analysis = analyse_music(audio)
    # An hour of music is danced in parts of a few minutes (long_music.py), with either engine; a song in one piece.
    from .library import available
    return dance_in_parts(analysis, fps, lambda part, part_report: dance_to_analysis(
        part, fps, style, energy, seed, in_place, part_report, floor_half_size, prior_strength, clip_moves, engine,
        meter), report, moves_in_seconds=engine == "captured" and available())


def check_settings(fps, style, energy, clip_moves=0.0, engine=ENGINE, meter="auto"):
    """Refuse bad settings with a sentence that says what to do (before any work)."""
    if not np.isfinite(fps) or fps <= 0:
        raise ChoreographyError(f"Frame rate must be positive, got {fps}.")
    if style not in STYLES:
        raise ChoreographyError(f"Unknown dance style {style!r}; choose one of {', '.join(sorted(STYLES))}.")
    if not np.isfinite(energy) or energy < 0:
        raise ChoreographyError(f"Energy must be a number from 0 to 2, got {energy}.")
    if not np.isfinite(clip_moves) or clip_moves < 0:
        raise ChoreographyError(f"Clip moves must be a share from 0 to 1, got {clip_moves}.")
    if engine not in ENGINES:
        raise ChoreographyError(f"Unknown dance engine {engine!r}; choose {' or '.join(ENGINES)}.")
    if meter not in METERS:
        raise ChoreographyError(f"Unknown meter {meter!r}; choose one of {', '.join(METERS)}.")


def dance_to_analysis(analysis: MusicAnalysis, fps: float = 30.0, style: str = "groove", energy: float = 1.0,
                      seed: int = 0, in_place: bool = False, progress=None,
                      floor_half_size: float = 1.5, prior_strength: float = PRIOR_STRENGTH,
                      clip_moves: float = CLIP_MOVES, engine: str = ENGINE, meter: str = "auto",
                      times: np.ndarray = None) -> DanceResult:
    """The dance for an analysed song (generate_dance's parameters). `times`: the music times the frames are
    danced at (default: music_times of the frames' own; a silent break is danced through this way)."""
    report = progress or (lambda fraction, message: None)
    check_settings(fps, style, energy, clip_moves, engine, meter)
    analysis = in_meter(analysis, meter)
    if times is None and not analysis.fallback and len(silent_breaks(analysis.beats)):
        from .library import available
        return _dance_through_breaks(analysis, fps, lambda virtual, times: dance_to_analysis(
            virtual, fps, style, energy, seed, in_place, report, floor_half_size, prior_strength, clip_moves,
            engine, "auto", times), moves_in_seconds=engine == "captured" and available())
    energy = min(float(energy), 2.0)
    notes = []
    if engine == "captured":
        from .library import available
        if available():
            result = captured_dance(analysis, fps, style, energy, seed, in_place, report, floor_half_size, times)
            if clip_moves > 0:
                result.notes.append("Captured Moves (clip moves) apply to the coded engine only; the captured "
                                    "dance is all captured already.")
            return result
        notes.append("The dance library is missing, so the dance uses coded moves; reinstall SoundMotion to dance "
                     "with captured moves.")
    report(0.5, "Choreographing")
    heights = rest_heights()
    plan = plan_dance(analysis, style, energy, seed, in_place, floor_half_size)
    if times is None:
        times = music_times(np.arange(max(1, int(np.ceil(analysis.duration * fps - 1e-9)))) / fps, analysis)
    report(0.7, "Dancing")
    clip = build_clip(perform(plan, analysis.beat_position(times)), fps, plan.base_bend)
    notes = list(analysis.notes) + notes
    clip_bars = []
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


def captured_dance(analysis: MusicAnalysis, fps: float, style: str, energy: float, seed: int, in_place: bool,
                   report, floor_half_size: float = 1.5, times: np.ndarray = None) -> DanceResult:
    """The dance from the captured library (graph.py): phrases on the bars, stretches of real dance warped onto
    the beats, blended, a head that moves where the capture has none, feet pinned. `times`: the music times of
    the frames (dance_to_analysis)."""
    from . import graph
    from .body import relax_hands
    from .head import add_head_motion
    from .library import load_library
    from .meter import add_meter

    report(0.5, "Choreographing")
    library = load_library()
    times_of = lambda indices: beat_times(analysis, indices)
    start_beat, end_beat = analysis.beat_position(np.array([0.0, analysis.duration]))
    per_bar = int(getattr(analysis, "beats_per_bar", 4) or 4)
    bars = bar_grid(np.asarray(analysis.bar_starts, dtype=int), int(np.floor(start_beat)), end_beat + 2, per_bar)
    phrases = graph.plan_phrases(times_of, bars, analysis.sections, analysis.duration,
                                 lambda a, b: _mean_loudness(analysis, a, b), per_bar,
                                 int(analysis.bar_starts[0]) if len(analysis.bar_starts) else None)
    choreographer = graph.Choreographer(library, style, energy, seed, in_place, floor_half_size, per_bar)
    picks = choreographer.choose(phrases)
    report(0.7, "Dancing")
    if times is None:
        times = music_times(np.arange(max(1, int(np.ceil(analysis.duration * fps - 1e-9)))) / fps, analysis)
    body, root, contacts, captured_head = graph.perform(library, phrases, picks, times, in_place)
    waltz_plan = None
    if per_bar == 3 and WALTZ:   # the steps of a waltz under the captured arms: feet placed exactly, no cleaning
        from . import waltz
        waltz_plan = waltz.plan_waltz(phrases, seed, energy, in_place, floor_half_size, analysis.tempo)
        body, root, contacts = waltz.waltz_legs(body, waltz_plan, analysis, times, fps, energy, in_place)
    clip = graph.to_clip(body, root, fps)
    clip = add_head_motion(clip, captured_head, analysis, seed, times)
    clip = add_meter(clip, analysis, energy, rise=waltz_plan is None, times=times)
    clip = relax_hands(clip)
    if waltz_plan is None:
        report(0.9, "Cleaning foot contacts")
        clip = clean_contacts(clip, rest_heights(), contacts={"left": contacts[:, 0], "right": contacts[:, 1]},
                              clearance=SWING_CLEARANCE, tilt_clearance=True)
    sources = [str(library.names[library.beat_clip[pick.start_beat]]) for pick in picks]
    notes = list(analysis.notes)
    repeats = sum(p.reason == "repeat" for p in picks)
    notes.append(f"Style {style}, energy {energy:g}, seed {seed}: {len(phrases)} phrases danced with "
                 f"{len(set(sources))} captured dances" + (f", {repeats} repeated with the music." if repeats else "."))
    moves = [(float(p.start), source, pick.mirror) for p, pick, source in zip(phrases, picks, sources)]
    if waltz_plan is not None:
        names = [name for _, name, _ in waltz_plan.figures]
        notes.append(f"In three: a waltz of {len(names)} figures ({len(set(names))} different) under the "
                     "captured arms.")
        moves = [(start, f"waltz: {name}", mirror) for start, name, mirror in waltz_plan.figures]
    report(1.0, "Done")
    return DanceResult(clip, analysis.beats.copy(), float(analysis.tempo), notes, analysis, moves, [])


def music_times(times: np.ndarray, analysis: MusicAnalysis) -> np.ndarray:
    """The times the dance is performed at: `times` itself where there is music; held before the music starts
    (HOLD_BEATS before the first beat) and after it stops (as long after the last), so the dancer waits still and
    settles; eased over HOLD_BEATS either side of the hold (a C1 ramp: the motion slows to a stop, and starts from
    one). An end is held only where its silence is longer than twice HOLD_BEATS (a song's own lead-in or ring-out
    of a beat or two dances as before), and never where the analysis fell back to a steady grid."""
    beats = np.asarray(analysis.beats, dtype=float)
    if analysis.fallback or len(beats) < 2:
        return times
    width = HOLD_BEATS * float(np.median(np.diff(beats)))
    start, end = beats[0] - width, beats[-1] + width
    if end - start < 4 * width:
        return times
    out = np.asarray(times, dtype=float).copy()
    if start - width > 0.0:
        ramp = out < start + width
        out[ramp] = start + np.maximum(out[ramp] - start + width, 0.0) ** 2 / (4 * width)
    if end + width < analysis.duration:
        ramp = out > end - width
        out[ramp] = end - np.maximum(end + width - out[ramp], 0.0) ** 2 / (4 * width)
    return out


def without_breaks(analysis: MusicAnalysis) -> tuple:
    """(the analysis as if its silent breaks (analysis.silent_breaks) were not there, each one beat long: beats,
    sections and curves after a break moved earlier; the cuts [(real start s, seconds cut out)]). A break from
    the last beat b before it to the first beat after it loses the stretch from half a beat after b to half a
    beat before that first beat (a beat: the mean of the beats either side)."""
    beats = np.asarray(analysis.beats, dtype=float)
    cuts = [(last + 0.5 * period, following - last - period) for last, following, period in break_holds(beats)]
    to_virtual = lambda t: virtual_times(t, cuts)
    rate = analysis.envelope_rate
    kept = lambda curve: np.asarray(curve)[virtual_times(np.arange(len(curve)) / rate, cuts, exact=True) >= 0]
    sections = [replace(s, start=float(to_virtual(s.start)), end=float(to_virtual(s.end))) for s in analysis.sections]
    moved = to_virtual(beats)
    virtual = replace(analysis, duration=float(to_virtual(analysis.duration)), beats=moved,
                      downbeats=moved[np.asarray(analysis.bar_starts, dtype=int)], sections=sections,
                      onset=kept(analysis.onset), loudness=kept(analysis.loudness), notes=list(analysis.notes))
    return virtual, cuts


def break_holds(beats) -> list:
    """[(last beat s, next beat s, beat period s)] of each silent break (analysis.silent_breaks) in `beats`: the
    period is the mean of the beat intervals either side of it (the song's median where there are none)."""
    beats = np.asarray(beats, dtype=float)
    periods = np.diff(beats)
    after = silent_breaks(beats)
    usual = float(np.median(np.delete(periods, after))) if len(periods) > len(after) else 0.5
    holds = []
    for i in after:
        around = [periods[k] for k in (i - 1, i + 1) if 0 <= k < len(periods) and k not in after]
        holds.append((float(beats[i]), float(beats[i + 1]), float(np.mean(around)) if around else usual))
    return holds


def stand_times(beats) -> list:
    """The times (s) the dancer has come into a quiet stand at a silent break, and starts to leave it (stand.py):
    poses for keying, besides the beats."""
    from .stand import stand_ease
    return [t for last, following, period in break_holds(beats)
            for t in (last + stand_ease(period), following - stand_ease(period))]


def virtual_times(times, cuts: list, exact: bool = False) -> np.ndarray:
    """Real `times` on the timeline without_breaks made: moved earlier by the cuts before them, held at a cut's
    start inside it (`exact`: -1 inside it)."""
    times = np.asarray(times, dtype=float)
    out = times.copy()
    for start, length in cuts:
        inside = (times > start) & (times < start + length)
        out = np.where(times >= start + length, out - length, out)
        out = np.where(inside, -1.0 if exact else out - (times - start), out)
    return out


def music_times_through_breaks(times: np.ndarray, analysis: MusicAnalysis, cuts: list) -> np.ndarray:
    """The music times of the frames at real `times` on the analysis without_breaks made (`analysis`, its `cuts`):
    held through each break, slowing to a stop over the beat after its last beat (C1: the speed falls evenly to
    zero, as music_times' ramps) and starting again over the beat before its first, then music_times' silent ends."""
    times = np.asarray(times, dtype=float)
    out = virtual_times(times, cuts)
    shift = 0.0
    for start, length in cuts:
        beat = float(np.interp(start - shift, analysis.beats, np.arange(len(analysis.beats))))
        half = float(np.interp(np.floor(beat) + 1.0, np.arange(len(analysis.beats)), analysis.beats)) - (start - shift)
        held = start - shift                     # on the virtual timeline: half a beat after the last beat
        slowing = (times > start - half) & (times < start + half)
        u = times[slowing] - (start - half)
        out[slowing] = held - half + u - u * u / (4.0 * half)
        starting = (times > start + length - half) & (times < start + length + half)
        u = times[starting] - (start + length - half)
        out[starting] = held + u * u / (4.0 * half)
        shift += length
    return music_times(out, analysis)


def _dance_through_breaks(analysis: MusicAnalysis, fps: float, dance, moves_in_seconds: bool) -> DanceResult:
    """The dance of an analysis with silent breaks: `dance(virtual analysis, music times)` danced on the analysis
    without_breaks, held through each break, with a quiet stand there (stand.stand_through)."""
    from .stand import stand_through
    virtual, cuts = without_breaks(analysis)
    frames = max(1, int(np.ceil(analysis.duration * fps - 1e-9)))
    times = music_times_through_breaks(np.arange(frames) / fps, virtual, cuts)
    result = dance(virtual, times)
    beats = np.asarray(analysis.beats, dtype=float)
    after = silent_breaks(beats)
    clip = stand_through(result.clip, break_holds(beats))
    moves = result.moves
    if moves_in_seconds:     # captured: (phrase start s, ...) on the virtual timeline, back to the music's
        moves = [(float(real_times(at, cuts)),) + tuple(rest) for at, *rest in moves]
    notes = list(result.notes)
    spans = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in zip(beats[after], beats[after + 1]))
    notes.insert(len(analysis.notes), f"The music stops for a while ({spans}): the dancer stands still and waits, "
                                      "then dances on with the music.")
    return DanceResult(clip, beats.copy(), float(analysis.tempo), notes, analysis, moves, result.clip_bars)


def real_times(times, cuts: list) -> np.ndarray:
    """Times on the timeline without_breaks made, back on the music's (a cut's start: the real one)."""
    times = np.asarray(times, dtype=float)
    out = times.copy()
    shift = 0.0
    for start, length in cuts:
        out = np.where(times > start - shift, out + length, out)
        shift += length
    return out


def _mean_loudness(analysis: MusicAnalysis, start: float, end: float) -> float:
    t = np.linspace(max(0.0, start), max(min(end, analysis.duration), max(0.0, start)), 24)
    return float(np.mean(analysis.curve_at(analysis.loudness, t)))
