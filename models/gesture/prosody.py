"""What the voice does over time, at 100 frames a second: where speech is, pitch accents, stressed syllables."""

from dataclasses import dataclass, field

import re

import numpy as np

from ..audio.load import Audio
from ..audio.pitch import estimate_pitch
from ..face.secondary import pitch_accents
from ..filters import gaussian_filter1d, maximum_filter1d
from ..speech.activity import detect_voice_activity, speech_notes
from ..speech.features import frame_features
from ..speech.segments import FRAME_SECONDS

FPS = 1.0 / FRAME_SECONDS
SYLLABLE_SPACING_SECONDS = 0.15
SYLLABLE_PROMINENCE_DB = 3.0


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
    return Prosody(audio.duration, active, decibels, semitones, voiced, accents, syllables, prominence, onsets,
                   speech_like, notes)


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
