import numpy as np

from soundmotion.models.speech.activity import detect_voice_activity, speech_notes
from soundmotion.models.speech.features import frame_features
from soundmotion.bench import espeak_truth

from speech_fixtures import chord_music, silence, white_noise


def analyse(samples, rate=22050):
    features = frame_features(samples, rate)
    activity = detect_voice_activity(features)
    return features, activity, speech_notes(features, activity)


def padded_speech():
    utterance = espeak_truth.synthesize("Bob bought a big map of Boston.", "en-us", 175)
    pad = np.zeros(utterance.sample_rate, np.float32)
    return utterance, np.concatenate([pad, utterance.samples, pad])


def test_speech_is_active_and_the_pauses_around_it_are_not():
    utterance, samples = padded_speech()
    _, activity, notes = analyse(samples, utterance.sample_rate)
    assert notes == []
    first = min(p.start for p in utterance.phones) + 1.0
    last = max(p.end for p in utterance.phones) + 1.0
    inside = activity.active[int(first * 100) + 5:int(last * 100) - 5]
    assert inside.mean() > 0.95  # stop closures inside the phrase stay "speech"
    assert not activity.active[:80].any() and not activity.active[-80:].any()
    assert len(activity.regions()) == 1


def test_silence_has_no_speech():
    _, activity, notes = analyse(silence())
    assert activity.speech_seconds == 0.0
    assert notes == ["No speech found: the face stays at rest."]


def test_a_clip_too_short_for_a_word_says_so():
    utterance, samples = padded_speech()
    start = int(1.2 * utterance.sample_rate)
    _, _, notes = analyse(samples[start:start + int(0.05 * utterance.sample_rate)], utterance.sample_rate)
    assert notes == ["No speech found: the audio is only 0.05 s long, too short for a word; the face stays at rest."]


def test_noise_and_music_are_not_taken_for_speech():
    _, _, noise_notes = analyse(white_noise())
    assert any("noise" in n for n in noise_notes)
    _, _, music_notes = analyse(chord_music())
    assert any("music" in n for n in music_notes)


def test_feature_frames_are_ten_milliseconds():
    features = frame_features(np.zeros(22050, np.float32), 22050)
    assert features.count == 100
    assert np.all(features.decibels == -100.0)


def test_speech_with_an_offset_or_recorded_quietly_is_still_speech(tmp_path):
    # An offset of 0.1 raised every frame's level so that no speech stood above the floor, and speech peaking at
    # -41 dBFS was under the absolute floor (-55 dB frames): both gave "no speech" and a face at rest.
    from soundmotion.models.face.pipeline import generate_face
    from speech_fixtures import write_wav

    utterance, samples = padded_speech()
    clean = generate_face(write_wav(tmp_path, "clean", samples, utterance.sample_rate), fps=100)
    closures = [p for p in clean.phones if p.phone in ("P", "B", "M")]
    assert clean.phone_source == "recognition" and len(closures) >= 5
    for name, changed in (("offset", 0.1 + 0.5 * samples), ("far", 0.01 * samples)):
        face = generate_face(write_wav(tmp_path, name, changed, utterance.sample_rate), fps=100)
        assert face.phone_source == "recognition" and face.track.speech_like
        assert len([p for p in face.phones if p.phone in ("P", "B", "M")]) >= len(closures) - 1
