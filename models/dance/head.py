"""Neck and head for captured dance that has none (G1 Moves: the robot has no neck, so its head rides the torso).

Three things real dancers' heads do, added where the capture's head is missing (blended by `captured`, the
share of captured head in each frame):
- steadying: the head keeps closer to upright than the chest (half of the chest's tilt is taken back);
- leading turns: the head turns ahead into where the body is turning (spotting), a little;
- the groove: a small bob with the beat, bigger when the music is louder, and a slow seeded look about.
"""

import numpy as np
from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from ..filters import gaussian_filter1d

STEADY = 0.5               # share of the chest's tilt the head takes back
LEAD_SECONDS = 0.25        # the head turns as far as the body will have turned this much later …
LEAD_SHARE = 0.5           # … times this
MAX_LEAD = np.radians(40.0)
BOB_DEGREES = 7.0          # nod on the beat at full loudness
LOOK_DEGREES = (10.0, 5.0)  # slow look about: yaw and tilt
NECK_SHARE = 0.4           # of the head's rotation done by the neck joint (the rest by the head joint)


def add_head_motion(clip: MotionClip, captured: np.ndarray, analysis, seed: int = 0,
                    times: np.ndarray = None) -> MotionClip:
    captured = np.clip(np.asarray(captured, dtype=np.float64), 0.0, 1.0)
    if np.all(captured > 0.999):
        return clip
    skeleton = clip.skeleton
    index = skeleton.index
    frames, fps = clip.num_frames, clip.fps
    chain = [index(n) for n in ("pelvis", "spine1", "spine2", "spine3")]
    chest = clip.rotations[:, chain[0]]
    for j in chain[1:]:
        chest = rotations.multiply(chest, clip.rotations[:, j])
    chest_rot = rotations.to_rotation(chest)
    # Steadying: take back part of the chest's tilt (the rotation of its up axis away from vertical).
    up = chest_rot.apply([0.0, 0.0, 1.0])
    axis = np.cross(up, [0.0, 0.0, 1.0])
    tilt = np.arcsin(np.clip(np.linalg.norm(axis, axis=1), 0.0, 1.0))
    axis = axis / np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-9)
    level = Rotation.from_rotvec(axis * (STEADY * tilt)[:, None])          # world: towards upright
    # Leading turns: yaw towards where the chest will face a moment later.
    forward = chest_rot.apply([0.0, -1.0, 0.0])
    yaw = np.unwrap(np.arctan2(-forward[:, 0], -forward[:, 1]))
    ahead = np.interp(np.arange(frames) + LEAD_SECONDS * fps, np.arange(frames), yaw)
    lead = np.clip(LEAD_SHARE * gaussian_filter1d(ahead - yaw, 0.1 * fps), -MAX_LEAD, MAX_LEAD)
    # The groove: bob down on each beat, scaled by loudness; a slow look about.
    times = np.arange(frames) / fps if times is None else times   # the music's times (held where it is silent)
    phase = analysis.beat_position(times) % 1.0
    loud = analysis.curve_at(analysis.loudness, times)
    bob = np.radians(BOB_DEGREES) * (0.3 + 0.7 * loud) * (0.5 + 0.5 * np.cos(2 * np.pi * phase)) ** 2
    rng = np.random.default_rng([int(seed), 0x4EAD])
    look = []
    for amplitude in LOOK_DEGREES:
        noise = gaussian_filter1d(rng.standard_normal(frames + 1), 1.5 * fps, mode="wrap")[:frames]
        look.append(np.radians(amplitude) * noise / max(np.abs(noise).max(), 1e-9))
    # Head's world rotation = level · yaw(lead + look) · chest · nod/tilt (in the chest's frame).
    turn = Rotation.from_euler("z", (lead + look[0])[:, None])
    nod = Rotation.from_euler("xy", np.stack([bob, look[1]], axis=1))
    head_world = level * turn * chest_rot * nod
    head_local = chest_rot.inv() * head_world                              # relative to the chest
    neck = Rotation.from_rotvec(head_local.as_rotvec() * NECK_SHARE)
    head = neck.inv() * head_local
    local = clip.rotations.copy()
    for name, procedural in (("neck", neck), ("head", head)):
        j = index(name)
        mixed = _nlerp(rotations.from_rotation(procedural), local[:, j], captured[:, None])
        local[:, j] = mixed
    return MotionClip(fps, skeleton, rotations.make_continuous(local), clip.root_translation)


def _nlerp(a, b, w):
    sign = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return rotations.normalize(a * (1 - w) + b * sign * w)
