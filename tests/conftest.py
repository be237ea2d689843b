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


# The slowest files, slowest first (the demo's movie alone is about half of the Blender 5.0 run). Under
# pytest-xdist with `--dist loadfile --no-loadscope-reorder` (`make test`) each file goes whole to one worker, in
# collection order: these start first, and the other worker runs the many short files meanwhile.
SLOW_FILES = ("test_demo.py", "test_cli.py", "test_batch_blender.py", "test_batch.py", "test_bone_face.py",
              "test_dance_floor.py", "test_errors.py", "test_take_keys_cli.py", "test_extension_zips.py",
              "test_retarget_ik.py")


def pytest_collection_modifyitems(config, items):
    """On xdist workers only (a plain run keeps pytest's order): the slow files first, each file's tests in
    their own order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {name: index for index, name in enumerate(SLOW_FILES)}
        items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FILES)))


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
