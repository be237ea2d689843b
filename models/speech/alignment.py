"""Forced alignment of a known transcript: word and phone timings from pocketsphinx.

Long recordings are aligned phrase by phrase: pocketsphinx's aligner fails outright on a minute of
speech at any beam, while phrase-sized pieces align reliably and faster. The recording is cut at pauses
(voice activity), the transcript's words are shared out over the pieces where the phone net hears them (a
Viterbi over its frame posteriors for the whole transcript), and each piece is aligned on its own. A piece
pocketsphinx cannot align has its words placed by that Viterbi instead; a piece given no words (a filler, a
word the transcript lacks) is returned as a failed span, for phone recognition to fill in.

Per piece, pocketsphinx aligns the words; the phones inside each word are timed from the phone net's
frame posteriors (phone_timing.py). pocketsphinx's own phone pass (`set_alignment()`, a second decode)
cost as much as the word pass and is not used.
"""

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ..audio.load import Audio
from .articulation import arpabet_class
from .decoder import alignment_decoder, decode
from .espeak_alignment import MAX_SPAN_SECONDS, align_units, share_units
from .pcm import DECODER_RATE
from .phone_net import phone_posteriors
from .phone_timing import segments_in_word
from .pronounce import english_pronunciation
from .segments import FRAME_SECONDS, SILENCE, PhoneSegment, base_phone

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.,;:!?]")
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SECONDS_PER_PHONE = 0.075
BYTES_PER_SECOND = 32000  # 16 kHz, 16-bit
MAX_PIECE_SECONDS = 5.0
# A piece whose alignment squeezes a word is aligned again, cut half a frame later or with words moved to the
# pieces beside it, and the phone net keeps the alignment it hears best (issue #14, seventeenth round).
MEND_SQUEEZED = True
MIN_FRAMES_PER_PHONE = 3  # the acoustic model's phones have three states and no skips
MAX_MOVED_WORDS = 2


@dataclass
class Word:
    text: str
    phones: int
    pause_after: bool  # punctuation follows: a likely place for a pause


@dataclass
class Alignment:
    phones: list                                   # PhoneSegment, silences included, in time order
    unknown_words: list = field(default_factory=list)    # skipped: not even eSpeak NG could say them
    pronounced_words: list = field(default_factory=list)  # not in the dictionary: eSpeak NG's pronunciation
    failed_spans: list = field(default_factory=list)  # (start, end) seconds left for recognition


class AlignmentFailed(ValueError):
    """The transcript could not be aligned to the audio."""


_FOLDED = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ð": "d", "þ": "th", "ł": "l", "đ": "d"})


def plain_letters(text: str) -> str:
    """Accents taken off (café → cafe, naïve → naive, Zürich → zurich), so the dictionary finds the word
    instead of the tokenizer splitting it at the accented letter."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLDED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Symbols an English reader says as words: "$5" is "five dollars", "50%" "fifty percent", "&" "and".
_CURRENCY = re.compile(r"([$€£])\s*(\d+)")
_CURRENCY_WORDS = {"$": "dollars", "€": "euros", "£": "pounds"}


def spoken_symbols(text: str) -> str:
    """`text` with the symbols an English reader says as words written as those words."""
    text = _CURRENCY.sub(lambda m: f"{m.group(2)} {_CURRENCY_WORDS[m.group(1)]}", text)
    return text.replace("%", " percent ").replace("&", " and ").replace("+", " plus ")


def transcript_words(text: str) -> list:
    return [w.text for w in _words(text, None)]


def _words(text: str, decoder, pronounced: dict | None = None) -> list:
    """Dictionary words with their phone counts; unknown words are split into known parts, else pronounced by
    eSpeak NG and added to the decoder's dictionary (and to `pronounced`: {word: ARPAbet}), else dropped."""
    words = []
    for token in _TOKEN.findall(plain_letters(spoken_symbols(text).lower().replace("’", "'"))):
        if token in ".,;:!?":
            if words:
                words[-1].pause_after = True
            continue
        parts = [_DIGITS[int(d)] for d in token] if token.isdigit() else [token]
        if decoder is not None and token.isdigit() and len(token) > 1:
            number = pronounced_word(decoder, token, pronounced)  # "1987" as eSpeak NG reads it
            if number:
                words.append(number)
                continue
        for part in parts:
            if decoder is None:
                words.append(Word(part, 0, False))
                continue
            spelled = _spell(decoder, part)
            words.extend(Word(piece, len(decoder.lookup_word(piece).split()), False) for piece in spelled)
            if spelled:
                continue
            words.append(pronounced_word(decoder, part, pronounced) or Word(part, -1, False))  # -1: unknown
    return words


def pronounced_word(decoder, word: str, pronounced: dict | None) -> Word | None:
    """`word` as eSpeak NG pronounces it, added to the decoder's dictionary (and to `pronounced`); None when eSpeak
    NG is missing or says a phone the acoustic model lacks (pocketsphinx's add_word raises)."""
    phones = english_pronunciation(word)
    if not phones:
        return None
    try:
        decoder.add_word(word, phones, True)
    except RuntimeError:
        return None
    if pronounced is not None:
        pronounced[word] = phones
    return Word(word, len(phones.split()), False)


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


def align_transcript(pcm: bytes, transcript: str, speech_regions: list | None = None,
                     posteriors: tuple | None = None, progress=None) -> Alignment:
    """Align `transcript` to the audio. `speech_regions`: [(start, end)] seconds of voice activity;
    `posteriors`: the phone net's (log_probs, names) for this audio, when already computed; `progress(share of
    the pieces aligned)`, if given, is called before each piece (and may raise to cancel: ten minutes of speech
    took 27 s here without a word to the progress bar or a chance for Esc)."""
    progress = progress or (lambda done: None)
    decoder = alignment_decoder()
    if posteriors is None:
        samples = np.frombuffer(pcm, "<i2").astype(np.float32)
        samples /= 32768.0  # in place: one copy of the signal, not two
        posteriors = phone_posteriors(Audio(samples, DECODER_RATE))
    pronounced = {}
    all_words = _words(transcript, decoder, pronounced)
    unknown = sorted({w.text for w in all_words if w.phones < 0})
    words = [w for w in all_words if w.phones > 0]
    if not words:
        raise AlignmentFailed("the transcript has no English words the aligner knows")
    duration = len(pcm) / BYTES_PER_SECOND
    regions = speech_regions or [(0.0, duration)]
    pieces = _pieces(regions, duration)
    shares = _share_words_by_net(words, pieces, posteriors, decoder, regions) if len(pieces) > 1 else [words]
    chunks = [pcm[int(start * BYTES_PER_SECOND) & ~1:int(end * BYTES_PER_SECOND) & ~1] for start, end, _ in pieces]
    aligned = []
    for k, ((start, _, _), chunk, piece_words) in enumerate(zip(pieces, chunks, shares)):
        progress(k / len(pieces))
        aligned.append(_align_piece(decoder, chunk, piece_words, start, posteriors) if piece_words else None)
    if MEND_SQUEEZED:
        _mend_squeezed(decoder, pieces, chunks, shares, aligned, posteriors)
    phones, failed, exhaustive = [], [], None
    for (start, end, _), chunk, piece_words, piece in zip(pieces, chunks, shares, aligned):
        if not piece_words:
            failed.append((start, end))
            continue
        if piece is None:
            exhaustive = exhaustive or _with_words(alignment_decoder(exhaustive=True), pronounced)
            piece = _align_piece(exhaustive, chunk, piece_words, start, posteriors)
        # pocketsphinx gave up: the net places the piece's words instead
        phones.extend(piece.phones if piece is not None
                      else _align_piece_by_net(piece_words, decoder, start, end, posteriors))
    if not any(p.phone != SILENCE for p in phones):
        raise AlignmentFailed("the aligner found no words")
    return Alignment(phones, unknown, pronounced_words=sorted(w for w in pronounced if not w.isdigit()),
                     failed_spans=failed)


def _with_words(decoder, pronounced: dict):
    """`decoder` with the words eSpeak NG pronounced ({word: ARPAbet}) added to its dictionary."""
    for word, phones in pronounced.items():
        decoder.add_word(word, phones, True)
    return decoder


def _pieces(regions: list, duration: float) -> list:
    """(start, end, speech_seconds) pieces cut in the middle of pauses, each up to MAX_PIECE_SECONDS."""
    regions = [(max(0.0, a), min(duration, b)) for a, b in regions if b > a]
    if not regions:
        return [(0.0, duration, duration)]
    pieces, current = [], [regions[0]]
    for region in regions[1:]:
        if region[1] - current[0][0] > MAX_PIECE_SECONDS:
            pieces.append(current)
            current = [region]
        else:
            current.append(region)
    pieces.append(current)
    out = []
    for k, piece in enumerate(pieces):
        start = 0.0 if k == 0 else 0.5 * (pieces[k - 1][-1][1] + piece[0][0])
        end = duration if k == len(pieces) - 1 else 0.5 * (piece[-1][1] + pieces[k + 1][0][0])
        out.append((start, end, sum(b - a for a, b in piece)))
    return out


def _share_words_by_net(words: list, pieces: list, posteriors: tuple, decoder, regions: list) -> list:
    """The word list split over the pieces where the phone net hears each word: a left-to-right Viterbi over the
    net's frame posteriors (espeak_alignment.align_units) places the dictionary phones of the whole transcript,
    a pause allowed between any two words, and each word goes to the piece holding its middle. Sharing them out by
    expected length alone (as before) sent words to the wrong piece when the speaker's pace changed, and a piece
    given words it does not hold aligns them to the wrong sounds or not at all. `regions`: [(start, end)] seconds
    of voice, where a recording over MAX_SPAN_SECONDS is first cut for the Viterbi (espeak_alignment.share_units)."""
    log_probs, names = posteriors
    units, _ = _net_units(words, decoder)
    count = len(log_probs)
    spans = [(0, count, units, 0)]
    if count * FRAME_SECONDS > MAX_SPAN_SECONDS:
        spans = share_units(units, regions, count)
    first_frame, last_frame = np.full(len(words), np.inf), np.full(len(words), -np.inf)
    for first, end, span_units, _ in spans:
        if not span_units:
            continue
        for index, a, b in align_units(log_probs, names, span_units, first, end):
            if index >= 0:
                word = span_units[index][1]
                first_frame[word] = min(first_frame[word], a)
                last_frame[word] = max(last_frame[word], b)
    middles = 0.5 * (first_frame + last_frame) * FRAME_SECONDS
    bounds = [end for _, end, _ in pieces[:-1]]
    piece_of = np.maximum.accumulate(np.searchsorted(bounds, middles, side="right"))
    return [[w for w, p in zip(words, piece_of) if p == k] for k in range(len(pieces))]


def _net_units(words: list, decoder) -> tuple:
    """(units for espeak_alignment.align_units: (class, word index, pause allowed before, seconds), and the
    ARPAbet phone of each unit) for the words' dictionary pronunciations."""
    units, arpabet = [], []
    for k, word in enumerate(words):
        pause = 2 if k == 0 or words[k - 1].pause_after else 1
        for j, phone in enumerate(decoder.lookup_word(word.text).split()):
            units.append((arpabet_class(base_phone(phone)), k, pause if j == 0 else 0, SECONDS_PER_PHONE))
            arpabet.append(base_phone(phone))
    return units, arpabet


def _align_piece_by_net(words: list, decoder, start: float, end: float, posteriors: tuple) -> list:
    """PhoneSegments for `words` over [start, end) seconds placed by Viterbi over the phone net's posteriors
    (used where pocketsphinx cannot align a piece: the transcript's words, p/b/m included, still drive the face)."""
    log_probs, names = posteriors
    units, arpabet = _net_units(words, decoder)
    first = int(round(start / FRAME_SECONDS))
    last = min(len(log_probs), max(first + 1, int(round(end / FRAME_SECONDS))))
    out = []
    for index, a, b in align_units(log_probs, names, units, first, last):
        name, word = (SILENCE, "") if index < 0 else (arpabet[index], words[units[index][1]].text)
        out.append(PhoneSegment(name, a * FRAME_SECONDS, b * FRAME_SECONDS, word))
    return out


@dataclass
class PieceAlignment:
    phones: list    # PhoneSegment, silences included
    squeezed: int   # words of two phones or more given no more frames than their shortest path (MIN_FRAMES_PER_PHONE
                    # each; a one-phone word such as "a" is often that short)


def _align_piece(decoder, pcm: bytes, words: list, offset: float, posteriors: tuple) -> PieceAlignment | None:
    try:
        decoder.set_align_text(" ".join(w.text for w in words))
        decode(decoder, pcm)
        if decoder.hyp() is None:
            return None
        spans = [(s.word, s.start_frame, s.end_frame + 1) for s in decoder.seg()]
        pronunciations = {word: decoder.lookup_word(word) for word, _, _ in spans}
    except RuntimeError:
        return None
    log_probs, names = posteriors
    phones, squeezed = [], 0
    for word, first, end in spans:
        start, stop = offset + first * FRAME_SECONDS, offset + end * FRAME_SECONDS
        spelled = pronunciations[word]
        if base_phone(word) == SILENCE or not spelled:
            phones.append(PhoneSegment(SILENCE, start, stop))
            continue
        name = re.sub(r"\(\d+\)$", "", word)
        spelled = [base_phone(p) for p in spelled.split()]
        squeezed += len(spelled) > 1 and end - first <= MIN_FRAMES_PER_PHONE * len(spelled)
        phones.extend(segments_in_word(log_probs, names, spelled, start, stop, name))
    return PieceAlignment(phones, squeezed)


def _mend_squeezed(decoder, pieces: list, chunks: list, shares: list, aligned: list, posteriors: tuple):
    """Where pocketsphinx squeezes a word of a piece to its shortest path, its alignment is often wrong: the same
    words over audio cut 5 ms later can place a filler where it was said ("corpus | um | the", not "corpus um |
    the" with "um" in 60 ms and "the" stretched over it), and a piece can hold words said in the piece beside it
    (the net's Viterbi sent them across a pause). Tried: the piece cut half a frame later, and up to
    MAX_MOVED_WORDS words at its end moved into the next piece or at its start into the one before. The phone
    net judges (_net_score over the pieces concerned); the best candidate replaces the alignment where it scores
    higher. `shares` and `aligned` are changed in place."""
    offsets = [start for start, _, _ in pieces]
    half = FRAME_SECONDS / 2
    for k in range(len(pieces)):
        if aligned[k] is None or not aligned[k].squeezed:
            continue
        # Each candidate: {piece index: (its words, their alignment)} for the pieces it changes.
        candidates = []
        shifted = _align_piece(decoder, chunks[k][int(half * BYTES_PER_SECOND) & ~1:], shares[k], offsets[k] + half,
                               posteriors)
        if shifted:
            candidates.append({k: (shares[k], shifted)})
        for other in (k - 1, k + 1):
            if not 0 <= other < len(pieces) or aligned[other] is None:
                continue
            for count in range(1, min(MAX_MOVED_WORDS, len(shares[k]) - 1) + 1):
                if other > k:
                    kept, moved = shares[k][:-count], shares[k][-count:] + shares[other]
                else:
                    kept, moved = shares[k][count:], shares[other] + shares[k][:count]
                mine = _align_piece(decoder, chunks[k], kept, offsets[k], posteriors)
                theirs = mine and _align_piece(decoder, chunks[other], moved, offsets[other], posteriors)
                if theirs:
                    candidates.append({k: (kept, mine), other: (moved, theirs)})
        best, best_gain = None, 0.0
        for candidate in candidates:
            span = (pieces[min(candidate)][0], pieces[max(candidate)][1])
            now = [p for i in sorted(candidate) for p in aligned[i].phones]
            new = [p for i in sorted(candidate) for p in candidate[i][1].phones]
            gain = _net_score(new, posteriors, *span) - _net_score(now, posteriors, *span)
            if gain > best_gain:
                best, best_gain = candidate, gain
        for i, (words, alignment) in (best or {}).items():
            shares[i], aligned[i] = words, alignment


def _net_score(phones: list, posteriors: tuple, start: float, end: float) -> float:
    """The phone net's log probability of the classes `phones` (silence between them) give the frames of [start,
    end) seconds: how well an alignment fits what the net hears."""
    log_probs, names = posteriors
    column = {name: k for k, name in enumerate(names)}
    first, last = int(round(start / FRAME_SECONDS)), min(len(log_probs), int(round(end / FRAME_SECONDS)))
    classes = np.full(max(0, last - first), column[SILENCE])
    for phone in phones:
        a = max(first, int(round(phone.start / FRAME_SECONDS)))
        b = min(last, int(round(phone.end / FRAME_SECONDS)))
        if b > a:
            classes[a - first:b - first] = column.get(arpabet_class(phone.phone), column[SILENCE])
    return float(log_probs[np.arange(first, last), classes].sum())
