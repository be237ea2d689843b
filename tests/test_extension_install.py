"""The Linux zip, built by Blender's own builder, installs offline into a clean, isolated Blender (5.0, and 4.2
in the 4.2 run) where nothing but Blender's own modules and the zip's wheels can be imported, and runs takes (one
in Spanish, aligned by the eSpeak NG of its espeakng-loader wheel)."""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import pytest

from extension_zips import build_zips

ROOT = pathlib.Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def linux_zip(tmp_path_factory):
    return build_zips(tmp_path_factory.mktemp("dist"))["linux-x64"]


@pytest.fixture
def user_resources():
    """An empty Blender user folder deep in a studio-like path, so that the installed wheel's
    ".../extensions/.local/lib/python3.11/site-packages/espeakng_loader/espeak-ng-data" is longer than the 160-byte
    buffer eSpeak NG keeps it in: the Spanish take only aligns through the short alias espeak.short_data_folder
    makes. The aliases made for it in the temp folder are removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="sm-user-") as folder:
        deep = pathlib.Path(folder, "studio-pipeline", "show-with-a-long-name", "episode-042",
                            "blender-user-resources")
        deep.mkdir(parents=True)
        yield deep
        for link in pathlib.Path(tempfile.gettempdir()).glob("soundmotion-espeak-*"):
            if link.is_symlink() and str(deep) in os.readlink(link):
                link.unlink()


def test_installed_zip_runs_talk_and_dance_on_its_own_wheels_and_disabling_removes_it(linux_zip, tmp_path,
                                                                                     user_resources):
    from soundmotion.bench import espeak_truth

    environment = dict(os.environ, BLENDER_USER_RESOURCES=str(user_resources))
    spanish = "Pablo compró un mapa bonito en Bogotá."
    espeak_truth.synthesize(spanish, "es+f3", 175).write_wav(tmp_path / "pablo.wav")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "install_extension.py"), str(linux_zip), str(ROOT / "assets"),
         str(tmp_path / "pablo.wav"), spanish],
        env=environment, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(lines[0][len("REPORT "):])
    extensions_dir = str(user_resources / "extensions")
    data_path = f"{extensions_dir}/.local/lib/python3.11/site-packages/espeakng_loader/espeak-ng-data"
    assert len(data_path.encode()) > 160   # eSpeak NG could not take it as it is
    assert report["module_file"].startswith(extensions_dir)  # installed copy, not the checkout
    assert report["enabled"] == {"operator": True, "panel": True, "scene_settings": True}
    # The environment's own copies were out of reach: what the takes imported came from the zip's wheels.
    in_environment = {name for name in ("soundfile", "pocketsphinx", "scipy", "typing_extensions", "espeakng_loader")
                      if importlib.util.find_spec(name) is not None}
    assert in_environment <= set(report["guarded"])   # all of them in the make test environments
    assert report["already_imported"] == []
    for name in ("soundfile", "_cffi_backend", "pocketsphinx", "typing_extensions", "espeakng_loader"):
        assert report["imported_from"][name].startswith(extensions_dir), name
    assert report["imported_from"]["scipy"] is None
    assert report["talk"] == ["FINISHED"] and report["talk_actions"] == ["SM_face_demo_speech", "SM_gesture_demo_speech"]
    assert report["hand_travel"] > 0.05   # the arms gesture
    assert report["aligned_phones"] > 40 and report["alignment_failed_spans"] == []
    assert report["word_lm"] == f"{report['module_file'].rpartition('/')[0]}/models/speech/word_lm/en-us.lm.bin"
    assert report["words_heard"] >= 8
    assert report["dance"] == ["FINISHED"] and report["dance_action"] == "SM_dance_demo_music"
    # A Spanish take with its transcript: aligned (not left to recognition) by the wheel's eSpeak NG, loaded by
    # the plain library name (the wheel's two spare copies are trimmed away).
    assert report["lip_sync_es"] == ["FINISHED"] and report["action_es"] == "SM_face_pablo"
    assert report["phones_es"] == "alignment"
    assert report["espeak_from"].startswith(extensions_dir) and report["espeak_from"].endswith("libespeak-ng.so")
    assert {"pocketsphinx", "soundfile.py", "typing_extensions.py", "espeakng_loader"} <= set(report["installed_wheels"])
    # Blender installed the builds for its own Python (4.2.0 does not check: the wheels' names steer it).
    python_tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}"
    assert [n for n in report["installed_wheels"] if n.startswith("_cffi_backend")] == [
        f"_cffi_backend.{python_tag}-x86_64-linux-gnu.so"]
    assert any(python_tag in n for n in report["pocketsphinx_files"])
    assert not any(name.startswith(("numpy", "scipy")) for name in report["installed_wheels"])
    assert report["disabled"] == {"operator": False, "panel": False, "scene_settings": False}
    assert not os.path.exists(os.path.expanduser("~/.config/blender/5.0/extensions/user_default/soundmotion"))
