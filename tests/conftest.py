import pathlib

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
