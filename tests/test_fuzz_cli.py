"""Fuzz the command line with generated bad input: every case exits 2 with one line naming the problem, prints no
traceback and leaves no file behind. All of these are refused before Blender starts or audio is analysed, so they
run in this process through `cli.main` (milliseconds each)."""

import os

import numpy as np
import pytest

import fuzz_inputs as bad
from soundmotion import cli

BLEND, SPEECH, MUSIC = bad.DEMO_BLEND, bad.DEMO_SPEECH, bad.DEMO_MUSIC


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("fuzz_inputs"))
    made = bad.all_bad_inputs(folder)
    # a sine sampled at 100 Hz (under load.MIN_SAMPLE_RATE), and a named pipe, as `cat line.wav |` would give
    made["audio.low_rate"] = bad.wav(folder, "low_rate.wav", 0.5 * np.sin(np.arange(300) * 0.44), rate=100)
    made["audio.pipe"] = os.path.join(folder, "pipe.wav")
    os.mkfifo(made["audio.pipe"])
    return made


# (argv with {placeholders}, a piece of the expected message). {out}: an empty folder for outputs; {ro}: a folder
# that cannot be written; {file}: a plain file; other names: inputs from fuzz_inputs.
CASES = [
    # face: audio of every kind, option ranges, outputs
    (["face", "{audio.missing}"], "not found"),
    (["face", "{audio.text}"], "text.wav holds text, not audio"),
    (["face", "{audio.empty}"], "empty file"),
    (["face", "{audio.header_only}"], "no audio samples"),
    (["face", "{audio.silent}"], "is silent"),
    (["face", "{audio.folder}"], "is a folder"),
    (["face", "{audio.random_bytes}"], "Cannot read noise.flac"),
    (["face", SPEECH, "--fps", "1e9"], "--fps must be a number from 1 to 240"),
    (["face", SPEECH, "--fps", "1e6"], "--fps"),
    (["face", SPEECH, "--fps", "0"], "--fps"),
    (["face", SPEECH, "--fps", "-30"], "--fps"),
    (["face", SPEECH, "--fps", "nan"], "--fps"),
    (["face", SPEECH, "--fps", "inf"], "--fps"),
    (["face", SPEECH, "--fps", "abc"], "invalid float value"),
    (["face", SPEECH, "--seed", "-5"], "--seed must be a whole number from 0"),
    (["face", SPEECH, "--seed", "123456789012345678901"], "--seed"),
    (["face", SPEECH, "--seed", "1.5"], "invalid int value"),
    (["face", SPEECH, "--clip", "{out}"], "is a folder"),
    (["face", SPEECH, "--clip", "{file}/x.npz"], "which is a file, not a folder"),
    (["face", SPEECH, "--clip", "{ro}/x.npz"], "cannot write in"),
    (["face", SPEECH, "--csv", "{out}/a.csv", "--cues", "{out}/b.tsv", "--clip", "{ro}/c.npz"], "cannot write in"),
    (["face", SPEECH, "--csv", "{out}/a.csv", "--cues", "{out}/b.tsv", "--clip", "{file}/c.npz"], "not a folder"),
    (["face", SPEECH, "--cues", "{out}/cues.mp3"], "--cues writes a .tsv or .txt or .json or .xml file"),
    (["face", SPEECH, "--clip", "{out}/clip.txt"], "--clip writes a .npz file"),
    (["face", SPEECH, "--clip", ""], "give a file name"),
    (["face", SPEECH, "--clip", "{out}/same.npz", "--csv", "{out}/same.npz"], "name the same file"),
    (["face", SPEECH, "--text", "{json.missing}"], "was not found"),
    (["face", SPEECH, "--text", "{json.latin1}"], "is not UTF-8 text"),
    (["face", SPEECH, "--text", "{dir}"], "is a folder"),
    (["face", SPEECH, "--articulation", "5"], "Articulation must be between 0 and 2"),
    (["face", SPEECH, "--expressiveness", "-1"], "Expressiveness"),
    (["face", SPEECH, "--language", "xx-nope"], "Unknown language 'xx-nope'"),
    (["face", SPEECH, "--emotion", "happy", "--emotion-strength", "5"], "Emotion strength must be between 0 and 1"),
    (["face", SPEECH, "--emotion", "bored"], "invalid choice: 'bored'"),
    (["face", SPEECH, "--emotion-curve", "{json.missing}"], "--emotion-curve: the file"),
    (["face", SPEECH, "--emotion-curve", "{json.latin1}"], "is not UTF-8 text"),
    (["face", SPEECH, "--emotion-curve", "{json.not_json}"], "line 1: an emotion curve line is 'SECONDS STRENGTH'"),
    (["face", SPEECH, "--channel-gain", "mouthSmileLeft=lots"], "--channel-gain takes CHANNEL=NUMBER"),
    (["face", SPEECH, "--channel-offset", "notAChannel=0.1"], "unknown: notAChannel"),
    (["face", SPEECH, "--channel-gain", "jawOpen=nan"], "The gain of jawOpen must be a number, got nan"),
    (["face", SPEECH, "--emotion-strength", "0.5"], "--emotion-strength set how strong an emotion is: add --emotion"),
    (["face"], "the following arguments are required: audio"),
    (["face", SPEECH, "--bogus"], "unrecognized arguments: --bogus"),
    (["face", "{audio.pipe}", "--cues", "{out}/c.tsv"], "is a pipe or a device, not a file on disk: save the audio"),
    (["face", "/dev/null", "--cues", "{out}/c.tsv"], "/dev/null is a pipe or a device, not a file on disk"),
    (["face", "{audio.low_rate}", "--cues", "{out}/c.tsv"], "sampled at 100 Hz, under the 4000 Hz"),
    (["face", SPEECH], "No output given: add --cues OUT.tsv, --csv OUT.csv or --clip OUT.npz"),
    (["face", SPEECH, "--text", SPEECH.replace(".wav", ".txt"), "--language", "auto"], "No output given"),
    ([], "the following arguments are required: verb"),
    (["sing", SPEECH], "invalid choice: 'sing'"),
    # dance
    (["dance", "{audio.missing}"], "not found"),
    (["dance", "{audio.silent}"], "is silent"),
    (["dance", "{audio.text}"], "holds text, not audio"),
    (["dance", MUSIC, "--energy", "100"], "--energy must be a number from 0 to 2"),
    (["dance", MUSIC, "--energy", "-1"], "--energy"),
    (["dance", MUSIC, "--energy", "nan"], "--energy"),
    (["dance", MUSIC, "--clip-moves", "2"], "--clip-moves must be a number from 0 to 1"),
    (["dance", MUSIC, "--clip-moves", "-0.5"], "--clip-moves"),
    (["dance", MUSIC, "--seed", "-5"], "--seed"),
    (["dance", MUSIC, "--fps", "1e9"], "--fps"),
    (["dance", MUSIC, "--style", "polka"], "Unknown dance style 'polka'"),
    (["dance", MUSIC, "--engine", "robot"], "invalid choice: 'robot'"),
    (["dance", MUSIC, "--engine", "coded", "--energy", "3"], "--energy"),
    (["dance", MUSIC, "--clip", "{out}/x.npz", "--bvh", "{ro}/x.bvh"], "cannot write in"),
    (["dance", MUSIC, "--clip", "{out}/x.npz", "--bvh", "{file}/x.bvh"], "not a folder"),
    (["dance", MUSIC, "--bvh", "{out}/x.txt"], "--bvh writes a .bvh file"),
    (["dance", MUSIC, "--target", BLEND], "--target needs --out"),
    (["dance", MUSIC, "--target", BLEND, "--out", "{out}/o.blend", "--clip", "{out}/y.npz"], "cannot be combined"),
    (["dance", MUSIC, "--target", "{blend.text}", "--out", "{out}/o.blend"], "is not a Blender file"),
    (["dance", MUSIC, "--target", BLEND, "--out", "{out}/o.txt"], "--out writes a .blend file"),
    (["dance", "{audio.missing}", "--target", BLEND, "--out", "{out}/o.blend"], "was not found"),
    (["dance", "{audio.low_rate}", "--clip", "{out}/d.npz"], "sampled at 100 Hz, under the 4000 Hz"),
    (["dance", "{audio.pipe}", "--bvh", "{out}/d.bvh"], "not a file on disk"),
    (["dance", MUSIC], "No output given: add --clip OUT.npz, --bvh OUT.bvh, or --target FILE.blend with --out"),
    (["dance", MUSIC, "--out", "{out}/o.blend"], "No output given"),
    # gesture
    (["gesture", "{audio.missing}"], "not found"),
    (["gesture", "{audio.silent}"], "is silent"),
    (["gesture", SPEECH, "--amount", "5"], "--amount must be a number from 0 to 2"),
    (["gesture", SPEECH, "--amount", "-1"], "--amount"),
    (["gesture", SPEECH, "--hand", "middle"], "Handedness must be one of"),
    (["gesture", SPEECH, "--style", "mime"], "Unknown gesture style"),
    (["gesture", SPEECH, "--seed", "-5"], "--seed"),
    (["gesture", SPEECH, "--fps", "0"], "--fps"),
    (["gesture", SPEECH, "--clip", "{out}/x.npz", "--bvh", "{file}/y.bvh"], "not a folder"),
    (["gesture", SPEECH, "--text", "{json.latin1}"], "is not UTF-8 text"),
    (["gesture", SPEECH, "--language", "xx-nope"], "Unknown language 'xx-nope'"),
    (["gesture", SPEECH, "--language", "xx-nope", "--target", BLEND, "--out", "{out}/o.blend"], "Unknown language"),
    (["gesture", SPEECH, "--target", "{blend.missing}", "--out", "{out}/o.blend"], "was not found"),
    (["gesture", SPEECH], "No output given: add --clip OUT.npz, --bvh OUT.bvh, or --target FILE.blend with --out"),
    (["gesture", SPEECH, "--out", "{out}/o.blend", "--language", ""], "No output given"),
    (["gesture", "{audio.pipe}", "--clip", "{out}/g.npz"], "not a file on disk"),
    # talk (refused before Blender starts)
    (["talk", "{blend.missing}", SPEECH, "--out", "{out}/o.blend"], "missing.blend was not found"),
    (["talk", "{blend.text}", SPEECH, "--out", "{out}/o.blend"], "is not a Blender file"),
    (["talk", "{blend.empty}", SPEECH, "--out", "{out}/o.blend"], "is not a Blender file"),
    (["talk", "{blend.folder}", SPEECH, "--out", "{out}/o.blend"], "is a folder"),
    (["talk", BLEND, SPEECH, "--out", "{out}"], "is a folder"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.txt"], "--out writes a .blend file"),
    (["talk", BLEND, SPEECH, "--out", "{ro}/o.blend"], "cannot write in"),
    (["talk", BLEND, SPEECH, "--out", "{file}/o.blend"], "not a folder"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--resolution", "0", "0"], "--resolution must be a whole"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--resolution", "-2", "100"], "--resolution"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--resolution", "641", "361"], "even numbers"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--resolution", "99999", "360"], "--resolution"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--render", "{out}/t.gif"], "--render writes a .mp4 file"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--render", "{ro}/t.mp4"], "cannot write in"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--render", "{file}/t.mp4"], "not a folder"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--render", "{out}/o.blend"], "--render writes a .mp4"),
    (["talk", BLEND, "{audio.missing}", "--out", "{out}/o.blend"], "AUDIO: "),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--seed", "123456789012345678901"], "--seed"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--text", "{json.latin1}"], "is not UTF-8 text"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--language", "xx-nope"], "Unknown language 'xx-nope'"),
    (["talk", BLEND, SPEECH, "--out", "{out}/o.blend", "--emotion", "sad", "--emotion-strength", "-1"],
     "Emotion strength"),
    (["talk", BLEND, SPEECH], "the following arguments are required: --out"),
    # retarget: broken motion files are refused before the rig is opened
    (["retarget", "{motion.missing}", "--target", BLEND, "--out", "{out}/o.blend"], "missing.npz was not found"),
    (["retarget", "{motion.empty}", "--target", BLEND, "--out", "{out}/o.blend"], "empty file"),
    (["retarget", "{motion.text}", "--target", BLEND, "--out", "{out}/o.blend"], "does not start like one"),
    (["retarget", "{motion.truncated}", "--target", BLEND, "--out", "{out}/o.blend"], "not a readable .npz"),
    (["retarget", "{motion.zero_frames}", "--target", BLEND, "--out", "{out}/o.blend"], "no frames"),
    (["retarget", "{motion.smplx_zero_frames}", "--target", BLEND, "--out", "{out}/o.blend"], "no frames"),
    (["retarget", "{motion.single_array}", "--target", BLEND, "--out", "{out}/o.blend"], "single array"),
    (["retarget", "{motion.nan}", "--target", BLEND, "--out", "{out}/o.blend"], "NaN"),
    (["retarget", "{motion.pickle}", "--target", BLEND, "--out", "{out}/o.blend"], "pickled.npz"),
    (["retarget", "{motion.bvh_garbage}", "--target", BLEND, "--out", "{out}/o.blend"], "garbage.bvh"),
    (["retarget", "{motion.bvh_no_frames}", "--target", BLEND, "--out", "{out}/o.blend"], "noframes.bvh"),
    (["retarget", "{motion.binary_bvh}", "--target", BLEND, "--out", "{out}/o.blend"], "binary.bvh"),
    (["retarget", "{motion.wrong_suffix}", "--target", BLEND, "--out", "{out}/o.blend"], "must be .bvh or .npz"),
    (["retarget", "{valid_motion}", "--target", "{blend.text}", "--out", "{out}/o.blend"], "not a Blender file"),
    (["retarget", "{valid_motion}", "--target", "{blend.missing}:Rig", "--out", "{out}/o.blend"], "was not found"),
    (["retarget", "{valid_motion}", "--target", BLEND, "--out", "{out}"], "is a folder"),
    (["retarget", "{valid_motion}", "--target", BLEND, "--out", "{ro}/o.blend"], "cannot write in"),
    (["retarget", "{valid_motion}", "--target", BLEND, "--out", "{out}/o.blend", "--map", "nonsense"], "not a preset"),
    (["retarget", "{valid_motion}", "--target", BLEND, "--out", "{out}/o.blend", "--map", "{json.missing}"],
     "was not found"),
    (["retarget", "{valid_motion}", "--target", BLEND, "--out", "{out}/o.blend", "--root", "sideways"],
     "invalid choice: 'sideways'"),
    (["retarget", "{valid_motion}", "--target", BLEND, "--out", "{out}/o.blend", "--ik", "arms"],
     "invalid choice: 'arms'"),
    (["retarget", "{valid_motion}", "--target", BLEND, "--out", "{out}/o.blend", "--up", "x"], "invalid choice: 'x'"),
    (["retarget", "{motion.truncated}", "--target", BLEND, "--out", "{out}/o.blend", "--ik", "all", "--up", "z"],
     "not a readable .npz"),
    # bonemap
    (["bonemap", "{blend.missing}"], "was not found"),
    (["bonemap", "{blend.text}"], "is not a Blender file"),
    (["bonemap", "{blend.empty}"], "is not a Blender file"),
    (["bonemap", "{blend.folder}"], "is a folder"),
    (["bonemap", "{blend.missing}:"], "was not found"),
    # beats, batch, render
    (["beats", "{audio.silent}"], "is silent"),
    (["beats", "{audio.low_rate}"], "use a recording of at least 8 kHz"),
    (["beats", MUSIC, "--json", "{out}/b.txt"], "--json writes a .json file"),
    (["beats", MUSIC, "--json", "{file}/b.json"], "not a folder"),
    (["batch", "{dir}", "--out", "{out}/batch", "--fps", "0"], "--fps"),
    (["batch", "{dir}", "--out", "{out}/batch", "--resolution", "0", "0"], "--resolution"),
    (["batch", "{dir}", "--out", "{out}/batch", "--seed", "-1"], "--seed"),
    (["batch", "{dir}", "--out", "{out}/batch", "--workers", "0"], "--workers must be at least 1"),
    (["batch", "{json.missing}", "--out", "{out}/batch"], "missing.json"),
    (["render", "{blend.missing}", "--out", "{out}/r.mp4"], "was not found"),
    (["render", "{blend.text}", "--out", "{out}/r.mp4"], "is not a Blender file"),
    (["render", BLEND, "--out", "{out}/r.gif"], "--out writes a .mp4 file"),
    (["render", BLEND, "--out", "{out}/r.mp4", "--chunk", "0"], "--chunk must be a whole number of at least 1"),
    (["render", BLEND, "--out", "{out}/r.mp4", "--workers", "0"], "--workers"),
    (["render", BLEND, "--out", "{ro}/r.mp4"], "cannot write in"),
    # demo
    (["demo", "--out", "{out}/demo", "--resolution", "0", "0"], "--resolution"),
    (["demo", "--out", "{out}/demo", "--resolution", "7", "7"], "--resolution"),
    (["demo", "--out", "{file}"], "is a file; give a folder"),
]


def _filled(text: str, values: dict) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _case_id(case):
    argv, _ = case
    return "-".join(a.strip("{}").replace("/", "_")[:24] if a.startswith("{") or a.startswith("-") else
                    os.path.basename(a)[:16] for a in argv)[:80] or "empty"


@pytest.mark.parametrize("argv, expected", CASES, ids=[_case_id(c) for c in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(argv, expected, inputs, tmp_path, capsys, monkeypatch):
    with bad.read_only_folder(str(tmp_path)) as read_only:
        if any("{ro}" in a for a in argv) and read_only is None:
            pytest.skip("no way to make a read-only folder here")
        out = tmp_path / "out"
        out.mkdir()
        values = {**inputs, "out": str(out), "ro": read_only or ""}
        argv = [_filled(a, values) for a in argv]
        monkeypatch.chdir(tmp_path)
        before = bad.listing(str(tmp_path)) | bad.listing(inputs["dir"])
        status = cli.main(argv)
        captured = capsys.readouterr()
        after = bad.listing(str(tmp_path)) | bad.listing(inputs["dir"])
    lines = captured.err.strip().splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("soundmotion"), captured.err
    assert expected in lines[0], lines[0]
    assert "Traceback" not in captured.err + captured.out and "Errno" not in lines[0]
    assert after == before, f"left behind: {sorted(after - before)}"


@pytest.mark.parametrize("argv, analysis", [
    (["face", SPEECH, "--fps", "30"], "models.face.pipeline.generate_face"),
    (["dance", MUSIC, "--style", "disco"], "models.dance.pipeline.generate_dance"),
    (["gesture", SPEECH, "--out", "o.blend"], "models.gesture.pipeline.generate_gestures"),
])
def test_no_output_is_refused_before_the_analysis(argv, analysis, monkeypatch, capsys):
    import importlib

    module, name = analysis.rsplit(".", 1)
    monkeypatch.setattr(importlib.import_module(f"soundmotion.{module}"), name,
                        lambda *a, **k: pytest.fail(f"{name} ran although nothing would be written"))
    assert cli.main(argv) == 2
    assert "No output given" in capsys.readouterr().err


@pytest.mark.parametrize("verb", ["face", "talk", "gesture"])
@pytest.mark.parametrize("code", ["", "  ", "auto", "AUTO", "Auto "])
def test_language_auto_or_empty_is_auto(verb, code):
    argv = {"face": ["face", "line.wav"], "talk": ["talk", "c.blend", "line.wav", "--out", "o.blend"],
            "gesture": ["gesture", "line.wav"]}[verb] + ["--language", code]
    args = cli.build_parser().parse_args(argv)
    assert args.language is None
    if verb != "gesture":
        settings = cli.face_settings_from(args)
        settings.validate()
        assert settings.language is None
    assert cli.build_parser().parse_args([*argv[:-1], " es "]).language == "es"
