import numpy as np
import pytest

from soundmotion.bench import espeak_truth
from soundmotion.models.audio.load import Audio
from soundmotion.models.speech import find_phones
from soundmotion.models.speech.alignment import AlignmentFailed, align_transcript, transcript_words
from soundmotion.models.speech.pcm import decoder_pcm

TEXT = "Mummy put blue boots by the pool."


def audio_of(utterance):
    return Audio(utterance.samples, utterance.sample_rate)


def labial_times(phones):
    return [0.5 * (p.start + p.end) for p in phones if p.phone in ("P", "B", "M")]


def test_alignment_times_every_bilabial_close_to_the_truth():
    utterance = espeak_truth.synthesize(TEXT, "en-us", 175)
    track = find_phones(audio_of(utterance), TEXT)
    assert track.source == "alignment" and track.notes == []
    words = [p.word for p in track.phones if p.phone != "SIL"]
    assert words[0] == "mummy" and words[-1] == "pool"
    truth = [p for p in utterance.phones if espeak_truth.phone_class(p.ipa) == espeak_truth.CLOSED]
    found = [p for p in track.phones if p.phone in ("P", "B", "M")]
    assert len(found) == len(truth) == 7  # m m p b b b p
    # A p/b/m is found when an aligned one overlaps it within ±30 ms (espeak files a stop's closure
    # silence under the previous phone, so the aligned closure may start earlier). Measured: 6 of 7; the
    # aligner slips "by the pool" ~0.1 s late by inserting a pause.
    hits = sum(any(f.start < p.end + 0.03 and f.end > p.start - 0.03 for f in found) for p in truth)
    assert hits >= 6


def test_a_long_recording_is_aligned_phrase_by_phrase():
    text = " ".join(espeak_truth.SENTENCES[:8])
    utterance = espeak_truth.synthesize(text, "en", 190)
    assert utterance.duration > 20  # one piece this long fails to align in pocketsphinx
    track = find_phones(audio_of(utterance), text)
    assert track.source == "alignment"
    aligned_words = [p.word for p in track.phones if p.phone != "SIL"]
    assert aligned_words[0] == "bob" and aligned_words[-1] == "harbour"
    assert len(labial_times(track.phones)) >= 0.9 * sum(
        espeak_truth.phone_class(p.ipa) == espeak_truth.CLOSED for p in utterance.phones)


def test_unknown_compound_words_are_spelled_from_known_parts():
    assert transcript_words("SoundMotion, 42!") == ["soundmotion", "four", "two"]
    utterance = espeak_truth.synthesize("Hello from SoundMotion.", "en-us", 160)
    alignment = align_transcript(decoder_pcm(audio_of(utterance)), "Hello from SoundMotion.")
    assert [p.word for p in alignment.phones if p.phone != "SIL"][-1] == "motion"
    assert alignment.unknown_words == []


def test_a_transcript_that_does_not_match_falls_back_to_recognition_with_a_note():
    utterance = espeak_truth.synthesize(TEXT + " " + espeak_truth.SENTENCES[0], "en-us", 175)
    track = find_phones(audio_of(utterance), "The quick brown fox jumps over the lazy dog while it rains.")
    assert track.source == "recognition"
    assert any("did not match" in n or "could not be aligned" in n for n in track.notes)
    assert any(p.phone in ("P", "B", "M") for p in track.phones)  # acoustic closures still found


def test_a_transcript_without_dictionary_words_cannot_be_aligned():
    utterance = espeak_truth.synthesize(TEXT, "en-us", 175)
    with pytest.raises(AlignmentFailed):
        align_transcript(decoder_pcm(audio_of(utterance)), "zzxq qqvv")


def test_recognition_without_transcript_finds_most_closures():
    utterance = espeak_truth.synthesize("A mob of people pushed past the bus stop. Bob bought a big map.", "en+f3", 175)
    track = find_phones(audio_of(utterance))
    assert track.source == "recognition"
    found = labial_times(track.phones)
    truth = [p for p in utterance.phones if espeak_truth.phone_class(p.ipa) == espeak_truth.CLOSED]
    hits = sum(any(p.start - 0.03 <= t <= p.end + 0.03 for t in found) for p in truth)
    assert hits / len(truth) >= 0.7
    assert np.all(np.diff([p.start for p in track.phones]) >= 0)
