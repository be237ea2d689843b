"""Reading and writing the documented `.npz` clip schema (see README, "Clip files")."""

import os
import zipfile

import numpy as np

from .errors import ClipError


def load_npz_arrays(path, error=ClipError, noun: str = "Clip", kind: str = "clip") -> dict:
    """Every array of an .npz (never unpickled); a missing or unreadable file raises `error` saying so."""
    if os.path.isdir(path):
        raise error(f"{path} is a folder; choose a .npz {kind} file.")
    try:
        if os.path.exists(path) and os.path.getsize(path) == 0:
            raise error(f"{path} is an empty file (0 bytes), not a .npz {kind}. Choose another file.")
        if os.path.exists(path):
            with open(path, "rb") as handle:
                head = handle.read(6)
            if not head.startswith((b"PK", b"\x93NUMPY")):
                raise error(f"{path} is not a .npz {kind}: it does not start like one (a zip archive of numpy "
                            "arrays). Choose a file saved with numpy.savez.")
        data = np.load(path, allow_pickle=False)
        if not hasattr(data, "files"):  # a plain .npy array saved under an .npz name
            raise error(f"{path} holds a single array, not a .npz {kind}. Save it with numpy.savez.")
        with data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise error(f"{noun} file {path} does not exist.") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as failure:
        if isinstance(failure, ValueError) and isinstance(failure, error):
            raise
        reason = " ".join(str(failure).split()) or type(failure).__name__
        raise error(f"{path} is not a readable .npz {kind} ({reason}); it may be truncated or another kind of "
                    "file. Export it again.") from None


def require_keys(arrays: dict, required: tuple, label) -> dict:
    missing = [key for key in required if key not in arrays]
    if missing:
        raise ClipError(f"{label} lacks the key(s) {', '.join(missing)}; a clip file needs {', '.join(required)}.")
    return arrays


def read_npz(path, required: tuple) -> dict:
    return require_keys(load_npz_arrays(path), required, path)


def write_npz(path, **arrays):
    # Strings are stored as fixed-width unicode so files load without pickle in any numpy. Written through a file
    # handle: given a name, numpy appends ".npz" to any that does not end in lower-case ".npz" (x.NPZ → x.NPZ.npz).
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    if hasattr(path, "write"):  # already an open file
        np.savez_compressed(path, **arrays)
        return
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def scalar_fps(value) -> float:
    fps = float(np.asarray(value).reshape(()))
    if not np.isfinite(fps) or fps <= 0:
        raise ClipError(f"fps must be a positive number, got {fps}.")
    return fps
