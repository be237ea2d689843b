"""Train the beat and downbeat net of the music analysis → models/music/beat_net_weights.npz.

    .venv/bin/python scripts/train_beat_net.py          (or: make train-beats)

Training music, none of it from the beat bench's held-out recordings (bench/music_corpus.py HELD_OUT_TRACKS):

1. **Rendered music with exact beats.** Pieces are written here in many styles and meters (4/4, 3/4, 2/4, 6/8
   as two dotted-quarter beats) with drums (rock, pop, four-on-the-floor, half-time, shuffle, reggae one-drop,
   bossa, waltz, 6/8 ballad) or without (piano, guitar, strings, winds; waltz, Alberti, arpeggio and chorale
   accompaniment), and, for expressive acoustic music, the Bach chorales and other pieces of music21's corpus
   (free, BSD-licensed corpus of public-domain scores). Human timing is applied to the notes and the beat labels
   alike: tempo drift, sudden tempo changes, rubato with phrase-final ritardandos, fermatas, pickups, swing and
   note jitter. FluidSynth renders them with the free FluidR3 General MIDI soundfont (Debian's
   fluid-soundfont-gm, MIT licence), then gain, EQ, noise and reverb are varied.
2. **Game music with teacher labels.** The training split of bench/music_corpus.py (Debian game soundtracks
   under GPL / CC BY-SA; 60 s from the middle of each track) with beats and downbeats from madmom's RNN + DBN.
   madmom's models are CC BY-NC-SA: they label the training audio, they are never shipped, and the weights
   learned here are the net's own.
   `--extra-teacher` adds ten more packages' soundtracks the same way (bench/music_corpus.py
   --only-extra-training; the third net's), and `--degrade SHARE` puts that share of the training windows under
   noise, clipping or a telephone band (`degraded`), as users' recordings may bring them.
3. **No beat**: speech (espeak-ng voices and flite voices made from recordings), coloured noise and drones, with
   no beat labelled, so that the analysis can say "no steady beat" where there is none; and 40 songs from
   SoundMotion's own test synthesizer (other seeds than the tests and benches).

Needs torch, pretty_midi and music21 (training only; the add-on runs the net with numpy), fluidsynth and the
soundfont (Debian packages). Deterministic given the same inputs: fixed seeds, torch on one thread.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT.parent))
OUTPUT = ROOT / "models" / "music" / "beat_net_weights.npz"
CACHE = pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion"))
RENDERS = CACHE / "beat_renders"
TEACHER = CACHE / "music" / "train"
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
RENDER_RATE = 22050

SEED = 20261201
CHANNELS = 32
DILATIONS = (1, 2, 4, 8, 16, 32, 64, 128)       # with kernel 3: each frame hears ±10 s
KERNEL = 3
WINDOW_FRAMES = 1000       # 20 s training windows
BATCH = 8
SYNTH_SONGS = 40           # songs of models/music/synth.py (its drum kit and bass) among the training music
TEMPO_LOSS_WEIGHT = 0.1
VALIDATION_EVERY = 20      # every 20th example is held back from training, to check it and set the thresholds

METERS = {  # name: (beats per bar, subdivisions per beat, weight)
    "4/4": (4, 2, 0.38), "3/4": (3, 2, 0.26), "2/4": (2, 2, 0.08), "6/8": (2, 3, 0.16), "12/8": (4, 3, 0.06),
    "9/8": (3, 3, 0.06),
}
SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)


# ---------------------------------------------------------------- writing pieces (in beats, not seconds)

def choose(rng, options, weights=None):
    weights = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return options[int(rng.choice(len(options), p=weights))]


def drum_pattern(style: str, beats: int, subdivisions: int):
    """[(position in beats within the bar, GM drum note, velocity)] for one bar."""
    hits = []
    steps = beats * subdivisions
    for step in range(steps):
        position = step / subdivisions
        on_beat = step % subdivisions == 0
        beat = step // subdivisions
        if style in ("rock", "pop", "halftime", "shuffle"):
            hats = 42 if style != "shuffle" or step % subdivisions != 1 else None
            if hats:
                hits.append((position, 42, 70 if on_beat else 50))
            if on_beat and (beat % 2 == 0 if style != "halftime" else beat == 0):
                hits.append((position, 36, 110))
            if on_beat and (beat % 2 == 1 if style != "halftime" else beat == beats // 2):
                hits.append((position, 38, 105))
            if style == "pop" and step == steps - 1:
                hits.append((position, 36, 80))
        elif style == "four":
            if on_beat:
                hits.append((position, 36, 115))
            if step % subdivisions == subdivisions // 2:
                hits.append((position, 46, 70))
            if on_beat and beat % 2 == 1:
                hits.append((position, 39, 90))
        elif style == "reggae":           # one drop: kick and snare on the third beat of four
            if on_beat and beat == beats // 2:
                hits += [(position, 36, 105), (position, 37, 95)]
            if not on_beat:
                hits.append((position, 42, 55))
        elif style == "bossa":
            if on_beat:
                hits.append((position, 36, 85))
            if step in (0, 3, 6, 10, 13) and subdivisions == 4:
                hits.append((position, 37, 75))
            hits.append((position, 42, 45))
        elif style == "waltz":            # boom-chick-chick
            if on_beat:
                hits.append((position, 36 if beat == 0 else 38, 105 if beat == 0 else 70))
            hits.append((position, 42, 45))
        elif style == "compound":         # 6/8 and 12/8 ballad: kick on 1, snare on the second big beat
            hits.append((position, 42, 60 if on_beat else 40))
            if on_beat and beat % 2 == 0:
                hits.append((position, 36, 105))
            if on_beat and beat % 2 == 1:
                hits.append((position, 38, 100))
        elif style == "march":
            if on_beat:
                hits.append((position, 36 if beat % 2 == 0 else 38, 100))
            hits.append((position, 38, 40))
    return hits


def drum_styles(meter: str):
    beats, subdivisions, _ = METERS[meter]
    if subdivisions == 3:
        return ["compound", "shuffle"]
    if beats == 3:
        return ["waltz"]
    if beats == 2:
        return ["march", "rock", "four"]
    return ["rock", "pop", "halftime", "four", "reggae", "bossa", "shuffle"]


def generated_piece(rng, meter: str, drums: bool):
    """A piece in beats: (notes [(start beat, duration beats, pitch, velocity, program or 'drums')], bars,
    pickup beats, beats per bar)."""
    beats, subdivisions, _ = METERS[meter]
    bars = int(rng.integers(10, 22))
    key = int(rng.integers(0, 12))
    scale = MINOR if rng.random() < 0.35 else SCALE
    degrees = [0, 3, 4, 0, 5, 3, 4, 4, 1, 5, 0]
    progression = [choose(rng, degrees) if i % 4 else 0 for i in range(bars)]
    chord_program = choose(rng, [0, 1, 4, 24, 25, 16, 19, 48, 49, 5, 46, 21])
    melody_program = choose(rng, [73, 71, 68, 40, 56, 65, 0, 81, 80, 11, 22, 104, 41, 52])
    bass_program = choose(rng, [32, 33, 34, 35, 38, 42, 43])
    accompaniment = choose(rng, ["block", "arpeggio", "oompah", "alberti", "strum", "sustain"])
    notes = []
    pickup = int(rng.integers(1, beats)) if rng.random() < 0.3 and beats > 1 else 0
    style = choose(rng, drum_styles(meter)) if drums else None
    for bar in range(bars):
        root = key + scale[progression[bar]] + 48
        chord = [root + scale[(progression[bar] + i) % 7] - scale[progression[bar]] + (12 if (progression[bar] + i) >= 7 else 0)
                 for i in (0, 2, 4)]
        start = bar * beats
        # accompaniment
        if accompaniment in ("oompah",) or (beats == 3 and rng.random() < 0.5):
            for b in range(beats):
                pitches = [chord[0] - 12] if b == 0 else chord
                notes += [(start + b, 0.8, p, 80 if b == 0 else 60, chord_program) for p in pitches]
        elif accompaniment == "arpeggio" or accompaniment == "alberti":
            order = [0, 2, 1, 2] if accompaniment == "alberti" else [0, 1, 2, 1]
            for s in range(beats * subdivisions):
                notes.append((start + s / subdivisions, 1.0 / subdivisions, chord[order[s % 4]], 70 if s % subdivisions == 0 else 55,
                              chord_program))
        elif accompaniment == "strum":
            for s in range(beats * subdivisions):
                if rng.random() < 0.7 or s % subdivisions == 0:
                    notes += [(start + s / subdivisions + 0.01 * i, 0.4, p + 12, 75 if s % subdivisions == 0 else 55, chord_program)
                              for i, p in enumerate(chord)]
        elif accompaniment == "sustain":
            notes += [(start, beats, p + 12, 60, chord_program) for p in chord]
        else:
            for b in range(beats):
                notes += [(start + b, 0.9, p + 12, 75 if b == 0 else 60, chord_program) for p in chord]
        # bass
        if drums or rng.random() < 0.5:
            for b in range(beats):
                if b == 0 or rng.random() < 0.5:
                    notes.append((start + b, 0.9, chord[0] - 12 if b == 0 else chord[int(rng.integers(0, 3))] - 12,
                                  95 if b == 0 else 75, bass_program))
        # melody
        position = 0.0
        pitch = chord[int(rng.integers(0, 3))] + 24
        while position < beats:
            length = choose(rng, [1.0 / subdivisions, 1.0, 2.0 / subdivisions, 0.5 * beats if beats > 2 else 1.0],
                            [3, 4, 2, 1])
            length = min(length, beats - position)
            if rng.random() < 0.85:
                pitch += int(rng.integers(-3, 4))
                pitch = int(np.clip(pitch, 62, 86))
                notes.append((start + position, length, key + 60 + min(scale, key=lambda s: abs((pitch - key) % 12 - s))
                              + 12 * ((pitch - key - 60) // 12), 90 if position % 1 == 0 else 75, melody_program))
            position += length
        if style:
            notes += [(start + p, 0.1, n, v, "drums") for p, n, v in drum_pattern(style, beats, subdivisions)]
    if pickup:  # drop everything before the pickup: the piece starts beats - pickup before the first downbeat
        notes = [(s - (beats - pickup), d, p, v, prog) for s, d, p, v, prog in notes if s >= beats - pickup]
        notes = [(s + beats, d, p, v, prog) for s, d, p, v, prog in notes]
    return notes, bars + (1 if pickup else 0), pickup, beats


def music21_piece(rng, path):
    """A corpus score as notes in beats (quarter notes, or dotted quarters in compound meters), or None."""
    from music21 import converter, meter as m21meter
    score = converter.parse(str(path))
    signatures = list(score.recurse().getElementsByClass(m21meter.TimeSignature))
    if not signatures:
        return None
    signature = signatures[0]
    numerator, denominator = signature.numerator, signature.denominator
    if len({(s.numerator, s.denominator) for s in signatures}) > 1:
        return None
    compound = denominator == 8 and numerator % 3 == 0
    beat_quarters = 1.5 if compound else 4.0 / denominator
    beats = numerator // 3 if compound else numerator
    if beats not in (2, 3, 4):
        return None
    programs = [choose(rng, [0, 48, 52, 19, 40, 41, 42, 71, 68, 73, 6, 24]) for _ in range(8)]
    notes = []
    first_measure_offset = None
    for index, part in enumerate(score.parts):
        flat = part.flatten()
        for element in flat.notes:
            for pitch in getattr(element, "pitches", []):
                notes.append((float(element.offset) / beat_quarters, float(element.quarterLength) / beat_quarters,
                              int(pitch.midi), 70 + int(rng.integers(-10, 15)), programs[index % len(programs)]))
        measures = list(part.getElementsByClass("Measure"))
        if measures and first_measure_offset is None:
            first = measures[0]
            pickup_quarters = float(first.barDuration.quarterLength - first.duration.quarterLength) \
                if first.duration.quarterLength < first.barDuration.quarterLength else 0.0
            first_measure_offset = -pickup_quarters / beat_quarters
    if not notes:
        return None
    shift = -(first_measure_offset or 0.0)     # bars start at 0, the pickup (if any) before the first bar
    notes = [(s + shift, d, p, v, prog) for s, d, p, v, prog in notes]
    pickup = int(round(shift)) if shift else 0
    end = max(s + d for s, d, *_ in notes)
    bars = int(np.ceil(end / beats))
    return notes, bars, pickup, beats


# ---------------------------------------------------------------- human timing

def timing_map(rng, total_beats: int, beats_per_bar: int, style: str):
    """Seconds of every beat 0..total_beats (beat 0 = the first downbeat at `lead` seconds), and the mapping.

    style 'steady': drift ±3 %; 'changes': a sudden tempo change or two; 'rubato': smooth swings of ±25 %,
    ritardandos at phrase ends and fermatas.
    """
    bpm = float(np.exp(rng.uniform(np.log(58.0), np.log(190.0))))
    periods = np.full(total_beats + 2, 60.0 / bpm)
    walk = np.cumsum(rng.normal(0.0, 0.004, len(periods)))
    periods *= np.exp(walk - walk.mean())
    if style == "changes":
        for _ in range(int(rng.integers(1, 3))):
            at = int(rng.integers(beats_per_bar, max(beats_per_bar + 1, total_beats - beats_per_bar)))
            at -= at % beats_per_bar
            periods[at:] *= float(np.exp(rng.uniform(-0.3, 0.3)))
    if style == "rubato":
        phase = rng.uniform(0, 2 * np.pi)
        span = beats_per_bar * choose(rng, [2, 4])
        swell = np.sin(2 * np.pi * np.arange(len(periods)) / span + phase)
        periods *= np.exp(rng.uniform(0.08, 0.25) * swell)
        for end in range(span, len(periods), span):      # phrase-final ritardando and sometimes a fermata
            periods[max(0, end - 2):end] *= rng.uniform(1.1, 1.5)
            if rng.random() < 0.3:
                periods[end - 1] *= rng.uniform(1.5, 2.5)
    periods = np.clip(periods, 60.0 / 230.0, 60.0 / 45.0)
    lead = rng.uniform(0.2, 2.0)
    times = lead + np.concatenate([[0.0], np.cumsum(periods)])
    return times


def beat_to_seconds(times, beat_positions):
    """Piecewise-linear map from (fractional) beats to seconds, extrapolated before the first beat."""
    beat_positions = np.asarray(beat_positions, float)
    index = np.arange(len(times))
    out = np.interp(beat_positions, index, times)
    early = beat_positions < 0
    out[early] = times[0] + beat_positions[early] * (times[1] - times[0])
    late = beat_positions > index[-1]
    out[late] = times[-1] + (beat_positions[late] - index[-1]) * (times[-1] - times[-2])
    return out


def render(rng, notes, times, swing: float, path, beats_are_seconds: bool = False):
    """MIDI through FluidSynth → float32 mono at RENDER_RATE."""
    import pretty_midi
    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    instruments = {}
    starts = np.array([s for s, *_ in notes])
    if swing:
        fraction = starts % 1.0
        starts = np.where(np.isclose(fraction, 0.5), np.floor(starts) + swing, starts)
    ends = starts + np.array([max(d, 0.05) for _, d, *_ in notes])
    if beats_are_seconds:
        onset_seconds, offset_seconds = starts, ends
    else:
        onset_seconds = beat_to_seconds(times, starts) + rng.normal(0.0, rng.uniform(0.003, 0.02), len(notes))
        offset_seconds = np.maximum(beat_to_seconds(times, ends), onset_seconds + 0.05)
    for (start, _, pitch, velocity, program), on, off in zip(notes, onset_seconds, offset_seconds):
        if program not in instruments:
            instruments[program] = pretty_midi.Instrument(program=0 if program == "drums" else int(program),
                                                          is_drum=program == "drums")
            midi.instruments.append(instruments[program])
        velocity = int(np.clip(velocity + rng.normal(0, 8), 20, 127))
        instruments[program].notes.append(pretty_midi.Note(velocity, int(np.clip(pitch, 0, 127)), max(0.0, on), off))
    with tempfile.TemporaryDirectory() as folder:
        midi_path = os.path.join(folder, "piece.mid")
        midi.write(midi_path)
        wav = os.path.join(folder, "piece.wav")
        reverb = "1" if rng.random() < 0.6 else "0"
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(RENDER_RATE), "-o", f"synth.reverb.active={reverb}",
                        "-F", wav, SOUNDFONT, midi_path], check=True, capture_output=True)
        import soundfile
        samples, _ = soundfile.read(wav, dtype="float32", always_2d=True)
    return samples.mean(axis=1)


def augment(rng, samples):
    """Gain, a tilt EQ / band limit, and sometimes noise."""
    from scipy.signal import butter, lfilter
    if rng.random() < 0.4:
        cutoff = rng.uniform(2500.0, 9000.0)
        b, a = butter(2, cutoff / (RENDER_RATE / 2))
        samples = lfilter(b, a, samples)
    if rng.random() < 0.3:
        cutoff = rng.uniform(60.0, 300.0)
        b, a = butter(2, cutoff / (RENDER_RATE / 2), btype="high")
        samples = lfilter(b, a, samples)
    if rng.random() < 0.3:
        level = np.sqrt(np.mean(samples ** 2)) * 10 ** (-rng.uniform(15, 35) / 20)
        samples = samples + rng.normal(0, level, len(samples))
    return (samples * rng.uniform(0.2, 1.0) / max(np.max(np.abs(samples)), 1e-6)).astype(np.float32)


def no_beat_sound(rng):
    """Sound with no beat to find: speech (espeak-ng), coloured noise, or a slow drone of held chords."""
    choice = choose(rng, ["speech", "noise", "drone"])
    seconds = rng.uniform(8.0, 25.0)
    if choice == "speech":
        words = ("the quick brown fox jumps over a lazy dog while seven bright stars watch the quiet river and "
                 "people talk about music time money work home night water story friend").split()
        text = " ".join(choose(rng, words) for _ in range(int(seconds * 2.5)))
        with tempfile.TemporaryDirectory() as folder:
            wav = os.path.join(folder, "speech.wav")
            if rng.random() < 0.5:     # flite voices are made from recordings of people
                subprocess.run(["flite", "-voice", choose(rng, ["kal16", "awb", "rms", "slt"]), "-t", text, "-o", wav],
                               check=True, capture_output=True)
            else:
                voice = choose(rng, ["en", "en-us", "en-gb-scotland", "fr", "de", "es", "it", "en+f3", "en+m3"])
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(int(rng.uniform(120, 220))), "-w", wav, text],
                               check=True, capture_output=True)
            import soundfile
            from soundmotion.models.audio.load import resample
            samples, rate = soundfile.read(wav, dtype="float32")
        samples = resample(samples, rate, RENDER_RATE)
        if rng.random() < 0.5:      # a room: a little noise and an echo
            samples = samples + np.roll(samples, int(0.03 * RENDER_RATE)) * 0.3
            samples = samples + rng.normal(0, 0.01 * np.abs(samples).max(), len(samples)).astype(np.float32)
        return samples.astype(np.float32)
    if choice == "noise":
        white = rng.standard_normal(int(seconds * RENDER_RATE))
        spectrum = np.fft.rfft(white) / np.maximum(np.arange(len(white) // 2 + 1), 1.0) ** rng.uniform(0.0, 1.0)
        return np.fft.irfft(spectrum, len(white)).astype(np.float32)
    times = np.array([0.0, seconds])        # a drone: chords changing every 4–8 s, no onsets on a grid
    notes, start = [], 0.0
    program = choose(rng, [48, 49, 50, 52, 89, 91, 94, 19])
    while start < seconds:
        length = rng.uniform(4.0, 8.0)
        root = int(rng.integers(45, 57))
        notes += [(start, length, root + i, 60, program) for i in (0, 7, 12, 16)]
        start += length
    return render(rng, notes, times, 0.0, None, beats_are_seconds=True)


def make_renders(count: int, rng, folder: pathlib.Path, progress=print, no_beat_from: int = 450):
    """count rendered pieces in folder: <n>.flac + <n>.json (beats, downbeats, meter, style)."""
    import soundfile
    from music21 import corpus
    folder.mkdir(parents=True, exist_ok=True)
    corpus_paths = sorted(str(p) for p in corpus.getComposer("bach"))[:400]
    corpus_paths += sorted(str(p) for p in corpus.getComposer("mozart"))[:40]
    corpus_paths += sorted(str(p) for p in corpus.getComposer("haydn"))[:40]
    names = list(METERS)
    weights = [METERS[n][2] for n in names]
    for index in range(count):
        target = folder / f"{index:04d}.flac"
        piece_rng = np.random.default_rng([SEED, index])
        if target.exists():
            continue
        kind = choose(piece_rng, ["band", "acoustic", "corpus", "none"], [0.47, 0.26, 0.21, 0.06])
        if index >= no_beat_from:   # the extra pieces: sound with no beat only
            kind = "none"
        if kind == "none":
            soundfile.write(str(target), augment(piece_rng, no_beat_sound(piece_rng)), RENDER_RATE)
            (folder / f"{index:04d}.json").write_text(json.dumps(dict(beats=[], beat_in_bar=[], beats_per_bar=0,
                                                                      kind=kind, meter="none", timing="none")))
            continue
        piece = None
        if kind == "corpus":
            try:
                piece = music21_piece(piece_rng, corpus_paths[int(piece_rng.integers(0, len(corpus_paths)))])
            except Exception:
                piece = None
            meter = "corpus"
        if piece is None:
            kind = "band" if kind == "corpus" else kind
            meter = choose(piece_rng, names, weights)
            piece = generated_piece(piece_rng, meter, drums=kind == "band")
        notes, bars, pickup, beats = piece
        timing = choose(piece_rng, ["steady", "changes", "rubato"], [0.4, 0.2, 0.4] if kind != "band" else [0.7, 0.25, 0.05])
        total = bars * beats + 1
        times = timing_map(piece_rng, total, beats, timing)
        swing = piece_rng.uniform(0.58, 0.68) if kind == "band" and METERS.get(meter, (0, 2))[1] == 2 and piece_rng.random() < 0.2 else 0.0
        samples = augment(piece_rng, render(piece_rng, notes, times, swing, target))
        first = -pickup if pickup else 0
        beat_index = np.arange(first, total)
        beat_seconds = beat_to_seconds(times, beat_index)
        keep = (beat_seconds >= 0) & (beat_seconds < len(samples) / RENDER_RATE - 0.05)
        in_bar = (beat_index % beats) + 1
        soundfile.write(str(target), samples, RENDER_RATE)
        (folder / f"{index:04d}.json").write_text(json.dumps(dict(
            beats=[round(float(t), 4) for t in beat_seconds[keep]], beat_in_bar=[int(b) for b in in_bar[keep]],
            beats_per_bar=beats, kind=kind, meter=meter, timing=timing, swing=round(float(swing), 3))))
        if index % 20 == 0:
            progress(f"rendered {index + 1}/{count} ({kind}, {meter}, {timing})")


# ---------------------------------------------------------------- dataset

TEACHER_VALIDATION = CACHE / "music" / "validation"
TEACHER_EXTRA = CACHE / "music" / "train_extra"   # bench/music_corpus.py --only-extra-training (the third net)
STORE = CACHE / "beat_train"


class Example:
    """One training or validation piece: its audio (22.05 kHz, peak 1) in the shared store, beats (seconds from
    the piece's start), bar positions (1 = downbeat), and for teacher-labelled music madmom's activations."""

    def __init__(self, name, kind, split, beats, beat_in_bar, soft=None):
        self.name, self.kind, self.split = name, kind, split
        self.beats = np.asarray(beats, np.float64)
        self.beat_in_bar = np.asarray(beat_in_bar, np.int64)
        self.soft = soft               # (T100, 2) float16: madmom's beat (not downbeat) and downbeat, 100 fps
        self.length = 0                # samples in the store


def teacher_pieces(folder: pathlib.Path, split: str, limit: int = None):
    """[(Example, audio loader)] for the first `limit` tracks of a bench/music_corpus.py folder in its teacher's
    labelling order (all if None), those with teacher labels."""
    import hashlib
    import soundfile
    pieces = []
    tracks = sorted(folder.glob("*.flac"), key=lambda p: hashlib.md5(p.name.encode()).hexdigest())[:limit]
    labelled = [next(iter(sorted(folder.glob(f"{track.stem}.teacher.*.beats"))), None) for track in tracks]
    if None in labelled:
        print(f"{folder}: {labelled.count(None)} of {len(tracks)} tracks have no teacher labels yet "
              "(bench/music_corpus.py --teacher), left out")
    for beats_file in [b for b in labelled if b is not None]:
        stem, span = beats_file.name[:-len(".beats")].split(".teacher.")
        start, end = (float(x) for x in span.split("-"))
        rows = np.loadtxt(beats_file, ndmin=2)
        if len(rows) < 8:        # madmom found no steady beat here: left out
            continue
        soft = np.load(beats_file.with_suffix(".npy"))

        def load(audio=folder / f"{stem}.flac", start=start, end=end):
            info = soundfile.info(str(audio))
            samples, rate = soundfile.read(str(audio), dtype="float32", always_2d=True,
                                           start=int(round(start * info.samplerate)),
                                           stop=int(round(end * info.samplerate)))
            return samples.mean(axis=1), rate
        pieces.append((Example(f"teacher:{stem}", "teacher", split, rows[:, 0] - start, rows[:, 1].astype(int), soft),
                       load))
    return pieces


def render_pieces(count: int):
    import soundfile
    pieces = []
    for meta in sorted(RENDERS.glob("*.json"))[:count]:
        info = json.loads(meta.read_text())
        split = "validation" if int(meta.stem) % VALIDATION_EVERY == 0 else "train"
        kind = "none" if info["kind"] == "none" else "render"
        load = lambda path=meta.with_suffix(".flac"): soundfile.read(str(path), dtype="float32")
        pieces.append((Example(f"render:{meta.stem}:{info['kind']}:{info['meter']}:{info['timing']}", kind, split,
                               info["beats"], info["beat_in_bar"]), load))
    return pieces


def synth_pieces(count: int):
    """Songs from SoundMotion's own test synthesizer (models/music/synth.py), seeds 1000 on: the tests and the
    beat bench use seeds below 100. 70–170 BPM, some with a tempo change or a quiet break, a third waltzes."""
    from soundmotion.models.music.synth import SongPart, synthesize
    pieces = []
    for index in range(count):
        def load(index=index):
            rng = np.random.default_rng([SEED, 1000 + index])
            bpm = float(rng.uniform(70, 170))
            meter = 3 if rng.random() < 0.33 else 4
            after = bpm * float(rng.uniform(0.85, 1.2)) if rng.random() < 0.3 else bpm
            parts = [SongPart(int(rng.integers(4, 9)), bpm, "A", beats_per_bar=meter),
                     SongPart(int(rng.integers(4, 9)), bpm, "B", beats_per_bar=meter)]
            if rng.random() < 0.4:
                parts.append(SongPart(4, after, "C", loudness=0.2, drums=False, beats_per_bar=meter))
            parts.append(SongPart(int(rng.integers(4, 9)), after, "A", beats_per_bar=meter))
            song = synthesize(parts, seed=1000 + index, lead_in=float(rng.uniform(0.0, 1.5)))
            samples = augment(rng, np.interp(np.arange(0, len(song.samples), song.sample_rate / RENDER_RATE),
                                             np.arange(len(song.samples)), song.samples))
            in_bar = np.array([1 if np.any(np.isclose(b, song.downbeats)) else 2 for b in song.beats])
            return samples, RENDER_RATE, song.beats, in_bar
        pieces.append((Example(f"synth:{1000 + index}", "synth", "train", [], []), load))
    return pieces


def build_store(pieces, progress=print):
    """Decode every piece once into the store (one int16 file per piece, 22.05 kHz, scaled to a peak of one),
    memory-mapped while training. Returns (audio by name, examples)."""
    import hashlib
    from soundmotion.models.audio.load import resample
    STORE.mkdir(parents=True, exist_ok=True)
    audio, examples = {}, []
    for n, (example, load) in enumerate(pieces):
        path = STORE / f"{hashlib.md5(example.name.encode()).hexdigest()[:16]}.npy"
        beats_path = path.with_suffix(".json")
        if not path.exists():
            loaded = load()
            samples, rate = loaded[:2]
            if len(loaded) > 2:
                beats_path.write_text(json.dumps([list(map(float, loaded[2])), list(map(int, loaded[3]))]))
            samples = resample(np.asarray(samples, np.float32), int(rate), RENDER_RATE)
            samples = samples / max(float(np.max(np.abs(samples))), 1e-4)
            np.save(path, (samples * 32767).astype(np.int16))
            if n % 100 == 0:
                progress(f"store: {n + 1}/{len(pieces)} pieces")
        audio[example.name] = np.load(path, mmap_mode="r")
        example.length = len(audio[example.name])
        if beats_path.exists():
            example.beats, example.beat_in_bar = (np.asarray(v) for v in json.loads(beats_path.read_text()))
        examples.append(example)
    return audio, examples


TEMPO_BPM = np.exp(np.linspace(np.log(40.0), np.log(250.0), 64))   # the tempo head's classes


def window_targets(example: Example, start: float, stretch: float, frames: int):
    """Targets for `frames` net frames from `start` seconds into the piece, `stretch` × 20 ms apart:
    (frames, 2) beat / downbeat (hard labels widened by half a value either side; for teacher music half
    madmom's own activations), (frames,) tempo class or -1, (frames,) mask."""
    from soundmotion.models.music.beat_net import FRAME_RATE
    step = stretch / FRAME_RATE
    times = start + np.arange(frames) * step
    targets = np.zeros((frames, 2), np.float32)
    position = (example.beats - start) / step
    for offset, value in ((-1, 0.5), (1, 0.5), (0, 1.0)):
        f = np.round(position).astype(int) + offset
        ok = (f >= 0) & (f < frames)
        targets[f[ok], 0] = np.maximum(targets[f[ok], 0], value)
        down = ok & (example.beat_in_bar == 1)
        targets[f[down], 1] = np.maximum(targets[f[down], 1], value)
    if example.soft is not None:
        soft = example.soft.astype(np.float32)
        index = np.round(times * 100.0).astype(int)
        near = np.stack([soft[np.clip(index + d, 0, len(soft) - 1)] for d in (-1, 0, 1)]).max(axis=0)
        near[(index < 0) | (index >= len(soft))] = 0.0
        targets = 0.5 * targets + 0.5 * np.stack([np.minimum(1.0, near[:, 0] + near[:, 1]), near[:, 1]], axis=1)
    tempo = np.full(frames, -1, np.int64)
    if len(example.beats) >= 2:
        spans = np.searchsorted(example.beats, times, side="right") - 1
        inside = (spans >= 0) & (spans < len(example.beats) - 1)
        interval = np.diff(example.beats)[np.clip(spans, 0, len(example.beats) - 2)]
        bpm = 60.0 * stretch / np.maximum(interval, 1e-3)
        classes = np.argmin(np.abs(np.log(bpm)[:, None] - np.log(TEMPO_BPM)[None, :]), axis=1)
        tempo = np.where(inside & (bpm > TEMPO_BPM[0]) & (bpm < TEMPO_BPM[-1]), classes, -1)
    return targets, tempo


# ---------------------------------------------------------------- model

def build_model(features: int, channels: int = CHANNELS):
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, dilation):
            super().__init__()
            self.dilation = dilation
            self.a = nn.Conv1d(channels, channels, KERNEL, dilation=dilation, padding=dilation * (KERNEL - 1) // 2)
            self.b = nn.Conv1d(channels, channels, KERNEL, dilation=2 * dilation,
                               padding=2 * dilation * (KERNEL - 1) // 2)
            self.mix = nn.Conv1d(2 * channels, channels, 1)
            self.drop = nn.Dropout1d(0.1)

        def forward(self, x):
            return x + self.mix(self.drop(nn.functional.elu(torch.cat([self.a(x), self.b(x)], dim=1))))

    class TCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.input = nn.Conv1d(features, channels, 3, padding=1)
            self.blocks = nn.ModuleList(Block(d) for d in DILATIONS)
            self.output = nn.Conv1d(channels, 2, 1)
            self.tempo = nn.Conv1d(channels, len(TEMPO_BPM), 1)
            self.in_drop = nn.Dropout1d(0.1)

        def forward(self, x):  # (B, F, T) → (B, 2, T) beat logits, (B, tempo classes, T) tempo logits
            x = self.in_drop(nn.functional.elu(self.input(x)))
            for block in self.blocks:
                x = block(x)
            return self.output(x), self.tempo(x)

    return TCN()


KIND_WEIGHTS = {"teacher": 0.55, "render": 0.33, "none": 0.04, "synth": 0.08}


def degraded(rng, chunk: np.ndarray) -> np.ndarray:
    """`chunk` (22.05 kHz) as users' recordings may bring it, one or two of: under white or darker noise (5–25 dB
    under the music), pushed into hard or soft clipping (×1.5–10), band-limited as by a telephone or an old
    record (low-pass at 2.8–4.5 kHz, sometimes with a high-pass at 150–500 Hz). Seeded by `rng` (training)."""
    from scipy.signal import butter, sosfilt
    x = np.asarray(chunk, np.float64)
    level = max(float(np.sqrt(np.mean(x ** 2))), 1e-6)
    peak = max(float(np.abs(x).max()), 1e-6)
    chosen = rng.choice(["noise", "clip", "band"], size=int(rng.integers(1, 3)), replace=False)
    for kind in chosen:
        if kind == "noise":
            noise = rng.standard_normal(len(x))
            if rng.random() < 0.5:       # darker: white noise through a 200 Hz first-order low-pass, plus some white
                noise = sosfilt(butter(1, 200.0 / (RENDER_RATE / 2), output="sos"), noise) * 3.0 + noise * 0.2
            noise *= level * 10 ** (-rng.uniform(5.0, 25.0) / 20) / max(float(np.sqrt(np.mean(noise ** 2))), 1e-9)
            x = x + noise
        elif kind == "clip":
            gain = float(np.exp(rng.uniform(np.log(1.5), np.log(10.0))))
            x = np.clip(x / peak * gain, -1, 1) if rng.random() < 0.6 else np.tanh(x / peak * gain)
            x *= peak
        else:
            x = sosfilt(butter(6, rng.uniform(2800.0, 4500.0) / (RENDER_RATE / 2), output="sos"), x)
            if rng.random() < 0.5:
                x = sosfilt(butter(2, rng.uniform(150.0, 500.0) / (RENDER_RATE / 2), btype="high", output="sos"), x)
    return x.astype(np.float32)


def sample_batch(audio, examples, rng, mean, std, degrade: float = 0.0):
    """A batch of WINDOW_FRAMES-frame windows: features (B, F, T), targets (B, 2, T), tempo (B, T), mask (B, T).
    Time-stretch (frames taken 0.75–1.35 × 20 ms apart, 70 % of windows), gain, a level/tilt change, and in a
    share `degrade` of the windows noise, clipping or a narrow band (`degraded`)."""
    from soundmotion.models.music.beat_net import FEATURE_RATE, HOP, spectral_features
    kinds = sorted({e.kind for e in examples})
    by_kind = {k: [e for e in examples if e.kind == k] for k in kinds}
    kind_p = np.array([KIND_WEIGHTS[k] for k in kinds]) / sum(KIND_WEIGHTS[k] for k in kinds)
    xs, ys, ts, ms = [], [], [], []
    for _ in range(BATCH):
        pool = by_kind[kinds[int(rng.choice(len(kinds), p=kind_p))]]
        lengths = np.array([e.length for e in pool], float)
        example = pool[int(rng.choice(len(pool), p=lengths / lengths.sum()))]
        stretch = float(np.exp(rng.uniform(np.log(0.75), np.log(1.35)))) if rng.random() < 0.7 else 1.0
        need = int(WINDOW_FRAMES * HOP * stretch)
        start = int(rng.integers(0, max(1, example.length - need)))
        chunk = audio[example.name][start:min(example.length, start + need)].astype(np.float32)
        chunk *= float(np.exp(rng.uniform(np.log(0.2), 0.0))) / 32767.0
        if degrade and rng.random() < degrade:
            chunk = degraded(rng, chunk)
        feats = spectral_features(chunk, FEATURE_RATE, stretch=stretch, normalise=False)[:WINDOW_FRAMES]
        valid = len(feats)
        targets, tempo = window_targets(example, start / FEATURE_RATE, stretch, WINDOW_FRAMES)
        x = (feats - mean) / std
        x = x * rng.uniform(0.85, 1.15) + rng.normal(0, 0.05, size=(1, x.shape[1]))   # level and tilt
        xs.append(np.pad(x, ((0, WINDOW_FRAMES - valid), (0, 0))))
        mask = np.zeros(WINDOW_FRAMES, np.float32)
        mask[:valid] = 1.0
        tempo[valid:] = -1
        ys.append(targets)
        ts.append(tempo)
        ms.append(mask)
    return (np.stack(xs).transpose(0, 2, 1), np.stack(ys).transpose(0, 2, 1), np.stack(ts), np.stack(ms))


def feature_statistics(audio, examples, rng):
    from soundmotion.models.music.beat_net import FEATURE_RATE, spectral_features
    rows = []
    for example in [examples[i] for i in rng.choice(len(examples), min(200, len(examples)), replace=False)]:
        chunk = audio[example.name][:min(example.length, 30 * FEATURE_RATE)].astype(np.float32)
        rows.append(spectral_features(chunk / 32767.0, FEATURE_RATE, normalise=False))
    features = np.concatenate(rows)
    return features.mean(axis=0).astype(np.float32), (features.std(axis=0) + 1e-3).astype(np.float32)


def load_model(path: pathlib.Path):
    """(model, mean, std) from saved weights, to fine-tune them: its width from the file; a tempo head kept if
    the file has one, else a fresh one (the feature statistics stay the file's, which the net learned on)."""
    import torch
    data = np.load(path)
    model = build_model(len(data["feature_mean"]), channels=int(data["input_weight"].shape[0]))
    state = {"input.weight": data["input_weight"], "input.bias": data["input_bias"],
             "output.weight": data["output_weight"], "output.bias": data["output_bias"]}
    if "tempo_weight" in data:
        state.update({"tempo.weight": data["tempo_weight"], "tempo.bias": data["tempo_bias"]})
    for k, block in enumerate(model.blocks):
        assert int(data[f"block{k}_dilation"]) == block.dilation, "the saved net has other dilations"
        for name in ("a", "b", "mix"):
            state[f"blocks.{k}.{name}.weight"] = data[f"block{k}_{name}_weight"]
            state[f"blocks.{k}.{name}.bias"] = data[f"block{k}_{name}_bias"]
    missing, _ = model.load_state_dict({k: torch.tensor(v.astype(np.float32)) for k, v in state.items()},
                                       strict=False)
    assert set(missing) <= {"tempo.weight", "tempo.bias"}, missing
    return model, data["feature_mean"].astype(np.float32), data["feature_std"].astype(np.float32)


def train(audio, examples, steps: int, rng, progress=print, checkpoint=None, init=None, max_lr=2e-3,
          channels: int = CHANNELS, degrade: float = 0.0):
    """Train from scratch, or fine-tune the weights in `init` (a .npz of save())."""
    import torch
    if init is not None:
        model, mean, std = load_model(init)
    else:
        mean, std = feature_statistics(audio, examples, rng)
        model = build_model(len(mean), channels)
    optimiser = torch.optim.Adam(model.parameters(), lr=max_lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=max_lr, total_steps=steps, pct_start=0.05)
    positive = torch.tensor([6.0, 20.0]).view(1, 2, 1)
    started = time.time()
    for step in range(steps):
        model.train()
        x, y, tempo, m = (torch.tensor(a) for a in sample_batch(audio, examples, rng, mean, std, degrade))
        logits, tempo_logits = model(x.float())
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y.float(), pos_weight=positive,
                                                                    reduction="none")
        m = m.float()[:, None, :]
        beat_loss = (loss * m).sum() / m.sum().clamp(min=1.0) / 2.0
        tempo_loss = torch.nn.functional.cross_entropy(tempo_logits, tempo, ignore_index=-1)
        tempo_loss = torch.nan_to_num(tempo_loss)        # a batch without any beat
        total = beat_loss + TEMPO_LOSS_WEIGHT * tempo_loss
        optimiser.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == steps - 1:
            progress(f"step {step}/{steps} beat loss {beat_loss.item():.4f} tempo loss {tempo_loss.item():.3f} "
                     f"({time.time() - started:.0f} s)")
        if checkpoint and (step + 1) % 250 == 0:
            save(model.eval(), mean, std, checkpoint)
    return model.eval(), mean, std


def save(model, mean, std, path: pathlib.Path):
    from soundmotion.models.music.beat_net import HOP, MEL_BANDS
    arrays = dict(mel_bands=np.int32(MEL_BANDS), hop=np.int32(HOP), feature_mean=mean, feature_std=std,
                  block_count=np.int32(len(model.blocks)),
                  input_weight=model.input.weight.detach().numpy(), input_bias=model.input.bias.detach().numpy(),
                  output_weight=model.output.weight.detach().numpy(), output_bias=model.output.bias.detach().numpy(),
                  tempo_weight=model.tempo.weight.detach().numpy(), tempo_bias=model.tempo.bias.detach().numpy(),
                  tempo_bpm=TEMPO_BPM.astype(np.float32))
    for k, block in enumerate(model.blocks):
        arrays[f"block{k}_dilation"] = np.int32(block.dilation)
        for name in ("a", "b", "mix"):
            layer = getattr(block, name)
            arrays[f"block{k}_{name}_weight"] = layer.weight.detach().numpy()
            arrays[f"block{k}_{name}_bias"] = layer.bias.detach().numpy()
    keep32 = ("feature_mean", "feature_std", "tempo_bpm")
    arrays = {k: (v.astype(np.float16) if v.dtype == np.float32 and k not in keep32 else v) for k, v in arrays.items()}
    np.savez_compressed(path, **arrays)


def all_pieces(renders: int, teacher_tracks: int = None, progress=print, extra_teacher: bool = False):
    pieces = render_pieces(renders) + synth_pieces(SYNTH_SONGS) + teacher_pieces(TEACHER, "train", teacher_tracks) \
        + (teacher_pieces(TEACHER_EXTRA, "train") if extra_teacher else []) \
        + teacher_pieces(TEACHER_VALIDATION, "validation")
    progress(f"{len(pieces)} pieces: " + ", ".join(f"{k} {sum(e.kind == k and e.split == s for e, _ in pieces)} {s}"
                                                  for k in ("render", "none", "synth", "teacher")
                                                  for s in ("train", "validation")))
    return pieces


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=520)
    parser.add_argument("--teacher-tracks", type=int, help="the first N training soundtracks in labelling order")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--out", type=pathlib.Path, default=OUTPUT)
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--validate", type=pathlib.Path, help="only validate these weights")
    parser.add_argument("--init", type=pathlib.Path, help="fine-tune these weights instead of starting afresh")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    parser.add_argument("--channels", type=int, default=CHANNELS, help="width of a net trained afresh")
    parser.add_argument("--seed", type=int, default=SEED, help="the training's seed (the renders keep theirs)")
    parser.add_argument("--extra-teacher", action="store_true",
                        help="also the further training soundtracks (bench/music_corpus.py --only-extra-training)")
    parser.add_argument("--degrade", type=float, default=0.0,
                        help="share of training windows under noise, clipping or a narrow band (0: none)")
    args = parser.parse_args(argv)
    import torch
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)   # measured on the shared 2-core machine: one thread 1 s a step, two threads 15 s
    if shutil.which("fluidsynth") is None or not os.path.isfile(SOUNDFONT):
        print("fluidsynth and fluid-soundfont-gm are needed (apt-get install fluidsynth fluid-soundfont-gm)")
        return 2
    make_renders(args.renders, np.random.default_rng(SEED), RENDERS)
    if args.render_only:
        return 0
    if not list(TEACHER.glob("*.teacher.*.beats")):
        print(f"no teacher labels in {TEACHER}: training on rendered music only "
              "(bench/music_corpus.py --teacher in the bench environment adds them)")
    audio, examples = build_store(all_pieces(args.renders, args.teacher_tracks, extra_teacher=args.extra_teacher))
    validation = [e for e in examples if e.split == "validation"]
    if args.validate is None:
        training = [e for e in examples if e.split == "train"]
        model, mean, std = train(audio, training, args.steps, np.random.default_rng(args.seed + 1),
                                 checkpoint=args.out.with_suffix(".partial.npz"), init=args.init, max_lr=args.lr,
                                 channels=args.channels, degrade=args.degrade)
        save(model, mean, std, args.out)
        print(f"saved {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")
    validate(audio, validation, args.validate or args.out)
    return 0


def validate(audio, examples, weights: pathlib.Path):
    """Beat and downbeat F-measure (±70 ms, first 5 s ignored), tempo octave and meter on the validation pieces
    (held-back renders with exact beats; whole validation packages against madmom's beats)."""
    from soundmotion.models.music.bar_decoder import decode
    from soundmotion.models.music.beat_net import FEATURE_RATE, FRAME_RATE, BeatNet, spectral_features
    from soundmotion.models.music.analysis import periodicity
    net = BeatNet(str(weights))
    groups, steadiness = {}, {}
    for example in examples:
        samples = audio[example.name].astype(np.float32) / 32767.0
        activations = net.activations(spectral_features(samples, FEATURE_RATE))
        decoded = decode(activations, FRAME_RATE)
        frames = np.clip(np.round(decoded.beats * FRAME_RATE).astype(int), 0, len(activations) - 1)
        confidence = float(np.mean([activations[max(0, f - 1):f + 2, 0].max() for f in frames])) if len(frames) else 0
        regularity = periodicity(activations[:, 0], FRAME_RATE)
        steadiness.setdefault(example.kind == "none", []).append((confidence, regularity))
        if example.kind == "none":
            print(f"validation {example.name:<50} no beat: confidence {confidence:.2f} regularity {regularity:.2f}")
            continue
        truth_down = example.beats[example.beat_in_bar == 1]
        f_beat = f_measure(decoded.beats, example.beats)
        f_down = f_measure(decoded.beats[decoded.beat_in_bar == 1], truth_down)
        octave = octave_error(decoded.beats, example.beats)
        meter = int(max(example.beat_in_bar)) if len(example.beat_in_bar) else 0
        group = groups.setdefault(example.kind, [])
        group.append((f_beat, f_down, octave, decoded.beats_per_bar == meter or meter not in (3, 4)))
        print(f"validation {example.name:<50} beat F {f_beat:.2f} downbeat F {f_down:.2f} meter "
              f"{decoded.beats_per_bar} ({meter}) octave {'ok' if not octave else 'ERROR'} confidence {confidence:.2f} "
              f"regularity {regularity:.2f}", flush=True)
    for kind, rows in groups.items():
        rows = np.array(rows, float)
        print(f"validation {kind}: {len(rows)} pieces, beat F {rows[:, 0].mean():.3f}, downbeat F "
              f"{rows[:, 1].mean():.3f}, tempo octave errors {int(rows[:, 2].sum())}, meter right "
              f"{rows[:, 3].mean():.0%}")


def octave_error(found, truth) -> bool:
    if len(found) < 2 or len(truth) < 2:
        return True
    ratio = float(np.median(np.diff(truth)) / np.median(np.diff(found)))
    return abs(ratio - 1.0) > 0.08


def f_measure(found, truth, tolerance=0.07):
    found, truth = np.asarray(found), np.asarray(truth)
    found, truth = found[found >= 5.0], truth[truth >= 5.0]
    if len(truth) == 0 or len(found) == 0:
        return float(len(truth) == len(found))
    hits = sum(np.any(np.abs(found - t) < tolerance) for t in truth)
    precision, recall = min(hits, len(found)) / len(found), hits / len(truth)
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


if __name__ == "__main__":
    sys.exit(main())
