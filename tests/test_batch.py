"""`soundmotion batch`: a folder of voice lines plus a corrupt file, resumed, killed, and run on Ray; manifests;
a worker that dies. The command runs as a user runs it (a subprocess of the installed script)."""

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from batch_jobs import die_on_row_b
from soundmotion.batch.engines import local_results
from soundmotion.batch.outputs import stale_outputs
from soundmotion.batch.rows import BatchInputError, Row, read_rows
from soundmotion.cli import main
from soundmotion.clips import FaceClip
from speech_fixtures import speech_wav

SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"
LINES = ["Bob made a map.", "Mom made a map.", "We fed five cats.", "Who knew the way?", "Pam bought a bike.",
         "Move the blue box.", "Feel the warm sun.", "Tom ate my pie.", "Why was it off?", "Bob met a bee."]


def soundmotion(*args, timeout=300):
    return subprocess.run([str(SOUNDMOTION), *map(str, args)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    """Ten short espeak-ng lines, each with its transcript, and one corrupt .wav."""
    folder = tmp_path_factory.mktemp("lines")
    for number, line in enumerate(LINES, start=1):
        speech_wav(folder, line, name=f"line{number:02d}", transcript_file=True)
    (folder / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8)
    return folder


def cue_files(folder):
    return {path.name: path.read_bytes() for path in sorted(pathlib.Path(folder).glob("*.tsv"))}


def complete_tsv(data: bytes) -> bool:
    """A whole Rhubarb TSV of a spoken line: mouth shapes, then the closing cue at the end time."""
    cues = [line.split("\t") for line in data.decode().splitlines()]
    return data.endswith(b"\n") and cues[-1][1] in "XA" and float(cues[-1][0]) > 0.5 and \
        len({shape for _, shape in cues} - {"X"}) >= 2


def test_ten_lines_and_a_corrupt_file_killed_resumed_and_on_ray(lines, tmp_path):
    out = tmp_path / "out"
    # A run killed part way leaves only whole files under their final names.
    process = subprocess.Popen([str(SOUNDMOTION), "batch", str(lines), "--out", str(out), "--workers", "2"],
                               start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.tsv"))) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed = sorted(out.glob("line*.*"))
    assert 3 <= len([p for p in killed if p.suffix == ".tsv"]) < 10
    for path in killed:
        if path.suffix == ".tsv":
            assert complete_tsv(path.read_bytes())
        elif path.suffix == ".npz":
            FaceClip.load(path)
    before = {p.name: p.stat().st_mtime_ns for p in killed}

    run = soundmotion("batch", lines, "--out", out, "--workers", 2)
    assert run.returncode == 1, run.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    status = {row["name"]: row for row in report["rows"]}
    assert len(status) == 11 and report["summary"]["failed"] == 1
    assert report["summary"]["done"] + report["summary"]["skipped"] == 10
    assert status["corrupt"]["status"] == "failed" and status["corrupt"]["outputs"] == []
    assert "Cannot read corrupt.wav as audio" in status["corrupt"]["error"]
    assert status["corrupt"]["error"].endswith(".")
    assert "failed: corrupt: Cannot read corrupt.wav" in run.stdout
    assert "row/s" in run.stderr or "s/row" in run.stderr  # tqdm's rate, with rows done and ETA
    for number in range(1, 11):
        name = f"line{number:02d}"
        assert status[name]["status"] in ("done", "skipped") and status[name]["error"] is None
        assert complete_tsv((out / f"{name}.tsv").read_bytes())
        assert (out / f"{name}.csv").read_text().startswith("Timecode,BlendShapeCount,")
        clip = FaceClip.load(out / f"{name}.npz")
        assert clip.fps == 60 and clip.weights.shape[1] == 52
    # What the killed run finished was kept, not made again.
    assert all((out / name).stat().st_mtime_ns == t for name, t in before.items())
    assert not list(out.glob(".*partial")) and not list(out.glob("corrupt.*"))
    cues, mtimes = cue_files(out), {p.name: p.stat().st_mtime_ns for p in out.glob("line*")}

    again = soundmotion("batch", lines, "--out", out, "--workers", 2)
    assert again.returncode == 1
    report = json.loads((out / "report.json").read_text())
    assert [row["status"] for row in report["rows"]].count("skipped") == 10
    assert report["summary"]["done"] == 0 and report["summary"]["failed"] == 1
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("line*")} == mtimes

    ray_out = tmp_path / "ray"
    on_ray = soundmotion("batch", lines, "--out", ray_out, "--outputs", "cues", "--ray", "--workers", 2)
    assert on_ray.returncode == 1, on_ray.stderr[-3000:]
    assert json.loads((ray_out / "report.json").read_text())["engine"] == "ray"
    assert cue_files(ray_out) == cues and len(cues) == 10  # byte for byte


def test_outputs_older_than_an_input_are_stale(tmp_path):
    audio, text = speech_wav(tmp_path, "Bob.", name="bob", transcript_file=True)[0], tmp_path / "bob.txt"
    (row,) = read_rows(tmp_path, ("cues", "clip"))
    assert row.transcript == "Bob." and row.transcript_file == str(text)
    assert stale_outputs(row, tmp_path) == ["cues", "clip"]
    (tmp_path / "bob.tsv").write_text("0.00\tX\n")
    (tmp_path / "bob.npz").write_bytes(b"")
    assert stale_outputs(row, tmp_path) == []
    os.utime(text, (time.time() + 5, time.time() + 5))
    assert stale_outputs(row, tmp_path) == ["cues", "clip"]


def test_a_touched_character_makes_only_the_blender_outputs_stale(tmp_path):
    speech_wav(tmp_path, "Bob.", name="bob", transcript_file=True)
    character = tmp_path / "character.blend"
    character.write_bytes(b"BLENDER")
    (row,) = read_rows(tmp_path, ("cues", "blend"), character=str(character))
    for name in ("bob.tsv", "bob.blend"):
        (tmp_path / name).write_bytes(b"made")
    assert stale_outputs(row, tmp_path) == []
    os.utime(character, (time.time() + 5, time.time() + 5))
    assert stale_outputs(row, tmp_path) == ["blend"]


def test_manifest_rows_choose_transcript_language_and_outputs(tmp_path):
    speech_wav(tmp_path, "Bob made a map.", name="bob")
    (tmp_path / "empty.txt").write_text("  \n")
    with open(tmp_path / "rows.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["audio", "transcript", "language", "outputs", "name"])
        writer.writerow(["bob.wav", "Bob made a map.", "en-US", "cues", "bob_inline"])
        writer.writerow(["bob.wav", "empty.txt", "", "cues", "bob_empty"])
        writer.writerow(["bob.wav", "", "fr", "cues,csv", "bob_french"])
        writer.writerow(["bob.wav", "", "xx", "cues", "bob_unknown"])
    result = soundmotion("batch", tmp_path / "rows.csv", "--out", tmp_path / "out", "--workers", 1)
    assert result.returncode == 1
    rows = {row["name"]: row for row in json.loads((tmp_path / "out" / "report.json").read_text())["rows"]}
    assert rows["bob_inline"]["status"] == "done" and rows["bob_inline"]["outputs"] == ["bob_inline.tsv"]
    assert "The transcript empty.txt is empty" in rows["bob_empty"]["error"]
    assert rows["bob_french"]["status"] == "done"
    assert sorted(rows["bob_french"]["outputs"]) == ["bob_french.csv", "bob_french.tsv"]
    assert "Unknown language 'xx'" in rows["bob_unknown"]["error"]
    assert sorted(p.name for p in (tmp_path / "out").glob("bob*")) == ["bob_french.csv", "bob_french.tsv",
                                                                       "bob_inline.tsv"]


@pytest.mark.parametrize("args, message", [
    (("--outputs", "cues,gif"), "Unknown output(s) gif"),
    (("--language", "xx"), "Unknown language 'xx'"),
    (("--character", "missing.blend"), "Character file not found"),
    (("--workers", "0"), "--workers must be at least 1"),
])
def test_bad_arguments_exit_2_with_a_sentence(args, message, tmp_path, capsys):
    speech_wav(tmp_path, "Bob.", name="bob")
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "out"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_cluster_that_does_not_answer_is_refused_at_once(tmp_path, capsys):
    """Ray's own retries waited over two minutes on a GCS address nothing listens at (30 s for ray://)."""
    import socket
    with socket.socket() as probe:             # a port nothing listens at
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    speech_wav(tmp_path, "Bob.", name="bob")
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        started = time.monotonic()
        assert main(["batch", str(tmp_path), "--out", str(tmp_path / "out"), f"--ray={address}"]) == 2
        assert time.monotonic() - started < 20
        assert f"Cannot join Ray at {address}: nothing answers at 127.0.0.1:{port} (connection refused)" in \
            capsys.readouterr().err


def test_a_folder_of_voice_memos_in_m4a_is_a_batch(tmp_path):
    # Phones record voice memos as AAC in .m4a; the rows load them through Blender's FFmpeg (models/audio/load.py).
    (tmp_path / "memo.m4a").write_bytes(b"")
    (tmp_path / "memo.txt").write_text("Bob.")
    (tmp_path / "line.AAC").write_bytes(b"")
    (tmp_path / "notes.doc").write_bytes(b"")
    rows = read_rows(tmp_path, ("cues",))
    assert [(row.name, row.transcript) for row in rows] == [("line", None), ("memo", "Bob.")]


def test_read_rows_refuses_what_cannot_start(tmp_path):
    with pytest.raises(BatchInputError, match="holds no audio files"):
        read_rows(tmp_path)
    (tmp_path / "rows.json").write_text(json.dumps([{"audio": "a/x.wav"}, {"audio": "b/x.wav"}]))
    with pytest.raises(BatchInputError, match="same outputs 'x'"):
        read_rows(tmp_path / "rows.json")
    (tmp_path / "rows.json").write_text(json.dumps([{"audio": "x.wav", "name": "../x"}]))
    with pytest.raises(BatchInputError, match="cannot name output files"):
        read_rows(tmp_path / "rows.json")


def test_a_worker_that_dies_fails_its_row_only(tmp_path):
    rows = [Row(name, str(tmp_path / f"{name}.wav"), None, None, "en", "") for name in "abcde"]
    results = {r["name"]: r for r in local_results([(row, ("cues",)) for row in rows], 2, {}, die_on_row_b)}
    assert sorted(results) == list("abcde")
    assert [name for name, r in results.items() if r["status"] == "failed"] == ["b"]
    assert "worker process died" in results["b"]["error"]


def test_ray_tqdm_and_batch_stay_out_of_the_extension_zips(tmp_path):
    """batch is a command-line feature: no zip Blender installs ships or imports Ray or tqdm."""
    import zipfile

    from extension_zips import build_zips, zip_manifest

    for platform, zip_path in build_zips(tmp_path).items():
        manifest = zip_manifest(zip_path)
        with zipfile.ZipFile(zip_path) as archive:
            names = archive.namelist()
            sources = {name: archive.read(name).decode() for name in names if name.endswith(".py")}
        assert "cli.py" in names and not any(name.startswith("batch/") for name in names), platform
        assert not any(name.startswith(("wheels/ray", "wheels/tqdm", "wheels/bpy")) for name in names), platform
        assert not any(("ray-" in w or "tqdm" in w or "bpy-" in w) for w in manifest.get("wheels", [])), platform
        for name, text in sources.items():
            assert "import ray" not in text and "from tqdm" not in text and "import tqdm" not in text, name


def test_a_rows_language_reaches_the_face(tmp_path):
    """A Spanish row's cues are the face pipeline's with language "es" (eSpeak NG's alignment), not the English
    reading of the same text."""
    from soundmotion.batch.row_job import run_row
    from soundmotion.models.face.exports import rhubarb_tsv
    from soundmotion.models.face.pipeline import FaceSettings, generate_face

    text = "Pablo compró un mapa bonito en Bogotá."
    audio, _ = speech_wav(tmp_path, text, voice="es+f3", name="pablo")
    cues = {}
    for language in ("es", "en"):
        row = Row(f"pablo_{language}", str(audio), text, None, language, "", ("cues",))
        result = run_row(row, ("cues",), {"fps": 30.0, "seed": 0})
        assert result["status"] == "done", result["error"]
        cues[language] = result["files"]["cues"]
    spanish = generate_face(audio, transcript=text, fps=30.0, settings=FaceSettings(language="es"))
    assert cues["es"] == rhubarb_tsv(spanish.mouth_cues, spanish.clip.duration).encode("utf-8")
    assert cues["es"] != cues["en"]


def test_ntsc_movies_are_tagged_as_video_tags_them():
    from fractions import Fraction

    from soundmotion.batch.render_take import frame_rate

    fps_base = float(__import__("numpy").float32(1.001))  # as Blender stores it: 1.0010000467
    assert frame_rate(30 / fps_base) == Fraction(30000, 1001) and frame_rate(24 / fps_base) == Fraction(24000, 1001)
    assert [frame_rate(fps) for fps in (24, 25, 30, 60, 12.5)] == [24, 25, 30, 60, Fraction(25, 2)]


def test_a_resumed_batch_remakes_rows_whose_settings_or_words_changed(tmp_path):
    """Resuming compares what each row was made from (the run's settings, the row's words, language, character),
    not only file dates: a new --fps or an edited transcript cell remakes the row; the same run again skips it."""
    folder = tmp_path / "lines"
    folder.mkdir()
    speech_wav(folder, "Bob made a map.", name="line")
    audio = folder / "line.wav"
    manifest = tmp_path / "rows.csv"
    for words, fps, expected in (("Bob made a map.", 30, "1 done"), ("Bob made a map.", 30, "1 up to date"),
                                 ("Bob made a map.", 24, "1 done"), ("Bob made a mop.", 24, "1 done"),
                                 ("Bob made a mop.", 24, "1 up to date")):
        manifest.write_text(f"audio,transcript\n{audio},{words}\n")
        run = soundmotion("batch", manifest, "--out", tmp_path / "out", "--outputs", "clip", "--fps", fps,
                          "--no-progress")
        assert run.returncode == 0 and expected in run.stdout, run.stdout + run.stderr
    assert FaceClip.load(tmp_path / "out" / "line.npz").fps == 24


def test_a_manifest_cell_naming_subtitles_is_read_as_a_transcript_file(tmp_path):
    (tmp_path / "line.srt").write_text("1\n00:00:00,000 --> 00:00:01,500\nBob made a map.\n", encoding="utf-8")
    manifest = tmp_path / "rows.csv"
    manifest.write_text("audio,transcript\nline.wav,line.srt\n", encoding="utf-8")
    speech_wav(tmp_path, "Bob made a map.", name="line")
    rows = read_rows(manifest)
    assert rows[0].transcript_file.endswith("line.srt") and "Bob made a map." in rows[0].transcript


def test_manifest_columns_in_any_case_and_semicolon_separated(tmp_path):
    speech_wav(tmp_path, "Bob made a map.", name="bob")
    for text in ("Audio,Transcript\nbob.wav,Bob made a map.\n", "audio;transcript\nbob.wav;Bob made a map.\n"):
        (tmp_path / "rows.csv").write_text(text, encoding="utf-8")
        (row,) = read_rows(tmp_path / "rows.csv")
        assert row.audio.endswith("bob.wav") and row.transcript == "Bob made a map."
    (tmp_path / "rows.csv").write_text("file,words\nbob.wav,Bob\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match="has no 'audio' column \\(its columns: 'file', 'words'\\)"):
        read_rows(tmp_path / "rows.csv")


def test_a_character_named_as_file_blend_armature_picks_that_armature(tmp_path):
    speech_wav(tmp_path, "Bob made a map.", name="bob")
    (tmp_path / "cast.blend").write_bytes(b"BLENDER")
    (tmp_path / "rows.csv").write_text("audio,character,outputs\nbob.wav,cast.blend:SecondRig,blend\n",
                                       encoding="utf-8")
    (row,) = read_rows(tmp_path / "rows.csv")
    assert row.character == str(tmp_path / "cast.blend") and row.armature == "SecondRig" and row.error is None
    (row,) = read_rows(tmp_path, ("blend",), character=f"{tmp_path / 'cast.blend'}:Rig")
    assert row.armature == "Rig" and row.character.endswith("cast.blend")
