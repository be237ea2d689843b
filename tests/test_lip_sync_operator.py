"""Operator "Lip Sync from Audio" on real Blender: the result, and bad input that must leave the scene alone."""

import bpy
import numpy as np
import pytest
import soundfile

from blender_helpers import curve_values, evaluated_curve, make_chain_armature, make_face_mesh, sound_strips
from soundmotion.operators.action_channels import take_action

pytestmark = pytest.mark.blender


def scene_state():
    """Everything a failed run must not change."""
    meshes = [o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys]
    return {
        "actions": sorted(a.name for a in bpy.data.actions),
        "assigned": {m.name: getattr(m.data.shape_keys.animation_data, "action", None) for m in meshes},
        "values": {m.name: [k.value for k in m.data.shape_keys.key_blocks] for m in meshes},
        "strips": len(sound_strips(bpy.context.scene)),
        "frame_end": bpy.context.scene.frame_end,
        "sounds": len(bpy.data.sounds),
    }


def run_lip_sync(obj, audio_path, **settings):
    bpy.context.view_layer.objects.active = obj
    scene = bpy.context.scene
    scene.soundmotion.audio_path = str(audio_path)
    for name, value in settings.items():
        setattr(scene.soundmotion, name, value)
    return bpy.ops.soundmotion.lip_sync()


def test_lip_sync_writes_a_named_action_at_the_offset_with_the_sound(scene, demo_speech):
    mesh = make_face_mesh()
    mesh.data.shape_keys.key_blocks["eyeBlinkLeft"].value = 0.3
    assert run_lip_sync(mesh, demo_speech, frame_start=25) == {"FINISHED"}
    action = take_action(mesh.data.shape_keys)
    assert action.name == "SM_face_demo_speech"
    frames, _ = curve_values(mesh.data.shape_keys, 'key_blocks["jawOpen"].value')
    duration = soundfile.info(str(demo_speech)).duration
    assert frames[0] == 25 and frames[-1] == 25 + int(np.ceil(duration * 30)) - 1
    assert scene.frame_end >= frames[-1]
    jaw = evaluated_curve(mesh.data.shape_keys, 'key_blocks["jawOpen"].value', range(25, int(frames[-1]) + 1))
    # Speech opens the jaw, but not all the time: closures and pauses close it again.
    assert jaw.max() > 0.3 and np.mean(jaw < 0.05) > 0.1
    if bpy.app.version >= (4, 4, 0):  # the 4.2 bpy wheel is built without audio
        strips = sound_strips(scene)
        assert [(s.name, s.frame_start) for s in strips] == [("demo_speech", 25)]


def test_lip_sync_on_an_armature_finds_its_face_mesh(scene, demo_speech):
    rig = make_chain_armature()
    mesh = make_face_mesh()
    mesh.parent = rig
    assert run_lip_sync(rig, demo_speech) == {"FINISHED"}
    assert take_action(mesh.data.shape_keys).name.startswith("SM_face_")


def test_a_phones_voice_memo_in_m4a_is_lip_synced_with_its_sound(scene, demo_speech, tmp_path):
    # libsndfile cannot read AAC; Blender's own FFmpeg (Audaspace) can, so a voice memo works as it is.
    import subprocess

    from soundmotion.models.audio import blender_audio

    if blender_audio.audaspace() is None:
        pytest.skip("this bpy module has no Audaspace")
    memo = tmp_path / "memo.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(demo_speech), "-c:a", "aac", str(memo)], check=True)
    mesh = make_face_mesh()
    assert run_lip_sync(mesh, memo) == {"FINISHED"}
    assert take_action(mesh.data.shape_keys).name == "SM_face_memo"
    frames, _ = curve_values(mesh.data.shape_keys, 'key_blocks["jawOpen"].value')
    jaw = evaluated_curve(mesh.data.shape_keys, 'key_blocks["jawOpen"].value', range(1, int(frames[-1]) + 1))
    assert jaw.max() > 0.3 and np.mean(jaw < 0.05) > 0.1
    assert [s.name for s in sound_strips(scene)] == ["memo"]


def test_running_twice_keeps_the_first_take(scene, demo_speech):
    mesh = make_face_mesh()
    run_lip_sync(mesh, demo_speech)
    run_lip_sync(mesh, demo_speech)
    assert take_action(mesh.data.shape_keys).name == "SM_face_demo_speech.001"
    assert bpy.data.actions["SM_face_demo_speech"].use_fake_user


def _bad_audio(tmp_path, kind):
    path = tmp_path / f"{kind}.wav"
    if kind == "missing":
        return path
    if kind == "unreadable":
        path.write_bytes(b"RIFF\x00\x00\x00\x00not-really")
    elif kind == "empty":
        soundfile.write(path, np.zeros(0), 16000)
    elif kind == "silent":
        soundfile.write(path, np.zeros(32000), 16000)
    return path


@pytest.mark.parametrize("kind, message", [
    ("missing", "not found"), ("unreadable", "Cannot read"), ("empty", "no audio samples"), ("silent", "is silent")])
def test_bad_audio_is_refused_with_advice_and_the_scene_is_untouched(scene, tmp_path, kind, message):
    mesh = make_face_mesh()
    mesh.data.shape_keys.key_blocks["jawOpen"].value = 0.4
    before = scene_state()
    with pytest.raises(RuntimeError, match=message):
        run_lip_sync(mesh, _bad_audio(tmp_path, kind))
    assert scene_state() == before


def test_object_without_shape_keys_is_refused(scene, demo_speech):
    mesh = make_face_mesh()
    plain = bpy.data.objects.new("Plain", bpy.data.meshes.new("Plain"))
    scene.collection.objects.link(plain)
    before = scene_state()
    with pytest.raises(RuntimeError, match="Plain has no shape keys"):
        run_lip_sync(plain, demo_speech)
    camera = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    scene.collection.objects.link(camera)
    with pytest.raises(RuntimeError, match="Cam is a camera"):
        run_lip_sync(camera, demo_speech)
    assert scene_state() == before and mesh.data.shape_keys.animation_data is None


def test_shape_keys_with_unknown_names_are_refused_with_the_names(scene, demo_speech):
    mesh = make_face_mesh(key_names=("Smile_big", "Frown_2"))
    before = scene_state()
    with pytest.raises(RuntimeError, match="Smile_big.*Rename them to ARKit names"):
        run_lip_sync(mesh, demo_speech)
    assert scene_state() == before


def test_every_class_is_registered(registered_addon):
    from soundmotion import operators

    registered = operators.classes()
    assert {cls.__name__ for cls in registered} >= {"SOUNDMOTION_OT_lip_sync", "SOUNDMOTION_PT_main"}
    assert all(cls.is_registered for cls in registered)
    assert hasattr(bpy.ops.soundmotion, "lip_sync")


def test_listen_for_words_in_the_panel_reaches_the_face_settings(scene):
    # On by default; off, the take is lip-synced without the word recogniser (face_take.face_settings).
    from soundmotion.operators.face_take import face_settings

    assert scene.soundmotion.listen_for_words is True and face_settings(scene).word_recogniser is True
    scene.soundmotion.listen_for_words = False
    assert face_settings(scene).word_recogniser is False
