import numpy as np

from soundmotion.bench import espeak_truth
from soundmotion.models.speech.formants import formant_tracks, vowel_labels

OPEN, SPREAD, ROUNDED = {"AA", "AE", "AH"}, {"IY", "IH", "EH"}, {"UW", "UH", "AO"}


def vowel_votes(utterance, ipa_prefix):
    """Majority formant label over the middle of every vowel whose IPA starts with ipa_prefix."""
    segments = [p for p in utterance.phones if p.ipa.startswith(ipa_prefix) and p.end - p.start > 0.06]
    frames = [np.arange(int(p.start * 100) + 2, int(p.end * 100) - 2) for p in segments]
    every = np.concatenate([np.arange(int(utterance.duration * 100))])
    labels = vowel_labels(formant_tracks(utterance.samples, utterance.sample_rate, every, 0.01))
    winners = []
    for chunk in frames:
        votes = [labels[f] for f in chunk if labels[f]]
        winners.append(max(set(votes), key=votes.count))
    return winners


def test_open_spread_and_rounded_vowels_are_told_apart_for_two_voices():
    for voice in ("en-us", "en+f3"):
        utterance = espeak_truth.synthesize("Pa saw father. We see three trees. Who knew you too?", voice, 140)
        assert set(vowel_votes(utterance, "ɑ")) <= OPEN | {"AO"}
        assert set(vowel_votes(utterance, "i")) <= SPREAD
        assert set(vowel_votes(utterance, "u")) <= ROUNDED | {"ER"}


def test_silence_gives_no_formants():
    tracks = formant_tracks(np.zeros(16000, np.float32), 16000, np.arange(50), 0.01)
    assert tracks.shape == (50, 2) and vowel_labels(tracks) == [""] * 50
