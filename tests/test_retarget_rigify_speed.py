"""Retargeting onto a Rigify rig evaluates its frames in bulk (retarget/blender_eval.evaluate_poses: the poses keyed
on a temporary action that the scene steps through, and the IK controls starting from what matching the pose last
measured). The keys it writes must be the ones the per-frame path writes (each frame posed, tagged and evaluated
on its own, the FK result measured again for the IK), and the scene must be left as it was."""

import bpy
import numpy as np
import pytest

from soundmotion.operators.action_channels import fcurves_of
from soundmotion.retarget import blender_eval, blender_rig
from soundmotion.retarget.motion_file import MotionSource, load_motion_file
from soundmotion.retarget.rig import RigPose

import rig_factory
from blender_helpers import empty_scene
from shared_mocap import CMU, needs_cmu

pytestmark = [pytest.mark.blender, needs_cmu]
FRAMES = 30  # one second of a CMU walk
ANIMATION = ("action", "use_nla", "action_blend_type", "action_influence", "action_extrapolation")


def _walk():
    source = load_motion_file(CMU / "general" / "002_01.bvh", fps=30)
    pose = source.pose
    return MotionSource(RigPose(pose.rest, pose.world_rotations[:FRAMES], pose.heads[:FRAMES]), source.bone_map,
                        source.fps, source.label)


def _take(monkeypatch, bulk: bool):
    """{curve: (keys, 2) frames and values} of a Rigify take with IK legs, and the rig's animation settings and
    the actions added, after."""
    empty_scene(30)
    rig = rig_factory.rigify_armature()
    monkeypatch.setattr(blender_eval, "BULK", bulk)
    scene = bpy.context.scene
    scene.frame_current = 7
    actions = set(bpy.data.actions)
    action, result = blender_rig.retarget_onto_armature(_walk(), rig, frame_start=1, ik_limbs="LEGS")
    assert result.num_frames == FRAMES
    assert scene.frame_current == 7
    added = sorted(a.name for a in set(bpy.data.actions) - actions)
    assert action.name in added and not any(name.startswith("SM_measure") for name in added), added
    keys = {}
    for fcurve in fcurves_of(rig):
        co = np.empty(len(fcurve.keyframe_points) * 2, dtype=np.float32)
        fcurve.keyframe_points.foreach_get("co", co)
        keys[f"{fcurve.data_path}[{fcurve.array_index}]"] = co.reshape(-1, 2)
    animation = rig.animation_data
    settings = tuple(getattr(getattr(animation, name), "name", getattr(animation, name)) for name in ANIMATION)
    return keys, (settings, added)


def test_a_rigify_take_evaluated_in_bulk_has_the_keys_of_the_frame_by_frame_path(scene, monkeypatch):
    bulk, bulk_settings = _take(monkeypatch, True)
    per_frame, per_frame_settings = _take(monkeypatch, False)
    assert set(bulk) == set(per_frame)
    assert 'pose.bones["foot_ik.L"].location[0]' in bulk and 'pose.bones["thigh_fk.L"].rotation_quaternion[0]' in bulk
    worst = max((float(np.abs(bulk[k] - per_frame[k]).max()), k) for k in bulk)
    assert worst[0] <= 1e-5, worst
    assert bulk_settings == per_frame_settings


def test_a_rig_that_looks_at_another_object_or_the_frame_is_posed_frame_by_frame(scene):
    """Stepping the frames moves whatever is animated: a rig whose pose reads another object or the frame keeps the
    per-frame path, evaluated at the current frame as before."""
    rig = rig_factory.rigify_armature()
    assert blender_eval.time_free(rig)
    empty = bpy.data.objects.new("Prop", None)
    bpy.context.scene.collection.objects.link(empty)
    constraint = rig.pose.bones["hand_ik.L"].constraints.new("CHILD_OF")
    constraint.target = empty
    assert not blender_eval.time_free(rig)
    constraint.mute = True  # measuring_only mutes what the measured bones do not depend on
    assert blender_eval.time_free(rig)
    driver = rig.pose.bones["torso"].driver_add("location", 2).driver
    driver.expression = "frame / 100"
    assert not blender_eval.time_free(rig)


def test_a_rig_moved_by_its_own_constraint_or_keyed_armature_data_is_posed_frame_by_frame(scene):
    """A character in a vehicle (the rig object Child Of a moving empty) and a keyed property on the armature
    data (that sets a constraint's influence) both change with the frame: keys differed by up to 0.92 in bulk."""
    rig = rig_factory.rigify_armature()
    vehicle = bpy.data.objects.new("Vehicle", None)
    bpy.context.scene.collection.objects.link(vehicle)
    ride = rig.constraints.new("CHILD_OF")
    ride.target = vehicle
    assert not blender_eval.time_free(rig)
    rig.constraints.remove(ride)
    assert blender_eval.time_free(rig)
    rig.data["influence"] = 0.5
    rig.data.keyframe_insert('["influence"]', frame=1)
    assert not blender_eval.time_free(rig)


def test_values_set_by_hand_on_other_animated_data_survive_a_rigify_take(scene):
    """Stepping the scene's frames writes every animated value back from its keys: an empty the user moved to
    x = 5 without keying it went back to its keyed 0, a shape key set to 0.9 by hand to its keyed 0.48. Where
    anything else is animated, the rig is posed frame by frame at the current frame instead."""
    rig = rig_factory.rigify_armature()
    prop = bpy.data.objects.new("Prop", None)
    bpy.context.scene.collection.objects.link(prop)
    prop.keyframe_insert("location", frame=1)
    prop.location.x = 5.0  # moved by hand, not keyed
    assert blender_eval.time_free(rig) and not blender_eval.scene_still_between_frames(rig)
    blender_rig.retarget_onto_armature(_walk(), rig, frame_start=1, ik_limbs="LEGS")
    assert prop.location.x == 5.0
    bpy.data.objects.remove(prop)
    assert blender_eval.scene_still_between_frames(rig)  # the rig's own take does not count
