"""What a batch does: its rows (one voice line each) read from a folder or a CSV/JSON manifest, and the outputs
each row writes."""

import csv
import json
import os
import pathlib
from dataclasses import dataclass, field

from ..errors import SoundMotionError, split_blend_spec

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac")  # m4a, aac: where Blender's FFmpeg is at hand
# Output name → file extension in the output folder (DIR/<row name>.<extension>).
OUTPUTS = {"cues": "tsv", "csv": "csv", "clip": "npz", "blend": "blend", "mp4": "mp4", "fbx": "fbx",
           "gltf": "glb"}
BLENDER_OUTPUTS = ("blend", "mp4", "fbx", "gltf")  # these animate the character in Blender
DEFAULT_OUTPUTS = ("cues", "csv", "clip")
DEMO_CHARACTER = pathlib.Path(__file__).resolve().parents[1] / "assets" / "demo_character.blend"
ENGLISH = ("en", "eng", "english")


class BatchInputError(SoundMotionError):
    """The batch cannot start (bad folder, manifest or option): the message says what to fix."""


@dataclass
class Row:
    name: str                     # output files are DIR/<name>.<ext>
    audio: str                    # absolute path
    transcript: str | None        # the words, or None to recognise phones from the audio alone
    transcript_file: str | None   # where the words came from (an input for the freshness check), if a file
    language: str
    character: str                # absolute path of the character .blend (used by the Blender outputs)
    outputs: tuple = DEFAULT_OUTPUTS
    error: str | None = None      # a problem found while reading the row (e.g. an empty transcript file)
    notes: list = field(default_factory=list)
    armature: str = ""            # FILE.blend:ARMATURE: the armature to animate in a file with several

    def output_path(self, out_dir, output: str) -> str:
        return os.path.join(os.fspath(out_dir), f"{self.name}.{OUTPUTS[output]}")

    def input_files(self, output: str | None = None) -> list:
        """The files the row's outputs (or `output` alone) are made from: the character only for Blender's."""
        files = [self.audio] + ([self.transcript_file] if self.transcript_file else [])
        blender = output in BLENDER_OUTPUTS if output else set(self.outputs) & set(BLENDER_OUTPUTS)
        return files + ([self.character] if blender else [])


def parse_outputs(spec) -> tuple:
    """'cues,csv,fbx' → ('cues', 'csv', 'fbx'); unknown names raise BatchInputError."""
    names = [name.strip().lower() for name in str(spec).replace(";", ",").split(",") if name.strip()]
    unknown = [name for name in names if name not in OUTPUTS]
    if unknown or not names:
        raise BatchInputError(f"Unknown output(s) {', '.join(unknown) or '(none given)'}: choose from "
                              f"{', '.join(OUTPUTS)}.")
    return tuple(dict.fromkeys(names))


def face_language(code: str) -> str | None:
    """The eSpeak NG code the face pipeline lip-syncs `code` with (None for English, its default); raises
    models.speech.espeak.UnknownLanguage (or EspeakUnavailable) for a code eSpeak NG does not speak."""
    base = str(code or "en").strip().lower().replace("_", "-")
    if base.split("-")[0] in ENGLISH:
        return None
    from ..models.speech.espeak import check_language  # loaded only for codes other than English

    return check_language(base)


def language_problem(code: str) -> str | None:
    """None when the language can be lip-synced, else a sentence saying what to do."""
    from ..models.speech.espeak import EspeakUnavailable, UnknownLanguage

    try:
        face_language(code)
    except (UnknownLanguage, EspeakUnavailable) as error:
        return str(error)
    return None


def read_rows(source, outputs=DEFAULT_OUTPUTS, character=None, language="en") -> list:
    """The rows of a folder (every audio file; `name.txt` or `name.lab` beside `name.wav` is its transcript) or of a
    CSV/JSON manifest (columns audio, transcript, language, character, outputs; optional name). Paths in a manifest
    are relative to the manifest's folder. Raises BatchInputError when the batch cannot start."""
    source = pathlib.Path(source)
    defaults = {"outputs": tuple(outputs), "character": character or str(DEMO_CHARACTER), "language": language}
    if source.is_dir():
        audio = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
        if not audio:
            raise BatchInputError(f"{source} holds no audio files ({', '.join(AUDIO_EXTENSIONS)}). "
                                  "Point batch at a folder of voice lines or at a CSV/JSON manifest.")
        entries = [{"audio": str(path.resolve())} for path in audio]
        base = source
    elif source.is_file() and source.suffix.lower() in (".csv", ".json"):
        entries, base = _manifest_entries(source), source.parent
    else:
        raise BatchInputError(f"{source} is neither a folder nor a .csv/.json manifest. "
                              "Give a folder of audio files or a manifest with an 'audio' column.")
    rows = [_row(entry, base, defaults, index) for index, entry in enumerate(entries, start=1)]
    for row in rows:
        if not row.name or row.name.startswith(".") or any(sep in row.name for sep in ("/", "\\")):
            raise BatchInputError(f"'{row.name}' cannot name output files: use a plain name without '/', "
                                  "'\\' or a leading dot.")
    seen = {}
    for row in rows:
        seen.setdefault(row.name, []).append(row.audio)
    twice = {name: paths for name, paths in seen.items() if len(paths) > 1}
    if twice:
        name, paths = next(iter(twice.items()))
        raise BatchInputError(f"Two rows would write the same outputs '{name}' ({', '.join(paths)}): give them "
                              "different file names or a 'name' column in the manifest.")
    return rows


def _manifest_entries(path: pathlib.Path) -> list:
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".json":
            data = json.loads(text)
            entries = data.get("rows") if isinstance(data, dict) else data
        else:
            lines = text.splitlines()
            header = lines[0] if lines else ""
            delimiter = max(",;\t", key=header.count) if header else ","  # Excel in some locales writes ";"
            entries = list(csv.DictReader(lines, delimiter=delimiter))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as error:
        raise BatchInputError(f"Cannot read the manifest {path.name} ({error}). Save it as UTF-8 CSV with a "
                              "header row, or as a JSON list of objects.") from None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise BatchInputError(f"The manifest {path.name} has no rows: it needs a list of rows, each with an "
                              "'audio' field.")
    entries = [{str(key).strip().lower(): value for key, value in entry.items() if key is not None}
               for entry in entries]  # "Audio", " Transcript": the columns as documented
    if not any("audio" in entry for entry in entries):
        columns = ", ".join(repr(key) for key in entries[0]) or "none"
        raise BatchInputError(f"The manifest {path.name} has no 'audio' column (its columns: {columns}): name the "
                              "columns audio, transcript, language, character, outputs, name.")
    for number, entry in enumerate(entries, start=1):
        if not str(entry.get("audio") or "").strip():
            raise BatchInputError(f"Row {number} of {path.name} has no 'audio': every row names its audio file.")
    return entries


def split_character(spec: str) -> tuple:
    """("file.blend", "ARMATURE") of "file.blend:ARMATURE" (as the other verbs name an armature, SHOT.BLEND:Rig
    too), else (spec, "")."""
    return split_blend_spec(spec)


def _row(entry: dict, base: pathlib.Path, defaults: dict, index: int) -> Row:
    def field_of(key):
        value = entry.get(key)
        return str(value).strip() if value not in (None, "") else ""

    audio = os.path.abspath(base / os.path.expanduser(field_of("audio")))
    name = field_of("name") or os.path.splitext(os.path.basename(audio))[0]
    character, armature = split_character(field_of("character") or defaults["character"])
    character = os.path.abspath(base / os.path.expanduser(character))
    outputs = parse_outputs(field_of("outputs")) if field_of("outputs") else defaults["outputs"]
    row = Row(name, audio, None, None, field_of("language") or defaults["language"], character, outputs,
              armature=armature)

    from ..models.speech.transcripts import SUFFIXES, read_transcript, transcript_path_beside

    text = field_of("transcript")
    if text:
        candidate = base / os.path.expanduser(text)
    else:  # name.txt, .lab, .srt or .vtt beside the audio, also upper case; None when there is none
        beside = transcript_path_beside(audio)
        candidate = pathlib.Path(beside) if beside else None
    if (text and text.lower().endswith(SUFFIXES)) or not text:  # a transcript file's path, not the words
        if candidate is not None and candidate.is_file():
            row.transcript_file = str(candidate.resolve())
            row.transcript = read_transcript(candidate)
            row.notes.append(f"Transcript: {candidate.name}.")
            if not row.transcript:
                row.error = (f"The transcript {candidate.name} is empty: write the line's words in it, or delete "
                             "it to lip-sync from the audio alone.")
        elif text:
            row.error = f"The transcript file {text} does not exist: fix the manifest's 'transcript' for row {index}."
        else:
            row.notes.append("No transcript: phones were recognised from the audio alone.")
    else:
        row.transcript = text
    if set(outputs) & set(BLENDER_OUTPUTS) and not row.error and not os.path.isfile(character):
        row.error = f"The character file {character} does not exist: give an existing .blend."
    return row
