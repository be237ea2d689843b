"""Voice-activity detection and the checks that tell speech from silence, noise and music."""

from dataclasses import dataclass

import numpy as np

from ..filters import maximum_filter1d
from .features import FrameFeatures
from .segments import FRAME_SECONDS

MIN_LEVEL_DB = -55.0      # quieter than this is never speech
ABOVE_FLOOR_DB = 12.0     # speech stands this far above the recording's noise floor
BELOW_PEAK_DB = 40.0
GAP_FILL_SECONDS = 0.18   # stop closures and short breaths inside a phrase stay "speech"
MIN_SPEECH_SECONDS = 0.08


@dataclass
class VoiceActivity:
    active: np.ndarray      # bool per 10 ms frame
    threshold_db: float

    @property
    def speech_seconds(self) -> float:
        return float(self.active.sum()) * FRAME_SECONDS

    def regions(self) -> list:
        """(start_frame, end_frame_exclusive) of each active run."""
        edges = np.diff(np.concatenate([[0], self.active.astype(np.int8), [0]]))
        return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def detect_voice_activity(features: FrameFeatures) -> VoiceActivity:
    decibels = features.decibels
    floor = float(np.percentile(decibels, 10))
    peak = float(np.percentile(decibels, 99))
    threshold = max(MIN_LEVEL_DB, floor + ABOVE_FLOOR_DB, peak - BELOW_PEAK_DB)
    active = decibels > threshold
    active = _fill_short(active, False, int(GAP_FILL_SECONDS / FRAME_SECONDS))
    active = _fill_short(active, True, int(MIN_SPEECH_SECONDS / FRAME_SECONDS))
    return VoiceActivity(active, threshold)


def _fill_short(mask: np.ndarray, value: bool, max_len: int) -> np.ndarray:
    """Flip runs of `value` no longer than max_len frames (inner runs only when filling gaps)."""
    out = mask.copy()
    edges = np.diff(np.concatenate([[0], (mask == value).astype(np.int8), [0]]))
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        inner = start > 0 and end < len(mask)
        if end - start <= max_len and (inner or value):
            out[start:end] = not value
    return out


def syllable_rhythm(features: FrameFeatures, activity: VoiceActivity) -> float:
    """How strongly loudness rises and falls at syllable rate (2–8 Hz) inside active audio, 0..1.

    Speech is a train of syllables, so its energy swings deeply several times a second; music, hum and
    steady noise stay comparatively level.
    """
    if activity.active.sum() < 50:
        return 0.0
    decibels = np.clip(features.decibels, activity.threshold_db - 20.0, None)
    envelope = decibels[activity.active]
    # Depth of the dips between syllables: local peak minus level, averaged.
    local_peak = maximum_filter1d(envelope, size=25)
    depth = np.mean(local_peak - envelope)
    return float(np.clip(depth / 12.0, 0.0, 1.0))


MIN_VOICED_SHARE = 0.25  # speech is voiced (has a pitch) over roughly half its active time


def speech_notes(features: FrameFeatures, activity: VoiceActivity, voiced: np.ndarray | None = None) -> list:
    """Plain sentences about what the audio sounds like, when it does not sound like clear speech.

    `voiced`: per-10-ms-frame pitch detection (models/audio/pitch.py); drums and noise have none.
    """
    duration = features.count * FRAME_SECONDS
    if activity.speech_seconds < 0.15:
        if np.median(features.decibels) > MIN_LEVEL_DB:
            return ["No speech found: the audio sounds like a steady sound (noise, hum or music); "
                    "the face stays at rest."]
        return ["No speech found: the face stays at rest."]
    notes = []
    rhythm = syllable_rhythm(features, activity)
    busy = activity.speech_seconds / max(duration, 1e-6)
    high = float(np.median(features.high_ratio[activity.active]))
    if voiced is not None:
        count = min(len(voiced), len(activity.active))
        voiced_share = float(np.mean(voiced[:count][activity.active[:count]])) if count else 0.0
        if voiced_share < MIN_VOICED_SHARE:
            return ["The audio sounds like percussion or noise rather than a voice; mouth movement is kept small."]
    if high > 0.5 and rhythm < 0.5:
        notes.append("The audio sounds like noise rather than speech; mouth movement is kept small.")
    elif busy > 0.8 and rhythm < 0.45 and duration > 2.0:
        notes.append("The audio sounds like music or a continuous sound rather than speech; "
                     "mouth movement is kept small.")
    return notes
