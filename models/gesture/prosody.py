"""What the voice does over time, at 100 frames a second: where speech is, pitch accents, stressed syllables, and
how hard the voice works (vocal effort: whispered … raised), for the take and for each phrase."""

from dataclasses import dataclass, field

import re

import numpy as np

from ..audio.load import Audio
from ..audio.pitch import YIN_THRESHOLD, estimate_pitch
from ..face.secondary import pitch_accents
from ..filters import gaussian_filter1d, maximum_filter1d
from ..speech.activity import detect_voice_activity, speech_notes
from ..speech.features import frame_features
from ..speech.segments import FRAME_SECONDS

FPS = 1.0 / FRAME_SECONDS
SYLLABLE_SPACING_SECONDS = 0.15
SYLLABLE_PROMINENCE_DB = 3.0
# Vocal effort (vocal_effort below). Whispered: next to no voicing in the loud half of speech, and a high-band-heavy
# spectrum (read speech: 0.5-1.0 of those frames voiced; whispers 0.00-0.03; a creaky voice, also unvoiced to the
# pitch tracker, keeps its low-band weight: tilt -2 dB against the whispers' +5..+12).
WHISPER_VOICED_SHARE = (0.25, 0.10)     # voiced share of loud speech frames: not whispered … fully whispered
WHISPER_TILT_DB = (-1.0, 3.0)           # tilt of all loud speech frames: not whispered … fully whispered
# Raised: a flatter tilt of the voiced frames (read speech, espeak-ng and human: -15..-4 dB) and a higher pitch.
RAISED_TILT_DB = (-3.5, 2.5)            # tilt of loud voiced frames: not raised … fully raised
RAISED_PITCH_HZ = (165.0, 250.0)        # median f0 of loud voiced frames adding to a flat tilt's effort
WHISPER_EFFORT = 0.5                    # a whisper's gestures: half the size
RAISED_EFFORT = 1.45                    # a shout's
PHRASE_DB_WEIGHT = 0.025                # per dB of a phrase's level above the take's typical phrase (log effort)
PHRASE_SEMITONE_WEIGHT = 0.015          # per semitone of its pitch above the speaker's median
PHRASE_LIMIT = 0.18                     # a phrase's effort stays within exp(±this) of the take's


@dataclass
class Prosody:
    duration: float
    active: np.ndarray          # bool per 10 ms: someone is speaking
    decibels: np.ndarray        # loudness per 10 ms
    semitones: np.ndarray       # pitch relative to the speaker's median, 0 where unvoiced
    voiced: np.ndarray
    accents: np.ndarray         # seconds: pitch accents
    syllables: np.ndarray       # seconds: loudness peaks of syllable nuclei inside speech
    prominence: np.ndarray      # one per syllable, dB above the phrase's running level
    onsets: np.ndarray          # seconds: fast loudness rises (syllable onsets)
    speech_like: bool = True
    notes: list = field(default_factory=list)
    effort: float = 1.0         # the take's vocal effort: 1 normal speech, ~0.5 whispered, up to ~1.45 shouted
    phrase_effort: np.ndarray = None    # one per regions() entry: the phrase's effort over the take's (~0.84..1.2)
    effort_cues: dict = field(default_factory=dict)
    phrase_spans: np.ndarray = None     # (phrases, 2) seconds: regions() when the efforts were measured

    def effort_at(self, time: float) -> float:
        """A phrase's effort relative to the take's baseline, for the phrase at (or nearest) `time` seconds."""
        if self.phrase_effort is None or not len(self.phrase_effort):
            return 1.0
        if self.phrase_spans is None:
            self.phrase_spans = np.array(self.regions())
        regions = self.phrase_spans
        inside = np.flatnonzero((regions[:, 0] - 0.2 <= time) & (time <= regions[:, 1] + 0.2))
        distance = np.minimum(abs(regions[:, 0] - time), abs(regions[:, 1] - time))
        k = inside[0] if len(inside) else int(np.argmin(distance))
        return float(self.phrase_effort[k])

    def regions(self) -> list:
        """(start, end) seconds of each stretch of speech."""
        edges = np.diff(np.concatenate([[0], self.active.astype(np.int8), [0]]))
        return [(a * FRAME_SECONDS, b * FRAME_SECONDS)
                for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


def analyse_prosody(audio: Audio, track=None) -> Prosody:
    """`track`: a PhoneTrack of the same audio (the face pipeline's), whose 10 ms measurements are reused."""
    if track is not None:  # Talk: the face's verdict, heard with the phone net, so face and body agree (a voice in
        # noise or clipped is speech to both); find_phones' first note is its speech check's (it gives at most one)
        features, activity, pitch = track.features, track.activity, track.pitch
        notes = [] if track.speech_like else [_body_wording(n) for n in track.notes[:1]]
    else:
        features = frame_features(audio.samples, audio.sample_rate)
        activity = detect_voice_activity(features)
        pitch = estimate_pitch(audio, fps=FPS)
        notes = [_body_wording(n) for n in speech_notes(features, activity, pitch.voiced)]
    count = min(features.count, len(pitch.f0))
    active = activity.active[:count]
    decibels = features.decibels[:count]
    voiced = pitch.voiced[:count]
    semitones = pitch.semitones()[:count]
    speech_like = not notes and activity.speech_seconds >= 0.15
    accents = pitch_accents(semitones, voiced & active, FPS) * FRAME_SECONDS
    syllables, prominence = _syllable_peaks(decibels, active)
    onsets = _onsets(decibels, active)
    prosody = Prosody(audio.duration, active, decibels, semitones, voiced, accents, syllables, prominence, onsets,
                      speech_like, notes)
    tilt = features.tilt[:count]
    periodic = pitch.periodicity[:count] > 1.0 - YIN_THRESHOLD
    regions = prosody.regions()
    prosody.effort, prosody.phrase_effort, prosody.effort_cues = vocal_effort(
        decibels, active, periodic, pitch.f0[:count], semitones, tilt, regions)
    prosody.phrase_spans = np.array(regions).reshape(-1, 2)
    return prosody


def vocal_effort(decibels: np.ndarray, active: np.ndarray, periodic: np.ndarray, f0: np.ndarray,
                 semitones: np.ndarray, tilt: np.ndarray, regions: list) -> tuple:
    """(take effort, per-phrase effort over the take's, the cues) from 10 ms frames. Nothing here depends on the
    recording's gain: a line played 20 dB louder is the same line, not a shout. The cues:

    - Voicing share: of the loud half of the speech frames (above the take's median speech level), those the pitch
      tracker finds periodic (YIN periodicity, not its absolute loudness gate). A whisper has no voicing (0.00-0.03
      on espeak-ng's and real whispers), read speech 0.5-1.0.
    - Spectral tilt: energy in 1-4 kHz over 60 Hz-1 kHz, dB, median over frames. Over all loud frames it tells a
      whisper (noise: +5..+12 dB) from a creaky or croaky voice that the pitch tracker also misses (its low band
      stays strong: -4..-2 dB). Over loud voiced frames it tells raised effort: pressing the voice harder gives
      sharper glottal pulses, more high harmonics, a flatter tilt (read speech -15..-4 dB; raised towards 0 and up).
    - Pitch: the median f0 of loud voiced frames against a typical speaking range. A raised voice goes up in pitch;
      alone that is no proof (a woman's or a falsetto voice is high and soft), so a high pitch only adds to the
      effort a flat tilt shows.
    - Loudness and pitch of each phrase against the take's own: its level (90th percentile of its frames, dB) over
      the take's median phrase, and its median pitch in semitones over the speaker's median, so a phrase said with
      more effort than the speaker's own baseline scores above 1 and a quieter aside below, whatever the gain.

    Whispered (voicing share 0.25 → 0.10 and all-frame tilt -1 → +3 dB, both needed) takes the effort towards
    WHISPER_EFFORT; raised (voiced tilt -3.5 → +2.5 dB, pitch 165 → 250 Hz adding up to 30 %) towards
    RAISED_EFFORT. Read speech sits in the dead band of both: exactly 1."""
    speech = active & (decibels > -100.0)
    phrase_effort = np.ones(len(regions))
    if speech.sum() < 10:
        return 1.0, phrase_effort, {}
    loud = speech & (decibels >= np.median(decibels[speech]))
    voiced_share = float(periodic[loud].mean())
    tilt_all = float(np.median(tilt[loud]))
    loud_voiced = loud & periodic & (f0 > 0)
    tilt_voiced = float(np.median(tilt[loud_voiced])) if loud_voiced.sum() >= 5 else float("nan")
    pitch_hz = float(np.median(f0[loud_voiced])) if loud_voiced.sum() >= 5 else float("nan")

    def ramp(value, edges):
        return float(np.clip((value - edges[0]) / (edges[1] - edges[0]), 0.0, 1.0)) if value == value else 0.0
    whisper = ramp(voiced_share, WHISPER_VOICED_SHARE) * ramp(tilt_all, WHISPER_TILT_DB)
    high = ramp(12.0 * np.log2(pitch_hz / RAISED_PITCH_HZ[0]) if pitch_hz == pitch_hz else 0.0,
                (0.0, 12.0 * np.log2(RAISED_PITCH_HZ[1] / RAISED_PITCH_HZ[0])))
    raised = ramp(tilt_voiced, RAISED_TILT_DB) * (0.7 + 0.3 * high) * (1.0 - whisper)
    effort = (1.0 + (WHISPER_EFFORT - 1.0) * whisper) * (1.0 + (RAISED_EFFORT - 1.0) * raised)
    # Each phrase against the take's typical phrase (level) and the speaker's median pitch.
    frames = [(int(round(a / FRAME_SECONDS)), int(round(b / FRAME_SECONDS))) for a, b in regions]
    levels = np.array([np.percentile(decibels[a:b], 90) if b > a else np.nan for a, b in frames])
    pitches = np.array([np.median(semitones[a:b][periodic[a:b] & (f0[a:b] > 0)])
                        if (periodic[a:b] & (f0[a:b] > 0)).sum() >= 5 else 0.0 for a, b in frames])
    if len(levels) and np.isfinite(levels).any():
        contrast = np.nan_to_num(levels - np.nanmedian(levels))
        phrase_effort = np.exp(np.clip(PHRASE_DB_WEIGHT * contrast + PHRASE_SEMITONE_WEIGHT * pitches,
                                       -PHRASE_LIMIT, PHRASE_LIMIT))
    cues = {"voiced_share": voiced_share, "tilt_db": tilt_all, "voiced_tilt_db": tilt_voiced, "pitch_hz": pitch_hz,
            "whisper": whisper, "raised": raised}
    return float(effort), phrase_effort, cues


def _syllable_peaks(decibels: np.ndarray, active: np.ndarray):
    smooth = gaussian_filter1d(decibels, 2.0)
    level = gaussian_filter1d(np.where(active, smooth, np.nan_to_num(smooth[active].mean() if active.any() else 0)),
                              60.0)
    window = int(SYLLABLE_SPACING_SECONDS * FPS) | 1
    peaks = (smooth == maximum_filter1d(smooth, window)) & active
    # A nucleus stands above the dips around it: syllables, not the top of a flat stretch.
    dips = -maximum_filter1d(-smooth, int(0.25 * FPS) | 1)
    peaks &= smooth - dips > SYLLABLE_PROMINENCE_DB
    frames = np.flatnonzero(peaks)
    return frames * FRAME_SECONDS, (smooth - level)[frames]


def _onsets(decibels: np.ndarray, active: np.ndarray) -> np.ndarray:
    smooth = gaussian_filter1d(decibels, 1.5)
    rise = np.diff(smooth, prepend=smooth[0]) * FPS     # dB per second
    window = int(0.1 * FPS) | 1
    peaks = (rise == maximum_filter1d(rise, window)) & (rise > 60.0) & active
    return np.flatnonzero(peaks) * FRAME_SECONDS


def _body_wording(note: str) -> str:
    """The speech checks speak of the face; here only what the audio sounds like matters."""
    return re.sub(r"[;:] (the face stays at rest|mouth movement is kept small)\.$", ".", note)
