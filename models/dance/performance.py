"""The plan evaluated at every animation frame: pose channels, facing and feet, eased so poses settle on beats."""

from dataclasses import dataclass

import numpy as np

from .choreography import Plan


@dataclass
class Performance:
    channels: dict          # channel -> (T,)
    facing: np.ndarray      # (T,) radians
    feet: dict              # foot -> (T, 3) ankle position; z is the lift above its planted height
    foot_yaw: dict          # foot -> (T,) radians
    planted: dict           # foot -> (T,) bool, True while the foot is on the floor by construction
    swing: dict             # foot -> (T,) swing progress 0..1 (0 when planted)


def beat_ease(u: np.ndarray) -> np.ndarray:
    """0→1 with zero speed at both ends and the fastest motion halfway: poses hit on the beat."""
    return u - np.sin(2.0 * np.pi * u) / (2.0 * np.pi)


def perform(plan: Plan, beat_positions: np.ndarray) -> Performance:
    b = np.asarray(beat_positions, dtype=np.float64) - plan.first_beat
    last = len(plan.facing) - 1
    b = np.clip(b, 0.0, last - 1e-9)
    k = np.floor(b).astype(int)
    s = beat_ease(b - k)
    channels = {c: v[k] + (v[k + 1] - v[k]) * s for c, v in plan.keys.items()}
    facing = plan.facing[k] + (plan.facing[k + 1] - plan.facing[k]) * s
    feet, yaws, planted, swing = {}, {}, {}, {}
    for foot in ("L", "R"):
        position = np.zeros((len(b), 3))
        position[:, :2] = plan.home[foot]
        yaw = np.zeros(len(b))
        on_floor = np.ones(len(b), dtype=bool)
        progress = np.zeros(len(b))
        previous, previous_yaw = np.array(plan.home[foot], dtype=float), 0.0
        for step in (st for st in plan.steps if st.foot == foot):
            lift, land = step.lift - plan.first_beat, step.land - plan.first_beat
            after = b >= land
            position[after, :2] = step.position
            yaw[after] = step.yaw
            moving = (b >= lift) & (b < land)
            if np.any(moving):
                u = (b[moving] - lift) / (land - lift)
                across = 6 * u ** 5 - 15 * u ** 4 + 10 * u ** 3   # leaves and lands vertically: no scuffing
                position[moving, :2] = previous + (step.position - previous) * across[:, None]
                position[moving, 2] = step.height * np.sin(np.pi * u) ** 1.5
                yaw[moving] = previous_yaw + (step.yaw - previous_yaw) * across
                on_floor[moving] = False
                progress[moving] = u
            previous, previous_yaw = np.array(step.position, dtype=float), step.yaw
        feet[foot], yaws[foot], planted[foot], swing[foot] = position, yaw, on_floor, progress
    return Performance(channels, facing, feet, yaws, planted, swing)
