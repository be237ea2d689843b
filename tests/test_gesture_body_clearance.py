"""Hands and elbows stay out of the body: the torso of models/gesture/clearance.py (the demo character's measured
cross-sections placed on the SMPL-X skeleton by its arm) on the canonical clip, no Blender.

Before: the hand on the hip rested with its palm's centre on the surface or up to 2 cm inside it, and the
elbow went up to 2 cm in during strokes (retargeted onto the demo character: fingertips 10.6 cm into the waist,
an elbow 3.5 cm into the torso)."""

from pathlib import Path

import numpy as np
import pytest

from soundmotion.clips.kinematics import world_transforms
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.models.gesture.clearance import Torso, palm_centre, torso_frames
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
    return out


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
