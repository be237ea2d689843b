"""Download exactly the wheels that blender_manifest.toml lists into ./wheels (the manifest is the source of truth).

Usage: python scripts/fetch_wheels.py   (skips wheels already present; needs PyPI access)
"""

import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]


def manifest_wheels() -> list:
    with open(ROOT / "blender_manifest.toml", "rb") as f:
        return [ROOT / p for p in tomllib.load(f).get("wheels", [])]


def requirement_and_python(wheel: pathlib.Path):
    name, version, *_, python_tag, _abi, _platform = wheel.stem.split("-")
    python = "3.11" if python_tag.startswith("py") else f"{python_tag[2]}.{python_tag[3:]}"
    return f"{name}=={version}", python


def main() -> int:
    missing = [w for w in manifest_wheels() if not w.exists()]
    for wheel in missing:
        requirement, python = requirement_and_python(wheel)
        wheel.parent.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                   "--python-version", python, "--implementation", "cp", "--dest", str(wheel.parent), requirement]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        subprocess.run(command, check=True)
        if not wheel.exists():
            print(f"pip fetched {requirement} for Python {python}, but not as {wheel.name}: update the manifest.")
            return 1
    print(f"wheels: {len(manifest_wheels())} listed, {len(missing)} downloaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
