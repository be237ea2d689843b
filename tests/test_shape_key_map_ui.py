"""The shape-key map stored on a face mesh (Detect / edit / Save / Load) and Lip Sync playing the edited map."""

import json

import bpy
import pytest

from blender_helpers import curve_values, make_face_mesh
from speech_fixtures import speech_wav

pytestmark = pytest.mark.blender

VROID_KEYS = ("Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_MTH_Neutral", "Fcl_EYE_Close")


def stored_rows(mesh):
    rows = {}
    for entry in mesh.soundmotion_shape_key_map:
        rows.setdefault(entry.key, {})[entry.channel] = round(entry.weight, 4)
    return rows


def animated_keys(mesh):
    from soundmotion.operators.action_channels import fcurves_of

    return {fc.data_path.split('"')[1] for fc in fcurves_of(mesh.data.shape_keys)}


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    path, _ = speech_wav(tmp_path_factory.mktemp("speech"), "Hello, how are you today?", transcript_file=True)
    return path


def test_detect_stores_the_preset_map_on_the_mesh(scene):
    mesh = make_face_mesh(key_names=VROID_KEYS)
    assert len(mesh.soundmotion_shape_key_map) == 0
    assert bpy.ops.soundmotion.detect_shape_key_map() == {"FINISHED"}
    rows = stored_rows(mesh)
    assert mesh.soundmotion_shape_key_preset == "vrm"
    assert {"Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O"} <= set(rows)
    assert "jawOpen" in rows["Fcl_MTH_A"] and "Fcl_MTH_Neutral" not in rows

    from soundmotion.operators.targets import face_shape_key_map
    from soundmotion.retarget.shape_keys import map_shape_keys

    detected, stored = map_shape_keys(VROID_KEYS), face_shape_key_map(mesh)
    assert stored.rows.keys() == detected.rows.keys()
    assert max(abs(w) for row in detected.rows.values() for w in row.values()) > 2.0  # fitted viseme weights
    for key, row in detected.rows.items():
        assert stored.rows[key] == pytest.approx(row, rel=1e-6)  # stored as float32, nothing clamped
    assert "jawOpen" not in face_shape_key_map(mesh).unmapped_channels


def test_lip_sync_plays_the_edited_map(scene, speech):
    mesh = make_face_mesh(key_names=VROID_KEYS)
    bpy.ops.soundmotion.detect_shape_key_map()
    entries = mesh.soundmotion_shape_key_map
    # Repoint every row of Fcl_MTH_U at the eye-close key, driven by jawOpen at half weight, then drop Fcl_MTH_O.
    for index in reversed(range(len(entries))):
        if entries[index].key == "Fcl_MTH_O":
            assert bpy.ops.soundmotion.remove_shape_key_row(index=index) == {"FINISHED"}
    while sum(e.key == "Fcl_MTH_U" for e in entries) > 1:
        entries.remove(next(i for i, e in enumerate(entries) if e.key == "Fcl_MTH_U"))
    row = next(e for e in entries if e.key == "Fcl_MTH_U")
    row.key, row.channel, row.weight = "Fcl_EYE_Close", "jawOpen", 0.5
    scene.soundmotion.audio_path = str(speech)
    assert bpy.ops.soundmotion.lip_sync() == {"FINISHED"}
    animated = animated_keys(mesh)
    assert "Fcl_EYE_Close" in animated and "Fcl_MTH_A" in animated
    assert "Fcl_MTH_O" not in animated and "Fcl_MTH_U" not in animated
    _, eye = curve_values(mesh.data.shape_keys, 'key_blocks["Fcl_EYE_Close"].value')
    assert 0.1 < eye.max() <= 0.5 + 1e-6  # half of jawOpen, which speech opens


def test_save_and_load_round_trip_through_json(scene, tmp_path):
    mesh = make_face_mesh(key_names=VROID_KEYS)
    bpy.ops.soundmotion.detect_shape_key_map()
    mesh.soundmotion_shape_key_map[0].weight = 0.25
    saved = stored_rows(mesh)
    path = tmp_path / "vroid_map.json"
    assert bpy.ops.soundmotion.save_shape_key_map(filepath=str(path)) == {"FINISHED"}
    data = json.loads(path.read_text())
    assert data["preset"] == "vrm" and set(data["shape_keys"]) == set(saved)

    other = make_face_mesh("Other", key_names=VROID_KEYS[:3])  # lacks Fcl_MTH_E, Fcl_MTH_O, …
    assert bpy.ops.soundmotion.load_shape_key_map(filepath=str(path)) == {"FINISHED"}
    assert stored_rows(other) == {k: v for k, v in saved.items() if k in VROID_KEYS[:3]}
    assert other.soundmotion_shape_key_preset == "vrm"


@pytest.mark.parametrize("text, message", [
    ("{not json", "not a usable shape-key map"),
    ('{"shape_keys": {"Fcl_MTH_A": {"jawOpenWide": 1}}}', "not ARKit blendshapes: jawOpenWide"),
    ('{"shape_keys": {"Nope": {"jawOpen": 1}}}', "None of the map's shape keys \\(Nope\\) exist on Face"),
])
def test_bad_json_is_refused_and_the_stored_map_is_unchanged(scene, tmp_path, text, message):
    mesh = make_face_mesh(key_names=VROID_KEYS)
    bpy.ops.soundmotion.detect_shape_key_map()
    before = stored_rows(mesh)
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(RuntimeError, match=message):
        bpy.ops.soundmotion.load_shape_key_map(filepath=str(path))
    assert stored_rows(mesh) == before and mesh.soundmotion_shape_key_preset == "vrm"
    with pytest.raises(RuntimeError, match="The shape-key map .*missing.json was not found. Choose an existing"):
        bpy.ops.soundmotion.load_shape_key_map(filepath=str(tmp_path / "missing.json"))
    assert stored_rows(mesh) == before


def test_a_stored_map_naming_no_existing_key_is_refused(scene, speech):
    mesh = make_face_mesh(key_names=VROID_KEYS)
    bpy.ops.soundmotion.detect_shape_key_map()
    for entry in mesh.soundmotion_shape_key_map:
        entry.key = "Renamed"
    scene.soundmotion.audio_path = str(speech)
    with pytest.raises(RuntimeError, match="drives none of its shape keys"):
        bpy.ops.soundmotion.lip_sync()
    assert mesh.data.shape_keys.animation_data is None


def test_panel_is_a_sub_panel_of_the_main_panel(registered_addon):
    panel = bpy.types.SOUNDMOTION_PT_shape_key_map
    assert panel.bl_parent_id == "SOUNDMOTION_PT_main" and panel.is_registered


def test_the_edited_map_is_saved_in_the_blend(scene, tmp_path):
    mesh = make_face_mesh(key_names=VROID_KEYS)
    bpy.ops.soundmotion.detect_shape_key_map()
    mesh.soundmotion_shape_key_map[0].weight = 0.4
    saved = stored_rows(mesh)
    path = tmp_path / "character.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    reopened = bpy.data.objects["Face"]
    assert stored_rows(reopened) == saved and reopened.soundmotion_shape_key_preset == "vrm"
