"""Output files of a batch: up-to-date checks (resuming) and atomic writes (a killed run leaves no half files)."""

import io
import json
import os
import tempfile
import zipfile

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry: no run's clock inside files
_UMASK = os.umask(0)
os.umask(_UMASK)


def stale_outputs(row, out_dir) -> list:
    """The row's outputs that are missing or older than any of the inputs they are made from (audio, transcript,
    and for Blender's outputs the character: a touched character leaves the cues as they are)."""
    stale = []
    for output in row.outputs:
        newest_input = max((os.path.getmtime(path) for path in row.input_files(output) if os.path.exists(path)),
                           default=0.0)
        path = row.output_path(out_dir, output)
        if not os.path.isfile(path) or os.path.getmtime(path) < newest_input:
            stale.append(output)
    return stale


def write_atomic(path, data: bytes):
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=folder)
    try:
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it private; outputs get the usual permissions
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_json_atomic(path, value):
    write_atomic(path, (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def remove_partials(out_dir):
    """Temporary files a killed run left behind (never complete outputs)."""
    for name in os.listdir(out_dir):
        if name.startswith(".") and name.endswith(".partial"):
            os.unlink(os.path.join(out_dir, name))


def timeless_zip(data: bytes) -> bytes:
    """The same .npz (a zip) with every entry dated FIXED_ZIP_TIME, so equal arrays give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
