"""One call from audio to everything the choreography needs: beats, bars, sections, onset and loudness curves."""

from dataclasses import dataclass, field

import numpy as np

from ..audio.load import Audio
from .bar_decoder import decode
from .beat_net import FRAME_RATE, beat_and_tempo
from .sections import bar_features, segment
from .spectrum import SAMPLE_RATE, log_mel_spectrum, onset_strength

FALLBACK_BPM = 110.0
# "No steady beat": the beats found are weak (mean beat probability on them under MIN_CONFIDENCE), or the beat
# activation hardly repeats (median autocorrelation peak over 10 s windows under MIN_PERIODICITY) while the
# beats are not strong either (under STRONG_BEATS). Chosen on held-back training pieces and the demo speech
# (confidence / regularity): speech 0.62 / 0.15, white noise 0.28 / 0.12, noise and drones 0.27–0.38 /
# 0.16–0.18; the least regular music among them, a rubato chorale, 0.67 / 0.14.
MIN_CONFIDENCE = 0.25
MIN_PERIODICITY = 0.18
STRONG_BEATS = 0.65
MIN_BEATS = 8
METERS = (3, 4)


@dataclass
class Section:
    start: float       # seconds
    end: float
    label: int         # sections with the same label are repeats of one part
    loudness: float    # mean RMS relative to the loudest section (0..1)


@dataclass
class MusicAnalysis:
    duration: float
    tempo: float                   # beats per minute (average over the song)
    beats: np.ndarray              # seconds
    downbeats: np.ndarray          # seconds, a subset of beats
    first_downbeat_index: int      # index into beats of the first downbeat
    sections: list
    envelope_rate: float           # samples per second of the curves below
    onset: np.ndarray              # onset strength, 0..1
    loudness: np.ndarray           # RMS, 0..1 relative to the loudest part
    fallback: bool = False
    notes: list = field(default_factory=list)
    bar_starts: np.ndarray = None  # indices into beats of the downbeats (bars may be cut short at glitches)
    beats_per_bar: int = 4         # the meter found: 3 (3/4, 9/8) or 4 (4/4, 12/8)
    confidence: float = 0.0        # mean beat activation on the beats found (0..1; 0 for a fallback)

    def __post_init__(self):
        if self.bar_starts is None:
            self.bar_starts = np.arange(self.first_downbeat_index, len(self.beats), self.beats_per_bar)

    def beat_position(self, times: np.ndarray) -> np.ndarray:
        """Continuous beat index at each time (beat i at beats[i]); extrapolated at the tempo outside the beats."""
        return beat_position(self.beats, times)

    def curve_at(self, curve: np.ndarray, times: np.ndarray) -> np.ndarray:
        return np.interp(times, np.arange(len(curve)) / self.envelope_rate, curve)


def beat_position(beats: np.ndarray, times: np.ndarray) -> np.ndarray:
    beats = np.asarray(beats, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    index = np.arange(len(beats), dtype=np.float64)
    position = np.interp(times, beats, index)
    first_period = beats[1] - beats[0]
    last_period = beats[-1] - beats[-2]
    position = np.where(times < beats[0], (times - beats[0]) / first_period, position)
    return np.where(times > beats[-1], index[-1] + (times - beats[-1]) / last_period, position)


def analyse_music(audio: Audio) -> MusicAnalysis:
    samples = audio.samples
    if audio.sample_rate != SAMPLE_RATE:
        from ..audio.load import resample
        samples = resample(samples, audio.sample_rate, SAMPLE_RATE)
    duration = len(samples) / SAMPLE_RATE
    spectrum = log_mel_spectrum(samples, SAMPLE_RATE)
    rate = spectrum.frame_rate
    loudness = _rms(samples, len(spectrum.log_mel))
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak < 1e-4:
        return fallback_analysis(duration, "No sound was found in the audio, so the dancer grooves at a steady "
                                           f"{FALLBACK_BPM:.0f} BPM.")
    envelope = onset_strength(spectrum)
    envelope /= max(envelope.max(), 1e-12)
    activations, tempo_log_probability, tempo_bpm = beat_and_tempo(samples, SAMPLE_RATE)
    decoded = decode(activations, FRAME_RATE, METERS, tempo_log_probability=tempo_log_probability,
                     tempo_bpm=tempo_bpm)
    frames = np.clip(np.round(decoded.beats * FRAME_RATE).astype(int), 0, len(activations) - 1)
    confidence = float(np.mean(_peak_near(activations[:, 0], frames))) if len(frames) else 0.0
    regularity = periodicity(activations[:, 0], FRAME_RATE)
    if confidence < MIN_CONFIDENCE or (regularity < MIN_PERIODICITY and confidence < STRONG_BEATS):
        fallback = fallback_analysis(duration, f"No steady beat was found (beat confidence {confidence:.2f}, "
                                               f"regularity {regularity:.2f}), so the dancer grooves at a steady "
                                               f"{FALLBACK_BPM:.0f} BPM.", loudness, rate)
        fallback.confidence = confidence
        return fallback
    if len(frames) < MIN_BEATS:
        return fallback_analysis(duration, f"Too few beats were found ({len(frames)}), so the dancer grooves "
                                           f"at a steady {FALLBACK_BPM:.0f} BPM.", loudness, rate)
    beats = decoded.beats
    bar_starts = np.flatnonzero(decoded.beat_in_bar == 1)
    if len(bar_starts) == 0:
        bar_starts = np.array([0])
    tempo = 60.0 / float(np.median(np.diff(beats)))
    analysis = MusicAnalysis(duration, tempo, beats, beats[bar_starts], int(bar_starts[0]), [], rate, envelope,
                             loudness, bar_starts=bar_starts, beats_per_bar=decoded.beats_per_bar,
                             confidence=confidence)
    analysis.sections = _sections(analysis, spectrum.log_mel)
    analysis.notes.append(f"Tempo {tempo:.0f} BPM, {decoded.beats_per_bar} beats to the bar, {len(beats)} beats, "
                          f"{len(bar_starts)} bars, beat confidence {confidence:.2f}, {len(analysis.sections)} "
                          "sections.")
    return analysis


def periodicity(activation: np.ndarray, frame_rate: float, window_seconds: float = 10.0) -> float:
    """Median over 10 s windows (half overlapping) of the highest normalised autocorrelation of the beat
    activation at a beat period of 0.28–1.1 s (55–215 BPM): near 1 for a steady beat, near 0.1 for speech."""
    window = int(window_seconds * frame_rate)
    if len(activation) < window:
        window = len(activation)
    starts = np.arange(0, max(1, len(activation) - window + 1), max(1, window // 2))
    frames = activation[starts[:, None] + np.arange(window)[None, :]]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(frames, n=2 * window, axis=1)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :window]
    low, high = int(frame_rate * 60.0 / 215.0), min(window - 1, int(frame_rate * 60.0 / 55.0))
    if high <= low:
        return 0.0
    peaks = correlation[:, low:high + 1].max(axis=1) / np.maximum(correlation[:, 0], 1e-12)
    return float(np.median(peaks))


def _peak_near(curve, frames, reach=1):
    return np.array([curve[max(0, f - reach):f + reach + 1].max() for f in frames])


def fallback_analysis(duration: float, note: str, loudness: np.ndarray = None, rate: float = 100.0,
                      bpm: float = FALLBACK_BPM) -> MusicAnalysis:
    """A steady grid at a default tempo so the dancer still dances (and the user is told why)."""
    period = 60.0 / bpm
    count = max(2, int(np.ceil(duration / period)) + 1)
    beats = np.arange(count) * period
    if loudness is None or len(loudness) == 0:
        loudness = np.full(max(2, int(duration * rate) + 1), 0.5)
    return MusicAnalysis(duration, bpm, beats, beats[::4], 0,
                         [Section(0.0, max(duration, period), 0, 0.6)], rate,
                         np.zeros_like(loudness), np.full_like(loudness, 0.6), True, [note])


def _rms(samples, frames):
    from .spectrum import HOP
    window = 4 * HOP           # 1024 samples centred on each frame: the sum of four hops' energies
    samples = np.asarray(samples, np.float32)
    hops = frames + 3
    padded = np.zeros(hops * HOP, np.float32)
    kept = samples[:max(0, hops * HOP - 2 * HOP)]
    padded[2 * HOP:2 * HOP + len(kept)] = kept
    energy = np.einsum("ij,ij->i", *(padded.reshape(hops, HOP),) * 2, dtype=np.float64)
    rms = np.sqrt((energy[:frames] + energy[1:frames + 1] + energy[2:frames + 2] + energy[3:frames + 3]) / window)
    return rms / max(rms.max(), 1e-12)


def _sections(analysis: MusicAnalysis, log_mel: np.ndarray) -> list:
    rate = analysis.envelope_rate
    downbeats = analysis.downbeats
    if len(downbeats) < 3:
        return [Section(0.0, analysis.duration, 0, 1.0)]
    bar_frames = np.round(np.append(downbeats, downbeats[-1] + (downbeats[-1] - downbeats[-2])) * rate).astype(int)
    bar_frames = np.clip(bar_frames, 0, len(log_mel) - 1)
    bar_loudness = np.array([analysis.loudness[a:max(b, a + 1)].mean() for a, b in zip(bar_frames[:-1], bar_frames[1:])])
    bounds, labels = segment(bar_features(log_mel, bar_frames), np.log(bar_loudness + 1e-3))
    bar_times = np.append(downbeats, downbeats[-1] + (downbeats[-1] - downbeats[-2]))
    loudest = max(bar_loudness.max(), 1e-9)
    sections = []
    for (a, b), label in zip(zip(bounds[:-1], bounds[1:]), labels):
        start = 0.0 if a == 0 else float(bar_times[a])
        end = analysis.duration if b == len(bar_loudness) else float(bar_times[b])
        sections.append(Section(start, end, int(label), float(bar_loudness[a:b].mean() / loudest)))
    return sections
