import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from soundmotion.clips import rotations
from soundmotion.retarget.bone_map import BoneMap, load_preset, preset_names
from soundmotion.retarget.detect import detect_bone_map, heuristic_bone_map
from soundmotion.retarget.errors import RetargetError
from soundmotion.retarget.makehuman_rig import bone_rest_rotation, read_makehuman_rig, standard_rig_path
from soundmotion.retarget.rig import RigRest

from rig_variants import a_posed, opaque_names, rolled, synthetic_rig, transformed

ALL_PRESETS = ["character_creator", "makehuman_cmu_mb", "makehuman_default", "mixamo", "rigify_def", "rigify_fk",
               "smplx_addon", "unreal_ue4", "unreal_ue5", "vroid"]


def test_every_preset_loads_and_covers_the_required_joints():
    assert preset_names() == ALL_PRESETS
    for name in ALL_PRESETS:
        preset = load_preset(name)
        assert preset.missing_required() == [], name


def test_json_round_trip(tmp_path):
    preset = load_preset("mixamo")
    path = tmp_path / "map.json"
    preset.save(path)
    assert BoneMap.load(path) == preset
    assert json.loads(path.read_text())["bones"]["left_elbow"] == "mixamorig:LeftForeArm"


def test_bad_json_and_unknown_joints_are_clear_errors(tmp_path):
    with pytest.raises(RetargetError, match="not valid JSON"):
        BoneMap.from_json("{oops")
    with pytest.raises(RetargetError, match="unknown canonical joints: elbow_left"):
        BoneMap("x", {"elbow_left": "forearm"})


@pytest.mark.parametrize("preset", [p for p in ALL_PRESETS if p != "rigify_fk"])
def test_detect_picks_the_preset_of_a_rig_named_that_way(preset):
    rig, bone_map = synthetic_rig(preset)
    detected = detect_bone_map(rig)
    assert detected.name == preset
    assert detected.bones == bone_map.restricted_to(rig.names).bones


@pytest.mark.parametrize("rig_name, preset, mapped", [
    ("default", "makehuman_default", 55), ("game_engine", "unreal_ue4", 52),
    ("mixamo", "mixamo", 52), ("cmu_mb", "makehuman_cmu_mb", 26)])
def test_detect_on_makehuman_rigs(rig_name, preset, mapped):
    detected = detect_bone_map(read_makehuman_rig(standard_rig_path(rig_name)))
    assert detected.name == preset and len(detected.bones) == mapped


def test_namespaced_mixamo_names_match():
    rig, _ = synthetic_rig("mixamo")
    renamed = RigRest([n.replace("mixamorig:", "mixamorig7:") for n in rig.names], rig.parents, rig.heads,
                      rig.tails, rig.rest_rotations)
    detected = detect_bone_map(renamed)
    assert detected.name == "mixamo" and detected.bones["left_wrist"] == "mixamorig7:LeftHand"


def test_heuristic_maps_custom_names_with_side_from_position():
    rig, bone_map = synthetic_rig("unreal_ue4")
    custom = {"pelvis": "Bip_Pelvis", "spine1": "Bip_Spine", "spine2": "Bip_Spine1", "spine3": "Bip_Spine2",
              "neck": "Bip_Neck", "head": "Bip_Head"}
    for side, tag in (("left", "A"), ("right", "B")):  # side words absent: X position decides
        custom.update({f"{side}_hip": f"Thigh{tag}", f"{side}_knee": f"Calf{tag}", f"{side}_ankle": f"Foot{tag}",
                       f"{side}_collar": f"Clavicle{tag}", f"{side}_shoulder": f"UpperArm{tag}",
                       f"{side}_elbow": f"Forearm{tag}", f"{side}_wrist": f"Hand{tag}"})
    inverse = {bone: joint for joint, bone in bone_map.bones.items()}
    names = [custom.get(inverse[n], f"extra_{i}") for i, n in enumerate(rig.names)]
    guessed = heuristic_bone_map(RigRest(names, rig.parents, rig.heads, rig.tails, rig.rest_rotations))
    for joint, bone in custom.items():
        assert guessed.bones.get(joint) == bone, joint


def test_non_humanoid_armature_names_the_missing_joints():
    rig = RigRest(["Bone", "Bone.001", "Bone.002"], [-1, 0, 1], [[0, 0, 0], [0, 0, 1], [0, 0, 2]],
                  [[0, 0, 1], [0, 0, 2], [0, 0, 3]], [[1, 0, 0, 0]] * 3)
    with pytest.raises(RetargetError, match="does not look like a humanoid rig: no bone found for pelvis, head"):
        detect_bone_map(rig, "Armature 'Bone'")


def test_travel_bone_round_trips_and_survives_restriction(tmp_path):
    preset = load_preset("rigify_fk")
    assert preset.root_bone == "torso" and preset.travel_bone == "torso" and preset.bones["pelvis"] == "spine_fk"
    path = tmp_path / "rigify.json"
    preset.save(path)
    assert BoneMap.load(path) == preset
    assert preset.restricted_to(["spine_fk"]).travel_bone == "spine_fk"
    assert load_preset("mixamo").travel_bone == "mixamorig:Hips"


# Name-free detection: the same rigs with every bone renamed b001, b002, ... in a shuffled order.

MAKEHUMAN_PRESETS = [("default", "makehuman_default"), ("game_engine", "unreal_ue4"), ("mixamo", "mixamo"),
                     ("cmu_mb", "makehuman_cmu_mb")]


@pytest.mark.parametrize("preset", ALL_PRESETS)
def test_every_preset_rig_with_scrambled_names_maps_exactly_as_the_named_one(preset):
    rig, bone_map = synthetic_rig(preset)
    named = detect_bone_map(rig) if preset != "rigify_fk" else bone_map.restricted_to(rig.names)
    scrambled, truth = opaque_names(rig, named, seed=len(preset))
    detected = detect_bone_map(scrambled)
    assert detected.name == "topology" and detected.bones == truth.bones
    assert set(detected.confidence) == set(detected.bones)
    assert all(0.0 < c <= 1.0 for c in detected.confidence.values())


@pytest.mark.parametrize("rig_name, preset", MAKEHUMAN_PRESETS)
@pytest.mark.parametrize("variant", ["T", "A-pose", "turned", "rolled"])
def test_makehuman_rigs_with_opaque_names_map_as_their_presets(rig_name, preset, variant):
    rig = read_makehuman_rig(standard_rig_path(rig_name))
    named = load_preset(preset).restricted_to(rig.names)
    if variant == "A-pose":
        rig = a_posed(rig, named)
    elif variant == "turned":
        rig = transformed(rig, Rotation.from_euler("z", 150, degrees=True), 0.01, (1.0, 2.0, -0.9))
    elif variant == "rolled":
        rig = rolled(rig, seed=3)
    scrambled, truth = opaque_names(rig, named, seed=7)
    detected = detect_bone_map(scrambled)
    assert detected.bones == truth.bones
    # Only the coinciding eye and eyelid bones of the default rig are a coin toss, and say so.
    unsure = {j for j, c in detected.confidence.items() if c < 0.6}
    assert unsure <= {"left_eye_smplhf", "right_eye_smplhf"}


def test_names_that_contradict_the_rest_pose_give_way_to_the_structure():
    """Left and right names swapped on one leg: the names match a preset, the rest pose says otherwise."""
    rig, bone_map = synthetic_rig("mixamo")
    swap = {"mixamorig:LeftUpLeg": "mixamorig:RightUpLeg", "mixamorig:RightUpLeg": "mixamorig:LeftUpLeg"}
    swapped = RigRest([swap.get(n, n) for n in rig.names], rig.parents, rig.heads, rig.tails, rig.rest_rotations)
    detected = detect_bone_map(swapped)
    assert detected.name == "topology"
    assert detected.bones["left_hip"] == "mixamorig:RightUpLeg" and detected.bones["left_knee"] == "mixamorig:LeftLeg"


def test_named_detection_reports_full_confidence():
    rig, _ = synthetic_rig("vroid")
    detected = detect_bone_map(rig)
    assert detected.name == "vroid" and set(detected.confidence.values()) == {1.0}


# Jaw and eyes a preset leaves out (Mixamo's has none), added under the preset-named head.

def with_bones(rig, added):
    """The rig plus bones [(name, parent, head offset, tail offset)], offsets from the parent's head."""
    names, parents = list(rig.names), list(rig.parents)
    heads, tails, rests = list(rig.heads), list(rig.tails), list(rig.rest_rotations)
    for name, parent, head, tail in added:
        base = rig.heads[rig.index(parent)]
        names.append(name)
        parents.append(names.index(parent))
        heads.append(base + np.array(head))
        tails.append(base + np.array(tail))
        rests.append(rotations.from_rotation(bone_rest_rotation(heads[-1], tails[-1], 0.0))[0])
    return RigRest(names, parents, heads, tails, rests)


HEAD = "mixamorig:Head"
JAW_SHAPE = ((0.0, -0.02, 0.03), (0.0, -0.11, -0.02))  # hinge near the ear, tail at the chin (forward, down)


@pytest.mark.parametrize("jaw", ["jaw", "Jaw", "c_jawbone.x", "mixamorig:Jaw", "Bone.052"])
def test_a_jaw_bone_added_under_a_mixamo_head_is_detected(jaw):
    rig = read_makehuman_rig(standard_rig_path("mixamo"))
    expected = detect_bone_map(rig).bones
    detected = detect_bone_map(with_bones(rig, [(jaw, HEAD, *JAW_SHAPE), ("mixamorig:HeadTop_End", HEAD,
                                                                          (0, 0, 0.2), (0, 0, 0.3))]))
    assert detected.name == "mixamo" and detected.bones == {**expected, "jaw": jaw}
    assert detected.confidence["jaw"] >= 0.6


def test_a_jaw_named_so_is_found_whichever_way_it_points_and_other_head_bones_are_not_jaws():
    rig = read_makehuman_rig(standard_rig_path("mixamo"))
    down = with_bones(rig, [("Jaw_Bone", HEAD, (0, -0.03, 0.03), (0, -0.03, -0.05))])  # straight down
    assert detect_bone_map(down).bones["jaw"] == "Jaw_Bone"
    others = with_bones(rig, [("nose", HEAD, *JAW_SHAPE), ("ponytail", HEAD, (0, 0.08, 0.1), (0, 0.15, -0.05)),
                              ("mixamorig:HeadTop_End", HEAD, (0, 0, 0.2), (0, 0, 0.3)),
                              ("Bone.060", HEAD, (0.05, -0.02, 0.03), (0.05, -0.11, -0.02))])  # off to one side
    assert "jaw" not in detect_bone_map(others).bones


def test_eye_bones_under_a_mixamo_head_are_detected_on_their_sides():
    rig = read_makehuman_rig(standard_rig_path("mixamo"))
    eyes = [("mixamorig:LeftEye", HEAD, (0.03, -0.08, 0.07), (0.03, -0.1, 0.07)),
            ("mixamorig:RightEye", HEAD, (-0.03, -0.08, 0.07), (-0.03, -0.1, 0.07))]
    detected = detect_bone_map(with_bones(rig, eyes))
    assert detected.name == "mixamo" and "jaw" not in detected.bones
    assert detected.bones["left_eye_smplhf"] == "mixamorig:LeftEye"
    assert detected.bones["right_eye_smplhf"] == "mixamorig:RightEye"
