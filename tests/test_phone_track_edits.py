"""Phone Track edits as a user makes them on real Blender: words that hold a p/b/m stay one row (the analysis
leaves a hole beside each closure), edges move together across such a hole, Re-apply finds the take's objects
after they are renamed and follows the Mouth Style panel's 2D Mouth, and Export Track takes the paths the command
line takes."""

import json
import os
import types

import bpy
import numpy as np
import pytest

from blender_helpers import make_face_mesh
from soundmotion.models.speech.segments import PhoneSegment
from soundmotion.operators.action_channels import take_action
from soundmotion.operators.face_take import MOUTH_PROPERTY
from soundmotion.operators.phone_track_panel import SOUNDMOTION_OT_export_track
from soundmotion.takes import phone_track

pytestmark = pytest.mark.blender
MOUTH = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthStretchLeft")
# the demo line's words as the aligner spells them ("SoundMotion" is two)
DEMO_WORDS = ("hello i am the sound motion demo character press one button and my mouth moves with my voice bob "
              "bought a map but we will never stop to read it").split()


def run(operator, obj, **properties):
    with bpy.context.temp_override(active_object=obj, object=obj):
        return getattr(bpy.ops.soundmotion, operator)(**properties)


def lip_sync(scene, obj, audio, **settings):
    scene.soundmotion.audio_path = str(audio)
    scene.soundmotion.transcript = audio.with_suffix(".txt").read_text()
    for name, value in settings.items():
        setattr(scene.soundmotion, name, value)
    assert run("lip_sync", obj) == {"FINISHED"}


def meta_of(action) -> dict:
    return json.loads(action["soundmotion_track"])


def word_phones(action, text: str) -> list:
    index = [w.text for w in action.soundmotion_words].index(text)
    return [p for p in action.soundmotion_phones if p.word == index]


def index_at(scene, obj, frame: int) -> int:
    scene.frame_set(frame)
    return obj[MOUTH_PROPERTY]


@pytest.fixture
def talking_face(scene, demo_speech):
    mesh = make_face_mesh(key_names=MOUTH)
    lip_sync(scene, mesh, demo_speech)
    return mesh


def test_a_closure_inside_a_word_does_not_split_it():
    """The analysis shrinks a p/b/m to its loudness dip and releases it early, which leaves 10–50 ms holes beside
    it; a pause (or a phone outside the words) still ends a word, and a repeated word after it is a new row."""
    bob = [PhoneSegment("B", 0.10, 0.17, "bob"), PhoneSegment("AA", 0.18, 0.30, "bob"),
           PhoneSegment("B", 0.30, 0.37, "bob")]
    segments = ([PhoneSegment("SIL", 0.0, 0.10)] + bob + [PhoneSegment("SIL", 0.37, 0.5)]
                + [PhoneSegment(p.phone, p.start + 0.5, p.end + 0.5, "bob") for p in bob]
                + [PhoneSegment("M", 0.89, 0.95, "mummy"), PhoneSegment("AH", 0.995, 1.1, "mummy"),
                   PhoneSegment("M", 1.1, 1.16, "mummy"), PhoneSegment("IY", 1.18, 1.3, "mummy")])
    words, phones = phone_track.words_and_phones(segments, 1, 30.0)
    assert [w.text for w in words] == ["bob", "bob", "mummy"]
    assert [p.word for p in phones] == [-1, 0, 0, 0, -1, 1, 1, 1, 2, 2, 2, 2]
    assert (words[2].start, words[2].end) == (pytest.approx(1 + 0.89 * 30), pytest.approx(1 + 1.3 * 30))
    phone_track.delete(phones, 9, 30.0)  # the first "mummy" AH: the M before it takes its time, hole and all
    assert phones[8].end == pytest.approx(1 + 1.1 * 30) and phones[9].start == pytest.approx(1 + 1.1 * 30)


def test_the_demo_lines_words_are_one_row_each(talking_face):
    action = take_action(talking_face.data.shape_keys)
    assert [w.text for w in action.soundmotion_words] == DEMO_WORDS
    demo = word_phones(action, "demo")
    assert [p.phone for p in demo] == ["D", "EH", "M", "OW"]
    assert demo[3].start - demo[2].end > 0.1  # the hole the early release leaves, inside the word


def test_retiming_a_word_with_a_closure_moves_all_its_phones(talking_face):
    action = take_action(talking_face.data.shape_keys)
    word = action.soundmotion_words[DEMO_WORDS.index("demo")]
    phones = word_phones(action, "demo")
    before = [(p.start, p.end) for p in phones]
    word.start, word.end = word.start + 2.0, word.end + 2.0
    assert [(p.start, p.end) for p in phones] == [pytest.approx((a + 2.0, b + 2.0), abs=1e-3) for a, b in before]
    # "am the": the M of "am" ends 10 ms before "the" starts; when "the" starts a frame later, so does the release
    closure, the = word_phones(action, "am")[-1], action.soundmotion_words[DEMO_WORDS.index("the")]
    hole = the.start - closure.end
    assert closure.phone == "M" and 0.1 < hole < 1.0
    the.start += 1.0
    assert closure.end == pytest.approx(the.start - hole, abs=1e-4)


def test_a_phone_edge_moves_the_closure_beside_it_and_delete_fills_the_hole(talking_face):
    action = take_action(talking_face.data.shape_keys)
    closure, vowel = word_phones(action, "motion")[:2]
    assert (closure.phone, vowel.phone) == ("M", "OW")
    hole, end = vowel.start - closure.end, vowel.end
    assert hole > 0.5
    vowel.start -= 1.0  # the vowel opens a frame earlier: the lips part a frame earlier, early release kept
    assert closure.end == pytest.approx(vowel.start - hole, abs=1e-4)
    vowel.start += 1.0
    assert closure.end == pytest.approx(vowel.start - hole, abs=1e-4)
    action.soundmotion_phone_index = list(action.soundmotion_phones).index(vowel)
    assert run("track_delete_phone", talking_face) == {"FINISHED"}
    assert closure.end == pytest.approx(end, abs=1e-4)  # the phone before takes the deleted one's time


def test_reapply_after_renaming_the_mesh_and_its_rig(scene, demo_speech):
    """A studio renames the face mesh and its rig to its naming convention after Lip Sync: Re-apply still
    rebuilds the shape keys, the mesh's mouth index and the jaw bone, and the take remembers the new names."""
    from rig_factory import synthetic_armature

    rig = synthetic_armature("makehuman_default")
    mesh = make_face_mesh(key_names=("eyeBlinkLeft", "mouthSmileLeft"))  # no jawOpen: the jaw bone opens
    mesh.parent = rig
    lip_sync(scene, mesh, demo_speech, mouth_chart="RHUBARB")
    assert meta_of(take_action(mesh))["jaw"]["armature"] == rig.name
    mesh.name, rig.name = "CHR_hero_face_GEO", "CHR_hero_RIG"
    track = take_action(mesh)
    vowel = next(p for p in track.soundmotion_phones if p.phone == "AA" and p.end - p.start >= 3)
    middle = int(round((vowel.start + vowel.end) / 2))
    scene.frame_set(middle)
    jaw_before = rig.pose.bones["jaw"].matrix_basis.to_quaternion().angle
    vowel.phone = "M"
    assert run("reapply_track", mesh) == {"FINISHED"}
    assert index_at(scene, mesh, middle) == 0  # Rhubarb A: closed lips
    assert rig.pose.bones["jaw"].matrix_basis.to_quaternion().angle < jaw_before - np.radians(3.0)
    for action in (take_action(mesh), take_action(mesh.data.shape_keys)):
        assert action.name.endswith(".001")
        meta = meta_of(action)
        assert (meta["mesh"], meta["sprite"], meta["jaw"]["armature"]) == \
            ("CHR_hero_face_GEO", "CHR_hero_face_GEO", "CHR_hero_RIG")


def test_reapply_after_renaming_a_sprite_card(scene, demo_speech):
    card = make_face_mesh("MouthCard", key_names=())
    lip_sync(scene, card, demo_speech, mouth_chart="RHUBARB")
    card.name = "PLANE_mouth_sprite"
    closure = next(p for p in take_action(card).soundmotion_phones if p.phone == "M")
    middle = int(round((closure.start + closure.end) / 2))
    closure.phone = "AA"
    assert run("reapply_track", card) == {"FINISHED"}
    assert index_at(scene, card, middle) == 3  # Rhubarb D: open
    assert meta_of(take_action(card))["sprite"] == "PLANE_mouth_sprite"


def test_reapply_follows_the_mouth_style_panels_2d_mouth(scene, demo_speech):
    """The panel's 2D Mouth, not the take's: Rhubarb → Preston Blair re-keys the index in the new chart; None
    keeps the take's own chart (its index would otherwise go on playing unedited)."""
    card = make_face_mesh("MouthCard", key_names=())
    lip_sync(scene, card, demo_speech, mouth_chart="RHUBARB")
    action = take_action(card)
    closure = next(p for p in action.soundmotion_phones if p.phone == "M")
    pause = next(p for p in action.soundmotion_phones if p.phone == "SIL" and p.end - p.start > 6)
    frames = [int(round((p.start + p.end) / 2)) for p in (closure, pause)]
    assert [index_at(scene, card, f) for f in frames] == [0, 8]  # Rhubarb A, X
    scene.soundmotion.mouth_chart = "PRESTON_BLAIR"
    assert run("reapply_track", card) == {"FINISHED"}
    assert [index_at(scene, card, f) for f in frames] == [8, 0]  # Preston Blair MBP, rest
    assert meta_of(take_action(card))["chart"] == "PRESTON_BLAIR"
    scene.soundmotion.mouth_chart = "NONE"
    assert run("reapply_track", card) == {"FINISHED"}
    assert take_action(card).name == "SM_mouth_demo_speech.002"
    assert [index_at(scene, card, f) for f in frames] == [8, 0] and meta_of(take_action(card))["chart"] \
        == "PRESTON_BLAIR"


def test_reapply_gives_a_take_made_without_a_2d_mouth_one(scene, talking_face):
    mesh = talking_face
    action = take_action(mesh.data.shape_keys)
    assert meta_of(action)["chart"] == "NONE" and MOUTH_PROPERTY not in mesh
    closure = next(p for p in action.soundmotion_phones if p.phone == "M")
    scene.soundmotion.mouth_chart = "RHUBARB"
    assert run("reapply_track", mesh) == {"FINISHED"}
    assert index_at(scene, mesh, int(round((closure.start + closure.end) / 2))) == 0
    assert take_action(mesh).name == "SM_mouth_demo_speech"
    assert meta_of(take_action(mesh.data.shape_keys))["sprite"] == mesh.name


def test_export_track_paths(scene, talking_face, tmp_path, monkeypatch):
    """.txt cues are tab-separated, as on the command line; a missing folder is made; a folder alone, or a "//"
    path in an unsaved file, is refused with what to do; the browser offers the take's name."""
    mesh = talking_face
    assert run("export_track", mesh, filepath=str(tmp_path / "cues.txt"), kind="CUES") == {"FINISHED"}
    assert (tmp_path / "cues.txt").read_text().startswith("0.00\t")
    assert run("export_track", mesh, filepath=str(tmp_path / "new" / "face"), kind="CSV") == {"FINISHED"}
    assert (tmp_path / "new" / "face.csv").read_text().startswith("Timecode,BlendShapeCount")
    with pytest.raises(RuntimeError, match=r"file name \(such as demo_speech.tsv\)"):
        run("export_track", mesh, filepath=str(tmp_path) + os.sep, kind="CUES")
    monkeypatch.chdir(tmp_path / "new")
    with pytest.raises(RuntimeError, match="not been saved yet. Save the file first, or give an absolute path"):
        run("export_track", mesh, filepath="//relative.tsv", kind="CUES")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cues.txt", "face.csv", "new"]
    with bpy.context.temp_override(active_object=mesh, object=mesh):
        offered = SOUNDMOTION_OT_export_track.offered_path(types.SimpleNamespace(filepath="", kind="CSV"),
                                                           bpy.context)
        again = SOUNDMOTION_OT_export_track.offered_path(
            types.SimpleNamespace(filepath=str(tmp_path / "new" / "face.csv"), kind="CUES"), bpy.context)
    assert offered == "demo_speech.csv" and again == str(tmp_path / "new" / "demo_speech.tsv")
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "scene.blend"))
    assert run("export_track", mesh, filepath="//relative.tsv", kind="CUES") == {"FINISHED"}
    assert (tmp_path / "relative.tsv").is_file()
