"""Audio (+ optional transcript) → timed phones: alignment when a transcript fits, recognition otherwise.

Recognition is the learned phone net (phone_net.py); alignment (alignment.py) places the transcript's words with
pocketsphinx and times their phones with the same net.
"""

from dataclasses import dataclass, field

import numpy as np

from ..audio.load import Audio
from ..audio.pitch import PitchTrack, estimate_pitch
from .activity import VoiceActivity, detect_voice_activity, speech_notes
from .alignment import AlignmentFailed, align_transcript
from .closures import LABIALS, tighten_labials
from .features import FrameFeatures, frame_features
from .pcm import decoder_pcm
from .phone_net import recognize_phones_with_net
from .segments import FRAME_SECONDS, SILENCE, PhoneSegment

LABIAL_RELEASE_LEAD = 0.01  # seconds
MISMATCH_SILENT_SHARE = 0.35  # aligned speech that falls where nobody speaks
MISMATCH_SHORT_SHARE = 0.5    # phones squeezed to the aligner's minimum length


@dataclass
class PhoneTrack:
    phones: list                 # PhoneSegment in time order; SIL where nothing is said
    source: str                  # "alignment", "recognition" or "none"
    activity: VoiceActivity
    features: FrameFeatures
    pitch: PitchTrack            # per 10 ms frame
    notes: list = field(default_factory=list)
    speech_like: bool = True     # False for music, noise, silence: animate cautiously


def find_phones(audio: Audio, transcript: str | None = None, progress=None) -> PhoneTrack:
    report = progress or (lambda fraction, message: None)
    features = frame_features(audio.samples, audio.sample_rate)
    activity = detect_voice_activity(features)
    pitch = estimate_pitch(audio, fps=1.0 / FRAME_SECONDS)
    notes = speech_notes(features, activity, pitch.voiced)
    speech_like = not notes
    if activity.speech_seconds < 0.15:
        return PhoneTrack([], "none", activity, features, pitch, notes, False)
    report(0.2, "Listening for phonemes")
    regions = [(a * FRAME_SECONDS, b * FRAME_SECONDS) for a, b in activity.regions()]
    if transcript and transcript.strip():
        try:
            alignment = align_transcript(decoder_pcm(audio), transcript, regions)
        except AlignmentFailed:
            notes.append("The transcript could not be aligned to the audio; used phoneme recognition instead.")
        else:
            if alignment.unknown_words:
                shown = ", ".join(alignment.unknown_words[:5])
                notes.append(f"Words not in the pronouncing dictionary were skipped: {shown}.")
            phones = alignment.phones
            if alignment.failed_spans:
                report(0.4, "Recognising the parts the transcript did not fit")
                phones = _fill_spans(phones, alignment.failed_spans, recognize_phones_with_net(audio))
                notes.append(f"{len(alignment.failed_spans)} part(s) of the audio did not fit the transcript; "
                             "phoneme recognition was used there.")
            if _alignment_fits(phones, activity):
                phones = _released_early(tighten_labials(_silence_outside(phones, activity), features))
                return PhoneTrack(phones, "alignment", activity, features, pitch, notes, speech_like)
            notes.append("The transcript did not match the audio; used phoneme recognition instead.")
    report(0.45, "Recognising phonemes")
    phones = _recognized(audio, features)
    return PhoneTrack(_silence_outside(phones, activity), "recognition", activity, features, pitch, notes,
                      speech_like)


def _recognized(audio: Audio, features: FrameFeatures) -> list:
    """The phone net's phones for the whole recording, each p/b/m shrunk to its loudness dip and released early.

    Measured while developing on synthetic speech held out from both the net's training and the lip-sync bench
    (40–60 utterances, other voices): tightening halves the frames of open vowels shown with closed lips
    (4.1 % → 2.2 %) at no cost in accuracy, releasing early brings them to 0.8 %; adding closures from
    loudness dips that the net did not call p/b/m (what the pocketsphinx recogniser needed) cost 0.08 of
    frame accuracy, and on noisy, reverberant copies it raised the closures found only from 68 % to 70 %.
    """
    return _released_early(tighten_labials(recognize_phones_with_net(audio), features))


def _released_early(phones: list) -> list:
    """End each p/b/m LABIAL_RELEASE_LEAD early: the face keeps the lips shut about a frame past a closure's
    end (its dominance blend), which otherwise shows closed lips in the vowel that follows."""
    out = []
    for phone in phones:
        if phone.phone in LABIALS and phone.duration > LABIAL_RELEASE_LEAD + 0.015:
            phone = PhoneSegment(phone.phone, phone.start, phone.end - LABIAL_RELEASE_LEAD, phone.word)
        out.append(phone)
    return out


def _fill_spans(phones: list, spans: list, recognized: list) -> list:
    """Aligned phones plus, inside each span the alignment left out, the recognised phones cut to it."""
    filled = list(phones)
    for start, end in spans:
        for phone in recognized:
            lo, hi = max(phone.start, start), min(phone.end, end)
            if hi > lo:
                filled.append(PhoneSegment(phone.phone, lo, hi))
    return sorted(filled, key=lambda p: p.start)


def _alignment_fits(phones: list, activity: VoiceActivity) -> bool:
    spoken = [p for p in phones if p.phone != SILENCE]
    if not spoken:
        return False
    total = sum(p.duration for p in spoken)
    silent = sum(_inactive_seconds(p, activity) for p in spoken)
    short = sum(1 for p in spoken if p.duration <= 0.031) / len(spoken)
    covered = np.zeros(len(activity.active), bool)
    for p in spoken:
        covered[int(p.start / FRAME_SECONDS):int(np.ceil(p.end / FRAME_SECONDS))] = True
    unexplained = float((activity.active & ~covered).sum()) / max(1, int(activity.active.sum()))
    return (silent / max(total, 1e-6) < MISMATCH_SILENT_SHARE and short < MISMATCH_SHORT_SHARE
            and unexplained < MISMATCH_SILENT_SHARE)


def _inactive_seconds(phone: PhoneSegment, activity: VoiceActivity) -> float:
    lo, hi = int(phone.start / FRAME_SECONDS), int(np.ceil(phone.end / FRAME_SECONDS))
    return float((~activity.active[lo:hi]).sum()) * FRAME_SECONDS


def _silence_outside(phones: list, activity: VoiceActivity) -> list:
    """Phones that lie entirely where no voice is heard become silence (no mouthing into pauses)."""
    out = []
    for phone in phones:
        if phone.phone != SILENCE and _inactive_seconds(phone, activity) >= phone.duration - 1e-6:
            phone = PhoneSegment(SILENCE, phone.start, phone.end, phone.word)
        out.append(phone)
    return out


__all__ = ["PhoneTrack", "find_phones"]
