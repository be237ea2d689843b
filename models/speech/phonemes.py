"""Audio (+ optional transcript, in any language) → timed phones: alignment when a transcript fits, recognition
otherwise.

Recognition is the learned phone net (phone_net.py), which hears language-neutral articulatory classes
(articulation.py). English transcripts are aligned word by word with pocketsphinx and their phones timed with the
same net (alignment.py); transcripts in other languages become phones with eSpeak NG and are aligned by Viterbi over
the net's frame posteriors (espeak_alignment.py).
"""

from dataclasses import dataclass, field

import numpy as np

from ..audio.load import Audio
from ..audio.pitch import PitchTrack, estimate_pitch
from .activity import VoiceActivity, detect_voice_activity, speech_notes
from .alignment import AlignmentFailed, align_transcript
from .closures import LABIALS, tighten_labials
from .espeak import EspeakUnavailable
from .espeak_alignment import TranscriptUnusable, align_with_espeak
from .features import FrameFeatures, frame_features
from .pcm import decoder_pcm
from .phone_net import decode_phones, load_phone_net, phone_posteriors
from .segments import FRAME_SECONDS, SILENCE, PhoneSegment

LABIAL_RELEASE_LEAD = 0.01  # seconds
MISMATCH_SILENT_SHARE = 0.35  # aligned speech that falls where nobody speaks
MISMATCH_SHORT_SHARE = 0.5    # phones squeezed to the aligner's minimum length
PAUSE_SECONDS = 0.15          # a stretch this long where no voice is heard is a pause, whatever a phone claims
ENGLISH = ("en", "en-us", "en-gb", "en-029", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-x-rp",
           "en-us-nyc")
ENGLISH_ALIGNER = "pocketsphinx"  # or "espeak": English transcripts aligned like every other language


def uses_pocketsphinx(language: str | None, aligner: str | None = None) -> bool:
    """English (the default when no language is named) goes to pocketsphinx unless told otherwise."""
    return (language is None or language.lower() in ENGLISH) and (aligner or ENGLISH_ALIGNER) == "pocketsphinx"


@dataclass
class PhoneTrack:
    phones: list                 # PhoneSegment in time order; SIL where nothing is said
    source: str                  # "alignment", "recognition" or "none"
    activity: VoiceActivity
    features: FrameFeatures
    pitch: PitchTrack            # per 10 ms frame
    notes: list = field(default_factory=list)
    speech_like: bool = True     # False for music, noise, silence: animate cautiously


def find_phones(audio: Audio, transcript: str | None = None, progress=None, language: str | None = None,
                aligner: str | None = None) -> PhoneTrack:
    """`language`: eSpeak NG code of the transcript's language (None: English); the audio alone needs none.
    `aligner`: "pocketsphinx" or "espeak" for English transcripts (default ENGLISH_ALIGNER)."""
    report = progress or (lambda fraction, message: None)
    features = frame_features(audio.samples, audio.sample_rate)
    posteriors = phone_posteriors(audio) if np.any(audio.samples) else None
    speech = None if posteriors is None else 1.0 - np.exp(posteriors[0][:, posteriors[1].index(SILENCE)])
    activity = detect_voice_activity(features, speech)
    pitch = estimate_pitch(audio, fps=1.0 / FRAME_SECONDS)
    notes = speech_notes(features, activity, pitch.voiced, speech)
    speech_like = not notes
    if activity.speech_seconds < 0.15:
        return PhoneTrack([], "none", activity, features, pitch, notes, False)
    report(0.2, "Listening for phonemes")
    regions = [(a * FRAME_SECONDS, b * FRAME_SECONDS) for a, b in activity.regions()]
    if transcript and transcript.strip():
        try:
            phones, failed_spans = _aligned(audio, transcript, regions, posteriors, language, aligner, notes)
        except EspeakUnavailable as error:
            notes.append(f"{error} Used phoneme recognition instead.")
        except (AlignmentFailed, TranscriptUnusable):
            notes.append("The transcript could not be aligned to the audio; used phoneme recognition instead.")
        else:
            if failed_spans:
                report(0.4, "Recognising the parts the transcript did not fit")
                phones = _fill_spans(phones, failed_spans, _net_phones(posteriors))
                notes.append(f"{len(failed_spans)} part(s) of the audio did not fit the transcript; "
                             "phoneme recognition was used there.")
            if _alignment_fits(phones, activity):
                phones = _released_early(tighten_labials(_silence_outside(phones, activity), features))
                return PhoneTrack(phones, "alignment", activity, features, pitch, notes, speech_like)
            notes.append("The transcript did not match the audio; used phoneme recognition instead.")
    report(0.45, "Recognising phonemes")
    phones = _released_early(tighten_labials(_net_phones(posteriors), features))
    return PhoneTrack(_silence_outside(phones, activity), "recognition", activity, features, pitch, notes,
                      speech_like)


def _aligned(audio: Audio, transcript: str, regions: list, posteriors: tuple, language: str | None,
             aligner: str | None, notes: list) -> tuple:
    """(phones, spans left for recognition) of the transcript: pocketsphinx for English, eSpeak NG otherwise."""
    if uses_pocketsphinx(language, aligner):
        alignment = align_transcript(decoder_pcm(audio), transcript, regions, posteriors)
        if alignment.unknown_words:
            notes.append(f"Words not in the pronouncing dictionary were skipped: "
                         f"{', '.join(alignment.unknown_words[:5])}.")
        return alignment.phones, alignment.failed_spans
    log_probs, names = posteriors
    return align_with_espeak(log_probs, names, transcript, language or "en-us", regions), []


def _net_phones(posteriors: tuple) -> list:
    """The phone net's decoded phones (PhoneSegment, seconds; SIL where nothing is said); the caller tightens each
    p/b/m to its loudness dip and releases it early.

    Measured while developing on synthetic speech held out from the net and the bench: tightening p/b/m to their
    loudness dip halves the open-vowel frames shown with closed lips (4.1 % → 2.2 %), releasing them early brings
    that to 0.8 %; adding closures from loudness dips the recogniser did not call p/b/m cost 0.08 frame accuracy."""
    log_probs, names = posteriors
    return [PhoneSegment(name, first * FRAME_SECONDS, end * FRAME_SECONDS)
            for name, first, end in decode_phones(log_probs, names, load_phone_net().log_prior)]


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
    """No mouthing into pauses: the parts of phones where no voice is heard for PAUSE_SECONDS or more become
    silence (an aligner or recogniser may stretch a word over a pause; stop closures inside a phrase are shorter
    and count as voice, see activity.GAP_FILL_SECONDS)."""
    quiet = ~activity.active
    out = []
    for phone in phones:
        if phone.phone == SILENCE:
            out.append(phone)
            continue
        lo = max(0, int(round(phone.start / FRAME_SECONDS)))
        hi = min(len(quiet), int(round(phone.end / FRAME_SECONDS)))
        runs = [(a, b) for a, b in _runs(quiet[lo:hi]) if (b - a) * FRAME_SECONDS >= PAUSE_SECONDS - 1e-9
                or (a == 0 and b == hi - lo)]
        if not runs:
            out.append(phone)
            continue
        cursor = phone.start
        for a, b in runs:
            start, end = (lo + a) * FRAME_SECONDS, (lo + b) * FRAME_SECONDS
            if a == 0:
                start = phone.start
            if b == hi - lo:
                end = phone.end
            if start > cursor + 1e-9:
                out.append(PhoneSegment(phone.phone, cursor, start, phone.word))
            out.append(PhoneSegment(SILENCE, start, end, phone.word))
            cursor = end
        if phone.end > cursor + 1e-9:
            out.append(PhoneSegment(phone.phone, cursor, phone.end, phone.word))
    return out


def _runs(mask: np.ndarray) -> list:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


__all__ = ["PhoneTrack", "find_phones"]
