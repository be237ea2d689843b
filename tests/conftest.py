import os
import pathlib
import sys

import pytest

ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"


@pytest.fixture(scope="session")
def registered_addon():
    """The checkout's add-on registered in this process's bpy (the installed-zip path has its own test)."""
    import bpy  # noqa: F401  (imported here so pure tests never load Blender)
    import soundmotion

    soundmotion.register()
    yield soundmotion
    soundmotion.unregister()


@pytest.fixture
def scene(registered_addon):
    from blender_helpers import empty_scene

    return empty_scene()


@pytest.fixture(scope="session")
def demo_speech():
    return ASSETS / "demo_speech.wav"


_exit_status = None


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config):
    """The Blender 4.2 `bpy` module crashes while Python shuts down once Rigify has generated a rig
    (seen with bpy 4.2.0: exit 139 after every test passed). Everything is reported by now, so leave
    with pytest's own status before that teardown runs."""
    bpy = sys.modules.get("bpy")
    if bpy is not None and bpy.app.version < (4, 4, 0) and _exit_status is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
