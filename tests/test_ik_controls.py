"""IK controls on hand-made rigs (the way Auto-Rig Pro, Mixamo control rigs and riggers by hand set them up):
MakeHuman's Mixamo skeleton with an IK constraint per limb (chain of two) towards a control at the hand or foot,
a pole behind the elbow or in front of the knee, and the hand or foot copying its control's rotation. Each take
must put the hands and feet where the same skeleton without IK puts them."""

import bpy
import numpy as np
import pytest
from mathutils import Vector

from soundmotion.operators.action_channels import fcurves_of
from soundmotion.retarget import blender_rig
from soundmotion.retarget.blender_ik import find_ik_limbs
from soundmotion.retarget.bone_map import load_preset
from soundmotion.retarget.motion_file import MotionSource, load_motion_file
from soundmotion.retarget.pipeline import retarget_source
from soundmotion.retarget.rig import RigPose

import rig_factory
from shared_mocap import CMU, needs_cmu

pytestmark = [pytest.mark.blender, needs_cmu]
MX = "mixamorig:"
CHAINS = {"arm.l": ("LeftArm", "LeftForeArm", "LeftHand"), "arm.r": ("RightArm", "RightForeArm", "RightHand"),
          "leg.l": ("LeftUpLeg", "LeftLeg", "LeftFoot"), "leg.r": ("RightUpLeg", "RightLeg", "RightFoot")}
CONTROLS = {"arm.l": ("c_hand_ik.l", "c_arms_pole.l"), "arm.r": ("c_hand_ik.r", "c_arms_pole.r"),
            "leg.l": ("c_foot_ik.l", "c_leg_pole.l"), "leg.r": ("c_foot_ik.r", "c_leg_pole.r")}
ENDS = [MX + n for n in ("LeftHand", "RightHand", "LeftFoot", "RightFoot", "Hips", "Head")]
FRAMES = 24


def _walk():
    source = load_motion_file(CMU / "general" / "002_01.bvh", fps=30)
    pose = source.pose
    return MotionSource(RigPose(pose.rest, pose.world_rotations[:FRAMES], pose.heads[:FRAMES]), source.bone_map,
                        source.fps, source.label)


def _ik_rig(root=False, hands_under="", on_tip=False, controls=CONTROLS):
    """The skeleton with IK limbs. `root`: a root bone above the hips that the controls and poles hang from;
    `hands_under`: the bone the hand controls hang from; `on_tip`: the IK sits on the hand or foot with Use Tail
    off (the chain its two parents); `controls`: {limb: (control, pole)}."""
    obj = rig_factory.makehuman_armature("mixamo")
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    bones = obj.data.edit_bones
    top = None
    if root:
        top = bones.new("root")
        top.head, top.tail = (0.0, 0.0, 0.0), (0.0, 0.3, 0.0)
        bones[MX + "Hips"].parent = top
    for limb, (_, lower, end) in CHAINS.items():
        control, pole = controls[limb]
        if control not in bones:
            bone = bones.new(control)
            bone.head, bone.tail, bone.roll = bones[MX + end].head, bones[MX + end].tail, bones[MX + end].roll
            bone.parent = bones[hands_under] if hands_under and limb.startswith("arm") else top
        bone = bones.new(pole)
        bone.head = bones[MX + lower].head + Vector((0.0, 0.5 if limb.startswith("arm") else -0.5, 0.0))
        bone.tail = bone.head + Vector((0.0, 0.1, 0.0))
        bone.parent = top
    bpy.ops.object.mode_set(mode="OBJECT")
    for limb, (_, lower, end) in CHAINS.items():
        control, pole = controls[limb]
        owner = obj.pose.bones[MX + lower]
        ik = owner.constraints.new("IK")
        ik.target, ik.subtarget, ik.chain_count = obj, control, 2
        ik.pole_target, ik.pole_subtarget = obj, pole
        ik.pole_angle = _rest_pole_angle(obj, owner, ik)
        if on_tip:  # the same IK on the hand or foot: its head ends the chain of its two parents
            tip = obj.pose.bones[MX + end].constraints.new("IK")
            tip.target, tip.subtarget, tip.use_tail, tip.chain_count = obj, control, False, 2
            tip.pole_target, tip.pole_subtarget, tip.pole_angle = obj, pole, ik.pole_angle
            owner.constraints.remove(ik)
        copy = obj.pose.bones[MX + end].constraints.new("COPY_ROTATION")
        copy.target, copy.subtarget = obj, control
    for pose_bone in obj.pose.bones:
        pose_bone.rotation_mode = "QUATERNION"
    bpy.context.view_layer.update()
    return obj


def _rest_pole_angle(obj, owner, ik):
    """The pole angle that leaves the limb at rest (what a rigger sets by eye)."""
    rest = np.array(obj.data.bones[owner.name].tail_local - obj.data.bones[owner.name].head_local)
    best = (np.inf, 0.0)
    for degrees in range(-180, 180):
        ik.pole_angle = np.radians(degrees)
        bpy.context.view_layer.update()
        posed = np.array(owner.tail - owner.head)
        best = min(best, (np.linalg.norm(posed / np.linalg.norm(posed) - rest / np.linalg.norm(rest)),
                          np.radians(degrees)))
    return best[1]


def _heads(obj, names):
    out = []
    for frame in range(1, FRAMES + 1, 3):
        bpy.context.scene.frame_set(frame)
        out.append([np.array(obj.matrix_world @ obj.pose.bones[n].head) for n in names])
    return np.array(out)


def _reference(source, names=ENDS):
    """Where the skeleton without IK, retargeted the same way, puts the named bones' heads."""
    obj = rig_factory.makehuman_armature("mixamo")
    blender_rig.retarget_onto_armature(source, obj, load_preset("mixamo"), frame_start=1, ik_limbs="NONE")
    return _heads(obj, names)


def _keyed_bones(obj):
    return {fc.data_path.split('"')[1] for fc in fcurves_of(obj) if fc.data_path.startswith("pose.bones")}


def _limbs(obj):
    rest = blender_rig.read_rig_rest(obj)
    return find_ik_limbs(obj, load_preset("mixamo").restricted_to(rest.names), rest)


def test_controls_hung_from_a_root_bone_or_the_chest_are_keyed_and_the_body_is_not(scene):
    """Auto-Rig Pro and most hand-made rigs hang the IK controls from a root bone above the hips (or the hands'
    from the chest): the walk from the constraint's target stops at the control. It used to climb to the root
    (and to the hips for hands under the chest), keying it in place of the controls: hands and feet 2-4 m off."""
    source = _walk()
    reference = _reference(source)
    obj = _ik_rig(root=True, hands_under=MX + "Spine2")
    assert sorted((limb.chain_end, limb.target) for limb in _limbs(obj)) == sorted(
        (MX + CHAINS[limb][1], control) for limb, (control, _) in CONTROLS.items())
    blender_rig.retarget_onto_armature(source, obj, load_preset("mixamo"), frame_start=1, ik_limbs="ALL")
    keyed = _keyed_bones(obj)
    assert {c for pair in CONTROLS.values() for c in pair} <= keyed and "root" not in keyed
    miss = np.linalg.norm(_heads(obj, ENDS) - reference, axis=2).max(axis=0)
    assert miss.max() < 2e-3, dict(zip(ENDS, miss.round(4)))
    assert np.ptp(reference[:, 0], axis=0).max() > 0.1  # the hands do swing


def test_an_ik_on_the_hand_or_foot_with_use_tail_off_is_found_and_keyed(scene):
    """With Use Tail off the owner's head ends the chain, which starts at its parent. Such limbs were not found:
    the hands and feet stayed at their controls (0.3-0.8 m off on this walk)."""
    source = _walk()
    middles = [MX + n for n in ("LeftForeArm", "RightForeArm", "LeftLeg", "RightLeg")]
    reference = _reference(source, ENDS + middles)
    obj = _ik_rig(on_tip=True)
    limbs = _limbs(obj)
    assert sorted(limb.chain_end for limb in limbs) == sorted(MX + end for _, _, end in CHAINS.values())
    blender_rig.retarget_onto_armature(source, obj, load_preset("mixamo"), frame_start=1, ik_limbs="ALL")
    miss = np.linalg.norm(_heads(obj, ENDS + middles) - reference, axis=2).max(axis=0)
    assert miss.max() < 2e-3, dict(zip(ENDS + middles, miss.round(4)))  # hands, feet, elbows and knees


def test_ik_arms_without_a_switch_are_keyed_by_default_and_an_ik_turned_off_is_left_to_fk(scene):
    """Dance to Music and Talk from Audio key the IK legs (IK Limbs' default). A hand-made arm IK has no IK/FK
    switch to turn it off, so its FK keys could never show: its controls are keyed too (the hands stood still).
    An IK whose influence is 0 hides nothing and is left alone."""
    source = _walk()
    reference = _reference(source)
    obj = _ik_rig()
    obj.pose.bones[MX + "RightForeArm"].constraints["IK"].influence = 0.0  # the user switched this arm to FK
    blender_rig.retarget_onto_armature(source, obj, load_preset("mixamo"), frame_start=1)  # ik_limbs="LEGS"
    keyed = _keyed_bones(obj)
    assert {"c_hand_ik.l", "c_arms_pole.l", "c_foot_ik.l", "c_foot_ik.r"} <= keyed
    assert not {"c_hand_ik.r", "c_arms_pole.r"} & keyed
    miss = np.linalg.norm(_heads(obj, ENDS) - reference, axis=2).max(axis=0)
    assert miss.max() < 2e-3, dict(zip(ENDS, miss.round(4)))


def test_an_ik_with_no_control_of_its_own_is_left_unkeyed_and_named_in_a_note(scene):
    """Both hands held by one prop control: keying it for one hand would pull the other, so neither arm is
    keyed through it (it used to be keyed twice over), and the note says which IK still hides the take."""
    source = _walk()
    obj = _ik_rig(controls={**CONTROLS, "arm.l": ("prop", "c_arms_pole.l"), "arm.r": ("prop", "c_arms_pole.r")})
    assert sorted(limb.kind for limb in _limbs(obj)) == ["leg", "leg"]
    rest = blender_rig.read_rig_rest(obj)
    bone_map = load_preset("mixamo")
    result = retarget_source(source, rest, bone_map.restricted_to(rest.names))
    notes = []
    blender_rig.key_retarget(obj, rest, result, "take", 1, ik_limbs="ALL", bone_map=bone_map, notes=notes)
    keyed = _keyed_bones(obj)
    assert "prop" not in keyed and {"c_foot_ik.l", "c_foot_ik.r"} <= keyed
    assert len(notes) == 1 and MX + "LeftForeArm" in notes[0] and MX + "RightForeArm" in notes[0], notes
    assert "influence" in notes[0]
