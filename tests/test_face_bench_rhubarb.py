"""The lip-sync bench's Rhubarb Lip Sync column: how it calls `rhubarb` and reads its TSV cues.

No Rhubarb binary ships here, so a stand-in script on PATH answers the way Rhubarb 1.13 does on the command
line (`rhubarb -f tsv --extendedShapes GX [-d dialog.txt] file.wav` prints `seconds<TAB>shape` lines) and
records the arguments it was given.
"""

import json
import os
import stat
import sys

import numpy as np
import pytest

from soundmotion.bench import lipsync
from soundmotion.bench.scoring import CLOSED, OPEN, REST, rhubarb_classes

CUES = [(0.0, "X"), (0.10, "A"), (0.18, "D"), (0.40, "X")]


@pytest.fixture
def fake_rhubarb(tmp_path, monkeypatch):
    calls = tmp_path / "calls.jsonl"
    script = tmp_path / "bin" / "rhubarb"
    script.parent.mkdir()
    output = "".join(f"{start:.2f}\t{shape}\n" for start, shape in CUES)
    script.write_text(f"#!{sys.executable}\n"
                      "import json, sys\n"
                      f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                      f"sys.stdout.write({output!r})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_rhubarb_is_called_with_tsv_extended_shapes_and_the_dialog(fake_rhubarb, tmp_path):
    wav = str(tmp_path / "line.wav")
    assert lipsync.run_rhubarb(wav, "Bob bought a map.") == CUES
    assert lipsync.run_rhubarb(wav, None) == CUES
    with_dialog, audio_only = [json.loads(line) for line in fake_rhubarb.read_text().splitlines()]
    assert with_dialog[:2] == ["-d", wav + ".dialog.txt"]
    assert open(wav + ".dialog.txt").read() == "Bob bought a map."
    assert with_dialog[2:] == audio_only == ["-f", "tsv", "--extendedShapes", "GX", wav]


def test_rhubarb_cues_become_frame_classes():
    labels = rhubarb_classes(CUES, 50)
    assert list(labels[:10]) == [REST] * 10
    assert list(labels[10:18]) == [CLOSED] * 8
    assert list(labels[18:40]) == [OPEN] * 22
    assert list(labels[40:]) == [REST] * 10


def test_the_bench_scores_rhubarb_beside_soundmotion_when_it_is_on_path(fake_rhubarb, monkeypatch):
    monkeypatch.setattr(lipsync, "corpus", lambda quick=False: [("Bob bought a big map of Boston.", "en-us", 175)])
    result = lipsync.run_bench(speed=False, progress=None)
    assert {"Rhubarb + dialog", "Rhubarb, audio only"} <= set(result.methods)
    rhubarb = result.methods["Rhubarb + dialog"].score
    # The stand-in's cues ignore the audio: a closure only at 0.10–0.18 s, so few of the sentence's hit.
    assert rhubarb.closures > 5 and rhubarb.closures_hit <= 2
    assert result.methods["SoundMotion + transcript"].score.closure_rate > rhubarb.closure_rate
    table = lipsync.format_table(result)
    assert "| Rhubarb + dialog |" in table and "not on PATH" not in table
    assert np.isclose(result.methods["Rhubarb, audio only"].audio_seconds, result.speech_seconds)
