"""One call from audio to everything the choreography needs: beats, bars, sections, onset and loudness curves."""

from dataclasses import dataclass, field

import numpy as np

from ..audio.load import Audio
from . import bars as bars_module
from .beats import track_beats
from .sections import bar_features, segment
from .spectrum import BASS_HZ, SAMPLE_RATE, log_mel_spectrum, onset_strength
from .tempo import global_tempo, tempo_curve

FALLBACK_BPM = 110.0
MIN_PERIODICITY = 0.12     # below this the onset envelope has no steady pulse (speech, noise, silence)
MIN_BEATS = 8


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

    def __post_init__(self):
        if self.bar_starts is None:
            self.bar_starts = np.arange(self.first_downbeat_index, len(self.beats), 4)

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
    peak = float(max(samples.max(), -samples.min())) if len(samples) else 0.0  # no |samples| copy
    if peak < 1e-4:
        return fallback_analysis(duration, "No sound was found in the audio, so the dancer grooves at a steady "
                                           f"{FALLBACK_BPM:.0f} BPM.")
    envelope = onset_strength(spectrum)
    envelope /= max(envelope.max(), 1e-12)
    bpm, periodicity = global_tempo(envelope, rate)
    if periodicity < MIN_PERIODICITY:
        return fallback_analysis(duration, f"No steady beat was found (pulse strength {periodicity:.2f}), so the "
                                           f"dancer grooves at a steady {FALLBACK_BPM:.0f} BPM.", loudness, rate)
    periods = tempo_curve(envelope, rate, bpm)
    beat_frames = track_beats(envelope, periods)
    bass = onset_strength(spectrum, max_hz=BASS_HZ)
    octave = _octave_correction(beat_frames, envelope, bass / max(bass.max(), 1e-12))
    if octave != 1.0:
        beat_frames = track_beats(envelope, periods * octave)
    if len(beat_frames) < MIN_BEATS:
        return fallback_analysis(duration, f"Too few beats were found ({len(beat_frames)}), so the dancer grooves "
                                           f"at a steady {FALLBACK_BPM:.0f} BPM.", loudness, rate)
    beats = beat_frames / rate
    bar_starts = bars_module.downbeat_indices(beat_frames, bass, spectrum.log_mel)
    analysis = MusicAnalysis(duration, 60.0 / float(np.mean(np.diff(beats))), beats, beats[bar_starts],
                             int(bar_starts[0]), [], rate, envelope, loudness, bar_starts=bar_starts)
    analysis.sections = _sections(analysis, spectrum.log_mel)
    analysis.notes.append(f"Tempo {analysis.tempo:.0f} BPM, {len(beats)} beats, {len(analysis.sections)} sections.")
    return analysis


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


def _octave_correction(beat_frames, envelope, bass):
    """2.0 when every other tracked beat has no bass hit (an off-beat), 0.5 when bass hits nearly as strong
    as the beats' fall halfway between them.

    Autocorrelation cannot tell 80 from 160 BPM with eighth-note hi-hats; where the bass and the hits fall can.
    """
    if len(beat_frames) < 8:
        return 1.0
    peak = lambda curve, frames: np.array([curve[max(0, f - 2):f + 3].max() for f in frames])
    bass_on_beat = peak(bass, beat_frames)
    even, odd = bass_on_beat[0::2].mean(), bass_on_beat[1::2].mean()
    bpm_frames = float(np.median(np.diff(beat_frames)))
    if min(even, odd) < 0.5 * max(even, odd) and bpm_frames < 0.6 * _frames_per_second(envelope):
        return 2.0
    halfway = peak(bass, (beat_frames[:-1] + beat_frames[1:]) // 2)
    if halfway.mean() > 0.6 * bass_on_beat.mean() and bpm_frames > 0.66 * _frames_per_second(envelope):
        return 0.5
    return 1.0


def _frames_per_second(envelope):
    from .spectrum import HOP
    return SAMPLE_RATE / HOP


def _rms(samples, frames):
    """RMS over 1024 samples around each spectrum frame, from a running sum of squares taken block by block
    (the same sums as one cumulative sum over the whole signal, without holding it)."""
    from .spectrum import HOP
    window, block = 1024, 1 << 20
    half, count = window // 2, len(samples)
    total = half + count + half + frames * HOP            # the zero-padded signal's length
    wanted = np.concatenate([np.arange(frames) * HOP, np.arange(frames) * HOP + window])  # sums up to these
    order = np.argsort(wanted, kind="stable")
    sums, carry, k = np.empty(len(wanted)), 0.0, 0
    for lo in range(0, total + 1, block):
        hi = min(total, lo + block)
        part = np.zeros(hi - lo)
        a, b = max(lo, half), min(hi, half + count)
        if b > a:
            part[a - lo:b - lo] = samples[a - half:b - half].astype(np.float64) ** 2
        running = np.cumsum(np.concatenate([[carry], part]))  # running[j] = sum of the first lo + j
        upto = k + int(np.searchsorted(wanted[order[k:]], hi, side="right"))
        sums[order[k:upto]] = running[wanted[order[k:upto]] - lo]
        k, carry = upto, running[-1]
    rms = np.sqrt((sums[frames:] - sums[:frames]) / window)
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
