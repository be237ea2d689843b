import pathlib

import numpy as np
import pytest

from soundmotion.bench.scoring import face_classes, score
from soundmotion.clips.face import FaceClip
from soundmotion.models.audio.load import AudioError
from soundmotion.models.face.pipeline import FaceResult, FaceSettings, FaceSettingsError, generate_face

from speech_fixtures import drum_loop, silence, speech_wav, white_noise, write_wav

TEXT = "Bob bought a big map of Boston. A wobbly bubble popped above my umbrella."


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("face"), TEXT, "en-us", 175, transcript_file=True)


def test_generate_face_uses_the_transcript_beside_the_audio(speech):
    path, utterance = speech
    result = generate_face(path, fps=30.0)
    assert isinstance(result, FaceResult) and isinstance(result.clip, FaceClip)
    assert result.phone_source == "alignment"
    # The 10 ms analysis travels with the result, so Talk's gestures reuse it instead of aligning again.
    assert result.track.source == "alignment" and result.track.phones
    assert result.notes == ["Used the transcript speech.txt."]
    assert result.clip.fps == 30.0 and result.clip.num_frames == int(np.ceil(utterance.duration * 30))
    assert result.clip.weights.min() >= 0 and result.clip.weights.max() <= 1
    shapes = {shape for _, shape in result.mouth_cues}
    assert {"A", "X"} <= shapes and shapes <= set("ABCDEFGHX")
    starts = [start for start, _ in result.mouth_cues]
    assert starts[0] == 0.0 and starts == sorted(starts) and starts[-1] < utterance.duration


def test_lips_close_on_bilabials_and_open_on_open_vowels(speech):
    path, utterance = speech
    result = generate_face(path, transcript=TEXT, fps=100.0)
    scored = score(utterance, face_classes(result.clip.weights, result.clip.channel_names))
    assert scored.closure_rate >= 0.9
    assert scored.closed_in_open_rate <= 0.08  # one sentence, ~90 open-vowel frames; the bench aggregates
    assert scored.frame_accuracy >= 0.6


def test_same_seed_same_face_other_seed_other_blinks(speech):
    path, _ = speech
    first = generate_face(path, transcript=TEXT, fps=30.0, settings=FaceSettings(seed=3))
    again = generate_face(path, transcript=TEXT, fps=30.0, settings=FaceSettings(seed=3))
    other = generate_face(path, transcript=TEXT, fps=30.0, settings=FaceSettings(seed=4))
    assert np.array_equal(first.clip.weights, again.clip.weights)
    blink = first.clip.channel("eyeBlinkLeft")
    assert blink.max() > 0.9 and not np.array_equal(blink, other.clip.channel("eyeBlinkLeft"))
    assert np.array_equal(first.clip.channel("jawOpen"), other.clip.channel("jawOpen"))  # speech is not random


def test_articulation_and_expressiveness_scale_the_motion(speech):
    path, _ = speech
    soft = generate_face(path, transcript=TEXT, fps=30.0, settings=FaceSettings(articulation=0.5, expressiveness=0.0))
    strong = generate_face(path, transcript=TEXT, fps=30.0, settings=FaceSettings(articulation=1.5, expressiveness=1.0))
    assert strong.clip.channel("jawOpen").max() > 1.8 * soft.clip.channel("jawOpen").max()
    assert soft.clip.channel("browInnerUp").max() == 0.0
    crisp = generate_face(path, transcript=TEXT, fps=60.0, settings=FaceSettings(smoothing=0.0))
    smooth = generate_face(path, transcript=TEXT, fps=60.0, settings=FaceSettings(smoothing=1.0))
    roughness = lambda r: np.abs(np.diff(r.clip.channel("mouthFunnel"), 2)).mean()
    assert roughness(smooth) < roughness(crisp)


def test_progress_is_reported_and_can_cancel(speech):
    path, _ = speech
    calls = []
    generate_face(path, transcript=TEXT, progress=lambda fraction, message: calls.append((fraction, message)))
    fractions = [f for f, _ in calls]
    assert len(calls) >= 4 and fractions == sorted(fractions) and fractions[-1] == 1.0

    class Cancelled(Exception):
        pass

    def cancel(fraction, message):
        if fraction > 0.5:
            raise Cancelled
    with pytest.raises(Cancelled):
        generate_face(path, transcript=TEXT, progress=cancel)


@pytest.mark.parametrize("make, expected", [
    (silence, "No speech found"), (white_noise, "No speech found"), (drum_loop, "percussion or noise")])
def test_non_speech_rests_the_mouth_with_a_note(tmp_path, make, expected):
    result = generate_face(write_wav(tmp_path, "sound", make()), fps=30.0)
    assert any(expected in note for note in result.notes)
    mouth = [i for i, n in enumerate(result.clip.channel_names) if n.startswith(("mouth", "jaw"))]
    assert result.clip.weights[:, mouth].max() == 0.0
    assert result.mouth_cues == [(0.0, "X")]


def test_bad_settings_and_missing_audio_raise_clear_errors(tmp_path, speech):
    with pytest.raises(FaceSettingsError, match="Articulation"):
        generate_face(speech[0], settings=FaceSettings(articulation=5.0))
    with pytest.raises(FaceSettingsError, match="Frame rate"):
        generate_face(speech[0], fps=0)
    with pytest.raises(AudioError, match="not found"):
        generate_face(tmp_path / "missing.wav")


def test_results_do_not_depend_on_what_was_processed_before(tmp_path, speech):
    path, _ = speech
    other, _ = speech_wav(tmp_path, "Paul and Bill hope to improve the map by Monday.", "en+f3", 210, "other")
    for transcript in (TEXT, ""):
        first = generate_face(path, transcript=transcript, fps=30.0)
        generate_face(other, transcript="", fps=30.0)
        generate_face(other, transcript="Paul and Bill hope to improve the map by Monday.", fps=30.0)
        assert np.array_equal(first.clip.weights, generate_face(path, transcript=transcript, fps=30.0).clip.weights)


def test_corpus_transcripts_beside_the_audio_are_found_and_read_as_words(speech, tmp_path):
    # TIMIT keeps SA1.WAV with SA1.TXT, whose line starts with the sentence's first and last sample; Kaldi- and
    # MFA-style corpora keep name.lab. Both are found, and the sample range is not aligned as "zero four six ...".
    import shutil

    from soundmotion.batch.rows import read_rows
    from soundmotion.models.speech.transcripts import transcript_path_beside, transcript_text

    path, _ = speech
    timit = tmp_path / "timit"
    timit.mkdir()
    shutil.copy(path, timit / "SA1.WAV")
    (timit / "SA1.TXT").write_text(f"0 46797 {TEXT}\n")
    result = generate_face(timit / "SA1.WAV", fps=100.0)
    assert result.notes == ["Used the transcript SA1.TXT."] and result.phone_source == "alignment"
    words = {p.word.lower() for p in result.phones if p.word}
    assert {"bob", "boston", "umbrella"} <= words and not words & {"zero", "four", "six", "seven", "nine"}
    assert [row.transcript for row in read_rows(timit, outputs=("cues",))] == [TEXT]
    mfa = tmp_path / "mfa"
    mfa.mkdir()
    shutil.copy(path, mfa / "line.wav")
    (mfa / "line.lab").write_text(TEXT)
    assert transcript_path_beside(mfa / "line.wav") == str(mfa / "line.lab")
    (mfa / "line.txt").write_text("the txt wins")
    assert transcript_path_beside(mfa / "line.wav") == str(mfa / "line.txt")
    assert transcript_path_beside(tmp_path / "nothing.wav") is None
    assert transcript_text("1 2 buckle my shoe") == "1 2 buckle my shoe"  # two small numbers are words
    assert transcript_text("  12 3 4 7 \n") == "12 3 4 7"


def test_no_word_recogniser_option_reaches_the_phone_search(monkeypatch):
    # `soundmotion face/talk --no-word-recogniser` (the panel's Listen for Words off): the face pipeline asks for
    # recognition without the word recogniser; by default it asks for it.
    from soundmotion.cli import build_parser, face_settings_from
    from soundmotion.models.face import pipeline

    asked = []
    real = pipeline.find_phones
    monkeypatch.setattr(pipeline, "find_phones", lambda *a, **k: asked.append(k["words"]) or real(*a, **k))
    for extra in ([], ["--no-word-recogniser"]):
        settings = face_settings_from(build_parser().parse_args(["face", "line.wav", *extra]))
        pipeline.generate_face(str(pathlib.Path(__file__).resolve().parents[1] / "assets" / "demo_speech.wav"),
                               transcript="", fps=30.0, settings=settings)
    assert asked == [True, False]


def test_the_face_leads_the_sound_but_closures_keep_their_time(monkeypatch):
    """The mouth opens for a vowel LEAD_SECONDS before it sounds; the lips still shut exactly where the m is."""
    from soundmotion.models.face import pipeline
    from soundmotion.models.speech.segments import PhoneSegment

    phones = [PhoneSegment("SIL", 0.0, 0.3), PhoneSegment("AA", 0.3, 0.6), PhoneSegment("M", 0.6, 0.7),
              PhoneSegment("AA", 0.7, 1.0), PhoneSegment("SIL", 1.0, 1.4)]
    frames = 140  # 10 ms each
    voice = pipeline.VoiceMeasures(decibels=np.full(frames, -20.0), speaking=np.arange(frames) < 100,
                                   semitones=np.zeros(frames), voiced=np.arange(frames) < 100, duration=1.4)
    settings = FaceSettings(blinks=False, brows=False, eyes=False)

    def classes(lead):
        monkeypatch.setattr(pipeline, "LEAD_SECONDS", lead)
        face = pipeline.face_from_phones(phones, voice, 100.0, settings)
        return face_classes(face.clip.weights, face.clip.channel_names)

    late, early = classes(0.0), classes(0.02)
    first_open = lambda labels: int(np.flatnonzero(labels == "open")[0])
    assert first_open(early) == first_open(late) - 2  # the vowel shows 20 ms earlier
    closed = lambda labels: np.flatnonzero(labels == "closed").tolist()
    assert closed(late) and closed(early) == closed(late)  # the m's closure does not move
    last_moving = lambda labels: int(np.flatnonzero(labels != "rest")[-1])
    assert last_moving(early) == last_moving(late) - 2  # and the mouth rests 20 ms earlier at the end
