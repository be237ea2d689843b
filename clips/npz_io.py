"""Reading and writing the documented `.npz` clip schema (see README, "Clip files")."""

import numpy as np

from .errors import ClipError


def load_npz_arrays(path, error=ClipError, noun: str = "Clip", kind: str = "clip") -> dict:
    """Every array of an .npz (never unpickled); a missing or unreadable file raises `error` saying so."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise error(f"{noun} file {path} does not exist.") from None
    except (OSError, ValueError) as failure:
        raise error(f"{path} is not a readable .npz {kind} ({failure}).") from None


def require_keys(arrays: dict, required: tuple, label) -> dict:
    missing = [key for key in required if key not in arrays]
    if missing:
        raise ClipError(f"{label} lacks the key(s) {', '.join(missing)}; a clip file needs {', '.join(required)}.")
    return arrays


def read_npz(path, required: tuple) -> dict:
    return require_keys(load_npz_arrays(path), required, path)


def write_npz(path, **arrays):
    # Strings are stored as fixed-width unicode so files load without pickle in any numpy.
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})


def scalar_fps(value) -> float:
    fps = float(np.asarray(value).reshape(()))
    if not np.isfinite(fps) or fps <= 0:
        raise ClipError(f"fps must be a positive number, got {fps}.")
    return fps
