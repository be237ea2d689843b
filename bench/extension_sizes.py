"""Download size of the extension per platform: the zips `make extension` builds, against the same build with
the wheels exactly as PyPI has them (untrimmed) and without pocketsphinx, built by Blender's builder in one run.

Usage: .venv/bin/python bench/extension_sizes.py   (after `make wheels`)
"""

import importlib.util
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLATFORMS = ("windows_x64", "macos_arm64", "macos_x64", "linux_x64")


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FETCH = _load("fetch_wheels", ROOT / "scripts" / "fetch_wheels.py")


def builder() -> str:
    code = "import bpy; print(bpy.utils.system_resource('SCRIPTS'))"
    scripts = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return str(pathlib.Path(scripts) / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py")


def build(wheels: list, ship_once: tuple = ()) -> dict:
    """Build the checkout's tracked files with these wheels, and the `ship_once` files (git-ignored; `make wheels`
    takes them out of the locked wheels: scripts/fetch_wheels.py SHIP_ONCE) as `make extension` finds them in the
    checkout; {platform: MB}."""
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    missing = [name for name in ship_once if not (ROOT / name).is_file()]
    if missing:
        raise SystemExit(f"{', '.join(missing)} missing: run `make wheels` first.")
    tracked += list(ship_once)
    with tempfile.TemporaryDirectory() as temp:
        source = pathlib.Path(temp) / "source"
        for name in tracked:
            if (ROOT / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, source / name)
        (source / "wheels").mkdir()
        for wheel in wheels:
            shutil.copy2(ROOT / "wheels" / wheel, source / "wheels" / wheel)
        listing = "wheels = [\n" + "".join(f'  "./wheels/{w}",\n' for w in sorted(wheels)) + "]"
        manifest = source / "blender_manifest.toml"
        manifest.write_text(re.sub(r"^wheels = \[.*?^\]", lambda _: listing, manifest.read_text(), flags=re.S | re.M))
        out = pathlib.Path(temp) / "dist"
        out.mkdir()
        subprocess.run([sys.executable, builder(), "build", "--source-dir", str(source), "--output-dir", str(out),
                        "--split-platforms"], check=True, capture_output=True)
        return {p.stem.rsplit("-", 1)[1]: p.stat().st_size / 1e6 for p in out.glob("*.zip")}


def main() -> int:
    locked = sorted(FETCH.locked_files(FETCH.read_lock()))
    shipped = sorted({copy for name in locked for copy in FETCH.shipped_names(name)})
    once = tuple(path for files in FETCH.SHIP_ONCE.values() for path in files.values())
    rows = [("make extension (as shipped)", build(shipped, once)),
            ("the wheels as on PyPI (nothing trimmed)", build(locked)),
            ("without pocketsphinx", build([w for w in shipped if not w.startswith("pocketsphinx-")]))]
    print(f"{'zip size, MB':40s}" + "".join(f"{p:>13s}" for p in PLATFORMS))
    for label, sizes in rows:
        print(f"{label:40s}" + "".join(f"{sizes[p]:13.1f}" for p in PLATFORMS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
