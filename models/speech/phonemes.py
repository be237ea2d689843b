"""Audio (+ optional transcript) → timed phones: alignment when a transcript fits, recognition otherwise."""

from dataclasses import dataclass, field

import numpy as np

from ..audio.load import Audio
from ..audio.pitch import PitchTrack, estimate_pitch
from .activity import VoiceActivity, detect_voice_activity, speech_notes
from .alignment import AlignmentFailed, align_transcript
from .closures import find_closures, tighten_labials
from .features import FrameFeatures, frame_features
from .formants import relabel_vowels
from .pcm import DECODER_RATE, decoder_pcm
from .decoder import phone_decoder
from .recognition import recognize_phones
from .segments import FRAME_SECONDS, SILENCE, PhoneSegment

CLOSURE_PHONE = "B"
LOUD_VOICED_AS_VOWELS = False  # measured: relabelling loud voiced consonants too lowers accuracy
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
    pcm = decoder_pcm(audio)
    report(0.2, "Listening for phonemes")
    regions = [(a * FRAME_SECONDS, b * FRAME_SECONDS) for a, b in activity.regions()]
    if transcript and transcript.strip():
        try:
            alignment = align_transcript(pcm, transcript, regions)
        except AlignmentFailed:
            notes.append("The transcript could not be aligned to the audio; used phoneme recognition instead.")
        else:
            if alignment.unknown_words:
                shown = ", ".join(alignment.unknown_words[:5])
                notes.append(f"Words not in the pronouncing dictionary were skipped: {shown}.")
            phones = alignment.phones
            if alignment.failed_spans:
                report(0.4, "Recognising the parts the transcript did not fit")
                phones = _fill_spans(phones, alignment.failed_spans, pcm, audio, features, activity, pitch)
                notes.append(f"{len(alignment.failed_spans)} part(s) of the audio did not fit the transcript; "
                             "phoneme recognition was used there.")
            if _alignment_fits(phones, activity):
                return PhoneTrack(tighten_labials(_silence_outside(phones, activity), features), "alignment",
                                  activity, features, pitch, notes, speech_like)
            notes.append("The transcript did not match the audio; used phoneme recognition instead.")
    report(0.45, "Recognising phonemes")
    phones = _recognized(pcm, 0.0, features, activity, vowels=_vowel_relabeller(audio, features, pitch))
    return PhoneTrack(_silence_outside(phones, activity), "recognition", activity, features, pitch, notes,
                      speech_like)


def _vowel_relabeller(audio: Audio, features: FrameFeatures, pitch: PitchTrack):
    return lambda phones: relabel_vowels(phones, audio.samples, audio.sample_rate, features.decibels,
                                         pitch.voiced, FRAME_SECONDS, LOUD_VOICED_AS_VOWELS)


def _recognized(pcm: bytes, offset: float, features: FrameFeatures, activity: VoiceActivity, decoder=None,
                vowels=None) -> list:
    phones = [PhoneSegment(p.phone, p.start + offset, p.end + offset) for p in recognize_phones(pcm, decoder)]
    if vowels is not None:
        phones = vowels(phones)
    end = offset + len(pcm) / (2.0 * DECODER_RATE)
    closures = [(a, b) for a, b in find_closures(features, activity) if offset <= a and b <= end]
    return _with_closures(tighten_labials(phones, features, require_dip=True), closures)


def _fill_spans(phones: list, spans: list, pcm: bytes, audio: Audio, features: FrameFeatures,
                activity: VoiceActivity, pitch: PitchTrack) -> list:
    filled, decoder = list(phones), phone_decoder()
    vowels = _vowel_relabeller(audio, features, pitch)
    for start, end in spans:
        chunk = pcm[int(start * 2 * DECODER_RATE) & ~1:int(end * 2 * DECODER_RATE) & ~1]
        filled.extend(_recognized(chunk, start, features, activity, decoder, vowels))
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


def _with_closures(phones: list, closures: list) -> list:
    """Insert acoustic closures the recogniser missed, cutting the phones they overlap."""
    labial = [p for p in phones if p.phone in ("P", "B", "M")]
    result = list(phones)
    for start, end in closures:
        if any(p.start < end + 0.03 and p.end > start - 0.03 for p in labial):
            continue
        cut = []
        for phone in result:
            if phone.end <= start or phone.start >= end:
                cut.append(phone)
                continue
            if phone.start < start:
                cut.append(PhoneSegment(phone.phone, phone.start, start, phone.word))
            if phone.end > end:
                cut.append(PhoneSegment(phone.phone, end, phone.end, phone.word))
        cut.append(PhoneSegment(CLOSURE_PHONE, start, end))
        result = sorted(cut, key=lambda p: p.start)
    return result


__all__ = ["PhoneTrack", "find_phones", "DECODER_RATE"]
