"""Transcript files as recordings come with them: where the one beside a recording is, and its words.

Speech corpora keep each recording's words next to it under other names than `name.txt`: TIMIT writes `SA1.WAV`
and `SA1.TXT` (upper case, which a case-sensitive file system tells apart), Kaldi- and Montreal-Forced-Aligner-style
corpora `name.lab`; TIMIT's text starts with the sentence's first and last sample ("0 46797 She had your dark
suit in greasy wash water all year."), which are not words and would be aligned as "zero four six ...".
"""

import os
import re

SUFFIXES = (".txt", ".lab")  # in this order of preference
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
    """The words of the transcript file at `path` (UTF-8, a byte-order mark skipped, undecodable bytes replaced)."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        return transcript_text(handle.read())


def transcript_text(text: str) -> str:
    """The words of a transcript file's text: TIMIT's leading sample range (two whole numbers, the second at least
    MIN_RANGE_SAMPLES past the first) taken off; any other text as it is, stripped."""
    match = _SAMPLE_RANGE.match(text)
    if match and int(match.group(2)) - int(match.group(1)) >= MIN_RANGE_SAMPLES:
        text = text[match.end():]
    return text.strip()
