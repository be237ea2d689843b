"""Short ASCII aliases of data folders, for C libraries that take their data folder as a narrow (char *) path.

eSpeak NG and pocketsphinx open their data files through the C library's narrow file API, which on Windows reads a
path in the ANSI code page: a folder with characters outside it (C:\\Users\\Jörg\\AppData\\Roaming\\Blender
Foundation\\...) cannot be opened (pocketsphinx's former bindings failed so, cmusphinx/pocketsphinx-python#55), and
eSpeak NG also keeps its path in a fixed buffer. A folder whose path is not plain ASCII, or is longer than the
library takes, reaches it through a short ASCII alias in the temp folder: a symlink; on Windows its 8.3 name, a
junction or, failing both, a one-time copy of the parts the library reads. Nothing is written next to the folder
itself; a plain ASCII path that fits is handed on as it is.
"""

import ctypes
import hashlib
import os
import shutil
import tempfile


class AliasUnavailable(OSError):
    """No short ASCII alias of the folder could be made in the temp folder."""


def fits(path: str, max_length: int | None = None) -> bool:
    """Whether a C library can take path as it is: ASCII and, where it has a limit, at most max_length bytes."""
    return path.isascii() and (max_length is None or len(os.fsencode(path)) <= max_length)


def ascii_alias(folder: str, max_length: int | None = None, *, prefix: str = "soundmotion-data",
                copy: tuple = (), version_file: str | None = None) -> str:
    """folder as a narrow-path C library can take it: the folder itself when its path fits (ASCII, at most max_length
    bytes), otherwise a short ASCII alias of it in the temp folder named prefix-<hash of the folder and the user>.
    On Windows the last resort is a copy of the entries `copy` (paths inside folder: files or folders), made once
    per version of the data (the modification time of version_file inside folder; the first entry by default).
    AliasUnavailable when none can be made."""
    if fits(folder, max_length):
        return folder
    target = os.path.realpath(folder)
    user = os.environ.get("USERNAME", "") if os.name == "nt" else str(os.getuid())
    name = f"{prefix}-" + hashlib.sha256(os.fsencode(target) + user.encode()).hexdigest()[:12]
    if os.name == "nt":
        found = _windows_alias(target, name, max_length, copy, version_file or (copy[0] if copy else None))
    else:
        found = _posix_alias(target, name, max_length)
    if found is None:
        raise AliasUnavailable(f"no short ASCII alias of {folder} could be made in the temp folder")
    return found


def _is_alias_of(link: str, target: str) -> bool:
    """Whether link already leads to target and belongs to this user (another user's link could be re-pointed)."""
    try:
        return os.path.samefile(link, target) and (os.name == "nt" or os.lstat(link).st_uid == os.getuid())
    except OSError:
        return False


def _posix_alias(target: str, name: str, max_length: int | None) -> str | None:
    """A symlink to target named name in the temp folder (or in /tmp when that one does not fit), reused when it is
    already there. It is made under a unique name and renamed into place, so concurrent processes never see a
    half-made link (they write the same target) and a stale link is replaced. None if no root takes it (read-only,
    the name held by another user or by a real folder)."""
    for root in dict.fromkeys([tempfile.gettempdir(), "/tmp"]):
        link = os.path.join(root, name)
        if not fits(link, max_length):
            continue
        if _is_alias_of(link, target):
            return link
        spare = f"{link}.{os.getpid()}.{os.urandom(4).hex()}"
        try:
            os.symlink(target, spare)
            os.replace(spare, link)
        except OSError:
            if os.path.lexists(spare):
                os.unlink(spare)
        if _is_alias_of(link, target):
            return link
    return None


# --- Windows: untested (this project has no Windows machine); kept minimal -------------------------------------------
def _windows_alias(target: str, name: str, max_length: int | None, copy: tuple, version_file: str | None) -> str | None:
    """The 8.3 short path of target if the volume has one that fits; otherwise a junction (no admin rights needed)
    in the first temp root that takes one; otherwise the entries `copy` copied once into a short folder there."""
    short = _windows_short_path(target)
    if short and fits(short, max_length):
        return short
    temp = tempfile.gettempdir()
    roots = [root for root in dict.fromkeys([temp, _windows_short_path(temp), os.environ.get("ProgramData")])
             if root and fits(os.path.join(root, name + "-0123456789"), max_length)]  # room for the copy's name
    for root in roots:
        link = os.path.join(root, name)
        if _is_alias_of(link, target):
            return link
        try:
            import _winapi

            if os.path.lexists(link):
                os.rmdir(link)  # a stale junction: rmdir removes the link itself, never what it points to
            _winapi.CreateJunction(target, link)
        except (ImportError, OSError):
            pass
        if _is_alias_of(link, target):
            return link
    if not copy or version_file is None:
        return None
    try:
        version = str(int(os.stat(os.path.join(target, version_file)).st_mtime))  # new extension data: a new copy
    except OSError:
        return None
    for root in roots:
        folder = os.path.join(root, f"{name}-{version}")
        if not _holds(folder, copy):
            spare = f"{folder}.{os.getpid()}"
            try:  # copied under a spare name and renamed: never a half-made copy under the real name
                for entry in copy:
                    source, destination = os.path.join(target, entry), os.path.join(spare, entry)
                    if os.path.isdir(source):
                        shutil.copytree(source, destination)
                    else:
                        os.makedirs(os.path.dirname(destination), exist_ok=True)
                        shutil.copyfile(source, destination)
                os.replace(spare, folder)
            except OSError:
                shutil.rmtree(spare, ignore_errors=True)
        if _holds(folder, copy):
            return folder
    return None


def _holds(folder: str, entries: tuple) -> bool:
    return all(os.path.exists(os.path.join(folder, entry)) for entry in entries)


def _windows_short_path(path: str) -> str | None:
    """GetShortPathNameW's 8.3 form of an existing path (the same path where the volume keeps no short names)."""
    try:
        size = ctypes.windll.kernel32.GetShortPathNameW(path, None, 0)
        buffer = ctypes.create_unicode_buffer(size)
        return buffer.value if size and ctypes.windll.kernel32.GetShortPathNameW(path, buffer, size) else None
    except (AttributeError, OSError):
        return None


__all__ = ["AliasUnavailable", "ascii_alias", "fits"]
