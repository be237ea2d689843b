"""Reading and writing the documented `.npz` clip schema (see README, "Clip files")."""

import numpy as np

from .errors import ClipError


def read_npz(path, required: tuple) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise ClipError(f"Clip file {path} does not exist.") from None
    except (OSError, ValueError) as error:
        raise ClipError(f"{path} is not a readable .npz clip ({error}).") from None
    missing = [key for key in required if key not in arrays]
    if missing:
        raise ClipError(f"{path} lacks the key(s) {', '.join(missing)}; a clip file needs {', '.join(required)}.")
    return arrays


def write_npz(path, **arrays):
    # Strings are stored as fixed-width unicode so files load without pickle in any numpy.
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})


def scalar_fps(value) -> float:
    fps = float(np.asarray(value).reshape(()))
    if not np.isfinite(fps) or fps <= 0:
        raise ClipError(f"fps must be a positive number, got {fps}.")
    return fps
