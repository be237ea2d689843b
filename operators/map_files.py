"""A face map (a mesh's shape-key map, an armature's face-pose map) saved as JSON or read back, for the Save and
Load operators of the Shape Keys and Face Rig sub-panels: the file checks and their sentences in one place."""

import bpy

from ..errors import file_name_with, read_json_file, write_text_file
from ..retarget.shape_keys import FORM, ShapeKeyMap, ShapeKeyMapError


def save_map(operator, stored, what: str, owner: str, detect: str) -> set:
    """Write `stored` (a ShapeKeyMap; None when the `owner` has none yet, which `detect` would make) as JSON to the
    operator's file path, reporting what was saved; returns the operator's result."""
    if stored is None:
        operator.report({"ERROR"}, f"This {owner} has no stored {what}; run {detect} first.")
        return {"CANCELLED"}
    path = file_name_with(bpy.path.abspath(operator.filepath), ".json", what, ShapeKeyMapError)
    write_text_file(path, stored.to_json(), what, ShapeKeyMapError)
    operator.report({"INFO"}, f"Saved {len(stored.rows)} {what.removesuffix(' map')} rows to {path}.")
    return {"FINISHED"}


def read_map(operator, what: str):
    """(path, ShapeKeyMap) from the operator's file path, or None after reporting why the file is not a usable map."""
    path = bpy.path.abspath(operator.filepath)
    try:
        return path, ShapeKeyMap.from_dict(read_json_file(path, what, ShapeKeyMapError))
    except ShapeKeyMapError as error:
        reason = str(error)
        if what != "shape-key map":  # a face-pose map is the same JSON with pose names for keys: say so
            reason = reason.replace(FORM, f'A {what} is JSON of the form {{"shape_keys": {{pose: {{channel: '
                                          f'weight}}}}}}.')
        operator.report({"ERROR"}, f"{path} is not a usable {what}. {reason}")
        return None
