"""Hands and elbows stay out of the body: the torso of models/gesture/clearance.py (the demo character's measured
cross-sections placed on the SMPL-X skeleton by its arm) on the canonical clip, no Blender.

Before: the hand on the hip rested with its palm's centre on the surface or up to 2 cm inside it, and the
elbow went up to 2 cm in during strokes (retargeted onto the demo character: fingertips 10.6 cm into the waist,
an elbow 3.5 cm into the torso). Then the fingers: a hand on the hip curled its index and thumb into the waist,
fingertips 5–6 cm inside this torso (6.6 cm into the demo character's mesh: bench/gesture_clearance.py)."""

from pathlib import Path

import numpy as np
import pytest

from soundmotion.clips.kinematics import world_transforms
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.models.gesture.clearance import Torso, fingertips, palm_centre, torso_frames
from soundmotion.models.gesture.pipeline import generate_gestures
from soundmotion.models.gesture.posture import posture_at

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo_speech.wav"
STYLES = ("presenter", "storyteller", "lecturer")


@pytest.fixture(scope="module")
def takes():
    return {(style, seed): generate_gestures(DEMO, style=style, seed=seed) for style in STYLES for seed in range(4)}


def depths(result):
    world, positions = world_transforms(result.clip)
    frames = torso_frames(world, positions)
    out = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        torso = Torso(sign=sign)
        out[(side, "palm")] = torso.depth(palm_centre(positions, side), frames)
        for joint in ("wrist", "elbow"):
            out[(side, joint)] = torso.depth(positions[:, SMPLX_SKELETON.index(f"{side}_{joint}")], frames)
        tips = fingertips(world, positions, side)
        out[(side, "tips")] = np.max([torso.depth(tips[:, k], frames) for k in range(5)], axis=0)
    return out


def settled_on_hip(result, k: int) -> np.ndarray:
    """Frames where the posture rests hand `k` (0 left, 1 right) on the hip and has for a second."""
    times = np.arange(result.clip.num_frames) / result.clip.fps
    return np.array([posture_at(result.postures, t).rest[k] == "hip"
                     and posture_at(result.postures, t - 1.0).rest[k] == "hip"
                     and posture_at(result.postures, t - 1.0).start == posture_at(result.postures, t).start
                     for t in times]) & (times > 1.0)


def test_hand_on_the_hip_rests_on_its_surface(takes):
    rested = 0
    for key, result in takes.items():
        times = np.arange(result.clip.num_frames) / result.clip.fps
        depth = depths(result)
        for k, side in enumerate(("left", "right")):
            # Settled on the hip: the posture rests this hand there and it has been there for a second.
            on_hip = np.array([posture_at(result.postures, t).rest[k] == "hip"
                               and posture_at(result.postures, t - 1.0).rest[k] == "hip"
                               and posture_at(result.postures, t - 1.0).start == posture_at(result.postures, t).start
                               for t in times]) & (times > 1.0)
            if on_hip.any():
                rested += int(on_hip.sum())
                assert depth[(side, "palm")][on_hip].max() <= -0.01, (key, side, depth[(side, "palm")][on_hip].max())
    assert rested > 100      # the takes do rest a hand on the hip (before: palms 0–2 cm inside it)


def test_no_hand_or_elbow_frame_goes_into_the_torso(takes):
    for key, result in takes.items():
        for (side, joint), depth in depths(result).items():
            assert depth.max() <= 0.01, (key, side, joint, depth.max(), int(np.argmax(depth)))


def test_fingers_of_a_hand_on_the_hip_lie_outside_the_body(takes):
    rested = 0
    for key, result in takes.items():
        depth = depths(result)
        for k, side in enumerate(("left", "right")):
            on_hip = settled_on_hip(result, k)
            if on_hip.any():
                rested += int(on_hip.sum())
                worst = depth[(side, "tips")][on_hip].max()
                assert worst <= -0.005, (key, side, worst, int(np.flatnonzero(on_hip)[0]))
    assert rested > 100      # before: fingertips 5–6 cm inside the waist


def test_no_fingertip_goes_into_the_body_during_rests(takes):
    for key, result in takes.items():
        times = np.arange(result.clip.num_frames) / result.clip.fps
        depth = depths(result)
        positions = world_transforms(result.clip)[1]
        chest = positions[:, SMPLX_SKELETON.index("spine3"), 2]
        for side in ("left", "right"):
            # Resting: the hand low, 20 cm or more below the chest joint (hanging, clasped, on the hip).
            low = positions[:, SMPLX_SKELETON.index(f"{side}_wrist"), 2] < chest - 0.2
            tips = depth[(side, "tips")][low]
            assert tips.max() <= 0.01, (key, side, tips.max(), times[low][int(np.argmax(tips))])
