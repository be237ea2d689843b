"""A take starts where the character stands: Talk's gestures and Dance placed where the animator's own animation
left the pelvis at the start frame (position and facing), blending in from that animation (real Blender)."""

import math

import bpy
import numpy as np
import pytest
from mathutils import Matrix, Vector

from blender_helpers import open_demo_character
from soundmotion.clips import rotations
from soundmotion.operators import dance_to_music, talk_from_audio
from soundmotion.operators.action_channels import BLEND_IN_SECONDS, fcurves_of, take_strips
from soundmotion.operators.demo_scene import DEMO_MUSIC, DEMO_SPEECH
from soundmotion.retarget import blender_rig
from soundmotion.retarget.pipeline import placed_at_start
from soundmotion.retarget.rig import forward_kinematics
from soundmotion.retarget.root_motion import StartPose, about_vertical, yaw
from soundmotion.retarget.transfer import RetargetResult

pytestmark = pytest.mark.blender
START = 50


def pelvis_state(scene, rig, frame):
    """(horizontal head (2,), height, facing in degrees about +Z from the rest facing) of the pelvis at `frame`."""
    scene.frame_set(frame)
    bone = rig.pose.bones["pelvis"]
    posed, rest = rig.matrix_world @ bone.matrix, rig.matrix_world @ bone.bone.matrix_local
    forward = posed.to_3x3().normalized() @ rest.to_3x3().normalized().inverted() @ Vector((0.0, -1.0, 0.0))
    return np.array(posed.translation[:2]), posed.translation.z, math.degrees(math.atan2(forward.x, -forward.y))


def walk(rig, distance=1.5, turn_deg=90.0, bone_name="pelvis"):
    """The animator's action: the pelvis (or `bone_name`) walks `distance` metres along +X over frames 1-40 and
    turns `turn_deg` to its left, keyed through its armature-space matrix."""
    bone = rig.pose.bones[bone_name]
    rest = bone.bone.matrix_local
    for frame, fraction in ((1, 0.0), (40, 1.0)):
        turn = Matrix.Rotation(math.radians(turn_deg * fraction), 4, "Z")
        moved = Matrix.Translation(rest.translation + Vector((distance * fraction, 0.0, 0.0)))
        bone.matrix = moved @ turn @ Matrix.Translation(-rest.translation) @ rest
        bpy.context.view_layer.update()
        bone.keyframe_insert("location", frame=frame)
        bone.keyframe_insert("rotation_quaternion" if bone.rotation_mode == "QUATERNION" else "rotation_euler",
                             frame=frame)


def run(operator, **extra):
    if operator == "talk":
        assert bpy.ops.soundmotion.talk(filepath=str(DEMO_SPEECH), face=False, **extra) == {"FINISHED"}
        return talk_from_audio.LAST_NOTES
    assert bpy.ops.soundmotion.dance(filepath=str(DEMO_MUSIC), trim_seconds=3.0, **extra) == {"FINISHED"}
    return dance_to_music.LAST_NOTES


def latest_strip(rig):
    return take_strips(rig)[-1][0]


def all_keys(rig):
    """{(data path, index): keyframe coordinates and handles} of the rig's latest take."""
    keys = {}
    for curve in fcurves_of(rig):
        points = curve.keyframe_points
        parts = []
        for prop in ("co", "handle_left", "handle_right"):
            part = np.empty(2 * len(points), dtype=np.float32)
            points.foreach_get(prop, part)
            parts.append(part)
        keys[(curve.data_path, curve.array_index)] = np.concatenate(parts)
    return keys


@pytest.mark.parametrize("operator", ["talk", "dance"])
def test_a_take_starts_where_the_animators_walk_left_the_character(registered_addon, operator):
    scene, rig, _ = open_demo_character()
    walk(rig)
    scene.soundmotion.frame_start = START
    scene.frame_set(1)  # what plays under the take counts, not the frame the scene was on
    before, height, facing = pelvis_state(scene, rig, START - 1)
    np.testing.assert_allclose(before - pelvis_state(scene, rig, 1)[0], [1.5, 0.0], atol=1e-3)
    assert facing == pytest.approx(90.0, abs=0.5)
    notes = run(operator)
    assert "Placed where DemoRig stands at frame 50: 1.50 m from its rest spot, turned 90° to its left." in notes
    strip = latest_strip(rig)
    assert strip.frame_start == START and strip.blend_in == round(BLEND_IN_SECONDS * 30) == 9
    # The walk still plays before the take (a strip of its own under it), and the take starts there.
    np.testing.assert_allclose(pelvis_state(scene, rig, START - 1)[0], before, atol=1e-4)
    seen = pelvis_state(scene, rig, START)
    strip.blend_in = 0.0  # the take's own first frame, without the blend from the walk
    own = pelvis_state(scene, rig, START)
    states = [seen, own] + ([pelvis_state(scene, rig, START + 9)] if operator == "talk" else [])  # a dancer travels
    for where, _, heading in states:
        assert np.linalg.norm(where - before) < 0.05
        assert abs(heading - facing) < 5.0
    scene, rig, _ = open_demo_character()  # the same take on the character nobody moved: the same height
    scene.soundmotion.frame_start = START
    run(operator)
    assert own[1] == pytest.approx(pelvis_state(scene, rig, START)[1], abs=1e-3)


@pytest.mark.parametrize("operator", ["talk", "dance"])
def test_a_character_at_its_rest_spot_gets_the_keys_and_strips_it_got_before(registered_addon, monkeypatch,
                                                                               operator):
    def take():
        scene, rig, _ = open_demo_character()
        scene.soundmotion.frame_start = START
        notes = run(operator)
        names = [t.name for t in rig.animation_data.nla_tracks]
        return all_keys(rig), latest_strip(rig).blend_in, names, rig.animation_data.action, notes

    keys, blend_in, tracks, active, notes = take()
    assert not [note for note in notes if note.startswith("Placed")]
    assert blend_in == 0.0 and active is None and tracks == ["SM_static", latest_strip(bpy.data.objects["DemoRig"])
                                                            .action.name]
    monkeypatch.setattr(blender_rig, "read_start_pose", lambda *args, **kwargs: None)  # the code without placement
    unplaced = take()[0]
    assert keys.keys() == unplaced.keys()
    for channel, values in keys.items():
        np.testing.assert_array_equal(values, unplaced[channel])


def test_a_dance_after_a_line_starts_where_the_line_left_the_character(registered_addon):
    """The demo's two takes: the line's gestures end with the weight shifted 0.14 m from the rest spot, where its
    last pose holds; the dance starts there instead of jumping back."""
    scene, rig, _ = open_demo_character()
    scene.soundmotion.frame_start = 1
    run("talk")
    dance_start = int(latest_strip(rig).frame_end) + 15
    held, _, facing = pelvis_state(scene, rig, dance_start - 1)
    scene.soundmotion.frame_start = dance_start
    notes = run("dance")
    assert [note for note in notes if note.startswith("Placed")] == [
        f"Placed where DemoRig stands at frame {dance_start}: 0.14 m from its rest spot, turned 2° to its left."]
    assert latest_strip(rig).blend_in == 0.0  # takes follow each other as before: no blend from the line's hold
    where, _, heading = pelvis_state(scene, rig, dance_start)
    assert np.linalg.norm(where - held) < 0.05 and abs(heading - facing) < 5.0


def test_talk_on_a_rigify_rig_walked_by_its_torso_control_starts_where_it_stands(scene):
    """Rigify carries the travel on its torso control, which the take otherwise leaves unposed: placed, it turns
    the torso, and the IK feet follow to the new spot."""
    import rig_factory

    rig = rig_factory.rigify_armature()
    pelvis = rig.pose.bones[blender_rig.bone_map_for(rig).bones["pelvis"]]
    torso = rig.pose.bones["torso"]
    rest = torso.bone.matrix_local
    for frame, fraction in ((1, 0.0), (40, 1.0)):
        turn = Matrix.Rotation(math.radians(90.0 * fraction), 4, "Z")
        torso.matrix = Matrix.Translation(rest.translation + Vector((1.5 * fraction, 0.0, 0.0))) @ turn @ \
            Matrix.Translation(-rest.translation) @ rest
        bpy.context.view_layer.update()
        torso.keyframe_insert("location", frame=frame)
        torso.keyframe_insert("rotation_quaternion", frame=frame)

    def state(frame):
        scene.frame_set(frame)
        posed, at_rest = rig.matrix_world @ pelvis.matrix, rig.matrix_world @ pelvis.bone.matrix_local
        forward = posed.to_3x3().normalized() @ at_rest.to_3x3().normalized().inverted() @ Vector((0.0, -1.0, 0.0))
        return np.array(posed.translation[:2]), math.degrees(math.atan2(forward.x, -forward.y))

    scene.soundmotion.frame_start = START
    before, facing = state(START - 1)
    assert torso.rotation_mode == "QUATERNION" and facing == pytest.approx(90.0, abs=0.5)
    assert bpy.ops.soundmotion.talk(filepath=str(DEMO_SPEECH), face=False) == {"FINISHED"}
    latest_strip(rig).blend_in = 0.0
    for frame in (START, START + 30):
        where, heading = state(frame)
        assert np.linalg.norm(where - before) < 0.05 and abs(heading - facing) < 5.0
    feet = np.array([(rig.matrix_world @ rig.pose.bones[f"foot_ik.{side}"].head)[:2] for side in "LR"])
    assert np.all(np.linalg.norm(feet - before, axis=1) < 0.25)  # the IK feet stand under the placed pelvis


def test_placement_moves_the_take_as_one_piece_and_keeps_its_heights(registered_addon):
    _, rig, _ = open_demo_character()
    rest = blender_rig.read_rig_rest(rig)
    bone_map = blender_rig.bone_map_for(rig)
    rng = np.random.default_rng(3)
    frames = 12
    posed = ["pelvis", "spine_01", "thigh_l", "upperarm_r"]
    turns = rotations.normalize(np.tile([1.0, 0.0, 0.0, 0.0], (frames, 1)) + 0.2 * rng.normal(size=(frames, 4)))
    result = RetargetResult(30.0, {name: turns for name in posed}, {"pelvis": 0.05 * rng.normal(size=(frames, 3))},
                            [])
    p = rest.index("pelvis")
    original = forward_kinematics(rest, result.bone_rotations, result.bone_locations, frames)
    start = StartPose(rotations.multiply(about_vertical(math.radians(-120.0)), rest.rest_rotations[p]),
                      rest.heads[p] + [0.4, -2.0, 0.3])
    placed, where = placed_at_start(result, rest, bone_map, start)
    moved = forward_kinematics(rest, placed.bone_rotations, placed.bone_locations, frames)
    np.testing.assert_allclose(moved.heads[0, p, :2], start.head[:2], atol=1e-9)
    np.testing.assert_allclose(moved.heads[..., 2], original.heads[..., 2], atol=1e-9)  # heights kept
    facing = yaw(rotations.multiply(moved.world_rotations[0, p], rotations.conjugate(rest.rest_rotations[p])))
    assert math.degrees(facing) == pytest.approx(-120.0, abs=1e-6)
    turn = about_vertical(where.turn)
    body = [b for b in range(len(rest)) if "pelvis" in _chain(rest, b)]  # all but the armature's Root bone
    assert len(body) == len(rest) - 1
    np.testing.assert_allclose(moved.heads[:, body], where.points(original.heads[:, body]), atol=1e-9)  # rigid
    np.testing.assert_allclose(np.abs(np.sum(moved.world_rotations[:, body] * rotations.multiply(
        turn, original.world_rotations[:, body]), axis=-1)), 1.0, atol=1e-9)
    assert where.distance == pytest.approx(math.hypot(0.4, -2.0)) and where.note("Rig", 7) == \
        "Placed where Rig stands at frame 7: 2.04 m from its rest spot, turned 120° to its right."
    at_rest = StartPose(rest.rest_rotations[p], rest.heads[p] + [0.01, 0.0, 0.0])
    assert placed_at_start(result, rest, bone_map, at_rest) == (result, None)


def _chain(rest, bone):
    """Names of `bone` and its ancestors."""
    names = []
    while bone >= 0:
        names.append(rest.names[bone])
        bone = rest.parents[bone]
    return names


def test_a_take_on_a_character_in_nla_tweak_mode_is_refused_with_a_sentence(registered_addon):
    """An NLA strip open for editing makes the active action read-only: Talk, Dance and Retarget raised
    AttributeError there (said as a bug) after they had computed; now they refuse first and change nothing."""
    from soundmotion.operators import demo_scene

    _, rig, _ = open_demo_character()
    rig.keyframe_insert('pose.bones["pelvis"].location', frame=1)
    animation = rig.animation_data
    action = animation.action
    track = animation.nla_tracks.new()
    animation.action = None
    track.strips.new(action.name, 1, action).select = True
    animation.nla_tracks.active = track
    animation.use_tweak_mode = True
    actions = len(bpy.data.actions)
    for operator, audio in (("talk", DEMO_SPEECH), ("dance", DEMO_MUSIC)):
        with pytest.raises(RuntimeError, match="DemoRig is in NLA tweak mode .* Leave it with Tab in the NLA editor"):
            demo_scene.run_operator(operator, rig, filepath=str(audio))
    assert len(bpy.data.actions) == actions and animation.use_tweak_mode and len(animation.nla_tracks) == 1


@pytest.mark.parametrize("layer", ["root", "combine"])
def test_a_walk_the_take_does_not_replace_is_not_counted_twice(registered_addon, layer):
    """A walk keyed on the Root bone (the take keys the pelvis, so Root goes on carrying it) and a walk in an
    action blended Combine (it stays on top of the takes) both move the take themselves: counted in its
    placement too, the character landed 1.5 m and 90° beyond where it stood."""
    scene, rig, _ = open_demo_character()
    walk(rig, bone_name="Root" if layer == "root" else "pelvis")
    if layer == "combine":
        rig.animation_data.action_blend_type = "COMBINE"
    scene.soundmotion.frame_start = START
    before, _, facing = pelvis_state(scene, rig, START - 1)
    assert np.linalg.norm(before - pelvis_state(scene, rig, 1)[0]) > 1.4 and facing == pytest.approx(90.0, abs=1)
    notes = run("talk")
    assert not [note for note in notes if note.startswith("Placed where")], notes
    latest_strip(rig).blend_in = 0.0
    where, _, heading = pelvis_state(scene, rig, START)
    assert np.linalg.norm(where - before) < 0.05 and abs(heading - facing) < 5.0, (where, before, heading)


def test_a_looping_idle_loops_on_under_the_takes_and_restore_gives_a_strip_its_blend_back(registered_addon):
    """The animator's idle with a Cycles modifier went still after its first cycle once it moved to a strip
    under the take; Restore after a take run twice gave the first version back without its blend from the walk."""
    scene, rig, _ = open_demo_character()
    bone = rig.pose.bones["spine_01"]
    for frame, angle in ((1, 0.0), (13, 0.35), (25, 0.0)):
        bone.rotation_quaternion = (math.cos(angle / 2), math.sin(angle / 2), 0.0, 0.0)
        bone.keyframe_insert("rotation_quaternion", frame=frame)
    for curve in fcurves_of(rig):
        curve.modifiers.new("CYCLES")
    scene.frame_end = 120
    scene.soundmotion.frame_start = 80
    run("talk")
    for frame in (13, 37, 61):  # before the take: the idle's peaks, cycle after cycle
        scene.frame_set(frame)
        assert 2 * math.degrees(math.acos(min(1.0, abs(bone.rotation_quaternion[0])))) > 19.0, frame
    first = latest_strip(rig).blend_in
    assert first == 9
    run("talk")
    assert bpy.ops.soundmotion.restore_previous() == {"FINISHED"}
    assert latest_strip(rig).blend_in == first


def rigify_pelvis(scene, rig, frame):
    """pelvis_state for the rig's mapped pelvis bone."""
    scene.frame_set(frame)
    bone = rig.pose.bones[blender_rig.bone_map_for(rig).bones["pelvis"]]
    posed, rest = rig.matrix_world @ bone.matrix, rig.matrix_world @ bone.bone.matrix_local
    forward = posed.to_3x3().normalized() @ rest.to_3x3().normalized().inverted() @ Vector((0.0, -1.0, 0.0))
    return np.array(posed.translation[:2]), posed.translation.z, math.degrees(math.atan2(forward.x, -forward.y))


def test_a_rigify_character_turned_by_its_root_control_dances_turned(registered_addon):
    """Animators place and turn a Rigify character with its root control. Its takes were matched to the rig
    where root stood, so their keys took root's turn back out: a character turned 90° danced facing the rig's
    rest direction. Now the take is the same dance, turned with root, and root keeps its pose."""
    from blender_helpers import empty_scene

    import rig_factory

    states = {}
    for turn in (0.0, 90.0):
        scene = empty_scene(30)
        rig = rig_factory.rigify_armature()
        bpy.context.view_layer.objects.active = rig
        root = rig.pose.bones["root"]
        root.rotation_quaternion = (math.cos(math.radians(turn) / 2), 0.0, 0.0, math.sin(math.radians(turn) / 2))
        scene.soundmotion.frame_start = 1
        run("dance")
        assert tuple(root.rotation_quaternion) == pytest.approx(
            (math.cos(math.radians(turn) / 2), 0.0, 0.0, math.sin(math.radians(turn) / 2)), abs=1e-6)
        states[turn] = [rigify_pelvis(scene, rig, frame) for frame in (1, 30, 60, 89)]
    for (where, height, facing), (turned, turned_height, turned_facing) in zip(states[0.0], states[90.0]):
        np.testing.assert_allclose(turned, [-where[1], where[0]], atol=2e-3)
        assert turned_height == pytest.approx(height, abs=2e-3)
        assert (turned_facing - facing) % 360.0 == pytest.approx(90.0, abs=1.0)



def test_a_walk_the_animator_pushed_down_to_the_nla_plays_on_under_a_take(registered_addon):
    """The layer that holds the take's channels between takes was made on top of the animator's own tracks and held
    the pelvis where it stood at the scene's current frame: the walk froze over the whole timeline."""
    scene, rig, _ = open_demo_character()
    walk(rig)
    animation = rig.animation_data
    action = animation.action
    track = animation.nla_tracks.new()
    track.strips.new(action.name, 1, action)
    animation.action = None
    scene.soundmotion.frame_start = START
    midway = pelvis_state(scene, rig, 20)
    before, _, facing = pelvis_state(scene, rig, START - 1)
    scene.frame_set(45)  # the frame the animator happens to be on
    notes = run("talk")
    assert "Placed where DemoRig stands at frame 50: 1.50 m from its rest spot, turned 90° to its left." in notes
    for (where, height, heading), (was, was_height, was_heading) in ((pelvis_state(scene, rig, 20), midway),
                                                                     (pelvis_state(scene, rig, START - 1),
                                                                      (before, 0.0, facing))):
        np.testing.assert_allclose(where, was, atol=1e-4)
        assert heading == pytest.approx(was_heading, abs=0.1)
