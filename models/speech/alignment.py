"""Forced alignment of a known transcript: word and phone timings from pocketsphinx.

Two passes over the audio (the shared notes explain why): the first aligns words, `set_alignment()`
then aligns phones within them. The alignment is walked word by word, never materialised as a list
first (doing so segfaults pocketsphinx 5.1.1).
"""

import re
from dataclasses import dataclass, field

from .decoder import alignment_decoder, decoder_lock
from .segments import FRAME_SECONDS, PhoneSegment, base_phone

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass
class Alignment:
    phones: list                              # PhoneSegment, silences included
    unknown_words: list = field(default_factory=list)


class AlignmentFailed(ValueError):
    """The transcript could not be aligned to the audio."""


def transcript_words(text: str) -> list:
    words = []
    for token in re.split(r"\s+", text.lower().replace("’", "'")):
        if token.isdigit():
            words.extend(_DIGITS[int(d)] for d in token)
        else:
            words.extend(_WORD.findall(token))
    return words


def align_transcript(pcm: bytes, transcript: str) -> Alignment:
    decoder = alignment_decoder()
    words = transcript_words(transcript)
    known, unknown = [], []
    for word in words:
        spelled = _spell(decoder, word)
        if spelled:
            known.extend(spelled)
        else:
            unknown.append(word)
    unknown = sorted(set(unknown))
    if not known:
        raise AlignmentFailed("the transcript has no English words the aligner knows")
    with decoder_lock():
        try:
            decoder.set_align_text(" ".join(known))
            _decode(decoder, pcm)
            decoder.set_alignment()
            _decode(decoder, pcm)
            phones = []
            for word in decoder.get_alignment():
                name = re.sub(r"\(\d+\)$", "", word.name)
                for phone in word:
                    start = phone.start * FRAME_SECONDS
                    phones.append(PhoneSegment(base_phone(phone.name), start,
                                               start + phone.duration * FRAME_SECONDS, name))
        except RuntimeError as error:
            raise AlignmentFailed(str(error)) from None
    if not any(p.phone != "SIL" for p in phones):
        raise AlignmentFailed("the aligner found no words")
    return Alignment(phones, unknown)


def _spell(decoder, word: str) -> list:
    """The word, or known words that compose it ("soundmotion" → "sound motion"); [] if neither."""
    if decoder.lookup_word(word):
        return [word]
    for cut in range(len(word) - 2, 1, -1):
        head, tail = word[:cut], word[cut:]
        if decoder.lookup_word(head):
            rest = _spell(decoder, tail)
            if rest:
                return [head] + rest
    return []


def _decode(decoder, pcm: bytes):
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
