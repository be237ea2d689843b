"""Files other tools read: Rhubarb Lip Sync mouth cues (TSV, JSON, XML) and Live Link Face CSV.

Formats follow the originals: Rhubarb's README (`rhubarb -f tsv|json|xml`: times in seconds with two
decimals; TSV lists each cue's start and ends with the recording's end time; JSON and XML give
start/end per cue under `mouthCues` with `metadata` soundFile and duration), and the CSV the Live Link
Face iOS app exports for Unreal/MetaHuman (`Timecode,BlendShapeCount,` 52 PascalCase ARKit columns in
the app's order, then head and eye rotations; `BlendShapeCount` is 61; timecode `HH:MM:SS:FF.mmm`).
"""

import json
import os
from xml.sax.saxutils import escape

import numpy as np

from ...clips.face import FaceClip
from .mouth_cues import SHAPES
from ...errors import SoundMotionError

LIVE_LINK_BLENDSHAPES = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose",
    "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight",
    "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft",
    "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
    "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft",
    "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight",
    "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)
LIVE_LINK_ROTATIONS = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                       "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
LIVE_LINK_HEADER = ("Timecode", "BlendShapeCount") + LIVE_LINK_BLENDSHAPES + LIVE_LINK_ROTATIONS


class ExportError(SoundMotionError):
    """The data cannot be written in the requested format; the message says why."""


def _timed_cues(cues, duration: float) -> list:
    """[(start, end, shape)] rounded to Rhubarb's 10 ms, without zero-length cues."""
    if not cues:
        raise ExportError("There are no mouth cues to export.")
    unknown = sorted({shape for _, shape in cues} - set(SHAPES))
    if unknown:
        raise ExportError(f"Mouth cues must use Rhubarb shapes A–H or X, got {', '.join(unknown)}.")
    out = []
    for k, (start, shape) in enumerate(cues):
        end = cues[k + 1][0] if k + 1 < len(cues) else duration
        start, end = round(float(start), 2), round(float(end), 2)
        if end > start:
            out.append((start, end, shape))
    return out


def rhubarb_tsv(cues, duration: float) -> str:
    timed = _timed_cues(cues, duration)
    lines = [f"{start:.2f}\t{shape}" for start, _, shape in timed]
    closing = "X" if timed[-1][2] != "A" else "A"
    lines.append(f"{round(float(duration), 2):.2f}\t{closing}")
    return "\n".join(lines) + "\n"


def rhubarb_json(cues, duration: float, sound_file: str = "") -> str:
    timed = _timed_cues(cues, duration)
    # Two decimals as Rhubarb prints them; json.dumps would print 0.1 + 0.2 style floats otherwise.
    cue_lines = ",\n".join(f'    {{ "start": {s:.2f}, "end": {e:.2f}, "value": "{v}" }}' for s, e, v in timed)
    return ("{\n  \"metadata\": {\n"
            f"    \"soundFile\": {json.dumps(sound_file)},\n"
            f"    \"duration\": {round(float(duration), 2):.2f}\n"
            "  },\n  \"mouthCues\": [\n" + cue_lines + "\n  ]\n}\n")


def rhubarb_xml(cues, duration: float, sound_file: str = "") -> str:
    timed = _timed_cues(cues, duration)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rhubarbResult>", "  <metadata>",
             f"    <soundFile>{escape(sound_file)}</soundFile>",
             f"    <duration>{round(float(duration), 2):.2f}</duration>", "  </metadata>", "  <mouthCues>"]
    lines += [f'    <mouthCue start="{s:.2f}" end="{e:.2f}">{v}</mouthCue>' for s, e, v in timed]
    lines += ["  </mouthCues>", "</rhubarbResult>"]
    return "\n".join(lines) + "\n"


def live_link_timecode(seconds: float, fps: float) -> str:
    frames_total = seconds * fps
    whole_seconds = int(np.floor(frames_total / fps + 1e-9))
    frame = frames_total - whole_seconds * fps
    frame_index = int(np.floor(frame + 1e-6))
    subframe = max(0.0, frame - frame_index)
    hours, rest = divmod(whole_seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}:{frame_index:02d}.{int(round(subframe * 1000)) % 1000:03d}"


def live_link_csv(clip: FaceClip, start_seconds: float = 0.0) -> str:
    return "".join(_live_link_lines(clip, start_seconds))


def _live_link_lines(clip: FaceClip, start_seconds: float = 0.0, block: int = 4096):
    """The CSV a block of rows at a time (an hour at 60 fps is ~150 MB of text: never held at once)."""
    order = [clip.channel_names.index(name[0].lower() + name[1:]) for name in LIVE_LINK_BLENDSHAPES]
    yield ",".join(LIVE_LINK_HEADER) + "\n"
    zeros = ",".join(["0"] * len(LIVE_LINK_ROTATIONS))
    count = len(LIVE_LINK_BLENDSHAPES) + len(LIVE_LINK_ROTATIONS)
    for first in range(0, clip.num_frames, block):
        rows = []
        for index, frame in enumerate(clip.weights[first:first + block, order], first):
            timecode = live_link_timecode(start_seconds + index / clip.fps, clip.fps)
            rows.append(f"{timecode},{count}," + ",".join(f"{v:.6f}" for v in frame) + "," + zeros + "\n")
        yield "".join(rows)


def write_mouth_cues(path, cues, duration: float, sound_file: str = "") -> str:
    """Write Rhubarb cues in the format the extension names (.tsv/.txt, .json, .xml); returns the path."""
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    writers = {".tsv": lambda: rhubarb_tsv(cues, duration), ".txt": lambda: rhubarb_tsv(cues, duration),
               ".json": lambda: rhubarb_json(cues, duration, sound_file),
               ".xml": lambda: rhubarb_xml(cues, duration, sound_file)}
    if extension not in writers:
        raise ExportError(f"Mouth cues can be written as .tsv, .json or .xml, not {extension or 'no extension'}.")
    _write_text(path, writers[extension]())
    return path


def write_live_link_csv(path, clip: FaceClip, start_seconds: float = 0.0) -> str:
    path = os.fspath(path)
    _write_text(path, _live_link_lines(clip, start_seconds))
    return path


def _write_text(path: str, text):
    """Write a string, or the strings an iterable yields."""
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            for part in ([text] if isinstance(text, str) else text):
                handle.write(part)
    except OSError as error:
        raise ExportError(f"Cannot write {path}: {error.strerror}. Choose a folder you can write to.") from None
