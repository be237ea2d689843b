"""Timed words from an aligned transcript, and the meaning cues a gesture can show (deixis, size, negation,
questions, enumeration)."""

import re
from dataclasses import dataclass

from ..speech.segments import SILENCE

SELF_WORDS = {"i", "me", "my", "mine", "myself", "we", "us", "our", "i'm", "i've", "i'll", "i'd"}
OTHER_WORDS = {"you", "your", "yours", "yourself", "you're", "you've", "you'll"}
HERE_WORDS = {"this", "these", "here"}
THERE_WORDS = {"there", "that", "those", "they", "them"}
BIG_WORDS = {"big", "huge", "all", "everything", "everyone", "whole", "enormous", "giant", "large", "massive",
             "everybody", "world", "always", "entire", "vast", "wide"}
SMALL_WORDS = {"tiny", "small", "little", "bit", "exactly", "precisely", "detail", "details", "specific", "just"}
NEGATION_WORDS = {"no", "not", "never", "nothing", "nobody", "none", "neither", "nor", "don't", "doesn't",
                  "didn't", "can't", "cannot", "won't", "wouldn't", "shouldn't", "isn't", "aren't", "wasn't",
                  "weren't", "haven't", "hasn't", "nowhere"}
COUNT_WORDS = {"first": 1, "one": 1, "second": 2, "two": 2, "third": 3, "three": 3, "fourth": 4, "four": 4,
               "fifth": 5, "five": 5, "firstly": 1, "secondly": 2, "thirdly": 3}
CUES = ("self", "other", "here", "there", "big", "small", "negation", "question", "count")


@dataclass(frozen=True)
class TimedWord:
    text: str          # lower case, punctuation removed
    start: float
    end: float
    question: bool = False   # the last word of a question


@dataclass(frozen=True)
class Cue:
    kind: str          # one of CUES
    time: float        # seconds: where the gesture's stroke should land
    word: str
    count: int = 0     # fingers, for "count"


def timed_words(phones: list, transcript: str) -> list:
    """Words of an aligned transcript with their times; phones carry the word they belong to."""
    spans = []
    for phone in phones:
        if phone.phone == SILENCE or not phone.word:
            continue
        word = _clean(phone.word)
        if spans and spans[-1][0] == word and phone.start - spans[-1][2] < 0.02:
            spans[-1][2] = phone.end
        else:
            spans.append([word, phone.start, phone.end])
    questions = _question_ends(transcript)
    words, cursor = [], 0
    tokens = [_clean(t) for t in re.findall(r"[\w']+[?]?", transcript)]
    for word, start, end in spans:
        question = False
        for k in range(cursor, min(cursor + 6, len(tokens))):
            if tokens[k] == word:
                question = k in questions
                cursor = k + 1
                break
        words.append(TimedWord(word, start, end, question))
    return words


def find_cues(words: list) -> list:
    cues = []
    counting = [w for w in words if w.text in COUNT_WORDS]
    # "one" alone is usually an article-like word; counting needs at least two number words.
    enumerating = len({COUNT_WORDS[w.text] for w in counting}) >= 2
    for word in words:
        stroke = word.start + min(0.12, 0.4 * (word.end - word.start))
        text = word.text
        if word.question:
            cues.append(Cue("question", stroke, text))
        if text in NEGATION_WORDS:
            cues.append(Cue("negation", stroke, text))
        elif enumerating and text in COUNT_WORDS:
            cues.append(Cue("count", stroke, text, COUNT_WORDS[text]))
        elif text in SELF_WORDS:
            cues.append(Cue("self", stroke, text))
        elif text in OTHER_WORDS:
            cues.append(Cue("other", stroke, text))
        elif text in HERE_WORDS:
            cues.append(Cue("here", stroke, text))
        elif text in THERE_WORDS:
            cues.append(Cue("there", stroke, text))
        elif text in BIG_WORDS:
            cues.append(Cue("big", stroke, text))
        elif text in SMALL_WORDS:
            cues.append(Cue("small", stroke, text))
    return cues


def _clean(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower()).strip("'")


def _question_ends(transcript: str) -> set:
    """Indices (among the transcript's word tokens) of words that end a question."""
    ends = set()
    for k, token in enumerate(re.findall(r"[\w']+[?]?", transcript)):
        if token.endswith("?"):
            ends.add(k)
    return ends
