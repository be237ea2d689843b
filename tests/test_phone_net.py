"""The learned phone recogniser (models/speech/phone_net.py) and lip sync built on it without a transcript.

The net hears language-neutral articulatory classes (models/speech/articulation.py) and was trained on eSpeak NG
speech in many languages and flite's English voices, in other voices and sentences than the bench's; the bench
sentences and voices used here are held out from its training.
"""

import os

import numpy as np

from soundmotion.bench import espeak_truth
from soundmotion.bench.scoring import CLOSED, face_classes, score
from soundmotion.models.audio.load import Audio
from soundmotion.models.face.pipeline import generate_face
from soundmotion.models.speech import phone_net
from soundmotion.models.speech.articulation import CLASSES
from soundmotion.models.speech.segments import SILENCE

from speech_fixtures import speech_wav


def _audio(utterance) -> Audio:
    return Audio(utterance.samples, utterance.sample_rate)


def test_weights_are_small_and_name_every_phone_the_face_uses():
    assert os.path.getsize(phone_net.WEIGHTS_PATH) <= 2 * 1024 * 1024
    net = phone_net.load_phone_net()
    assert net.phones == CLASSES and net.phones[0] == "AA" and SILENCE in net.phones
    assert {"B", "M", "F", "W", "UW", "OW", "AA", "IY", "EH", "S", "D"} <= set(net.phones)
    assert len(net.phones) == 23 and net.log_prior.shape == (23,)
    assert phone_net.load_phone_net() is net  # read once per process


def test_posteriors_are_one_row_per_10_ms_frame_and_deterministic():
    utterance = espeak_truth.synthesize(espeak_truth.SENTENCES[0], "en-us", 175)
    log_probs, names = phone_net.phone_posteriors(_audio(utterance))
    assert log_probs.shape == (int(np.ceil(utterance.duration / 0.01)), len(names))
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-4)
    again, _ = phone_net.phone_posteriors(_audio(utterance))
    np.testing.assert_array_equal(log_probs, again)


def test_features_are_centred_like_the_other_10_ms_frames():
    rate = 16000
    click = np.zeros(rate, np.float32)
    click[5000] = 1.0  # at 312.5 ms: loudest in the frame centred on 310 ms
    mel = phone_net.log_mel_frames(click, rate)
    assert mel.shape == (100, phone_net.MEL_BANDS)
    assert int(np.argmax(mel.sum(axis=1))) == 31


def test_decode_keeps_phones_at_least_min_frames_and_charges_for_changes():
    names = ("A", "B", SILENCE)
    probabilities = np.full((12, 3), 0.1)
    for frame, phone in enumerate([0, 0, 0, 1, 2, 2, 2, 2, 1, 1, 1, 1]):
        probabilities[frame, phone] = 0.8
    log_probs = np.log(probabilities)
    free = phone_net.decode_phones(log_probs, names, switch_penalty=0.5, min_frames=1, silence_min_frames=1)
    assert free == [("A", 0, 3), ("B", 3, 4), (SILENCE, 4, 8), ("B", 8, 12)]
    # A one-frame B cannot be a phone of at least two frames: its frame goes to a neighbour.
    held = phone_net.decode_phones(log_probs, names, switch_penalty=0.5, min_frames=2, silence_min_frames=2)
    assert held == [("A", 0, 3), (SILENCE, 3, 8), ("B", 8, 12)]
    # A high enough price per change keeps one phone throughout: the likeliest over all frames (B: 5 of 12).
    assert phone_net.decode_phones(log_probs, names, switch_penalty=50.0, min_frames=1) == [("B", 0, 12)]


def test_recognised_phones_tile_the_recording_and_find_the_lip_closures():
    utterance = espeak_truth.synthesize("Bob bought a big map of Boston.", "en+f3", 175)  # bench: held out
    phones = phone_net.recognize_phones_with_net(_audio(utterance))
    assert phones[0].start == 0.0 and phones[-1].end == np.ceil(utterance.duration / 0.01) * 0.01
    assert all(a.end == b.start and a.phone != b.phone for a, b in zip(phones, phones[1:]))
    labials = [p for p in phones if p.phone in ("B", "M")]
    truth = [p for p in utterance.phones if espeak_truth.phone_class(p.ipa) == CLOSED]
    hits = sum(any(l.start < t.end + 0.03 and l.end > t.start - 0.03 for l in labials) for t in truth)
    assert hits >= len(truth) - 1  # measured: all 7


def test_audio_only_lip_sync_on_held_out_speech_scores_well(tmp_path):
    total = None
    for k, (sentence, voice) in enumerate(((espeak_truth.SENTENCES[1], "en-us+m7"),
                                           (espeak_truth.SENTENCES[10], "en+f2"),
                                           (espeak_truth.SENTENCES[15], "en"))):
        path, utterance = speech_wav(tmp_path, sentence, voice, 175, name=f"held_out{k}")
        face = generate_face(path, transcript="", fps=100.0)
        assert face.phone_source == "recognition"
        scored = score(utterance, face_classes(face.clip.weights, face.clip.channel_names))
        total = scored if total is None else total + scored
    # measured: frame accuracy 0.771, closures 20/21, closed lips in 1 of 50 open-vowel frames
    # (the English-only net: 0.816, 20/21, 0 of 50)
    assert total.frame_accuracy >= 0.70
    assert total.closure_rate >= 0.85
    assert total.closed_in_open_rate <= 0.10


def test_recognised_phones_fill_only_the_spans_the_alignment_left_out():
    from soundmotion.models.speech.phonemes import _fill_spans
    from soundmotion.models.speech.segments import PhoneSegment

    aligned = [PhoneSegment("HH", 0.0, 0.1, "hi"), PhoneSegment("AY", 0.1, 0.3, "hi")]
    recognised = [PhoneSegment("AY", 0.0, 0.32), PhoneSegment("M", 0.32, 0.4), PhoneSegment("AA", 0.4, 0.6)]
    filled = _fill_spans(aligned, [(0.3, 0.5)], recognised)
    assert [(p.phone, p.start, p.end) for p in filled] == [
        ("HH", 0.0, 0.1), ("AY", 0.1, 0.3), ("AY", 0.3, 0.32), ("M", 0.32, 0.4), ("AA", 0.4, 0.5)]


def test_a_loudness_valley_tips_a_likely_lip_closure_but_never_a_vowel_at_its_peak():
    from soundmotion.models.speech import phonemes
    from soundmotion.models.speech.features import FrameFeatures

    decibels = np.full(60, -20.0)
    decibels[20:24] = -40.0          # a closure between two vowels: 20 dB below both sides
    decibels[40:60] = -45.0          # a weak ending: quieter on one side only, no valley
    boost = phonemes.dip_boost(FrameFeatures(decibels, np.zeros(60)))
    assert np.all(boost[20:24] == phonemes.DIP_BIAS) and not boost[:20].any() and not boost[24:].any()
    names = ("AA", "M", SILENCE)
    probabilities = np.full((60, 3), 0.05)
    probabilities[:, 0] = 0.6        # the vowel wins everywhere on its own ...
    probabilities[:, 1] = 0.3        # ... with the closure second
    log_probs = np.log(probabilities)
    assert phone_net.decode_phones(log_probs, names) == [("AA", 0, 60)]
    assert phone_net.decode_phones(log_probs, names, labial_boost=boost) == [("AA", 0, 20), ("M", 20, 24),
                                                                               ("AA", 24, 60)]


def test_the_english_real_speech_recogniser_adds_closures_for_auto_and_english_only(monkeypatch):
    # A real reader (LibriVox, tuning material): "And mister John Dashwood ...". The shared net hears the m of
    # "mister" (reference 0.37–0.41 s) as an n; the English net, fine-tuned on real English speakers, hears the m,
    # and audio-only recognition takes it (a loudness dip, voice on both sides). Where another language is named
    # the English net is never run.
    from soundmotion.bench.human_speech import LINES
    from soundmotion.models.audio.load import load_audio
    from soundmotion.models.speech import phonemes

    audio = load_audio(LINES / "sense_and_sensibility_0870.flac")
    english = phone_net.load_phone_net(phone_net.ENGLISH_WEIGHTS_PATH)
    assert english.phones == phone_net.load_phone_net().phones
    runs = []
    posteriors = phone_net.phone_posteriors
    monkeypatch.setattr(phonemes, "phone_posteriors",
                        lambda audio, path=phone_net.WEIGHTS_PATH, features=None:
                        runs.append(path) or posteriors(audio, path, features))

    word_decoder = phonemes.word_decoder
    monkeypatch.setattr(phonemes, "word_decoder", lambda: runs.append("words") or word_decoder())

    def closures(language=None, opinion=1.0):
        monkeypatch.setattr(phonemes, "ENGLISH_SECOND_OPINION", opinion)
        monkeypatch.setattr(phonemes, "WORD_SECOND_OPINION", 0.0)  # this test is about the English net
        runs.clear()
        track = phonemes.find_phones(audio, language=language)
        return [(p.phone, round(p.start, 2)) for p in track.phones if p.phone in ("P", "B", "M")]

    without = closures(opinion=0.0)
    auto, english_named, russian = closures(), closures("en"), closures("ru")
    assert not any(0.3 <= start <= 0.42 for _, start in without)
    assert [c for c in auto if 0.3 <= c[1] <= 0.42] == [("M", 0.34)]
    assert set(without) < set(auto) and english_named == auto
    assert russian == without and runs == [phone_net.WEIGHTS_PATH]
    # the word recogniser (English) runs in Auto and English only, too
    monkeypatch.setattr(phonemes, "WORD_SECOND_OPINION", 1.0)
    for language, words, expected in ((None, True, True), ("en", True, True), ("ru", True, False),
                                      (None, False, False)):   # words=False: the panel's Listen for Words off
        runs.clear()
        phonemes.find_phones(audio, language=language, words=words)
        assert ("words" in runs) == expected
