"""Editable face takes on real Blender: the phone/word track kept with a take, edited and re-applied without
analysing the audio again, exports that follow it, word markers, mouth style and a 2D (image-sequence) mouth."""

import time

import bpy
import numpy as np
import pytest

from blender_helpers import make_face_mesh
from soundmotion.operators.action_channels import _action_fcurves, fcurves_of, has_slotted_actions, take_action
from soundmotion.operators.face_take import MOUTH_PROPERTY

pytestmark = pytest.mark.blender
MOUTH = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthStretchLeft")


def lip_sync(obj, audio, **settings):
    scene = bpy.context.scene
    scene.soundmotion.audio_path = str(audio)
    for name, value in settings.items():
        setattr(scene.soundmotion, name, value)
    with bpy.context.temp_override(active_object=obj, object=obj):
        return bpy.ops.soundmotion.lip_sync()


def run(operator, obj, **properties):
    with bpy.context.temp_override(active_object=obj, object=obj):
        return getattr(bpy.ops.soundmotion, operator)(**properties)


def mouth_values(scene, mesh, frames):
    blocks = mesh.data.shape_keys.key_blocks
    out = []
    for frame in frames:
        scene.frame_set(frame)
        out.append([blocks[name].value for name in MOUTH])
    return np.array(out)


@pytest.fixture
def talking_face(scene, demo_speech):
    mesh = make_face_mesh(key_names=MOUTH)
    assert lip_sync(mesh, demo_speech, transcript=(demo_speech.with_suffix(".txt")).read_text()) == {"FINISHED"}
    return mesh


def test_the_take_keeps_its_words_and_phones(talking_face):
    action = take_action(talking_face.data.shape_keys)
    words = [(w.text, w.start, w.end) for w in action.soundmotion_words]
    phones = list(action.soundmotion_phones)
    assert [w[0] for w in words[:5]] == ["hello", "i", "am", "the", "sound"]
    assert all(a[2] <= b[1] + 1e-3 for a, b in zip(words, words[1:]))
    hello = [p.phone for p in phones if p.word == 0]
    assert hello[:2] == ["HH", "AH"] and phones[0].start == pytest.approx(1.0)
    assert {p.viseme for p in phones if p.phone in ("M", "B", "P")} == {"PP"}
    assert len(action["soundmotion_voice"]["decibels"]) > 1000  # 10 ms measures of the 11 s line


def test_editing_one_phone_changes_the_mouth_there_and_nowhere_else(scene, talking_face):
    mesh = talking_face
    action = take_action(mesh.data.shape_keys)
    frames = range(1, 331)
    before = mouth_values(scene, mesh, frames)
    vowel = next(p for p in action.soundmotion_phones if p.phone == "AA" and p.end - p.start >= 3)
    start, end = vowel.start, vowel.end
    vowel.phone = "UW"  # "ah" becomes a rounded "oo"
    assert vowel.viseme == "ou"
    began = time.perf_counter()
    assert run("reapply_track", mesh) == {"FINISHED"}
    assert time.perf_counter() - began < 1.0  # an 11 s line, without analysing the audio again
    after = mouth_values(scene, mesh, frames)
    change = np.abs(after - before).max(axis=1)
    index = np.arange(1, 331)
    inside = (index >= start - 18) & (index <= end + 18)  # the phone and its co-articulation (±0.6 s)
    assert change[(index >= start) & (index <= end)].max() > 0.2
    assert change[~inside].max() < 1e-4
    pucker = MOUTH.index("mouthPucker")
    middle = int(round((start + end) / 2)) - 1
    assert after[middle, pucker] > before[middle, pucker] + 0.2
    assert take_action(mesh.data.shape_keys).name == "SM_face_demo_speech.001"
    assert [p.phone for p in take_action(mesh.data.shape_keys).soundmotion_phones].count("UW") \
        == [p.phone for p in action.soundmotion_phones].count("UW")  # the edit travels with the new take


def test_reapply_keeps_the_takes_emotion_and_language(scene, demo_speech):
    """The take remembers its emotion and language: Re-apply after the panel moved on rebuilds the same face."""
    import json

    mesh = make_face_mesh(key_names=MOUTH)
    scene.soundmotion.audio_path = str(demo_speech)
    scene.soundmotion.transcript = demo_speech.with_suffix(".txt").read_text()
    scene.soundmotion.language = "en"
    assert run("lip_sync", mesh, emotion="HAPPY", emotion_strength=1.0) == {"FINISHED"}
    meta = json.loads(take_action(mesh.data.shape_keys)["soundmotion_track"])
    assert (meta["emotion"], meta["emotion_strength"], meta["language"]) == ("happy", 1.0, "en")
    frames = range(1, 331)
    before = mouth_values(scene, mesh, frames)
    assert np.median(before[:, MOUTH.index("mouthSmileLeft")]) > 0.3
    scene.soundmotion.language = "AUTO"
    assert run("reapply_track", mesh) == {"FINISHED"}
    after = mouth_values(scene, mesh, frames)
    assert np.abs(after - before).max() < 1e-4
    assert json.loads(take_action(mesh.data.shape_keys)["soundmotion_track"])["emotion"] == "happy"


def test_reapply_after_the_scene_rate_changed_keeps_the_take_on_its_sound(scene, talking_face):
    """A take made at 30 fps, Re-applied after the scene went to 24 fps: its track is retimed to the same seconds
    (an edited phone too), so the mouth still ends with the sound instead of running 25 % slow."""
    import json

    mesh = talking_face
    action = take_action(mesh.data.shape_keys)
    vowel = next(p for p in action.soundmotion_phones if p.phone == "AA" and p.end - p.start >= 3)
    seconds = ((vowel.start - 1) / 30, (vowel.end - 1) / 30)
    vowel.phone = "UW"
    last = max(p.end for p in action.soundmotion_phones)
    scene.render.fps = 24
    assert run("reapply_track", mesh) == {"FINISHED"}
    retimed = take_action(mesh.data.shape_keys)
    assert json.loads(retimed["soundmotion_track"])["fps"] == 24
    assert max(p.end for p in retimed.soundmotion_phones) == pytest.approx(1 + (last - 1) * 24 / 30, abs=1e-3)
    edited = next(p for p in retimed.soundmotion_phones if p.phone == "UW"
                  and abs((p.start - 1) / 24 - seconds[0]) < 1e-3)
    assert (edited.end - 1) / 24 == pytest.approx(seconds[1], abs=1e-3)
    keys = [k.co.x for fc in fcurves_of(mesh.data.shape_keys) for k in fc.keyframe_points]
    assert max(keys) == pytest.approx(1 + (last - 1) * 24 / 30, abs=1.0)


def test_retiming_a_word_moves_its_phones_and_its_neighbours_follow(talking_face):
    action = take_action(talking_face.data.shape_keys)
    word = action.soundmotion_words[1]  # "i"
    phones = [p for p in action.soundmotion_phones if p.word == 1]
    before = [(p.start, p.end) for p in phones]
    neighbour = next(p for p in action.soundmotion_phones if p.end == pytest.approx(before[0][0]))
    word.start, word.end = word.start + 2.0, word.end + 2.0
    assert [(p.start, p.end) for p in phones] == [pytest.approx((a + 2.0, b + 2.0), abs=1e-3) for a, b in before]
    assert neighbour.end == pytest.approx(phones[0].start, abs=1e-3)


def test_moving_a_phone_edge_moves_its_neighbours_edge(talking_face):
    phones = take_action(talking_face.data.shape_keys).soundmotion_phones
    phones[2].end = phones[2].end + 1.0
    assert phones[3].start == pytest.approx(phones[2].end)


def test_insert_and_delete_phones(talking_face):
    action = take_action(talking_face.data.shape_keys)
    count = len(action.soundmotion_phones)
    action.soundmotion_phone_index = 3
    assert run("track_insert_phone", talking_face, phone="OW") == {"FINISHED"}
    assert len(action.soundmotion_phones) == count + 1 and action.soundmotion_phones[4].phone == "OW"
    assert action.soundmotion_phones[3].end == action.soundmotion_phones[4].start
    assert run("track_delete_phone", talking_face) == {"FINISHED"}
    assert len(action.soundmotion_phones) == count
    action.soundmotion_phones[5].phone = "XX"
    with pytest.raises(RuntimeError, match="not a phone"):
        run("reapply_track", talking_face)


def test_mouth_cue_export_follows_the_edited_track(talking_face, tmp_path):
    action = take_action(talking_face.data.shape_keys)
    run("export_track", talking_face, filepath=str(tmp_path / "before.tsv"), kind="CUES")
    closure = next(p for p in action.soundmotion_phones if p.phone == "M")
    closure.phone = "AA"
    run("export_track", talking_face, filepath=str(tmp_path / "after.tsv"), kind="CUES")
    run("export_track", talking_face, filepath=str(tmp_path / "face.csv"), kind="CSV")

    def shape_at(path, frame):
        seconds = (frame - 1) / 30.0
        cues = [(float(t), s) for t, s in (line.split("\t") for line in path.read_text().splitlines())]
        return [s for t, s in cues if t <= seconds + 1e-6][-1]

    middle = (closure.start + closure.end) / 2
    assert shape_at(tmp_path / "before.tsv", middle) == "A" and shape_at(tmp_path / "after.tsv", middle) == "D"
    assert (tmp_path / "face.csv").read_text().startswith("Timecode,BlendShapeCount")


def test_word_markers_are_made_and_taken_away(scene, talking_face):
    assert run("word_markers", talking_face, enable=True) == {"FINISHED"}
    markers = sorted((m.frame, m.name) for m in scene.timeline_markers)
    assert [name for _, name in markers[:3]] == ["hello", "i", "am"] and markers[0][0] == 1
    scene.timeline_markers.new("mine", frame=5)
    assert run("word_markers", talking_face, enable=False) == {"FINISHED"}
    assert [m.name for m in scene.timeline_markers] == ["mine"]


def test_held_mouth_steps_on_twos(scene, demo_speech):
    mesh = make_face_mesh(key_names=MOUTH)
    assert lip_sync(mesh, demo_speech, coarticulation=0.0, min_hold_frames=3, mouth_step="TWOS") == {"FINISHED"}
    jaw = next(fc for fc in fcurves_of(mesh.data.shape_keys) if '"jawOpen"' in fc.data_path)
    points = jaw.keyframe_points
    assert {p.interpolation for p in points} == {"CONSTANT"}
    assert all(int(p.co[0] - 1) % 2 == 0 for p in points) and len(points) < 331 / 2


def test_an_image_sequence_mouth_follows_the_mouth_index(scene, demo_speech):
    """A sprite mouth: a card whose image-sequence texture shows image `soundmotion_mouth` (a driver on its frame
    offset reads the index that Lip Sync keys)."""
    card = make_face_mesh("MouthCard", key_names=())  # no shape keys: a 2D mouth only
    assert lip_sync(card, demo_speech, mouth_chart="RHUBARB") == {"FINISHED"}
    action = take_action(card)
    assert action.name == "SM_mouth_demo_speech" and len(action.soundmotion_phones) > 50
    image = bpy.data.images.new("mouth_A", 8, 8)
    image.source = "SEQUENCE"
    material = bpy.data.materials.new("Mouth")
    if material.node_tree is None:  # Blender 4.2; 5.0 gives every new material its node tree
        material.use_nodes = True
    node = material.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = image
    card.data.materials.append(material)
    driver = material.node_tree.driver_add(f'nodes["{node.name}"].image_user.frame_offset').driver
    driver.type = "SUM"  # a single-property driver: no Python expression, nothing to allow
    variable = driver.variables.new()
    variable.targets[0].id = card
    variable.targets[0].data_path = f'["{MOUTH_PROPERTY}"]'
    closure = next(p for p in action.soundmotion_phones if p.phone == "M")
    pause = next(p for p in action.soundmotion_phones if p.phone == "SIL" and p.end - p.start > 6)
    shown = []
    for phone in (closure, pause):
        scene.frame_set(int(round((phone.start + phone.end) / 2)))
        shown.append((card[MOUTH_PROPERTY], node.image_user.frame_offset))
    assert shown == [(0, 0), (8, 8)]  # A (closed lips) on the "m", X (rest) in the pause
    # Before and after the take the card rests at X (the property was made at 0: A, the closed P/B/M mouth).
    end = max(p.end for p in action.soundmotion_phones)
    for frame in (-20, int(end) + 30):
        scene.frame_set(frame)
        assert card[MOUTH_PROPERTY] == 8, frame


def test_reapply_rekeys_the_jaw_bone_of_a_talk_take_there_and_nowhere_else(scene, demo_speech):
    from rig_factory import synthetic_armature

    rig = synthetic_armature("makehuman_default")
    mesh = make_face_mesh(key_names=("eyeBlinkLeft", "mouthSmileLeft"))  # no jawOpen: the jaw bone opens
    mesh.parent = rig
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.talk(filepath=str(demo_speech)) == {"FINISHED"}
    gesture = take_action(rig)
    jaw = rig.pose.bones["jaw"]

    def jaw_angles(frames):
        angles = []
        for frame in frames:
            scene.frame_set(frame)
            angles.append(np.degrees(jaw.matrix_basis.to_quaternion().angle))
        return np.array(angles)

    frames = np.arange(1, 331)
    before = jaw_angles(frames)
    track = take_action(mesh.data.shape_keys)
    vowel = max((p for p in track.soundmotion_phones if p.phone in ("AA", "AE", "AH", "AY", "AW")),
                key=lambda p: before[int(round((p.start + p.end) / 2)) - 1])
    middle = int(round((vowel.start + vowel.end) / 2))
    vowel.phone = "M"  # the open vowel becomes a closed "m"
    assert run("reapply_track", mesh) == {"FINISHED"}
    after = jaw_angles(frames)
    assert before[middle - 1] - after[middle - 1] > 3.0  # the jaw closes there
    outside = (frames < vowel.start - 18) | (frames > vowel.end + 18)
    assert np.abs(after - before)[outside].max() < 1e-4
    new = take_action(rig)
    assert new.name == f"{gesture.name}.001" and new["soundmotion_take"] > gesture["soundmotion_take"]
    strips = [(t.name, s.action.name) for t in rig.animation_data.nla_tracks for s in t.strips]
    assert ("SM_gesture_demo_speech", new.name) in strips and gesture.name not in [a for _, a in strips]

    def curves(action):  # every curve but the jaw's: (path, index) → keys and handles
        slot = action.slots[0] if has_slotted_actions() else None
        return {(fc.data_path, fc.array_index): [tuple(p.co) + tuple(p.handle_left) for p in fc.keyframe_points]
                for fc in _action_fcurves(action, slot) if '"jaw"' not in fc.data_path}
    assert len(curves(gesture)) > 20 and curves(new) == curves(gesture)  # the body's keys are the earlier take's
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert take_action(rig) == gesture
    np.testing.assert_allclose(jaw_angles(frames[::7]), before[::7], atol=1e-5)
