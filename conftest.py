"""Make the checkout importable as the package `soundmotion`, whatever the folder is called.

The root __init__.py does not import bpy, so this is safe for pure tests too.
"""

import importlib.util
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent

# Blender must never write into the developer's real ~/.config/blender during tests. Each process gets its own:
# pytest-xdist's workers inherit the environment of the process that started them, so a folder made there is
# replaced by one per worker (one a user set themselves is kept).
_OWN = "SOUNDMOTION_TEST_USER_RESOURCES"
if os.environ.get("BLENDER_USER_RESOURCES") in (None, os.environ.get(_OWN)):
    os.environ["BLENDER_USER_RESOURCES"] = os.environ[_OWN] = tempfile.mkdtemp(prefix="soundmotion-blender-user-")

if "soundmotion" not in sys.modules or pathlib.Path(sys.modules["soundmotion"].__file__).parent != ROOT:
    spec = importlib.util.spec_from_file_location(
        "soundmotion", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["soundmotion"] = module
    spec.loader.exec_module(module)
