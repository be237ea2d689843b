"""Retargeting inside Blender: rest poses read from real armatures, keys written through the bulk writer,
and the evaluated pose measured against the source."""

from pathlib import Path

import bpy
import numpy as np
import pytest

from soundmotion.operators.action_channels import take_action
from soundmotion.retarget import blender_rig
from soundmotion.retarget.errors import RetargetError
from soundmotion.retarget.fidelity import direction_errors
from soundmotion.retarget.foot_contacts import detect_contacts, foot_points, slide_of
from soundmotion.retarget.makehuman_rig import read_makehuman_rig, standard_rig_path
from soundmotion.retarget.motion_file import load_motion_file
from soundmotion.retarget.pipeline import retarget_source
from soundmotion.retarget.root_motion import RootMode

import rig_factory
from shared_mocap import CMU, needs_cmu

WALK = CMU / "general" / "002_01.bvh"
pytestmark = pytest.mark.blender


@pytest.fixture
def scene():
    return rig_factory.empty_scene(30)


def evaluated_fidelity(source, obj, bone_map, result):
    pose = blender_rig.read_rig_motion(obj, 1, result.num_frames)
    return pose, direction_errors(source.pose, source.bone_map, pose, bone_map.restricted_to(pose.rest.names),
                                  result.mapped_joints)


def test_rest_pose_read_from_blender_matches_the_decoded_rig(scene):
    decoded = read_makehuman_rig(standard_rig_path("game_engine"))
    obj = rig_factory.makehuman_armature("game_engine")
    read = blender_rig.read_rig_rest(obj)
    order = [read.index(n) for n in decoded.names]
    np.testing.assert_allclose(read.heads[order], decoded.heads, atol=1e-5)
    np.testing.assert_allclose(read.tails[order], decoded.tails, atol=1e-5)
    dots = np.abs(np.sum(read.rest_rotations[order] * decoded.rest_rotations, axis=1))
    assert dots.min() > 1 - 1e-6


TARGETS = [("makehuman", "game_engine", False), ("makehuman", "default", False), ("makehuman", "mixamo", False),
           ("makehuman", "cmu_mb", False), ("makehuman", "game_engine", True),
           ("synthetic", "vroid", False), ("synthetic", "character_creator", False),
           ("synthetic", "unreal_ue5", False), ("synthetic", "smplx_addon", False)]


def build(kind, name, a_pose):
    if kind == "makehuman":
        return rig_factory.makehuman_armature(name, a_pose=a_pose)
    return rig_factory.synthetic_armature(name)


@needs_cmu
@pytest.mark.parametrize("kind, name, a_pose", TARGETS, ids=[f"{k}-{n}{'-A' if a else ''}" for k, n, a in TARGETS])
def test_cmu_walk_onto_armature_is_faithful_and_keeps_feet(scene, kind, name, a_pose):
    obj = build(kind, name, a_pose)
    source = load_motion_file(WALK, fps=30)
    action, result = blender_rig.retarget_onto_armature(source, obj, frame_start=1)
    assert take_action(obj) == action and result.num_frames == source.pose.num_frames
    bone_map = blender_rig.bone_map_for(obj)
    pose, fidelity = evaluated_fidelity(source, obj, bone_map, result)
    assert fidelity.mean <= 2.0 and fidelity.p95 <= 5.0, fidelity.worst()
    bone_map = bone_map.restricted_to(pose.rest.names)
    for contact in detect_contacts(source.pose, source.bone_map, source.fps):
        ankle = bone_map.bones[f"{contact.side}_ankle"]
        src = slide_of(source.pose.heads[:, source.pose.rest.index(source.bone_map.bones[f"{contact.side}_ankle"])],
                       contact)
        assert slide_of(pose.heads[:, pose.rest.index(ankle)], contact) <= src + 0.01
    for side in ("left", "right"):
        assert foot_points(pose, bone_map, side)[..., 2].min() >= -0.01


def test_previous_action_is_kept(scene):
    obj = rig_factory.synthetic_armature("mixamo")
    source = load_motion_file(_smplx_npz(scene), fps=30)
    first, _ = blender_rig.retarget_onto_armature(source, obj)
    second, _ = blender_rig.retarget_onto_armature(source, obj)
    assert take_action(obj) == second and first.name in bpy.data.actions and first.use_fake_user


def _smplx_npz(scene, frames=40):
    path = Path(bpy.app.tempdir or "/tmp") / "soundmotion_test_motion.npz"
    t = np.arange(frames)[:, None] / 30.0
    poses = np.zeros((frames, 165))
    poses[:, 16 * 3 + 2] = -1.2 + 0.3 * np.sin(2 * np.pi * t[:, 0])  # left shoulder swings
    poses[:, 4 * 3] = 0.5 * np.sin(2 * np.pi * t[:, 0])  # left knee bends
    trans = np.zeros((frames, 3))
    trans[:, 1] = 0.95
    trans[:, 2] = 0.3 * t[:, 0]
    np.savez(path, poses=poses, trans=trans, fps=np.array(30.0))
    return path


def test_evaluated_correction_measures_each_posed_frame(scene):
    """The correction poses bones through foreach_set, which tags nothing for re-evaluation. On a plain rig the
    math is already exact, so measuring the real evaluated pose leaves the rotations unchanged; measuring a
    stale pose (Blender 4.2 never re-evaluated it) would fold the same error in on every pass."""
    obj = rig_factory.synthetic_armature("mixamo")
    rest = blender_rig.read_rig_rest(obj)
    source = load_motion_file(_smplx_npz(scene), fps=30)
    result = retarget_source(source, rest, blender_rig.bone_map_for(obj), RootMode.FULL, keep_feet=True)
    matched = blender_rig.match_evaluated_pose(obj, rest, result)
    for name, quats in result.bone_rotations.items():
        dots = np.abs(np.sum(matched.bone_rotations[name] * quats, axis=1))
        assert dots.min() > 1 - 1e-6, name


def test_smplx_npz_onto_a_makehuman_rig(scene):
    obj = rig_factory.makehuman_armature("default")
    source = load_motion_file(_smplx_npz(scene), fps=30)
    _, result = blender_rig.retarget_onto_armature(source, obj)
    _, fidelity = evaluated_fidelity(source, obj, blender_rig.bone_map_for(obj), result)
    assert fidelity.mean <= 2.0 and fidelity.p95 <= 5.0, fidelity.worst()


@needs_cmu
def test_rig_to_rig(scene):
    source_obj = rig_factory.makehuman_armature("game_engine")
    blender_rig.retarget_onto_armature(load_motion_file(WALK, fps=30), source_obj)
    scene.frame_start, scene.frame_end = 1, 60
    target = rig_factory.synthetic_armature("mixamo")
    source = blender_rig.source_from_armature(source_obj, 1, 60, scene)
    _, result = blender_rig.retarget_onto_armature(source, target, keep_feet=False)
    _, fidelity = evaluated_fidelity(source, target, blender_rig.bone_map_for(target), result)
    assert fidelity.mean <= 2.0 and fidelity.p95 <= 5.0, fidelity.worst()


@needs_cmu
def test_retarget_from_an_armature_takes_its_animation_not_the_scene_range(registered_addon, scene):
    """The scene's range cut a long source (562 frames to 250) or padded a short one with its last pose."""
    source_obj = rig_factory.makehuman_armature("game_engine")
    blender_rig.retarget_onto_armature(load_motion_file(WALK, fps=30), source_obj)
    strip = source_obj.animation_data.nla_tracks[-1].strips[-1]
    length = int(strip.frame_end - strip.frame_start) + 1
    scene.frame_start, scene.frame_end = 1, 20
    target = rig_factory.synthetic_armature("mixamo")
    bpy.context.view_layer.objects.active = target
    assert bpy.ops.soundmotion.retarget_motion(source="ARMATURE", source_armature=source_obj.name) == {"FINISHED"}
    take = target.animation_data.nla_tracks[-1].strips[-1]
    assert length > 40 and int(take.frame_end - take.frame_start) + 1 == length


def test_operators_detect_and_retarget(registered_addon, scene, tmp_path):
    obj = rig_factory.synthetic_armature("vroid")
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.soundmotion.detect_bone_map() == {"FINISHED"}
    stored = blender_rig.stored_bone_map(obj)
    assert stored.bones["left_wrist"] == "J_Bip_L_Hand" and stored.missing_required() == []
    path = _smplx_npz(scene)
    assert bpy.ops.soundmotion.retarget_motion(source="FILE", filepath=str(path)) == {"FINISHED"}
    assert take_action(obj) is not None


def test_retarget_motion_is_a_background_job_whose_retarget_runs_off_blenders_thread(registered_addon, scene):
    """In Blender's UI the operator runs as Talk and Dance do (progress in the status bar, Esc): the file is read
    and checked in prepare, the retarget (numpy, no bpy) runs in compute on a worker thread, apply writes the
    keys. Headless there is no event loop, so the three steps are run here as the modal path runs them."""
    import threading
    import types

    from soundmotion.operators.background_job import BackgroundJobOperator, _Progress
    from soundmotion.operators.retarget_motion import SOUNDMOTION_OT_retarget_motion as Retarget

    assert issubclass(Retarget, BackgroundJobOperator)
    path = _smplx_npz(scene)
    synchronous = rig_factory.synthetic_armature("vroid")
    bpy.context.view_layer.objects.active = synchronous
    assert bpy.ops.soundmotion.retarget_motion(source="FILE", filepath=str(path)) == {"FINISHED"}
    threaded = rig_factory.synthetic_armature("vroid")
    bpy.context.view_layer.objects.active = threaded
    reports = []
    operator = types.SimpleNamespace(source="FILE", filepath=str(path), up_axis="auto", bone_map="AUTO",
                                     source_armature="", root_mode="full", keep_feet=True, ik_limbs="LEGS",
                                     keys="FRAMES", report=lambda kind, text: reports.append(text))
    operator._source = types.MethodType(Retarget._source, operator)
    inputs = Retarget.prepare(operator, bpy.context)
    outcome, progress = {}, _Progress()
    worker = threading.Thread(target=lambda: outcome.update(result=Retarget.compute(operator, inputs, progress)))
    worker.start()
    worker.join(timeout=60)
    assert progress.fraction == 0.9 and progress.message == "Writing keys"
    Retarget.apply(operator, bpy.context, outcome["result"])
    assert reports == [f"Retargeted 40 frames onto {threaded.name} as "
                       f"'soundmotion_test_motion.npz → {threaded.name}' (54 joints)."], reports
    for frame in (1, 17, 40):
        bpy.context.scene.frame_set(frame)
        for bone in ("J_Bip_L_UpperArm", "J_Bip_L_LowerLeg", "J_Bip_C_Hips"):
            np.testing.assert_allclose(np.array(threaded.pose.bones[bone].matrix),
                                       np.array(synchronous.pose.bones[bone].matrix), atol=1e-5)


def test_bad_input_leaves_the_scene_unchanged(registered_addon, scene, tmp_path):
    obj = rig_factory.build_armature(_chain_rig(), "Tail")
    bpy.context.view_layer.objects.active = obj
    before = len(bpy.data.actions)
    with pytest.raises(RetargetError, match="does not look like a humanoid rig"):
        blender_rig.retarget_onto_armature(load_motion_file(_smplx_npz(scene), fps=30), obj)
    broken = tmp_path / "broken.bvh"
    broken.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation Zrotation\n")
    no_keys = tmp_path / "no_keys.npz"
    np.savez(no_keys, something=np.zeros(3))
    wrong_fps = tmp_path / "wrong_fps.npz"
    np.savez(wrong_fps, poses=np.zeros((5, 165)), trans=np.zeros((5, 3)), mocap_frame_rate=np.array(120.0))
    human = rig_factory.synthetic_armature("mixamo")
    bpy.context.view_layer.objects.active = human
    # An operator's ERROR report surfaces as RuntimeError when called from Python.
    for path, message in ((broken, "no MOTION section"), (no_keys, "lacks poses, trans")):
        with pytest.raises(RuntimeError, match=message):
            bpy.ops.soundmotion.retarget_motion(source="FILE", filepath=str(path))
    from soundmotion.retarget.sources.smplx_npz import NpzMotionError, read_smplx_npz

    with pytest.raises(NpzMotionError, match="lacks poses, trans"):
        read_smplx_npz(no_keys)
    with pytest.raises(NpzMotionError, match="120 fps but 30 fps was requested"):
        read_smplx_npz(wrong_fps, fps=30)
    assert len(bpy.data.actions) == before and human.animation_data is None and obj.animation_data is None


def _chain_rig():
    from soundmotion.retarget.rig import RigRest

    heads = np.array([[0, 0, 0], [0, 0, 1], [0, 0, 2]], dtype=float)
    return RigRest(["Tail.000", "Tail.001", "Tail.002"], [-1, 0, 1], heads, heads + [0, 0, 1],
                   [[0.7071068, 0.7071068, 0, 0]] * 3)


@needs_cmu
def test_cli_entry_points_work_on_blend_files(scene, tmp_path):
    name = rig_factory.makehuman_armature("cmu_mb").name
    blend, out = tmp_path / "character.blend", tmp_path / "out.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    assert blender_rig.bone_map_of_blend(blend).name == "makehuman_cmu_mb"
    result = blender_rig.retarget_file_onto_blend(WALK, blend, out, armature_name=name, root_mode="in_place")
    bpy.ops.wm.open_mainfile(filepath=str(out))
    target = bpy.data.objects[name]
    assert take_action(target) is not None and bpy.context.scene.frame_end >= result.num_frames
    with pytest.raises(RetargetError, match="No armature named 'Nope'"):
        blender_rig.retarget_file_onto_blend(WALK, blend, out, armature_name="Nope")


def test_rigify_metarigs_map_left_to_left_and_four_legged_rigs_are_refused(scene):
    """Rigify's metarigs have heel bones behind the ankles (the lowest leaves): the toes, not the heel, say which
    way the rig faces, so thigh.L (at +X, facing -Y) is the left hip. A cat, metarig or generated, stands on four
    legs: its front legs are not arms, and the rig is refused with a sentence instead of danced."""
    import addon_utils

    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_basic_human_metarig_add()
    human = blender_rig.bone_map_for(bpy.context.active_object)
    assert [human.bones[j] for j in ("left_hip", "left_shoulder", "right_wrist")] == ["thigh.L", "upper_arm.L",
                                                                                      "hand.R"]
    rig_factory.empty_scene(30)
    bpy.ops.object.armature_cat_metarig_add()
    cat = bpy.context.active_object
    with pytest.raises(RetargetError, match="does not look like a humanoid rig.*two legs, two arms and a head"):
        blender_rig.bone_map_for(cat)
    bpy.ops.pose.rigify_generate()
    generated = next(o for o in bpy.data.objects if o.type == "ARMATURE" and "rig_id" in o.data)
    with pytest.raises(RetargetError, match=r"shoulders \(ORG-upper_arm.L, ORG-upper_arm.R\) are not above its hips"):
        blender_rig.bone_map_for(generated)


@needs_cmu
def test_the_same_source_retargeted_again_plays_on_top_and_restore_puts_the_order_back(scene):
    """A second take (another clip) lies on a track above the first; retargeting the first clip again gives a new
    version of its take, which must play (on top), and Restore Previous gives the earlier version back under the
    second take, as before."""
    from soundmotion.operators import previous_state

    rig = rig_factory.makehuman_armature("game_engine")
    walk, other = load_motion_file(WALK, fps=30), load_motion_file(CMU / "general" / "002_03.bvh", fps=30)
    for source in (walk, other, walk):
        blender_rig.retarget_onto_armature(source, rig, frame_start=1)
    names = [t.name for t in rig.animation_data.nla_tracks]
    assert names.index(take_track_of(rig, "002_01")) > names.index(take_track_of(rig, "002_03"))
    previous_state.restore(rig)
    names = [t.name for t in rig.animation_data.nla_tracks]
    assert names.index(take_track_of(rig, "002_01")) < names.index(take_track_of(rig, "002_03"))


def take_track_of(rig, clip: str) -> str:
    return next(t.name for t in rig.animation_data.nla_tracks if t.strips and t.strips[0].action.name.startswith(clip))
