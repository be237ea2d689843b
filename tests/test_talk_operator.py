"""Operator "Talk from Audio" on the demo character (real Blender): face and gestures from one run."""

import bpy
import numpy as np
import pytest

from blender_helpers import make_chain_armature, make_face_mesh, open_demo_character, sound_strips
from soundmotion.operators.action_channels import take_action
from soundmotion.operators.demo_scene import DEMO_SPEECH, FACE_MESH, RIG

pytestmark = pytest.mark.blender


@pytest.mark.parametrize("select", [RIG, FACE_MESH])
def test_talk_writes_face_and_gesture_takes_from_either_part(registered_addon, select):
    scene, rig, mesh = open_demo_character()
    bpy.context.view_layer.objects.active = bpy.data.objects[select]
    assert bpy.ops.soundmotion.talk(filepath=str(DEMO_SPEECH), style="storyteller") == {"FINISHED"}
    assert take_action(mesh.data.shape_keys).name == "SM_face_demo_speech"
    assert take_action(rig).name == "SM_gesture_demo_speech"
    wrists, jaw = [], []
    for frame in range(1, 300, 3):
        scene.frame_set(frame)
        wrists.append(np.array(rig.matrix_world @ rig.pose.bones["hand_r"].head))
        jaw.append(mesh.data.shape_keys.key_blocks["jawOpen"].value)
    assert np.ptp(np.array(wrists), axis=0).max() > 0.05  # the arms gesture
    assert max(jaw) > 0.3 and min(jaw) < 0.05            # the mouth opens and closes
    if bpy.app.version >= (4, 4, 0):
        assert len(sound_strips(scene)) == 1


def test_a_face_without_a_rig_still_talks(scene):
    mesh = make_face_mesh()
    assert bpy.ops.soundmotion.talk(filepath=str(DEMO_SPEECH)) == {"FINISHED"}
    assert take_action(mesh.data.shape_keys).name == "SM_face_demo_speech"


def test_a_rig_without_arms_is_refused_and_nothing_is_written(scene):
    rig = make_chain_armature("Snake", 5)
    mesh = make_face_mesh()
    mesh.parent = rig
    bpy.context.view_layer.objects.active = rig
    with pytest.raises(RuntimeError, match="Snake.*humanoid"):
        bpy.ops.soundmotion.talk(filepath=str(DEMO_SPEECH))
    assert not bpy.data.actions and mesh.data.shape_keys.animation_data is None and not sound_strips(scene)
