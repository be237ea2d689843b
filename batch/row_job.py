"""One batch row, run inside a worker process (a local one or a Ray task): the row's outputs as bytes, its
notes, and an error sentence when it fails. The caller writes the files, so a row on a remote Ray node
needs no shared output folder."""

import contextlib
import io
import os
import sys
import tempfile
import time
import traceback

from .outputs import timeless_zip
from .rows import BLENDER_OUTPUTS, OUTPUTS, face_language

FACE_OUTPUTS = ("cues", "csv", "clip")
# Set in every worker before it starts (local pool and Ray alike): outputs must not depend on the string-hash
# seed (FBX object ids) or on how many threads a BLAS library splits a sum over.
WORKER_ENVIRONMENT = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                      "MKL_NUM_THREADS": "1"}

_blender_ready = False


def run_row(row, outputs, settings: dict) -> dict:
    """Make `outputs` (names from rows.OUTPUTS) for `row`; never raises: failures come back as a sentence."""
    started = time.perf_counter()
    result = {"name": row.name, "status": "done", "notes": list(row.notes), "error": None, "files": {}}
    with _captured_output() as log:
        try:
            if row.error:
                raise ValueError(row.error)
            with tempfile.TemporaryDirectory(prefix="soundmotion-row-") as folder:
                face = [o for o in outputs if o in FACE_OUTPUTS]
                if face:
                    result["files"].update(_face_files(row, face, settings, result["notes"]))
                blender = [o for o in outputs if o in BLENDER_OUTPUTS]
                if blender:
                    result["files"].update(_blender_files(row, blender, settings, folder, result["notes"]))
        except Exception as error:  # one bad row must not stop the others: report it in a sentence
            result.update(status="failed", files={}, error=_sentence(error, row.name))
            traceback.print_exc()
    result["log"] = log.getvalue()
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _sentence(error: Exception, name: str) -> str:
    from ..clips.errors import ClipError
    from ..models.audio.load import AudioError

    message = str(error).strip()
    if isinstance(error, (AudioError, ClipError, ValueError, OSError)) and message:
        return message
    return f"Unexpected {type(error).__name__} ({message or 'no message'}); logs/{name}.log has the details."


def _face_files(row, outputs, settings, notes) -> dict:
    from ..models.face.exports import live_link_csv, rhubarb_tsv
    from ..models.face.pipeline import FaceSettings, generate_face

    from ..models.audio.load import load_audio

    audio = load_audio(row.audio)  # silent audio is refused here as by every verb and operator
    result = generate_face(audio, transcript=row.transcript, fps=settings["fps"],
                           settings=FaceSettings(seed=settings["seed"], language=face_language(row.language)))
    notes += [note for note in result.notes if note not in notes]
    files = {}
    if "cues" in outputs:
        files["cues"] = rhubarb_tsv(result.mouth_cues, audio.duration).encode("utf-8")  # the recording's, as Rhubarb
    if "csv" in outputs:
        files["csv"] = live_link_csv(result.clip).encode("utf-8")
    if "clip" in outputs:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "clip.npz")
            result.clip.save(path)
            with open(path, "rb") as handle:
                files["clip"] = timeless_zip(handle.read())
    return files


def _blender_files(row, outputs, settings, folder, notes) -> dict:
    global _blender_ready
    if not _blender_ready:
        from .. import register  # imports bpy and the operators, once per worker process

        register()
        _blender_ready = True
    from ..operators.character_files import ensure_camera, save_portable_blend, talk_on_character
    from ..operators.game_exports import export_fbx, export_glb
    from ..operators.render_video import configure_video_output, drop_clock_metadata, render_video

    scene, character = talk_on_character(row.character, row.audio, row.transcript or "", settings["seed"],
                                         fit_range=True, language=face_language(row.language),
                                         armature=row.armature or None)
    paths = {output: os.path.join(folder, f"{row.name}.{OUTPUTS[output]}") for output in outputs}
    # Game files first: they record the open .blend's path, which saving a copy leaves unchanged.
    if "fbx" in paths:
        export_fbx(paths["fbx"])
    if "gltf" in paths:
        export_glb(paths["gltf"])
    if "mp4" in paths:
        # The saved .blend renders to the batch's own movie (Render Animation remakes it); this run renders
        # into the worker's folder, and the batch writes the file.
        ensure_camera(scene, character)
        configure_video_output(scene, row.output_path(settings["out_dir"], "mp4"),
                               resolution=tuple(settings["resolution"]))
        drop_clock_metadata(scene)
    if "blend" in paths:
        save_portable_blend(paths["blend"])  # written in the worker, moved by the batch
    if "mp4" in paths:
        scene.render.filepath = paths["mp4"]
        render_video(scene)
    files = {}
    for output, path in paths.items():
        with open(path, "rb") as handle:
            files[output] = handle.read()
    notes.append(f"Talk: frames {scene.frame_start}-{scene.frame_end} at {scene.render.fps} fps on "
                 f"{os.path.basename(row.character)}.")
    return files


@contextlib.contextmanager
def _captured_output():
    """Everything the row prints, Blender's C code included (file descriptors 1 and 2), into a StringIO."""
    log = io.StringIO()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        try:
            yield log
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            capture.seek(0)
            log.write(capture.read().decode("utf-8", errors="replace"))
