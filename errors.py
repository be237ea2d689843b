"""Bad input, said in one sentence: the one exception family every part of SoundMotion raises for problems the
user can fix, and the helpers that turn files, paths and option values into such sentences.

Rules (README, "Bad input"):
- Every expected failure (file formats, missing files, permissions, out-of-range options, empty data) raises a
  `SoundMotionError` (or a subclass: `AudioError`, `ClipError`, `RetargetError`, …) whose message names the file or
  option and says what to do. The command line prints it as one line and exits 2; an operator reports it and
  cancels with the scene unchanged (operators/user_errors.py).
- Anything else is a bug: the command line exits 1 naming the exception's type, an operator reports it likewise.
- Nothing half-written: outputs go through `OutputFiles`, which checks every path before any work, writes to
  temporary files beside the targets and moves them into place only when everything succeeded.

Nothing here imports bpy.
"""

import codecs
import contextlib
import errno
import math
import os
import re
import tempfile


class SoundMotionError(ValueError):
    """A problem the user can fix; the message says which file or option and what to do (no traceback)."""


def one_line(message) -> str:
    """The message on one line (a sentence never carries a line break or runs of spaces)."""
    return " ".join(str(message).split())


# ---- files and paths ------------------------------------------------------------------------------------------

def os_error_sentence(error: OSError, path=None, role: str = "file") -> str:
    """A sentence for an OSError: names the file and says what to do, instead of "[Errno 2] ..."."""
    path = os.fspath(path) if path is not None else (error.filename or "")
    name = str(path) or "the file"
    code = getattr(error, "errno", None)
    if isinstance(error, FileNotFoundError) or code == errno.ENOENT:
        return f"{role.capitalize()} {name} was not found. Check the path and try again."
    if isinstance(error, IsADirectoryError) or code == errno.EISDIR:
        return f"{name} is a folder, not a {role}. Give a file name."
    if isinstance(error, NotADirectoryError) or code == errno.ENOTDIR:
        return f"{name} is not a valid path: part of it is a file, not a folder. Check the path."
    if isinstance(error, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"No permission to use {name}. Choose a location you can write to, or change its permissions."
    if code == errno.ENOSPC:
        return f"The disk is full while writing {name}. Free some space and try again."
    if code == errno.ENAMETOOLONG:
        return f"The path {name[:60]}… is too long. Choose a shorter file name."
    reason = error.strerror or type(error).__name__
    return f"Cannot use {role} {name} ({reason}). Check the path and its permissions."


def decoded_text(data: bytes, errors: str = "strict") -> str:
    """A text file's bytes as text: UTF-8 (a byte-order mark skipped), or UTF-16 when they start with a UTF-16
    byte-order mark (Windows Notepad's "Unicode"); newlines as text mode reads them. UnicodeDecodeError when
    `errors` is "strict" and they are neither."""
    encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    return data.decode(encoding, errors).replace("\r\n", "\n").replace("\r", "\n")


def read_text_file(path, option: str = "--text") -> str:
    """A UTF-8 text file (a transcript, an emotion curve), or one in UTF-16 with a byte-order mark (Windows
    Notepad's "Unicode"), or a sentence naming the file and what to do."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise SoundMotionError(f"{option}: the file {path} was not found. Check the path.")
    if os.path.isdir(path):
        raise SoundMotionError(f"{option}: {path} is a folder. Give a text file.")
    try:
        with open(path, "rb") as handle:
            return decoded_text(handle.read())
    except UnicodeDecodeError:
        raise SoundMotionError(f"{option}: {path} is not UTF-8 text. Save it as UTF-8 (plain text) and try "
                               "again.") from None
    except OSError as error:
        raise SoundMotionError(f"{option}: {os_error_sentence(error, path)}") from None


def read_json_file(path, what: str = "file", error=None):
    """The JSON in a UTF-8 file, or `error` (a SoundMotionError class) saying what is wrong with the file."""
    error = error or SoundMotionError
    path = os.fspath(path) if path else ""
    if not path or not os.path.exists(path):
        raise error(f"The {what} {path or '(no file chosen)'} was not found. Choose an existing .json file.")
    if os.path.isdir(path):
        raise error(f"{path} is a folder. Choose a {what} (.json file).")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise error(f"{path} is not a {what}: it is not UTF-8 text. Choose a .json file saved by SoundMotion "
                    "or a text editor.") from None
    except OSError as failure:
        raise error(os_error_sentence(failure, path, what)) from None
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as failure:
        raise error(f"{path} is not valid JSON ({failure.msg} at line {failure.lineno}); it cannot be a "
                    f"{what}.") from None


def file_name_with(path, suffix: str, what: str = "file", error=None) -> str:
    """A path chosen in a file browser as a file name ending in `suffix`: a folder (or nothing) is refused."""
    error = error or SoundMotionError
    path = os.fspath(path) if path else ""
    if not path or path.endswith(("/", os.sep)) or os.path.isdir(path) or not os.path.basename(path):
        raise error(f"{path or '(nothing)'} is a folder, not a file name: give the {what} a name ending in "
                    f"{suffix}.")
    return path if path.lower().endswith(suffix.lower()) else path + suffix


def write_text_file(path, text: str, what: str = "file", error=None):
    """Write `text` as UTF-8, or raise `error` with a sentence naming the file (nothing half-written: the text
    goes to a temporary file that replaces `path` at the end)."""
    error = error or SoundMotionError
    outputs = OutputFiles()
    try:
        target = outputs.add(path, what)
        with outputs.writing():
            with open(outputs.temporary(target), "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
    except SoundMotionError as failure:
        raise error(str(failure)) from None
    except OSError as failure:
        raise error(os_error_sentence(failure, path, what)) from None


def require_input_file(path, option: str, kinds: str = "") -> str:
    """An existing, readable file (not a folder); `kinds` names what it should be (".blend", "audio", …)."""
    path = os.fspath(path) if path else ""
    what = f" ({kinds})" if kinds else ""
    if not path:
        raise SoundMotionError(f"{option}: no file given. Give an existing file{what}.")
    if not os.path.exists(path):
        raise SoundMotionError(f"{option}: {path} was not found. Give an existing file{what}.")
    if os.path.isdir(path):
        raise SoundMotionError(f"{option}: {path} is a folder. Give a file{what}.")
    if not os.access(path, os.R_OK):
        raise SoundMotionError(f"{option}: no permission to read {path}. Change its permissions or copy it.")
    return path


# ---- option values ---------------------------------------------------------------------------------------------

def check_range(option: str, value, low=None, high=None, integer: bool = False, what: str = "") -> float:
    """`value` as a number within [low, high] (either may be None), or a sentence naming the option."""
    span = _span(low, high)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SoundMotionError(f"{option} must be a number{span}, got {value!r}.") from None
    if not math.isfinite(number) or (low is not None and number < low) or (high is not None and number > high) \
            or (integer and number != int(number)):
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        kind = "a whole number" if integer else "a number"
        raise SoundMotionError(f"{option} must be {kind}{span}, got {shown}{what}.")
    return int(number) if integer else number


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _span(low, high) -> str:
    if low is not None and high is not None:
        return f" from {_number(low)} to {_number(high)}"
    if low is not None:
        return f" of at least {_number(low)}"
    if high is not None:
        return f" of at most {_number(high)}"
    return ""


SEED_MAX = 2 ** 31 - 1   # Blender stores the seed as a 32-bit int
FPS_RANGE = (1.0, 240.0)
RESOLUTION_RANGE = (16, 7680)


def check_seed(option: str, value) -> int:
    return check_range(option, value, 0, SEED_MAX, integer=True)


def check_fps(option: str, value) -> float:
    return check_range(option, value, *FPS_RANGE)


def check_resolution(option: str, size) -> tuple:
    """(width, height) in pixels, each 16–7680 and even (H.264 needs even sizes)."""
    width, height = (check_range(option, v, *RESOLUTION_RANGE, integer=True) for v in size)
    if width % 2 or height % 2:
        raise SoundMotionError(f"{option} must be even numbers of pixels (H.264 needs them), got {width} {height}; "
                               f"try {width + width % 2} {height + height % 2}.")
    return width, height


# ---- outputs, all or nothing ------------------------------------------------------------------------------------

def _can_create_in(folder: str) -> bool:
    """Whether a file can be made in `folder`: tried for real (permissions alone do not tell for root or for a
    read-only disk)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        handle, probe = tempfile.mkstemp(prefix=".soundmotion-probe-", dir=folder)
    except OSError:
        return False
    os.close(handle)
    os.remove(probe)
    return True


def _can_overwrite(path: str) -> bool:
    if not os.access(path, os.W_OK):
        return False
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (also through a link, or a second spelling of the same path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet: compare the paths
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _refuse_overwriting_input(target: str, option: str, source: str, role: str):
    if _same_file(target, source):
        raise SoundMotionError(f"{option} {os.path.basename(target)} is the {role} this run reads, so writing it "
                               "would destroy that input; give the output another name.")


class OutputFiles:
    """Every file a run will write, checked before the work starts and moved into place only at the end.

        outputs = OutputFiles()
        clip = outputs.add(args.clip, "--clip", (".npz",))   # refuses a folder, a missing parent, no permission
        with outputs.writing():                               # on any failure: temporary files removed
            save(outputs.temporary(clip))                      # write beside the target under a hidden name
        # here every file is in place

    Missing parent folders are created (and removed again if the run fails).
    """

    def __init__(self):
        self._targets = {}       # final path → option
        self._temporary = {}     # final path → temporary path
        self._made_folders = []
        self._inputs = []        # (path, option) of the files the run reads

    def add_input(self, path, option: str):
        """A file the run reads: an output that names it is refused, before any work (`face line.wav --cues
        line.txt` used to read the transcript beside the audio and then overwrite it with mouth cues)."""
        if not path:
            return
        path = os.fspath(path)
        for target, output in self._targets.items():
            _refuse_overwriting_input(target, output, path, option)
        self._inputs.append((path, option))

    def add(self, path, option: str, suffixes: tuple = ()) -> str:
        """Check that `path` can be written; returns it as an absolute path (None stays None)."""
        if path is None:
            return None
        path = os.fspath(path)
        if not path or not os.path.basename(path):
            raise SoundMotionError(f"{option}: give a file name, not {path!r}.")
        target = os.path.abspath(path)
        if os.path.isdir(target):
            raise SoundMotionError(f"{option}: {path} is a folder. Give a file name inside it.")
        if suffixes and not target.lower().endswith(tuple(s.lower() for s in suffixes)):
            raise SoundMotionError(f"{option} writes a {' or '.join(suffixes)} file; give a name ending in "
                                   f"{suffixes[0]} (got {os.path.basename(path)}).")
        if target in self._targets:
            raise SoundMotionError(f"{option} and {self._targets[target]} name the same file {path}; give each "
                                   "its own.")
        for source, role in self._inputs:
            _refuse_overwriting_input(target, option, source, role)
        folder = os.path.dirname(target)
        existing = folder
        while existing and not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if existing and not os.path.isdir(existing):
            raise SoundMotionError(f"{option}: {path} lies under {existing}, which is a file, not a folder. "
                                   "Choose another location.")
        if not _can_create_in(existing or os.sep):
            raise SoundMotionError(f"{option}: cannot write in {existing or os.sep} (no permission or a read-only "
                                   "disk). Choose a folder you can write to.")
        if os.path.exists(target) and not _can_overwrite(target):
            raise SoundMotionError(f"{option}: {path} exists and cannot be overwritten (no permission). Choose "
                                   "another name or change its permissions.")
        self._targets[target] = option
        return target

    def temporary(self, target: str) -> str:
        """Where to write `target` for now: a hidden file beside it with the same extension, in lower case."""
        if target not in self._targets:
            raise KeyError(f"{target} was not checked with OutputFiles.add")
        if target not in self._temporary:
            folder = os.path.dirname(target)
            self._make_folder(folder)
            stem, suffix = os.path.splitext(os.path.basename(target))
            # In lower case: numpy and Blender's movie output append ".npz" / ".mp4" to any other spelling, so
            # --clip FACE.NPZ was written to .FACE.partial-….NPZ.npz and the run failed as a bug.
            handle, path = tempfile.mkstemp(suffix=suffix.lower(), prefix=f".{stem}.partial-", dir=folder)
            os.close(handle)
            os.remove(path)  # writers (numpy, Blender) create it themselves
            self._temporary[target] = path
        return self._temporary[target]

    def _make_folder(self, folder: str):
        missing = []
        while folder and not os.path.exists(folder):
            missing.append(folder)
            folder = os.path.dirname(folder)
        for path in reversed(missing):
            try:
                os.mkdir(path)
            except OSError as error:
                raise SoundMotionError(os_error_sentence(error, path, "folder")) from None
            self._made_folders.append(path)

    @contextlib.contextmanager
    def writing(self):
        """Everything written inside goes to temporary files; they replace the targets only if no exception."""
        try:
            yield self
            self.commit()
        except BaseException:
            self.discard()
            raise

    def commit(self):
        for target, temporary in self._temporary.items():
            if not os.path.exists(temporary):
                raise RuntimeError(f"{temporary} was not written")
        for target, temporary in self._temporary.items():
            os.replace(temporary, target)
        self._temporary.clear()
        self._made_folders.clear()

    def discard(self):
        for path in self._temporary.values():
            for leftover in (path, path + "1", path + "@"):  # Blender's backup and its save-in-progress file
                with contextlib.suppress(OSError):
                    os.remove(leftover)
        self._temporary.clear()
        for folder in reversed(self._made_folders):
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only if still empty
        self._made_folders.clear()


BLEND_MAGIC = (b"BLENDER", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")  # plain, gzip- and zstd-compressed .blend files


def split_blend_spec(spec) -> tuple:
    """FILE.blend[:ARMATURE] → (FILE.blend, ARMATURE, "" when none named), split at the last ".blend:" in any case
    (SHOT.BLEND:Rig names the rig Rig, as SHOT.BLEND opens the file). The command line's --target and bonemap and
    batch --character all read the spec through this one split."""
    spec = os.fspath(spec)
    found = None
    for found in re.finditer(r"\.blend:", spec, re.IGNORECASE):
        pass
    if found is None:
        return spec, ""
    return spec[:found.start() + len(".blend")], spec[found.end():]


def require_blend_file(path, option: str = "FILE.blend") -> str:
    """An existing file that starts like a .blend (Blender itself checks the rest when it opens it)."""
    path = require_input_file(path, option, "a .blend file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise SoundMotionError(f"{option}: {os_error_sentence(error, path)}") from None
    if not head.startswith(BLEND_MAGIC):
        raise SoundMotionError(f"{option}: {path} is not a Blender file. Give a .blend saved by Blender 4.2 or "
                               "newer.")
    return path
