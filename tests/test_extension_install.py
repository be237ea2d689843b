"""Build the extension zip with Blender's own builder and install it into a clean, isolated bpy."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.blender


def blender_ext_cli() -> str:
    code = "import bpy; print(bpy.utils.system_resource('SCRIPTS'))"
    scripts = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(scripts, "addons_core", "bl_pkg", "cli", "blender_ext.py")


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory):
    missing = [w for w in (ROOT / "wheels").glob("*")] == []
    assert not missing, "wheels/ is empty: run `make wheels` (the test command does) before the tests"
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, blender_ext_cli(), "validate", str(ROOT)], check=True, capture_output=True)
    subprocess.run([sys.executable, blender_ext_cli(), "build", "--source-dir", str(ROOT), "--output-dir", str(out)],
                   check=True, capture_output=True)
    (zip_path,) = out.glob("soundmotion-*.zip")
    return zip_path


def test_zip_holds_the_add_on_and_its_wheels_but_no_tests(extension_zip):
    import zipfile

    names = zipfile.ZipFile(extension_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert any(n.startswith("wheels/pocketsphinx-") for n in names)
    assert any(n.startswith("wheels/scipy-") for n in names)
    assert not any(n.startswith("wheels/numpy") for n in names)  # Blender's own numpy is used
    assert not any(n.startswith(("tests/", "bench/", "scripts/", "assets/readme/", ".venv")) for n in names)
    assert "assets/demo_character.blend" in names and "models/dance/prior_weights.npz" in names


def test_installed_zip_registers_everything_and_disabling_removes_it(extension_zip, tmp_path):
    from soundmotion.bench import espeak_truth

    environment = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "blender-user"))
    spanish = "Pablo compró un mapa bonito en Bogotá."
    espeak_truth.synthesize(spanish, "es+f3", 175).write_wav(tmp_path / "pablo.wav")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "install_extension.py"), str(extension_zip),
         str(ROOT / "assets" / "demo_speech.wav"), str(tmp_path / "pablo.wav"), spanish],
        env=environment, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(lines[0][len("REPORT "):])
    extensions_dir = str(tmp_path / "blender-user" / "extensions")
    assert report["module_file"].startswith(extensions_dir)  # installed copy, not the checkout
    assert report["enabled"] == {"operator": True, "panel": True, "scene_settings": True}
    assert report["lip_sync"] == ["FINISHED"] and report["action"] == "SM_face_demo_speech"
    assert {"pocketsphinx", "scipy", "soundfile.py", "espeakng_loader"} <= set(report["installed_wheels"])
    # A Spanish take with its transcript: eSpeak NG from the espeakng-loader wheel (here the test environment's
    # copy comes first on sys.path, as with pocketsphinx), aligned rather than recognition's fallback.
    assert report["lip_sync_es"] == ["FINISHED"] and report["action_es"] == "SM_face_pablo"
    assert report["phones_es"] == "alignment" and "espeakng_loader" in report["espeak_from"]
    assert not any(name.startswith("numpy") for name in report["installed_wheels"])
    assert report["disabled"] == {"operator": False, "panel": False, "scene_settings": False}
    assert not os.path.exists(os.path.expanduser("~/.config/blender/5.0/extensions/user_default/soundmotion"))
