"""Synthesized test music with known beat, bar and section times (no recorded audio ships or is needed).

Drums (kick on 1 and 3, snare on 2 and 4, hi-hat on eighths), a bass line and sustained chords, built part by
part so a song can change tempo or drop to a quiet section; the truth comes back with the samples.
"""

from dataclasses import dataclass, field

import numpy as np

# Chord roots in semitones above A2 (110 Hz); one chord per bar.
PROGRESSIONS = {
    "A": (0, 8, 3, 10),      # i  VI III VII
    "B": (5, 3, 0, 7),       # iv III i  v
    "C": (0, 5, 0, 7),
}


# Beats (from 0) of an odd meter's bar that get the kick, the others a snare: 5 grouped 3 + 2, 7 grouped 2 + 2 + 3
# (7/8 counted in eighths). Other meters: the kick on one and three (a waltz: on one only).
KICKS = {5: (0, 3), 7: (0, 2, 4)}


@dataclass(frozen=True)
class SongPart:
    bars: int
    bpm: float
    label: str = "A"
    loudness: float = 1.0    # 1 = full band; below ~0.3 the drums drop out
    drums: bool = True
    beats_per_bar: int = 4   # 3: a waltz (kick on one, soft snare on two and three); 5 and 7: odd meters (KICKS)


@dataclass
class SynthSong:
    samples: np.ndarray
    sample_rate: int
    beats: np.ndarray              # seconds
    downbeats: np.ndarray          # seconds
    sections: list = field(default_factory=list)   # (start s, end s, label)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def synthesize(parts, sample_rate: int = 22050, seed: int = 0, lead_in: float = 0.0) -> SynthSong:
    rng = np.random.default_rng(seed)
    parts = list(parts)
    beat_times, downbeats, sections = [], [], []
    t = lead_in
    for part in parts:
        start = t
        period = 60.0 / part.bpm
        for bar in range(part.bars):
            downbeats.append(t)
            for beat in range(part.beats_per_bar):
                beat_times.append(t)
                t += period
        sections.append((start, t, part.label))
    total = int(np.ceil((t + 1.0) * sample_rate))
    out = np.zeros(total)
    index, bar_index = 0, 0
    for part in parts:
        period = 60.0 / part.bpm
        chords = PROGRESSIONS.get(part.label, PROGRESSIONS["A"])
        waltz = part.beats_per_bar == 3
        for bar in range(part.bars):
            root = chords[bar % len(chords)]
            for beat in range(part.beats_per_bar):
                when = beat_times[index]
                index += 1
                drums = part.drums and part.loudness >= 0.3
                if drums:
                    kicked = beat in KICKS[part.beats_per_bar] if part.beats_per_bar in KICKS else \
                        beat == 0 or (beat == 2 and not waltz)
                    if kicked:
                        _add(out, when, sample_rate, _kick(sample_rate, 1.0 if beat == 0 else 0.8) * part.loudness)
                    else:
                        _add(out, when, sample_rate, _snare(sample_rate, rng) * (0.3 if waltz else 0.5) * part.loudness)
                    for half in (0.0, 0.5):
                        _add(out, when + half * period, sample_rate, _hat(sample_rate, rng) * 0.15 * part.loudness)
                if beat == 0 or not waltz:
                    bass_freq = 55.0 * 2 ** (root / 12)
                    _add(out, when, sample_rate, _bass(sample_rate, bass_freq, period * 0.9) * 0.35 * part.loudness)
            _add(out, downbeats[bar_index], sample_rate, _chord(sample_rate, 110.0 * 2 ** (root / 12),
                                                                period * part.beats_per_bar) * 0.12 * max(part.loudness, 0.25))
            bar_index += 1
    out /= max(1e-9, np.max(np.abs(out))) / 0.8
    return SynthSong(out.astype(np.float32), sample_rate, np.array(beat_times), np.array(downbeats), sections)


def standard_song(seed: int = 0, bpm: float = 120.0, bpm_after: float = None, quiet: bool = True,
              sample_rate: int = 22050) -> SynthSong:
    """Verse / chorus / quiet break / chorus, optionally changing tempo halfway: the bench's standard song."""
    second = bpm_after or bpm
    parts = [SongPart(8, bpm, "A"), SongPart(8, bpm, "B")]
    if quiet:
        parts.append(SongPart(4, second, "C", loudness=0.2, drums=False))
    parts += [SongPart(8, second, "A"), SongPart(8, second, "B")]
    return synthesize(parts, sample_rate, seed, lead_in=0.25)


def write_wav(song: SynthSong, path) -> None:
    import soundfile

    soundfile.write(str(path), song.samples, song.sample_rate)


def _add(out, when, sample_rate, sound):
    start = int(round(when * sample_rate))
    end = min(len(out), start + len(sound))
    if end > start:
        out[start:end] += sound[:end - start]


def _kick(sr, accent):
    t = np.arange(int(0.25 * sr)) / sr
    freq = 50 + 100 * np.exp(-t * 30)
    return accent * np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t * 12)


def _snare(sr, rng):
    t = np.arange(int(0.18 * sr)) / sr
    noise = rng.standard_normal(len(t))
    tone = np.sin(2 * np.pi * 190 * t)
    return (0.7 * noise + 0.5 * tone) * np.exp(-t * 22)


def _hat(sr, rng):
    t = np.arange(int(0.05 * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 1))
    return noise * np.exp(-t * 80)


def _bass(sr, freq, length):
    t = np.arange(int(length * sr)) / sr
    wave = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t)
    return wave * np.exp(-t * 3) * np.minimum(1.0, t * 200)


def _chord(sr, root_freq, length):
    t = np.arange(int(length * sr)) / sr
    envelope = np.minimum(1.0, t * 20) * np.minimum(1.0, (length - t) * 10).clip(0)
    wave = sum(np.sin(2 * np.pi * root_freq * 2 ** (s / 12) * t) for s in (12, 15, 19))
    return wave * envelope
