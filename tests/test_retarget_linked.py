"""Linked characters, as studios use them: a character .blend linked into a shot. Keys land on the library
override (and survive saving and reopening the shot); linked data that is not overridden is refused with a
sentence that says what to do, and nothing is written."""

import bpy
import pytest

from soundmotion.operators.action_channels import take_action
from soundmotion.retarget import blender_rig
from soundmotion.retarget.errors import RetargetError
from soundmotion.retarget.motion_file import load_motion_file

import rig_factory
from shared_mocap import CMU, needs_cmu

pytestmark = [pytest.mark.blender, needs_cmu]
WALK = CMU / "general" / "002_01.bvh"


@pytest.fixture
def character_blend(tmp_path):
    rig_factory.empty_scene(30)
    rig = rig_factory.makehuman_armature("game_engine")
    collection = bpy.data.collections.new("Character")
    bpy.context.scene.collection.children.link(collection)
    collection.objects.link(rig)
    bpy.context.scene.collection.objects.unlink(rig)
    path = tmp_path / "character.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    return path, rig.name


def _shot_linking(path):
    rig_factory.empty_scene(30)
    with bpy.data.libraries.load(str(path), link=True) as (source, linked):
        linked.collections = ["Character"]
    collection = linked.collections[0]
    return collection


def test_retarget_lands_on_the_library_override_and_survives_reopening(registered_addon, character_blend, tmp_path):
    path, name = character_blend
    collection = _shot_linking(path)
    scene = bpy.context.scene
    override = collection.override_hierarchy_create(scene, bpy.context.view_layer, do_fully_editable=True)
    rig = next(o for o in override.all_objects if o.type == "ARMATURE")
    assert rig.override_library is not None and rig.library is None
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.detect_bone_map() == {"FINISHED"}  # the map is stored on the override too
    action, result = blender_rig.retarget_onto_armature(load_motion_file(WALK, fps=30), rig)
    assert take_action(rig) == action
    action_name = action.name
    shot = tmp_path / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(shot))
    bpy.ops.wm.open_mainfile(filepath=str(shot))
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE" and o.override_library is not None)
    assert take_action(rig) is not None and take_action(rig).name == action_name
    assert blender_rig.stored_bone_map(rig).bones["left_wrist"] == "hand_l"
    scene = bpy.context.scene
    scene.frame_set(40)
    moved = rig.pose.bones["hand_l"].head.copy()
    scene.frame_set(1)
    assert (rig.pose.bones["hand_l"].head - moved).length > 0.01


def test_linked_data_that_is_not_overridden_is_refused_with_what_to_do(registered_addon, character_blend):
    path, name = character_blend
    collection = _shot_linking(path)
    instance = bpy.data.objects.new("Character", None)
    instance.instance_type, instance.instance_collection = "COLLECTION", collection
    bpy.context.scene.collection.objects.link(instance)
    rig = next(o for o in collection.all_objects if o.type == "ARMATURE")
    assert rig.library is not None
    actions = len(bpy.data.actions)
    with pytest.raises(RetargetError, match="is linked from character.blend.*library override"):
        blender_rig.retarget_onto_armature(load_motion_file(WALK, fps=30), rig)
    assert len(bpy.data.actions) == actions and rig.animation_data is None
    # The same sentence comes from the operators a user presses with the linked armature active.
    with bpy.context.temp_override(active_object=rig, object=rig):
        with pytest.raises(RuntimeError, match="Make a library override"):
            bpy.ops.soundmotion.dance(filepath=str(path))
    assert len(bpy.data.actions) == actions
