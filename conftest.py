"""Make the checkout importable as the package `soundmotion`, whatever the folder is called.

The root __init__.py does not import bpy, so this is safe for pure tests too.
"""

import importlib.util
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent

# Blender must never write into the developer's real ~/.config/blender during tests.
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="soundmotion-blender-user-"))

if "soundmotion" not in sys.modules or pathlib.Path(sys.modules["soundmotion"].__file__).parent != ROOT:
    spec = importlib.util.spec_from_file_location(
        "soundmotion", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["soundmotion"] = module
    spec.loader.exec_module(module)
