"""The phone/word track a face take keeps, and the edits an animator makes to it (no bpy).

A face take stores the words and phones it used, in scene frames, and the voice's measures (loudness, pitch,
voice activity per 10 ms: models/face/pipeline.VoiceMeasures), so that after retiming a word, changing,
inserting or deleting a phone the face is rebuilt (`models.face.pipeline.face_from_phones`) without analysing
the audio again. operators/phone_track_panel.py shows the track as lists; this module does the arithmetic.
"""

from dataclasses import dataclass

import numpy as np

from ..models.face.pipeline import VoiceMeasures, face_from_phones
from ..models.face.visemes import PHONE_VISEME, VISEMES, phone_viseme
from ..models.speech.segments import SILENCE, PhoneSegment

# The phone an animator gets when they pick a viseme instead of a phone.
VISEME_PHONE = {"sil": SILENCE, "PP": "M", "FF": "F", "TH": "TH", "DD": "D", "kk": "K", "CH": "SH", "SS": "S",
                "nn": "N", "RR": "R", "aa": "AA", "E": "EH", "ih": "IY", "oh": "OW", "ou": "UW", "ax": "AH"}


def known_phones() -> list:
    return sorted(PHONE_VISEME)


def check_phone(phone: str) -> str:
    """The phone in the track's spelling, or a ValueError naming the phones there are."""
    name = phone.strip().upper().rstrip("012")
    if name not in PHONE_VISEME:
        raise ValueError(f"'{phone}' is not a phone SoundMotion knows; use one of {', '.join(known_phones())}.")
    return name


@dataclass
class TrackPhone:
    phone: str
    start: float   # scene frames
    end: float
    word: int = -1  # index into the words, -1 outside words


@dataclass
class TrackWord:
    text: str
    start: float
    end: float


# A hole (or overlap) this short between two phones with nothing between them is no pause: the analysis shrinks
# each p/b/m to its loudness dip and releases it 10 ms early (models/speech/closures.tighten_labials,
# phonemes._released_early), which leaves 10–50 ms holes beside every p/b/m, inside words too (measured on the demo
# line and a line full of p/b/m), and an aligned pause may overlap a phone by 5 ms. Inside such a hole the two
# phones still belong together: one word, and edges that move together (`follow_edge`).
JOINED_SECONDS = 0.1


def joined(end: float, start: float, tolerance: float) -> bool:
    """Whether a phone ending at `end` and the next one starting at `start` touch, to within `tolerance` (the
    same units: JOINED_SECONDS, or JOINED_SECONDS × fps for scene frames)."""
    return abs(start - end) <= tolerance + 1e-6


def words_and_phones(phones: list, frame_start: float, fps: float) -> tuple:
    """(words, phones) in scene frames from timed PhoneSegments; a word is a run of phones of one word, with no
    pause or unworded phone between them (the holes the analysis leaves at a p/b/m do not split it)."""
    words, out, previous = [], [], None
    for phone in phones:
        # as a Blender float property stores them, so that a track read back is the track written
        start = float(np.float32(frame_start + phone.start * fps))
        end = float(np.float32(frame_start + phone.end * fps))
        in_word = bool(phone.word) and phone.phone != SILENCE
        if (in_word and previous is not None and previous.word == phone.word
                and joined(previous.end, phone.start, JOINED_SECONDS)):
            words[-1].end = max(words[-1].end, end)
        elif in_word:
            words.append(TrackWord(phone.word, start, end))
        out.append(TrackPhone(phone.phone, start, end, len(words) - 1 if in_word else -1))
        previous = phone if in_word else None
    return words, out


def retimed(words: list, phones: list, frame_start: float, fps: float, new_fps: float) -> tuple:
    """(words, phones) of a track kept at `fps`, in the frames of `new_fps` (the scene's rate was changed): the same
    seconds after the take's start frame, edits included."""
    def frame(value):
        return float(np.float32(frame_start + (value - frame_start) * new_fps / fps))

    return ([TrackWord(w.text, frame(w.start), frame(w.end)) for w in words],
            [TrackPhone(p.phone, frame(p.start), frame(p.end), p.word) for p in phones])


def segments(phones: list, words: list, frame_start: float, fps: float) -> list:
    """PhoneSegments in seconds for the face, in time order, without empty phones. Overlaps are kept: the face
    blends overlapping phones as it blends neighbours (the analysis itself overlaps a released p/b/m a little)."""
    out = []
    for phone in sorted(phones, key=lambda p: (p.start, p.end)):
        if phone.end - phone.start < 1e-6:
            continue
        word = words[phone.word].text if 0 <= phone.word < len(words) else ""
        out.append(PhoneSegment(check_phone(phone.phone), (phone.start - frame_start) / fps,
                                (phone.end - frame_start) / fps, word))
    return out


def face_through_track(face, voice: VoiceMeasures, frame_start: float, fps: float, settings) -> tuple:
    """(face, (words, phones)): the face rebuilt from its own track as a take stores it, so that re-applying an
    unedited track gives back exactly the keys the take was written with."""
    words, phones = words_and_phones(face.phones, frame_start, fps)
    rebuilt = face_from_phones(segments(phones, words, frame_start, fps), voice, fps, settings)
    rebuilt.notes, rebuilt.phone_source, rebuilt.track = face.notes, face.phone_source, face.track
    return rebuilt, (words, phones)


def rescale_word(phones: list, word_index: int, old: tuple, new: tuple):
    """Move and stretch a word's phones from its old (start, end) to its new one."""
    (a, b), (c, d) = old, new
    scale = (d - c) / (b - a) if b > a else 0.0
    for phone in phones:
        if phone.word == word_index:
            phone.start, phone.end = c + (phone.start - a) * scale, c + (phone.end - a) * scale


def insert_after(phones: list, index: int, phone: str) -> TrackPhone:
    """Split phone `index` in two; the new phone takes its second half (and its word)."""
    check_phone(phone)
    current = phones[index]
    middle = 0.5 * (current.start + current.end)
    new = TrackPhone(phone, middle, current.end, current.word)
    current.end = middle
    phones.insert(index + 1, new)
    return new


def delete(phones: list, index: int, fps: float = 0.0):
    """Remove phone `index`; the phone before it (else after it) takes its time, so no gap opens. With the track's
    `fps`, a neighbour across a hole the analysis left at a p/b/m (JOINED_SECONDS) counts as touching."""
    gone = phones.pop(index)
    tolerance = JOINED_SECONDS * fps
    if index > 0 and joined(phones[index - 1].end, gone.start, tolerance):
        phones[index - 1].end = gone.end
    elif index < len(phones) and joined(gone.end, phones[index].start, tolerance):
        phones[index].start = gone.start


def follow_edge(edge: float, old: float, new: float, fps: float):
    """Where a neighbour's edge goes (scene frames) when the phone edge it touches moves from `old` to `new`: by as
    much, so that a hole the analysis left at a p/b/m stays as it was (a touching edge lands on `new`); None when
    the two do not touch (further apart than JOINED_SECONDS)."""
    if not joined(edge, old, JOINED_SECONDS * fps):
        return None
    return new if abs(edge - old) < 1e-4 else edge + (new - old)


def viseme_of(phone: TrackPhone, fps: float) -> str:
    try:
        return phone_viseme(check_phone(phone.phone), (phone.end - phone.start) / fps)
    except ValueError:
        return "sil"


def voice_to_dict(voice: VoiceMeasures) -> dict:
    """Plain lists and numbers (what a Blender ID property holds)."""
    return {"decibels": np.asarray(voice.decibels, np.float64).tolist(),
            "speaking": np.asarray(voice.speaking, np.int32).tolist(),
            "semitones": np.asarray(voice.semitones, np.float64).tolist(),
            "voiced": np.asarray(voice.voiced, np.int32).tolist(),
            "duration": float(voice.duration), "speech_like": int(voice.speech_like)}


def voice_from_dict(data) -> VoiceMeasures:
    return VoiceMeasures(np.asarray(data["decibels"], np.float64), np.asarray(data["speaking"], bool),
                         np.asarray(data["semitones"], np.float64), np.asarray(data["voiced"], bool),
                         float(data["duration"]), bool(data["speech_like"]))


__all__ = ["VISEMES", "VISEME_PHONE", "JOINED_SECONDS", "TrackPhone", "TrackWord", "joined", "words_and_phones",
           "segments", "rescale_word", "insert_after", "delete", "follow_edge", "viseme_of", "check_phone",
           "voice_to_dict", "voice_from_dict"]
