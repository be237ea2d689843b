"""Operator "Dance to Music" on the demo character (real Blender): keys on the rig's own bones, on the beat."""

import bpy
import numpy as np
import pytest

from blender_helpers import make_chain_armature, open_demo_character, sound_strips
from soundmotion.operators.action_channels import fcurves_of, take_action
from soundmotion.operators.demo_scene import DEMO_CHARACTER

pytestmark = pytest.mark.blender
ASSETS = DEMO_CHARACTER.parent


def test_dance_writes_a_new_action_on_the_rig_bones_for_the_whole_song(registered_addon):
    scene, rig, _ = open_demo_character()
    scene.soundmotion.frame_start = 10
    music = ASSETS / "demo_music.wav"
    assert bpy.ops.soundmotion.dance(filepath=str(music), style="groove", trim_seconds=6.0) == {"FINISHED"}
    action = take_action(rig)
    assert action.name == "SM_dance_demo_music"
    curves = fcurves_of(rig)
    bones = {fc.data_path.split('"')[1] for fc in curves}
    assert {"pelvis", "thigh_l", "calf_r", "upperarm_l", "spine_02", "head"} <= bones
    keyed = np.empty(2 * len(curves[0].keyframe_points), dtype=np.float32)
    curves[0].keyframe_points.foreach_get("co", keyed)
    assert keyed[0] == 10 and keyed[-2] == 10 + 6 * 30 - 1
    # The body really moves: the pelvis travels or bobs and the arms swing over the clip.
    heights, head_tilts = [], []
    for frame in range(10, 190, 5):
        scene.frame_set(frame)
        heights.append((rig.matrix_world @ rig.pose.bones["hand_l"].head).z)
        head = rig.pose.bones["head"]
        head_tilts.append(np.degrees((head.tail - head.head).angle((0.0, 0.0, 1.0))))
    assert np.ptp(heights) > 0.05
    assert max(head_tilts) < 45.0  # the head stays on top of the neck (it once aimed at the SMPL-X jaw)
    if bpy.app.version >= (4, 4, 0):
        assert [s.frame_start for s in sound_strips(scene)] == [10]


def test_a_non_humanoid_armature_is_refused_and_left_alone(scene):
    rig = make_chain_armature("Crane", 4)
    actions = len(bpy.data.actions)
    with pytest.raises(RuntimeError, match="Crane"):
        bpy.ops.soundmotion.dance(filepath=str(ASSETS / "demo_music.wav"))
    assert len(bpy.data.actions) == actions and rig.animation_data is None and not sound_strips(scene)


def test_dance_on_a_constrained_rigify_rig(scene):
    import rig_factory

    rig = rig_factory.rigify_armature()
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.soundmotion.dance(filepath=str(ASSETS / "demo_music.wav"), trim_seconds=1.0,
                                     keys="FRAMES") == {"FINISHED"}
    assert take_action(rig).name == "SM_dance_demo_music"
    assert len(fcurves_of(rig)[0].keyframe_points) == 30


def test_the_meter_menu_hands_the_dance_a_meter(registered_addon):
    items = {item.identifier for item in bpy.ops.soundmotion.dance.get_rna_type().properties["meter"].enum_items}
    assert items == {"auto", "4/4", "3/4", "6/8", "5/4", "7/8"}
    scene, rig, _ = open_demo_character()
    music = ASSETS / "demo_music.wav"
    paths = {}
    for meter in ("auto", "5/4"):
        assert bpy.ops.soundmotion.dance(filepath=str(music), trim_seconds=6.0, meter=meter) == {"FINISHED"}
        hands = []
        for frame in range(1, 180, 5):
            scene.frame_set(frame)
            hands.append(np.array((rig.matrix_world @ rig.pose.bones["hand_l"].head)[:]))
        paths[meter] = np.array(hands)
    # In bars of five the phrases and the 3 + 2 sway are others: the same song is danced differently.
    assert np.abs(paths["5/4"] - paths["auto"]).max() > 0.05
