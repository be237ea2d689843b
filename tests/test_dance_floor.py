"""No dance style puts a heel into the floor on the rigs a user brings: ankles stay at or above their standing
height after retargeting, toes on or above the floor, in 4/4 and in the waltz — on the demo character's rig
(MakeHuman's game-engine rig, proportioned otherwise than SMPL-X), on MakeHuman's Mixamo-named rig, and on a rig
Rigify generates (Blender, measured on its deform bones after its constraints)."""

import numpy as np
import pytest

from soundmotion.bench import body_stats
from soundmotion.clips.motion import MotionClip
from soundmotion.models.dance.pipeline import dance_to_analysis
from soundmotion.retarget.detect import detect_bone_map
from soundmotion.retarget.makehuman_rig import read_makehuman_rig, standard_rig_path
from soundmotion.retarget.motion_file import clip_source
from soundmotion.retarget.pipeline import retarget_source
from soundmotion.retarget.rig import forward_kinematics
from music_grid import grid_analysis

STYLES = ("groove", "hiphop", "disco", "calm")


def dance(meter, style, bars=(8, 8, 8)):
    analysis = grid_analysis(bpm=120.0 if meter == 4 else 150.0, beats_per_bar=meter, bars=bars,
                             loudness=(0.6, 1.0, 0.8))
    return dance_to_analysis(analysis, fps=30.0, style=style, seed=0).clip


def assert_on_the_floor(pose, bone_map, fps, label):
    tracks = body_stats.tracks_from_pose(pose, bone_map.restricted_to(pose.rest.names), fps)
    for side in ("left", "right"):
        ankle = tracks.joints[f"{side}_ankle"][:, 2] - tracks.standing[f"{side}_ankle"]
        assert ankle.min() > -0.002, (label, side, float(ankle.min()))
        toe = tracks.joints[f"{side}_foot"][:, 2]
        assert toe.min() > -0.001, (label, side, float(toe.min()))


@pytest.mark.parametrize("rig_name", ["game_engine", "mixamo"])
@pytest.mark.parametrize("meter", [4, 3])
def test_no_style_puts_a_heel_into_the_floor(meter, rig_name):
    rig = read_makehuman_rig(standard_rig_path(rig_name))
    bone_map = detect_bone_map(rig, rig_name)
    for style in STYLES:
        result = retarget_source(clip_source(dance(meter, style), fps=30.0), rig, bone_map)
        pose = forward_kinematics(rig, result.bone_rotations, result.bone_locations, result.num_frames)
        assert_on_the_floor(pose, bone_map, result.fps, (rig_name, meter, style))


def lowest_moment(clip, seconds=2.0):
    """The clip cut to `seconds` around the frame where the demo rig's ankles sink lowest (the stance most at risk),
    so that a rig Blender must evaluate frame by frame is checked where it matters, quickly."""
    rig = read_makehuman_rig(standard_rig_path("game_engine"))
    bone_map = detect_bone_map(rig, "game_engine")
    result = retarget_source(clip_source(clip, fps=30.0), rig, bone_map)
    pose = forward_kinematics(rig, result.bone_rotations, result.bone_locations, result.num_frames)
    tracks = body_stats.tracks_from_pose(pose, bone_map.restricted_to(pose.rest.names), result.fps)
    low = np.minimum(*(tracks.joints[f"{side}_ankle"][:, 2] - tracks.standing[f"{side}_ankle"]
                       for side in ("left", "right")))
    half = int(seconds * clip.fps / 2)
    start = int(np.clip(np.argmin(low) - half, 0, max(clip.num_frames - 2 * half, 0)))
    return MotionClip(clip.fps, clip.skeleton, clip.rotations[start:start + 2 * half],
                      clip.root_translation[start:start + 2 * half])


@pytest.mark.blender
def test_heels_stay_above_the_floor_on_a_rigify_rig(scene):
    import rig_factory
    from soundmotion.retarget import blender_rig
    from soundmotion.retarget.bone_map import load_preset
    from soundmotion.retarget.detect import match_preset

    obj = rig_factory.rigify_armature(ik_fk=1.0)
    deform = match_preset(load_preset("rigify_def"), set(obj.data.bones.keys()))
    for meter, style in ((4, "calm"), (3, "groove")):
        clip = lowest_moment(dance(meter, style, bars=(4, 4, 4)))
        blender_rig.retarget_onto_armature(clip_source(clip, fps=30.0), obj, frame_start=1)
        pose = blender_rig.read_rig_motion(obj, 1, clip.num_frames)
        assert_on_the_floor(pose, deform, 30.0, ("rigify", meter, style))
