"""Transcripts as people write them: subtitle files, sound cues, markup, speaker labels and stage directions are not
aligned as words; UTF-16 files and wordless text are read for what they are; language codes as people type them."""

import pathlib

import pytest

from soundmotion.bench import espeak_truth
from soundmotion.cli import main
from soundmotion.errors import SoundMotionError, read_text_file
from soundmotion.models.audio.load import Audio, load_audio
from soundmotion.models.face.pipeline import FaceSettings, transcript_beside
from soundmotion.models.speech import find_phones
from soundmotion.models.speech.espeak import UnknownLanguage, check_language
from soundmotion.models.speech.transcripts import (SUBTITLE_NOTE, spoken_text, subtitle_text, transcript_path_beside,
                                                   transcript_text)

ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"
DEMO_TEXT = (ASSETS / "demo_speech.txt").read_text().strip()
SRT = """1
00:00:00,000 --> 00:00:03,500
Hello! I am the SoundMotion demo character.

2
00:00:03,500 --> 00:00:07,000
{\\an8}Press one button, and my mouth
moves with my <i>voice</i>.

3
00:00:07,000 --> 00:00:11,000
Bob bought a map, but we will never stop to read it.
"""
VTT = """WEBVTT - the demo

NOTE written by hand
over two lines

STYLE
::cue { color: yellow }

intro
00:00.000 --> 00:03.500 align:start position:10%
<v Narrator>Hello!</v> I am the SoundMotion demo character.

00:00:03.500 --> 00:00:07.000
Press one button, and my mouth moves with my voice.
"""


def test_subtitle_files_keep_only_their_cue_text():
    assert subtitle_text(SRT) == ("Hello! I am the SoundMotion demo character.\nPress one button, and my mouth\n"
                                  "moves with my voice.\nBob bought a map, but we will never stop to read it.")
    assert subtitle_text(VTT) == ("Hello! I am the SoundMotion demo character.\n"
                                  "Press one button, and my mouth moves with my voice.")
    assert subtitle_text(SRT.replace("\n", "\r\n").replace("\r\n\r\n2", "\r\n2")) == subtitle_text(SRT)  # no gap
    assert subtitle_text(DEMO_TEXT) is None and subtitle_text("We met at 10:30 --> 11:00.") is None
    assert spoken_text(SRT) == (subtitle_text(SRT), [SUBTITLE_NOTE])
    assert SUBTITLE_NOTE == "The transcript is a subtitle file: its cue numbers, timings and formatting were left out."


def test_subtitles_beside_the_audio_are_found_after_txt_and_lab(tmp_path):
    (tmp_path / "line.vtt").write_text(VTT)
    assert transcript_path_beside(tmp_path / "line.wav") == str(tmp_path / "line.vtt")
    (tmp_path / "line.srt").write_text(SRT)
    assert transcript_path_beside(tmp_path / "line.wav") == str(tmp_path / "line.srt")
    (tmp_path / "line.lab").write_text(DEMO_TEXT)
    assert transcript_path_beside(tmp_path / "line.wav") == str(tmp_path / "line.lab")
    (tmp_path / "TAKE.SRT").write_text(SRT)
    assert transcript_path_beside(tmp_path / "TAKE.WAV") == str(tmp_path / "TAKE.SRT")


def test_a_subtitle_file_as_transcript_is_aligned_like_its_text(tmp_path, capsys):
    (tmp_path / "demo.srt").write_text(SRT)
    (tmp_path / "demo.txt").write_text(DEMO_TEXT)
    for name in ("srt", "txt"):
        assert main(["face", str(ASSETS / "demo_speech.wav"), "--text", str(tmp_path / f"demo.{name}"),
                     "--cues", str(tmp_path / f"{name}.tsv")]) == 0
        out = capsys.readouterr().out
        assert "phones from alignment" in out
        assert (f"note: {SUBTITLE_NOTE}" in out.splitlines()) == (name == "srt")
    assert (tmp_path / "srt.tsv").read_text() == (tmp_path / "txt.tsv").read_text()


def test_only_what_is_not_spoken_is_left_out_with_one_note():
    text, notes = spoken_text("[laughs] JOHN: Hello there. (sighs) I am <b>fine</b>.\n"
                              "PAM SMITH: Bob bought a map! (pauses, breathes deeply) [00:00:07] Yes.\n"
                              "Maria: (beat) We stop.")
    assert text == "Hello there. I am fine .\nBob bought a map! Yes.\nWe stop."
    assert notes == ["Left out of the transcript what is not spoken: [laughs], JOHN:, (sighs), <b>, </b>, PAM SMITH: "
                     "and 4 more."]
    assert spoken_text("[laughs] Hello. (sighs)") == ("Hello.", ["Left out of the transcript what is not spoken: "
                                                                 "[laughs], (sighs)."])
    assert spoken_text("JOHN: Hi.\nJOHN: Bye.") == ("Hi.\nBye.", ["Left out of the transcript what is not spoken: "
                                                                  "JOHN:."])
    for text in (DEMO_TEXT,
                 "The results (which surprised everyone) were good.",           # inside a sentence: read out
                 "(And then, after a very long wait, we went) home.",          # seven words: not a stage direction
                 "*whispers* Hello, Mr. Smith: we met at 10:30 on https://example.com.",
                 "McDonald: a name. Jean-Luc: another.", "x < y and y > z"):
        assert spoken_text(text) == (text, [])
    assert spoken_text(None) == (None, []) and spoken_text(" ") == (" ", [])


def test_text_without_letters_or_digits_has_no_words():
    assert transcript_text("😂😂👍\n") == "" and transcript_text(" ... ") == ""
    assert transcript_text("... 1 ...") == "... 1 ..."
    assert spoken_text("...") == ("", ["The transcript has no words (no letters or digits), so the audio alone was "
                                       "used."])
    assert spoken_text("(laughs) [music]") == ("", ["Left out of the transcript what is not spoken: (laughs), [music]; "
                                                    "no words were left, so the audio alone was used."])


def test_an_emoji_only_transcript_file_is_an_empty_one(tmp_path, capsys):
    emoji = tmp_path / "emoji.txt"
    emoji.write_text("😂😂👍")
    assert main(["face", str(ASSETS / "demo_speech.wav"), "--text", str(emoji), "--cues", str(tmp_path / "c.tsv")]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == [f"note: The transcript {emoji} is empty, so the lip sync used the audio alone."]


def test_a_transcript_is_aligned_without_its_labels_sound_cues_and_stage_directions():
    text = "Mummy put blue boots by the pool."
    audio = Audio(*(lambda u: (u.samples, u.sample_rate))(espeak_truth.synthesize(text, "en-us", 175)))
    clean = find_phones(audio, text)
    track = find_phones(audio, f"JOHN: [laughs] {text} (sighs)\n[applause]")
    assert track.source == clean.source == "alignment"
    assert track.notes == ["Left out of the transcript what is not spoken: JOHN:, [laughs], (sighs), [applause]."]
    assert [(p.phone, p.word, p.start) for p in track.phones] == [(p.phone, p.word, p.start) for p in clean.phones]


def test_a_transcript_given_up_whole_gets_no_note_about_its_parts():
    # The first half of the demo's words: pocketsphinx fits them with one part of the audio left to recognition, but
    # the whole fails the checks, so the transcript is given up: only that is said.
    track = find_phones(load_audio(ASSETS / "demo_speech.wav", 16000),
                        "Hello! I am the SoundMotion demo character. Press one button, and my mouth")
    assert track.source == "recognition"
    assert track.notes == ["The transcript did not match the audio; used phoneme recognition instead."]


@pytest.mark.parametrize("bom, codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_transcripts_with_a_byte_order_mark_are_read(tmp_path, bom, codec):
    path = tmp_path / "take.txt"
    path.write_bytes(bom + "Pablo compró un mapa.\r\nBob 😂\r\n".encode(codec))
    assert read_text_file(path) == "Pablo compró un mapa.\nBob 😂\n"
    assert transcript_beside(tmp_path / "take.wav") == "Pablo compró un mapa.\nBob 😂"
    path.write_bytes(b"\xff\xfe\x00")  # a byte-order mark, then half a character: still refused
    with pytest.raises(SoundMotionError, match="is not UTF-8 text"):
        read_text_file(path)
    notes = []
    assert transcript_beside(tmp_path / "take.wav", notes) == "" and "not UTF-8 text" in notes[0]


def test_language_codes_as_people_write_them_become_espeak_voices():
    given = {"ES": "es", "yue": "yue", "en-GB": "en", "en_US": "en-us", "pt_BR": "pt-br", "fr-fr": "fr",
             "zh": "cmn", "zh-CN": "cmn", "zh-Hans": "cmn", "zh-TW": "cmn", "zh-cmn": "cmn", "zh-HK": "yue",
             "zh-yue": "yue", "jp": "ja", "ja-JP": "ja", "kr": "ko", "ko-KR": "ko", "iw": "he", "no": "nb",
             "de-DE": "de", "fr-CA": "fr", "es-AR": "es", "es-MX": "es-419", "hy-arevmda": "hyw"}
    assert {code: check_language(code) for code in given} == given
    with pytest.raises(UnknownLanguage, match=r"^Unknown language 'sr-Latn': did you mean 'sr'\? Use an eSpeak NG "):
        check_language("sr-Latn")
    with pytest.raises(UnknownLanguage, match=r"^Unknown language 'english': use an eSpeak NG language code such as "
                                              r"en, es, de"):
        check_language("english")
    settings = FaceSettings(language="zh-Hans")
    settings.validate()
    assert settings.language == "cmn"  # what the pipeline receives


def test_a_transcript_in_another_writing_system_taken_as_english_names_the_language_to_choose():
    from soundmotion.models.speech.transcripts import script_hint

    assert script_hint("Мама мыла раму, а папа пил пиво.") == (
        "The transcript is written in Cyrillic: choose its language (the Language menu, or --language, e.g. ru) so "
        "that it can be aligned.")
    kana = script_hint("ぱぱは ぱんを たべます。")
    assert "Japanese kana" in kana and "e.g. ja)" in kana
    assert "e.g. cmn)" in script_hint("爸爸买了一本书。")
    assert script_hint("Bob met Mom at the café in Zürich (Москва).") is None  # mostly Latin letters
    assert script_hint("1987!") is None
