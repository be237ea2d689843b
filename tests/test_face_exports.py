import csv
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from soundmotion.clips.arkit import ARKIT_BLENDSHAPES, ARKIT_INDEX
from soundmotion.clips.face import FaceClip
from soundmotion.models.face.exports import (LIVE_LINK_HEADER, ExportError, live_link_csv, live_link_timecode,
                                             rhubarb_json, rhubarb_tsv, rhubarb_xml, write_live_link_csv,
                                             write_mouth_cues)

CUES = [(0.0, "X"), (0.05, "D"), (0.27, "C"), (0.31, "B"), (0.43, "X")]
DURATION = 0.47


def test_tsv_lists_starts_and_ends_with_the_recording_end():
    assert rhubarb_tsv(CUES, DURATION) == "0.00\tX\n0.05\tD\n0.27\tC\n0.31\tB\n0.43\tX\n0.47\tX\n"


def test_json_matches_rhubarbs_layout():
    data = json.loads(rhubarb_json(CUES, DURATION, "hi.wav"))
    assert data["metadata"] == {"soundFile": "hi.wav", "duration": 0.47}
    assert data["mouthCues"][0] == {"start": 0.0, "end": 0.05, "value": "X"}
    assert data["mouthCues"][-1] == {"start": 0.43, "end": 0.47, "value": "X"}
    assert [c["value"] for c in data["mouthCues"]] == ["X", "D", "C", "B", "X"]
    assert '"start": 0.27, "end": 0.31' in rhubarb_json(CUES, DURATION)  # two decimals, as Rhubarb prints


def test_xml_matches_rhubarbs_layout_and_escapes_names():
    text = rhubarb_xml(CUES, DURATION, 'C:\\a<b>&"c.wav')
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<rhubarbResult>')
    root = ET.fromstring(text)
    assert root.find("metadata/soundFile").text == 'C:\\a<b>&"c.wav'
    assert root.find("metadata/duration").text == "0.47"
    cues = root.findall("mouthCues/mouthCue")
    assert [(c.get("start"), c.get("end"), c.text) for c in cues][1] == ("0.05", "0.27", "D")
    assert len(cues) == 5


def test_bad_cues_and_extensions_are_refused(tmp_path):
    with pytest.raises(ExportError, match="A–H or X"):
        rhubarb_tsv([(0.0, "Q")], 1.0)
    with pytest.raises(ExportError, match="no mouth cues"):
        rhubarb_json([], 1.0)
    with pytest.raises(ExportError, match=".tsv, .json or .xml"):
        write_mouth_cues(tmp_path / "cues.doc", CUES, DURATION)
    for ext in ("tsv", "json", "xml"):
        path = write_mouth_cues(tmp_path / f"cues.{ext}", CUES, DURATION, "hi.wav")
        assert open(path).read().strip()


def test_live_link_csv_has_the_apps_columns_values_and_timecodes(tmp_path):
    weights = np.zeros((65, 52))
    weights[:, ARKIT_INDEX["jawOpen"]] = np.linspace(0, 1, 65)
    weights[10, ARKIT_INDEX["mouthLeft"]] = 0.25
    weights[10, ARKIT_INDEX["jawRight"]] = 0.5
    clip = FaceClip(30.0, weights, ARKIT_BLENDSHAPES)
    rows = list(csv.reader(io.StringIO(live_link_csv(clip))))
    header = rows[0]
    assert header[:4] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "EyeLookDownLeft"]
    assert header[16:20] == ["JawForward", "JawRight", "JawLeft", "JawOpen"]  # the app's order, not Apple's
    assert header[-9:] == ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                           "RightEyeYaw", "RightEyePitch", "RightEyeRoll"]
    assert len(header) == len(LIVE_LINK_HEADER) == 63 and len(rows) == 66
    row = dict(zip(header, rows[11]))
    assert row["BlendShapeCount"] == "61" and row["Timecode"] == "00:00:00:10.000"
    assert float(row["MouthLeft"]) == 0.25 and float(row["JawRight"]) == 0.5 and float(row["MouthRight"]) == 0
    assert float(dict(zip(header, rows[-1]))["JawOpen"]) == 1.0
    assert dict(zip(header, rows[32]))["Timecode"] == "00:00:01:01.000"
    path = write_live_link_csv(tmp_path / "take.csv", clip)
    assert open(path).readline().startswith("Timecode,BlendShapeCount,EyeBlinkLeft")


def test_timecodes_roll_over_minutes_and_hours():
    assert live_link_timecode(3661.5, 60.0) == "01:01:01:30.000"
    assert live_link_timecode(59.99, 30.0) == "00:00:59:29.700"
