"""Transcript files as recordings come with them: where the one beside a recording is, and its words.

Speech corpora keep each recording's words next to it under other names than `name.txt`: TIMIT writes `SA1.WAV`
and `SA1.TXT` (upper case, which a case-sensitive file system tells apart), Kaldi- and Montreal-Forced-Aligner-style
corpora `name.lab`; TIMIT's text starts with the sentence's first and last sample ("0 46797 She had your dark
suit in greasy wash water all year."), which are not words and would be aligned as "zero four six ...".

Transcripts come as people write them: subtitle files (`name.srt`, `name.vtt`: cue numbers, timing lines, a WEBVTT
header), sound cues and time codes in square brackets ("[laughs]", "[00:00:01]"), markup ("<i>"), speaker labels
("JOHN:") and stage directions ("(sighs)"). None of it is spoken, and aligned as words it shuts the lips where no p/b/m
was said. `spoken_text` keeps the words only; every transcript passes through it where it enters the analysis
(models/speech/phonemes.find_phones).
"""

import os
import re

from ...errors import decoded_text

SUFFIXES = (".txt", ".lab", ".srt", ".vtt")  # in this order of preference
_SAMPLE_RANGE = re.compile(r"^\s*(\d+)[ \t]+(\d+)[ \t]+(?=\S)")
MIN_RANGE_SAMPLES = 1600  # a TIMIT range spans a sentence: at least 0.1 s at 16 kHz


def transcript_path_beside(audio_path) -> str | None:
    """The transcript file next to `audio_path`: `name.txt`, else `name.lab`, in lower or upper case (TIMIT's
    SA1.TXT); None if there is none. A few file checks, no folder listing: a batch folder may hold thousands."""
    stem = os.path.splitext(os.fspath(audio_path))[0]
    for suffix in SUFFIXES:
        for path in (stem + suffix, stem + suffix.upper()):
            if os.path.isfile(path):
                return path
    return None


def read_transcript(path) -> str:
    """The words of the transcript file at `path` (UTF-8, or UTF-16 with a byte-order mark; undecodable bytes
    replaced)."""
    return transcript_text(read_text(path, errors="replace"))


def read_text(path, errors: str = "strict") -> str:
    """A text file's text (errors.decoded_text: UTF-8, or UTF-16 with a byte-order mark). Raises UnicodeDecodeError
    when `errors` is "strict"."""
    with open(path, "rb") as handle:
        return decoded_text(handle.read(), errors)


def transcript_text(text: str) -> str:
    """The words of a transcript file's text: TIMIT's leading sample range (two whole numbers, the second at least
    MIN_RANGE_SAMPLES past the first) taken off; any other text as it is, stripped; "" for text without a letter or
    digit (only emoji or "..."), which has no words."""
    match = _SAMPLE_RANGE.match(text)
    if match and int(match.group(2)) - int(match.group(1)) >= MIN_RANGE_SAMPLES:
        text = text[match.end():]
    return text.strip() if _has_words(text) else ""


def _has_words(text: str) -> bool:
    return any(character.isalnum() for character in text)


# A subtitle cue's timing line, SRT's "00:00:01,000 --> 00:00:03,500" or WebVTT's "00:01.000 --> 00:03.500 align:start"
_TIMING = re.compile(r"^\s*(\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}(\s|$)")
_TAG = re.compile(r"</?[A-Za-z0-9][^<>\n]*>")  # markup: <i>, </i>, <v Speaker>, <c.yellow>, <00:00:01.500>
_SUBTITLE_MARKUP = re.compile(_TAG.pattern + r"|\{\\[^{}\n]*\}")  # and SRT's position codes: {\an8}
SUBTITLE_NOTE = "The transcript is a subtitle file: its cue numbers, timings and formatting were left out."


def subtitle_text(text: str) -> str | None:
    """The cue text of subtitles (SRT or WebVTT: any line is a cue timing line), one line per cue text line, inline
    markup taken off; None for text that is not subtitles. The WEBVTT header, NOTE, STYLE and REGION blocks and cue
    numbers (or identifiers) are not cue text: a cue's text is the lines after its timing line, up to a blank line."""
    lines = text.splitlines()
    if not any(_TIMING.match(line) for line in lines):
        return None
    kept, in_cue = [], False
    for line, following in zip(lines, lines[1:] + [""]):
        if _TIMING.match(line):
            in_cue = True
        elif not line.strip():
            in_cue = False
        elif in_cue and not (line.strip().isdigit() and _TIMING.match(following)):  # the next cue's number
            kept.append(_SUBTITLE_MARKUP.sub("", line).strip())
    return "\n".join(line for line in kept if line)


# What a transcript holds that nobody says (spoken_text): square brackets and markup tags always; a speaker label at a
# line start (up to three all-capital words, or one capitalised word, then a colon); a parenthetical of up to
# STAGE_DIRECTION_WORDS words at a line start or right after sentence punctuation. A parenthetical inside a sentence
# ("the results (which surprised everyone) were good") is often read out, so it stays; so does *emphasis*.
_BRACKETS = re.compile(r"\[[^\[\]\n]*\]")
_SPEAKER = re.compile(r"^([ \t]*)([^\W\d_][\w'.\-]*(?:[ \t]+[^\W\d_][\w'.\-]*){0,2}):(?=\s|$)", re.MULTILINE)
_PARENTHETICAL = re.compile(r"\(([^()\n]*)\)")
SENTENCE_ENDS = ".!?…:;"
STAGE_DIRECTION_WORDS = 6
LISTED = 6  # at most this many of what was left out are named in the note


def _is_speaker(label: str) -> bool:
    words = label.split()
    return all(word.isupper() for word in words) or (len(words) == 1 and words[0][0].isupper()
                                                      and words[0][1:].islower())


def spoken_text(transcript: str | None) -> tuple:
    """(the words of `transcript` that are spoken, notes saying what was left out). Subtitles keep their cue text
    (subtitle_text); "[laughs]", "<i>", "JOHN:" and stage directions ("(sighs)") are taken off; text without a letter
    or digit is "". A transcript with none of these comes back as it is, with no notes."""
    if not transcript or not transcript.strip():
        return transcript, []
    notes, text, left_out = [], transcript, []
    cues = subtitle_text(text)
    if cues is not None:
        notes.append(SUBTITLE_NOTE)
        text = cues

    def leave_out(match) -> str:  # blanked, not cut, so that the note can name them in the transcript's order
        blank = len(match.group(0)) - len(match.group(0).lstrip())  # a speaker label's indent
        left_out.append((match.start() + blank, match.group(0).strip()))
        return " " * len(match.group(0))

    text = _TAG.sub(leave_out, _BRACKETS.sub(leave_out, text))
    text = _SPEAKER.sub(lambda match: leave_out(match) if _is_speaker(match.group(2)) else match.group(0), text)
    text = _PARENTHETICAL.sub(lambda match: leave_out(match) if _is_stage_direction(match) else match.group(0), text)
    if left_out:
        text = "\n".join(" ".join(line.split()) for line in text.splitlines())
        named = list(dict.fromkeys(item for _, item in sorted(left_out)))
        more = f" and {len(named) - LISTED} more" if len(named) > LISTED else ""
        notes.append(f"Left out of the transcript what is not spoken: {', '.join(named[:LISTED])}{more}.")
    if not _has_words(text):
        if notes:  # "...: [music]; no words were left, so the audio alone was used."
            notes[-1] = notes[-1][:-1] + "; no words were left, so the audio alone was used."
        else:
            notes.append("The transcript has no words (no letters or digits), so the audio alone was used.")
        return "", notes
    return text, notes


def _is_stage_direction(match) -> bool:
    """A parenthetical of at most STAGE_DIRECTION_WORDS words at its line's start or after sentence punctuation."""
    before = match.string[:match.start()].rsplit("\n", 1)[-1].rstrip()
    return (not before or before[-1] in SENTENCE_ENDS) and len(match.group(1).split()) <= STAGE_DIRECTION_WORDS


# The writing systems an English transcript cannot be in, with the eSpeak NG code most people writing in them mean
# (a hint only: Cyrillic is also Ukrainian's, Bulgarian's, ...; Han characters also Cantonese's and Japanese's).
SCRIPT_LANGUAGES = (("CYRILLIC", "Cyrillic", "ru"), ("HIRAGANA", "Japanese kana", "ja"),
                    ("KATAKANA", "Japanese kana", "ja"), ("HANGUL", "Korean Hangul", "ko"),
                    ("CJK UNIFIED", "Chinese characters", "cmn"), ("ARABIC", "Arabic", "ar"),
                    ("HEBREW", "Hebrew", "he"), ("DEVANAGARI", "Devanagari", "hi"), ("GREEK", "Greek", "el"),
                    ("THAI", "Thai", "th"), ("BENGALI", "Bengali", "bn"), ("TAMIL", "Tamil", "ta"),
                    ("GEORGIAN", "Georgian", "ka"), ("ARMENIAN", "Armenian", "hy"))


def script_hint(text: str) -> str | None:
    """For a transcript taken as English (no language named) whose letters are mostly of another writing system: a
    sentence naming it and the code to give, else None."""
    import unicodedata

    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    counts = {}
    for character in letters:
        name = unicodedata.name(character, "")
        for prefix, script, code in SCRIPT_LANGUAGES:
            if name.startswith(prefix):
                counts[(script, code)] = counts.get((script, code), 0) + 1
                break
    if not counts:
        return None
    (script, code), count = max(counts.items(), key=lambda item: item[1])
    if count < 0.5 * len(letters):
        return None
    return (f"The transcript is written in {script}: choose its language (the Language menu, or --language, "
            f"e.g. {code}) so that it can be aligned.")
