"""The extension's runtime wheels: one pinned list, locked to one file per platform and Python, with sha256.

    python scripts/fetch_wheels.py          download the locked wheels into ./wheels (intact ones are kept,
                                            others removed; pip checks every hash), then make the copies the
                                            extension ships (see `shipped_names`)
    python scripts/fetch_wheels.py --lock   after editing RUNTIME: let pip choose the file for every platform
                                            Blender runs on and Python 3.11 and 3.13, then rewrite
                                            scripts/wheels.lock and the `wheels` list in blender_manifest.toml

Adding or dropping a runtime dependency is one line in RUNTIME, then `--lock`. numpy is not listed: the add-on
uses the one Blender ships. Neither are the test and bench tools (scipy, pytest): they never run in Blender.
"""

import argparse
import hashlib
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
WHEELS = ROOT / "wheels"
LOCK = ROOT / "scripts" / "wheels.lock"
MANIFEST = ROOT / "blender_manifest.toml"

RUNTIME = [
    "soundfile==0.14.0",          # reads wav, flac, ogg and mp3: bundles libsndfile 1.2.2 (with mpg123 and LAME)
    "cffi==2.0.0",                # its _cffi_backend loads soundfile's compiled interface to libsndfile
    "typing-extensions==4.16.0",  # soundfile 0.14 imports it at load time; Blender does not ship it
    "pocketsphinx==5.1.1",        # forced alignment of English transcripts (with its English model)
    "espeakng-loader==0.2.4",     # libespeak-ng 1.52 and its data: transcripts in other languages → phones
]

# Files a wheel carries that the add-on never loads, left out of the copy the extension ships. A key is a
# distribution, or "distribution:word" for its wheels whose platform tag holds the word.
TRIM = {
    # The 27 MB English language model (23.5 MB compressed, in every pocketsphinx wheel): the aligner runs with
    # lm=None; only the word recogniser reads it, so the add-on ships it once (SHIP_ONCE), not in each wheel.
    "pocketsphinx": ["pocketsphinx/model/en-us/en-us.lm.bin"],
    # espeakng-loader stores its library three times (the names a linker would use); the add-on loads the plain
    # name (espeakng_loader.get_library_path), so the two spare copies go (0.5 MB compressed each).
    "espeakng_loader:linux": ["espeakng_loader/libespeak-ng.so.1", "espeakng_loader/libespeak-ng.so.1.52.0"],
    "espeakng_loader:macosx": ["espeakng_loader/libespeak-ng.1.dylib", "espeakng_loader/libespeak-ng.1.52.0.dylib"],
}

# Files TRIM takes out of every wheel that the add-on ships once instead, in its own folder: {distribution: {file in
# the wheel: path in the add-on}} (the paths are in .gitignore; the same bytes in every wheel of the distribution).
SHIP_ONCE = {
    "pocketsphinx": {"pocketsphinx/model/en-us/en-us.lm.bin": "models/speech/word_lm/en-us.lm.bin"},
}

# Python inside Blender: 3.11 in 4.2 LTS to 5.0, 3.13 from 5.1.
PYTHONS = ["3.11", "3.13"]

# Blender's platforms and the wheel platform tags each can load, preferred first. Blender 4.2 needs glibc 2.28
# and macOS 11.2 or newer, so no wheel may ask for more; a universal2 wheel serves both Macs but is larger.
_MAC_VERSIONS = ["11_0"] + [f"10_{minor}" for minor in range(16, 8, -1)]
PLATFORMS = {
    "windows-x64": ["win_amd64"],
    "macos-arm64": ["macosx_11_0_arm64"] + [f"macosx_{v}_universal2" for v in _MAC_VERSIONS],
    "macos-x64": [f"macosx_{v}_x86_64" for v in _MAC_VERSIONS] + [f"macosx_{v}_universal2" for v in _MAC_VERSIONS],
    "linux-x64": [f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)]
    + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"],
}


def sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_lock(path: pathlib.Path = LOCK) -> list:
    """[(platform, python, requirement, wheel file name, sha256)], one row per package, platform and Python."""
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(tuple(line.split()))
    return rows


def locked_files(rows: list) -> dict:
    """{wheel file name: (requirement, python, sha256)}: each file once (a py3 wheel serves both Pythons)."""
    files = {}
    for _platform, python, requirement, name, digest in rows:
        files.setdefault(name, (requirement, python, digest))
    return files


def wheel_platform_tags(name: str) -> list:
    return name[:-len(".whl")].split("-")[-1].split(".")


def trim_files(name: str) -> set:
    """The files TRIM drops from the locked wheel `name`."""
    dist, platform = name.split("-")[0].lower(), name[:-len(".whl")].split("-")[-1]
    return {path for key, paths in TRIM.items() for path in paths
            if key == dist or (key.partition(":")[0] == dist and key.partition(":")[2] in platform)}


def shipped_names(name: str) -> list:
    """The files the extension ships for a locked PyPI wheel. Usually the wheel itself; otherwise copies whose
    build tag and platform tag work around what Blender 4.2.0's installer gets wrong, and trimmed ones:

    - 4.2.0 neither filters wheels by Python version nor knows universal2: of two wheels of one version it
      installs the one whose name sorts last, and on a Mac it skips universal2 wheels. So a wheel built for
      one Python gets a build tag ranking the oldest Python last (cp311 "1", cp313 "0"), and a universal2
      wheel (both architectures inside) is shipped as one copy per Mac, tagged x86_64 and arm64. Later
      Blender releases pick by Python version and accept these names the same.
    - A distribution in TRIM ships without those files (build tag suffix "trimmed").
    """
    dist, version, *_build, python_tag, abi, platform = name[:-len(".whl")].split("-")
    rank = None
    if re.fullmatch(r"cp3\d+", python_tag) and abi != "abi3":
        python = f"3.{python_tag[3:]}"
        rank = str(len(PYTHONS) - 1 - PYTHONS.index(python)) if python in PYTHONS else "0"
    trimmed = bool(trim_files(name))
    build = [(rank or "0") + ("trimmed" if trimmed else "")] if rank is not None or trimmed else []
    match = re.fullmatch(r"macosx_(\d+)_(\d+)_universal2", platform)
    if match:
        intel = f"macosx_{match[1]}_{match[2]}_x86_64"
        arm = "macosx_11_0_arm64" if (int(match[1]), int(match[2])) < (11, 0) else f"macosx_{match[1]}_{match[2]}_arm64"
        platforms = [intel, arm]
    else:
        platforms = [platform]
    if not build and platforms == [platform]:
        return [name]
    return ["-".join([dist, version] + build + [python_tag, abi, p]) + ".whl" for p in platforms]


def make_shipped(original: pathlib.Path, target: pathlib.Path) -> None:
    """A copy of a locked wheel under its shipped name, without the files TRIM names (and their RECORD lines)."""
    drop = trim_files(original.name)
    if not drop:
        shutil.copyfile(original, target)
        return
    with zipfile.ZipFile(original) as source:
        missing = drop - set(source.namelist())
        if missing:
            raise SystemExit(f"{original.name} has no {sorted(missing)}: update TRIM in scripts/fetch_wheels.py")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as copy:
            for item in source.infolist():
                if item.filename in drop:
                    continue
                data = source.read(item.filename)
                if item.filename.endswith(".dist-info/RECORD"):
                    data = b"".join(line for line in data.splitlines(keepends=True)
                                    if line.split(b",")[0].decode() not in drop)
                copy.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def extract_once(name: str, paths: dict) -> None:
    """Copy each file of `paths` ({file in the wheel: path in the add-on}) out of the locked wheel `name`."""
    with zipfile.ZipFile(WHEELS / name) as source:
        for inside, target in paths.items():
            target = ROOT / target
            if target.exists() and target.stat().st_size == source.getinfo(inside).file_size:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open(inside) as data, open(target, "wb") as out:
                shutil.copyfileobj(data, out)


def _pip_download(requirement: str, python: str, platform_tags: list, dest: pathlib.Path, digest: str = None):
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--implementation", "cp", "--python-version", python, "--dest", str(dest)]
    for tag in platform_tags:
        command += ["--platform", tag]
    if digest:
        requirements = dest / "requirements.txt"
        requirements.write_text(f"{requirement} --hash=sha256:{digest}\n")
        command += ["--require-hashes", "-r", str(requirements)]
    else:
        command.append(requirement)
    subprocess.run(command, check=True)
    downloaded = sorted(dest.glob("*.whl"))
    if len(downloaded) != 1:
        raise SystemExit(f"pip fetched {[p.name for p in downloaded]} for {requirement} (Python {python}), "
                         "expected exactly one wheel")
    return downloaded[0]


def lock() -> int:
    """Let pip choose each package's wheel per platform and Python; write the lock and the manifest's list."""
    rows = []
    WHEELS.mkdir(exist_ok=True)
    for requirement in RUNTIME:
        for platform, tags in PLATFORMS.items():
            for python in PYTHONS:
                with tempfile.TemporaryDirectory() as temp:
                    wheel = _pip_download(requirement, python, tags, pathlib.Path(temp))
                    rows.append((platform, python, requirement, wheel.name, sha256(wheel)))
                    if not (WHEELS / wheel.name).exists():
                        shutil.move(str(wheel), WHEELS / wheel.name)
                print(f"{platform:12s} {python}  {rows[-1][3]}")
    header = ("# Generated by `python scripts/fetch_wheels.py --lock` from RUNTIME in scripts/fetch_wheels.py;\n"
              "# do not edit. One row per package, Blender platform and Python: platform python requirement wheel sha256\n")
    LOCK.write_text(header + "".join(" ".join(row) + "\n" for row in rows))
    shipped = sorted({copy for name in locked_files(rows) for copy in shipped_names(name)})
    write_manifest_wheels(shipped)
    for name in shipped:   # TRIM or the naming may have changed: make the copies again
        if name not in locked_files(rows):
            (WHEELS / name).unlink(missing_ok=True)
    fetch()
    print(f"{LOCK.relative_to(ROOT)}: {len(rows)} rows, {len(locked_files(rows))} files; manifest: {len(shipped)} wheels")
    return 0


def write_manifest_wheels(names: list) -> None:
    text = MANIFEST.read_text()
    listing = "wheels = [\n" + "".join(f'  "./wheels/{name}",\n' for name in names) + "]"
    text, count = re.subn(r"^wheels = \[.*?^\]", lambda _: listing, text, count=1, flags=re.S | re.M)
    if count != 1:
        raise SystemExit(f"no `wheels = [...]` list found in {MANIFEST.name}")
    MANIFEST.write_text(text)


def fetch() -> int:
    """Download what the lock names (kept in ./wheels as downloaded), then make the copies shipped."""
    files = locked_files(read_lock())
    copies = {copy: name for name in files for copy in shipped_names(name) if copy != name}
    WHEELS.mkdir(exist_ok=True)
    for present in WHEELS.glob("*.whl"):
        intact = present.name in files and sha256(present) == files[present.name][2]
        if not intact and present.name not in copies:
            present.unlink()
    fetched = 0
    for name, (requirement, python, digest) in sorted(files.items()):
        if (WHEELS / name).exists():
            continue
        with tempfile.TemporaryDirectory() as temp:
            wheel = _pip_download(requirement, python, wheel_platform_tags(name), pathlib.Path(temp), digest)
            if wheel.name != name or sha256(wheel) != digest:
                raise SystemExit(f"pip fetched {wheel.name} for {requirement}, expected {name} with the locked sha256")
            shutil.move(str(wheel), WHEELS / name)
            fetched += 1
    for copy, original in sorted(copies.items()):
        if not (WHEELS / copy).exists() or (WHEELS / copy).stat().st_mtime < (WHEELS / original).stat().st_mtime:
            make_shipped(WHEELS / original, WHEELS / copy)
    for dist, paths in SHIP_ONCE.items():
        extract_once(sorted(name for name in files if name.split("-")[0].lower() == dist)[0], paths)
    print(f"wheels: {len(files)} locked, {fetched} downloaded, all sha256 checked; {len(copies)} shipped copies")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lock", action="store_true", help="choose the files again after editing RUNTIME")
    return lock() if parser.parse_args(argv).lock else fetch()


if __name__ == "__main__":
    sys.exit(main())
