"""Motion files as people bring them to Retarget Motion: BVH with Unreal, Blender-metarig or prefix-less Mixamo
names, files facing sideways, damaged rows, limbs without length, and SMPL-X .npz without a frame rate."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from soundmotion.clips import MotionClip, rotations
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.skeleton import SMPLX_SKELETON, Skeleton
from soundmotion.models.dance.bvh_export import write_bvh
from soundmotion.retarget.errors import RetargetError
from soundmotion.retarget.motion_file import load_motion_file
from soundmotion.retarget.sources.bvh import BvhError, read_bvh
from soundmotion.retarget.sources.smplx_npz import clip_to_smplx_arrays

ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"
SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"
BODY = SMPLX_SKELETON.joint_names[:22]  # pelvis … right_wrist: a body without fingers or face
UE4 = {"pelvis": "pelvis", "left_hip": "thigh_l", "right_hip": "thigh_r", "spine1": "spine_01",
       "left_knee": "calf_l", "right_knee": "calf_r", "spine2": "spine_02", "left_ankle": "foot_l",
       "right_ankle": "foot_r", "spine3": "spine_03", "left_foot": "ball_l", "right_foot": "ball_r", "neck": "neck_01",
       "left_collar": "clavicle_l", "right_collar": "clavicle_r", "head": "head", "left_shoulder": "upperarm_l",
       "right_shoulder": "upperarm_r", "left_elbow": "lowerarm_l", "right_elbow": "lowerarm_r",
       "left_wrist": "hand_l", "right_wrist": "hand_r"}
METARIG = {"pelvis": "pelvis", "left_hip": "thigh.l", "right_hip": "thigh.r", "spine1": "spine",
           "left_knee": "shin.l", "right_knee": "shin.r", "spine2": "spine.001", "left_ankle": "foot.l",
           "right_ankle": "foot.r", "spine3": "chest", "left_foot": "toe.l", "right_foot": "toe.r", "neck": "neck",
           "left_collar": "shoulder.l", "right_collar": "shoulder.r", "head": "head", "left_shoulder": "upper_arm.l",
           "right_shoulder": "upper_arm.r", "left_elbow": "forearm.l", "right_elbow": "forearm.r",
           "left_wrist": "hand.l", "right_wrist": "hand.r"}
MIXAMO = {"pelvis": "Hips", "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg", "spine1": "Spine",
          "left_knee": "LeftLeg", "right_knee": "RightLeg", "spine2": "Spine1", "left_ankle": "LeftFoot",
          "right_ankle": "RightFoot", "spine3": "Spine2", "left_foot": "LeftToeBase", "right_foot": "RightToeBase",
          "neck": "Neck", "left_collar": "LeftShoulder", "right_collar": "RightShoulder", "head": "Head",
          "left_shoulder": "LeftArm", "right_shoulder": "RightArm", "left_elbow": "LeftForeArm",
          "right_elbow": "RightForeArm", "left_wrist": "LeftHand", "right_wrist": "RightHand"}


def body_clip(names: dict = None, frames: int = 20, turn: Rotation = None) -> MotionClip:
    """A walk-like motion on the SMPL-X body (bent knees and elbows, the hips travelling -Y), its joints renamed
    by `names`; `turn` turns the whole take, rest pose included, about Z (a file facing another way)."""
    rng = np.random.default_rng(0)
    parents = SMPLX_SKELETON.parents[:22]
    offsets = SMPLX_SKELETON.offsets[:22].copy()
    skeleton = Skeleton(tuple((names or {}).get(name, name) for name in BODY), parents, offsets)
    rotvecs = rng.normal(scale=0.15, size=(frames, 22, 3))
    local = rotations.from_rotation(Rotation.from_rotvec(rotvecs.reshape(-1, 3)), (frames, 22))
    root = offsets[0] + np.outer(np.linspace(0.0, 1.0, frames), [0.0, -1.0, 0.0])
    if turn is not None:
        skeleton = Skeleton(skeleton.joint_names, parents, turn.apply(offsets))
        local, root = rotations.change_of_basis(local, turn), turn.apply(root)
    return MotionClip(30.0, skeleton, local, root)


def positions_by_joint(path, names: dict) -> np.ndarray:
    """World joint positions read from a BVH, in the canonical body order."""
    clip = read_bvh(path).clip
    return joint_positions(clip)[:, [clip.skeleton.index((names or {}).get(n, n)) for n in BODY]]


# 1. Skeletons with a `pelvis` and a `head` were all given the SMPL-X preset and refused as "not a humanoid".
@pytest.mark.parametrize("names, preset", [(UE4, "unreal_ue4"), (METARIG, None)])
def test_unreal_and_metarig_named_bvh_are_read_by_their_names(tmp_path, names, preset):
    path = tmp_path / "walk.bvh"
    write_bvh(body_clip(names), path)
    source = load_motion_file(path, fps=30)
    if preset:
        assert source.bone_map.name == preset
    assert {joint: source.bone_map.bones[joint] for joint in names} == names


# 6. By share of the preset, MakeHuman's 26-bone CMU preset beat Mixamo's 52 on Mixamo names without "mixamorig:".
@pytest.mark.parametrize("fingers", [False, True])
def test_mixamo_named_bvh_without_prefix_gets_the_mixamo_map(tmp_path, fingers):
    clip = body_clip(MIXAMO)
    if fingers:  # index and thumb, two joints each, as BVH converters keep them
        extra = [("LeftHandIndex1", "LeftHand", [0.08, 0, 0]), ("LeftHandIndex2", "LeftHandIndex1", [0.03, 0, 0]),
                 ("LeftHandThumb1", "LeftHand", [0.02, -0.03, 0]), ("LeftHandThumb2", "LeftHandThumb1", [0.03, 0, 0])]
        extra += [(a.replace("Left", "Right"), b.replace("Left", "Right"), [-o[0], o[1], o[2]]) for a, b, o in extra]
        names = list(clip.skeleton.joint_names)
        parents, offsets = list(clip.skeleton.parents), list(clip.skeleton.offsets)
        for name, parent, offset in extra:
            parents.append(names.index(parent))
            names.append(name)
            offsets.append(offset)
        rots = np.concatenate([clip.rotations, np.tile([1.0, 0, 0, 0], (clip.num_frames, len(extra), 1))], axis=1)
        clip = MotionClip(clip.fps, Skeleton(tuple(names), np.array(parents), np.array(offsets)), rots,
                          clip.root_translation)
    path = tmp_path / "mixamo.bvh"
    write_bvh(clip, path)
    bone_map = load_motion_file(path, fps=30).bone_map
    assert bone_map.name == "mixamo"
    assert bone_map.bones["spine3"] == "Spine2" and bone_map.bones["spine1"] == "Spine"
    assert len(bone_map.bones) == 22 + (8 if fingers else 0)


# 8. Only half a turn was tried: a file facing +X walked along +X, one facing -X too.
@pytest.mark.parametrize("degrees", [90, -90, 180])
def test_a_file_facing_any_axis_is_read_facing_like_the_others(tmp_path, degrees):
    write_bvh(body_clip(MIXAMO), tmp_path / "front.bvh")
    write_bvh(body_clip(MIXAMO, turn=Rotation.from_euler("z", degrees, degrees=True)), tmp_path / "turned.bvh")
    np.testing.assert_allclose(positions_by_joint(tmp_path / "turned.bvh", MIXAMO),
                               positions_by_joint(tmp_path / "front.bvh", MIXAMO), atol=1e-4)


def _rows_edited(tmp_path, edit) -> pathlib.Path:
    path = tmp_path / "walk.bvh"
    write_bvh(body_clip(MIXAMO), path)
    head, motion = path.read_text().split("MOTION\n")
    lines = motion.splitlines()
    path.write_text(head + "MOTION\n" + "\n".join(edit(lines)) + "\n")
    return path


# 3. Values were read as one stream: one extra value per row shifted each row by one more (garbage, exit 0), and
# rows beyond `Frames:` were dropped without a word.
@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:2] + [row + " 0.0" for row in lines[2:]], r"line \d+ holds 70 values but the hierarchy "
                                                                   r"declares 69 channels"),
    (lambda lines: ["Frames: 5"] + lines[1:], r"promises 5 frames .* but 20 lines of motion follow"),
    (lambda lines: lines[:7] + [" ".join(lines[7].split()[:3] + ["-nan(ind)"] + lines[7].split()[4:])] + lines[8:],
     r"line \d+ holds '-nan\(ind\)', which is not a number"),
])
def test_rows_that_disagree_with_the_header_are_refused_naming_the_line(tmp_path, edit, message):
    path = _rows_edited(tmp_path, edit)
    with pytest.raises(BvhError, match=message):
        load_motion_file(path, fps=30)


def test_the_line_named_is_the_files_own(tmp_path):
    path = _rows_edited(tmp_path, lambda lines: lines[:5] + [lines[5] + " 1"] + lines[6:])
    with pytest.raises(BvhError) as refused:
        read_bvh(path)
    number = int(str(refused.value).split("line ")[1].split()[0])
    assert len(path.read_text().splitlines()[number - 1].split()) == 70


def test_rows_wrapped_over_lines_still_read_as_before(tmp_path):
    path = tmp_path / "walk.bvh"
    write_bvh(body_clip(MIXAMO), path)
    expected = read_bvh(path).clip.rotations
    head, motion = path.read_text().split("MOTION\n")
    lines = motion.splitlines()
    wrapped = [part for row in lines[2:] for part in (" ".join(row.split()[:30]), " ".join(row.split()[30:]))]
    path.write_text(head + "MOTION\n" + "\n".join(lines[:2] + wrapped) + "\n")
    np.testing.assert_allclose(read_bvh(path).clip.rotations, expected)


def test_a_utf16_file_is_read(tmp_path):
    path = tmp_path / "walk.bvh"
    write_bvh(body_clip(MIXAMO), path)
    expected = read_bvh(path).clip.rotations
    path.write_bytes(path.read_text().encode("utf-16"))
    np.testing.assert_allclose(read_bvh(path).clip.rotations, expected)


# 7. A hand on its elbow (OFFSET 0 0 0) gave a forearm 20.8° off in every frame, without a word.
@pytest.mark.parametrize("joint, parent, what", [("LeftHand", "LeftForeArm", "forearm"),
                                                 ("RightFoot", "RightLeg", "shin")])
def test_a_limb_without_length_is_refused_naming_its_joints(tmp_path, joint, parent, what):
    clip = body_clip(MIXAMO)
    offsets = clip.skeleton.offsets.copy()
    offsets[clip.skeleton.index(joint)] = 0.0
    clip = MotionClip(clip.fps, Skeleton(clip.skeleton.joint_names, clip.skeleton.parents, offsets), clip.rotations,
                      clip.root_translation)
    path = tmp_path / "zero.bvh"
    write_bvh(clip, path)
    with pytest.raises(RetargetError, match=f"{joint} sits on {parent}, so the {what} has no length"):
        load_motion_file(path, fps=30)


def test_joints_that_share_a_place_off_the_limbs_are_still_read(tmp_path):
    """CMU's LHipJoint and LowerBack, Biped's Bip01 Pelvis: zero OFFSETs where no limb needs a length."""
    clip = body_clip(MIXAMO)
    old = clip.skeleton
    names = (old.joint_names[0], "LHipJoint") + old.joint_names[1:]
    parents = np.concatenate([[-1, 0], [p + 1 if p > 0 else p for p in old.parents[1:]]])
    parents[names.index("LeftUpLeg")] = 1
    skeleton = Skeleton(names, parents, np.vstack([old.offsets[:1], [[0.0, 0.0, 0.0]], old.offsets[1:]]))
    rots = np.concatenate([clip.rotations[:, :1], np.tile([1.0, 0, 0, 0], (clip.num_frames, 1, 1)),
                           clip.rotations[:, 1:]], axis=1)
    path = tmp_path / "helper.bvh"
    write_bvh(MotionClip(clip.fps, skeleton, rots, clip.root_translation), path)
    assert load_motion_file(path, fps=30).bone_map.bones["left_hip"] == "LeftUpLeg"


# 2. The SMPL-X model's parameters (global_orient, body_pose, transl) rarely carry a frame rate, and nothing could
# pass one: the operator and the CLI refused them with "pass one".
def _npz_without_rate(tmp_path, frames=12) -> pathlib.Path:
    clip = MotionClip.rest(frames, fps=30)
    arrays = clip_to_smplx_arrays(clip)
    poses = arrays["poses"]
    path = tmp_path / "fit.npz"
    np.savez(path, global_orient=poses[:, :3], body_pose=poses[:, 3:66], transl=arrays["trans"])
    return path


def test_an_npz_without_a_frame_rate_is_read_at_the_scenes_and_says_so(tmp_path):
    source = load_motion_file(_npz_without_rate(tmp_path), fps=24)
    assert source.fps == 24 and source.pose.num_frames == 12 and not source.rate_named
    assert source.notes == ["fit.npz names no frame rate: read at 24 fps"]


def test_the_cli_reads_an_npz_without_a_frame_rate_at_the_target_scenes(tmp_path):
    result = subprocess.run([str(SOUNDMOTION), "retarget", str(_npz_without_rate(tmp_path)), "--target",
                             str(ASSETS / "demo_character.blend"), "--out", str(tmp_path / "out.blend")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "retarget: 12 frames" in result.stdout
    assert "note: fit.npz names no frame rate: read at the target scene's" in result.stdout


def test_retarget_motion_in_blender_says_an_npz_named_no_frame_rate(tmp_path, registered_addon, capfd):
    import bpy

    import rig_factory

    rig_factory.empty_scene(24)
    target = rig_factory.synthetic_armature("mixamo")
    bpy.context.view_layer.objects.active = target
    path = _npz_without_rate(tmp_path)
    assert bpy.ops.soundmotion.retarget_motion(source="FILE", filepath=str(path)) == {"FINISHED"}
    assert "joints). fit.npz names no frame rate: read at 24 fps." in capfd.readouterr().out
