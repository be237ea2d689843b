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


NET_SPEECH_PROBABILITY = 0.5  # the phone net's "not silence" share above which a frame is speech
NET_ABOVE_FLOOR_DB = 3.0      # ...if it is at least this much above the recording's noise floor


def detect_voice_activity(features: FrameFeatures, speech_probability: np.ndarray | None = None) -> VoiceActivity:
    """Voice where the level stands well above the recording's floor, or, given the phone net's per-frame
    probability of speech (1 − P(silence)), where the net hears speech a little above the floor: speech in a noisy
    room or under music is quieter than the floor + 12 dB the level alone needs."""
    decibels = features.decibels
    floor = float(np.percentile(decibels, 10))
    peak = float(np.percentile(decibels, 99))
    threshold = max(MIN_LEVEL_DB, floor + ABOVE_FLOOR_DB, peak - BELOW_PEAK_DB)
    active = decibels > threshold
    if speech_probability is not None:
        count = min(len(active), len(speech_probability))
        heard = (speech_probability[:count] > NET_SPEECH_PROBABILITY) & \
            (decibels[:count] > max(MIN_LEVEL_DB, floor + NET_ABOVE_FLOOR_DB))
        active[:count] |= heard
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


MIN_VOICED_SHARE = 0.25  # speech is voiced (has a pitch) over roughly half its active time...
# ...but whispered, creaky and very low voices are not, so little pitch alone never refuses a clip: only little
# pitch with onsets as regular as a drum machine's. Measured: speech 0.07–0.25 (espeak voices, whispered and
# creaky ones, the LibriVox reader), drum loops 0.85–0.93, plucked and chord music 0.32–0.73.
MAX_SPEECH_REGULARITY = 0.5


def onset_regularity(features: FrameFeatures) -> float:
    """How periodic the loudness onsets are (autocorrelation peak at 0.15–1.2 s lags), 0..1: a beat is, speech not."""
    decibels = features.decibels
    if len(decibels) < 130:
        return 0.0
    envelope = np.clip(decibels, np.percentile(decibels, 95) - 40.0, None)
    onsets = np.clip(np.diff(envelope), 0.0, None)
    onsets = onsets - onsets.mean()
    autocorrelation = np.correlate(onsets, onsets, "full")[len(onsets) - 1:]
    return float(np.clip(autocorrelation[15:121].max() / (autocorrelation[0] + 1e-9), 0.0, 1.0))


SHORTEST_WORD_SECONDS = 0.25  # a take shorter than this holds no word to find (a click, a cut-off breath)
NET_SPEECH_SHARE = 0.6  # the phone net hears speech in this share of the active frames: it is speech


def speech_notes(features: FrameFeatures, activity: VoiceActivity, voiced: np.ndarray | None = None,
                 speech_probability: np.ndarray | None = None) -> list:
    """Plain sentences about what the audio sounds like, when it does not sound like clear speech.

    `voiced`: per-10-ms-frame pitch detection (models/audio/pitch.py); drums and noise have none.
    `speech_probability`: the phone net's per-frame probability of speech; where it hears speech in most active
    frames, a level that stays up (noise or music under the voice, fast talk) does not make the clip "music".
    """
    duration = features.count * FRAME_SECONDS
    if activity.speech_seconds < 0.15:
        if duration < SHORTEST_WORD_SECONDS:
            return [f"No speech found: the audio is only {duration:.2f} s long, too short for a word; the face stays "
                    "at rest."]
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
        if voiced_share < MIN_VOICED_SHARE and onset_regularity(features) > MAX_SPEECH_REGULARITY:
            return ["The audio sounds like percussion or noise rather than a voice; mouth movement is kept small."]
    if speech_probability is not None:
        count = min(len(speech_probability), len(activity.active))
        heard = speech_probability[:count][activity.active[:count]] > NET_SPEECH_PROBABILITY
        if heard.size and heard.mean() >= NET_SPEECH_SHARE:
            return notes
    if high > 0.5 and rhythm < 0.5:
        notes.append("The audio sounds like noise rather than speech; mouth movement is kept small.")
    elif busy > 0.8 and rhythm < 0.45 and duration > 2.0:
        notes.append("The audio sounds like music or a continuous sound rather than speech; "
                     "mouth movement is kept small.")
    return notes
