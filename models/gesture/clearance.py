"""The torso and thighs as a body the hands, fingers and elbows stay out of: stacks of measured cross-sections
attached to the pelvis, spine and hip joints, how deep a point lies inside them, and a smooth push out of them
(body.py applies it to the wrist target through the palm, to the elbow through the arm's pole and, where the pole
cannot take it out, the wrist target, and to each fingertip through its knuckle).

The cross-sections are the demo character's (assets/demo_character.blend, measured on its mesh every 4 cm from
the hips to the armpits and fitted with super-ellipses: the fit lies at most 1 cm inside the mesh and up to 2.6 cm
outside it). Gestures are retargeted by rotation, so a hand's place relative to the body scales with the arm: the
sections are kept relative to the demo rig's shoulder in units of its arm length and placed on the SMPL-X skeleton
the pipeline poses relative to its shoulder and in units of its arm, the proportions the pipeline knows. Before,
the hand on the hip put the demo character's fingertips up to 10 cm into its waist. The thighs (measured every
4 cm from the crotch down to mid-thigh, turning with the hip joints) are where a hand on the hip puts its fingers
and a hanging hand its fingertips.
"""

import numpy as np

from ...clips.skeleton import SMPLX_SKELETON

# Measured on the demo character (rig space: metres, Z up, facing -Y): its left shoulder joint, arm length (upper
# arm + forearm), the height where each spine bone's part of the torso starts (MakeHuman game-engine rig → SMPL-X).
DEMO_SHOULDER = (0.168, -0.015, 1.341)
DEMO_ARM = 0.454
DEMO_PARTS = (("pelvis", -9.0), ("spine1", 0.935), ("spine2", 1.003), ("spine3", 1.096))
# Cross-sections: height, centre y, half-width, front (-y), back (+y), super-ellipse exponent.
DEMO_SECTIONS = np.array([
    (0.84, -0.015, 0.176, 0.112, 0.113, 2.7),
    (0.88, -0.019, 0.171, 0.119, 0.121, 2.3),
    (0.92, -0.028, 0.168, 0.115, 0.116, 2.4),
    (0.96, -0.041, 0.163, 0.104, 0.106, 2.4),
    (1.00, -0.051, 0.148, 0.092, 0.091, 2.3),
    (1.04, -0.058, 0.130, 0.088, 0.087, 1.9),
    (1.08, -0.067, 0.121, 0.087, 0.087, 1.9),
    (1.12, -0.070, 0.122, 0.090, 0.091, 1.9),
    (1.16, -0.066, 0.127, 0.095, 0.096, 2.1),
    (1.20, -0.060, 0.136, 0.101, 0.099, 2.6),
    (1.24, -0.049, 0.147, 0.096, 0.095, 3.0),
    (1.28, -0.035, 0.152, 0.093, 0.090, 3.7),
    (1.32, -0.025, 0.162, 0.086, 0.085, 4.0),
])
# The left thigh (the right one mirrors it): height, centre x, centre y, outer and inner half-width, front, back,
# exponent; fit within 1 cm inside the mesh and up to 2 cm outside it. It turns with the hip joint (thigh bone).
DEMO_THIGH = "hip"
DEMO_THIGH_SECTIONS = np.array([
    (0.52, 0.142, -0.029, 0.053, 0.052, 0.062, 0.062, 1.6),
    (0.56, 0.138, -0.033, 0.059, 0.058, 0.068, 0.068, 1.7),
    (0.60, 0.134, -0.033, 0.063, 0.063, 0.075, 0.074, 2.0),
    (0.64, 0.129, -0.032, 0.069, 0.069, 0.080, 0.080, 2.1),
    (0.68, 0.124, -0.029, 0.074, 0.074, 0.084, 0.084, 2.2),
    (0.72, 0.117, -0.027, 0.080, 0.079, 0.086, 0.086, 2.4),
    (0.76, 0.107, -0.024, 0.086, 0.085, 0.090, 0.089, 2.3),
    (0.80, 0.095, -0.015, 0.088, 0.115, 0.100, 0.100, 2.5),
    (0.83, 0.091, -0.014, 0.086, 0.125, 0.112, 0.109, 2.7),
])
PART_OVERLAP = 0.02        # metres each part's stretch of sections reaches into its neighbours' (blended)
PALM_MARGIN = 0.025        # metres the palm's centre stays outside the sections (palm half-thickness + fit)
WRIST_MARGIN = 0.025
ELBOW_MARGIN = 0.03
TIP_MARGIN = 0.03          # the middle fingertip (the hand bends back at the wrist: body.py)
FINGERTIP_MARGIN = 0.025   # each fingertip (a finger's half-thickness and the fit; its knuckle steers it: body.py)
SOFTNESS = 0.01            # metres: the push eases in (softplus) instead of starting with a kink
STACK_SOFTNESS = 0.005     # metres: where torso and thigh both push, the larger push wins (softmax)
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
TIP_SHARE = 0.9            # a fingertip lies this share of its last segment's length past the last joint


class _Stack:
    """One stack of sections in a skeleton's rest frame, seen from a hand's side (`sign` +1 left, -1 right):
    heights, the "out" coordinates (sign · x) of its edges towards the hand's side and away from it, centres y,
    front, back, exponents; and per part its joint, that joint's rest position and the heights it covers."""

    def __init__(self, sign, z, near, far, centre_y, front, back, power, parts):
        self.sign, self.z, self.near, self.far, self.centre_y = sign, z, near, far, centre_y
        self.front, self.back, self.power, self.parts = front, back, power, parts

    def local_depth(self, q: np.ndarray):
        """Depth (N,) inside the sections of points q (N, 3) in the rest frame (> 0 inside; -inf above or below
        them) and the outward horizontal direction (N, 3) at each."""
        z = q[:, 2]
        covered = (z >= self.z[0] - 0.01) & (z <= self.z[-1] + 0.01)
        near, far = np.interp(z, self.z, self.near), np.interp(z, self.z, self.far)
        cx = 0.5 * (near + far)
        half = 0.5 * (near - far)
        cy = np.interp(z, self.z, self.centre_y)
        front, back = np.interp(z, self.z, self.front), np.interp(z, self.z, self.back)
        power = np.interp(z, self.z, self.power)
        dx, dy = self.sign * q[:, 0] - cx, q[:, 1] - cy
        r = np.hypot(dx, dy)
        cos, sin = dx / np.maximum(r, 1e-9), dy / np.maximum(r, 1e-9)
        depth_y = np.where(sin < 0, front, back)
        surface = ((np.abs(cos) / half) ** power + (np.abs(sin) / depth_y) ** power) ** (-1.0 / power)
        direction = np.stack([self.sign * cos, sin, 0.0 * cos], axis=1)
        return np.where(covered, surface - r, -np.inf), direction

    def depth(self, points: np.ndarray, frames: dict):
        out = np.full(len(points), -np.inf)
        for joint, rest, a, b in self.parts:
            rotation, position = frames[joint]
            q = rotation.inv().apply(points - position) + rest
            depth, _ = self.local_depth(q)
            inside = (q[:, 2] >= a - PART_OVERLAP) & (q[:, 2] <= b + PART_OVERLAP)
            out = np.where(inside, np.maximum(out, depth), out)
        return out

    def push(self, points: np.ndarray, frames: dict, margin: float) -> np.ndarray:
        total, weights = np.zeros_like(points), np.zeros(len(points))
        for joint, rest, a, b in self.parts:
            rotation, position = frames[joint]
            q = rotation.inv().apply(points - position) + rest
            depth, direction = self.local_depth(q)
            z = q[:, 2]
            weight = np.clip(np.minimum(z - a + PART_OVERLAP, b + PART_OVERLAP - z) / (2 * PART_OVERLAP), 0.0, 1.0)
            amount = np.where(np.isfinite(depth), SOFTNESS * np.logaddexp(0.0, (depth + margin) / SOFTNESS), 0.0)
            total += weight[:, None] * amount[:, None] * rotation.apply(direction)
            weights += weight
        return total / np.maximum(weights, 1.0)[:, None]


class Torso:
    """The torso's sections and both thighs' placed on a skeleton, seen from one side (`sign` +1 left, -1 right):
    the torso on the pelvis and spine joints, each thigh on its hip joint (`frames` must hold them: torso_frames).
    Lengths are scaled by the arm and placed relative to the shoulder, as a retargeted hand's place is."""

    def __init__(self, skeleton=SMPLX_SKELETON, sign: float = 1.0):
        rest = skeleton.rest_positions()
        side = "left" if sign > 0 else "right"
        shoulder = rest[skeleton.index(f"{side}_shoulder")] * np.array([sign, 1.0, 1.0])
        arm = (np.linalg.norm(skeleton.offsets[skeleton.index(f"{side}_elbow")])
               + np.linalg.norm(skeleton.offsets[skeleton.index(f"{side}_wrist")]))
        scale = arm / DEMO_ARM
        demo = np.asarray(DEMO_SHOULDER)
        self.sign = sign

        def out(x):       # the demo's out coordinate (towards this hand's side) → the skeleton's
            return shoulder[0] + scale * (x - demo[0])

        def height(z):
            return shoulder[2] + scale * (z - demo[2])

        def centre(y):
            return shoulder[1] + scale * (y - demo[1])

        s = DEMO_SECTIONS
        starts = [height(z) for _, z in DEMO_PARTS]
        ends = starts[1:] + [np.inf]
        parts = [(skeleton.index(name), rest[skeleton.index(name)], a, b)
                 for (name, _), a, b in zip(DEMO_PARTS, starts, ends)]
        self.stacks = [_Stack(sign, height(s[:, 0]), out(s[:, 2]), out(-s[:, 2]), centre(s[:, 1]), scale * s[:, 3],
                              scale * s[:, 4], s[:, 5], parts)]
        t = DEMO_THIGH_SECTIONS
        for thigh_side, own in (("left", 1.0), ("right", -1.0)):
            joint = skeleton.index(f"{thigh_side}_{DEMO_THIGH}")
            parts = [(joint, rest[joint], -np.inf, np.inf)]
            if own == sign:      # this hand's own thigh: its outer side faces the hand
                near, far = out(t[:, 1] + t[:, 3]), out(t[:, 1] - t[:, 4])
            else:
                near, far = out(-t[:, 1] + t[:, 4]), out(-t[:, 1] - t[:, 3])
            self.stacks.append(_Stack(sign, height(t[:, 0]), near, far, centre(t[:, 2]), scale * t[:, 5],
                                      scale * t[:, 6], t[:, 7], parts))

    def depth(self, points: np.ndarray, frames: dict):
        """Depth (T,) of world points (T, 3) inside the body posed by `frames` {joint index: (world rotation
        (scipy, T), world position (T, 3))}: the deepest over the parts that cover each point."""
        return np.max([stack.depth(points, frames) for stack in self.stacks], axis=0)

    def push(self, points: np.ndarray, frames: dict, margin: float) -> np.ndarray:
        """World displacements (T, 3) that take points (T, 3) out to `margin` outside the body: smooth in the
        points (softplus, parts blended over their overlap, the larger of torso's and thigh's by a softmax), so a
        hand sliding along the body does not pop."""
        pushes = np.array([stack.push(points, frames, margin) for stack in self.stacks])
        size = np.linalg.norm(pushes, axis=2) / STACK_SOFTNESS
        weight = np.exp(size - size.max(axis=0))
        return np.sum(weight[..., None] * pushes, axis=0) / np.sum(weight, axis=0)[:, None]


def torso_frames(clip_or_world, positions=None, skeleton=SMPLX_SKELETON) -> dict:
    """{joint index: (world rotation, world position)} of the pelvis, spine and hip joints: from a MotionClip by
    forward kinematics, or from world rotations (T, J, 4) and positions (T, J, 3)."""
    from ...clips import rotations
    if positions is None:
        from ...clips.kinematics import world_transforms
        world, positions = world_transforms(clip_or_world)
    else:
        world = clip_or_world
    return {skeleton.index(name): (rotations.to_rotation(world[:, skeleton.index(name)]),
                                   positions[:, skeleton.index(name)])
            for name in [name for name, _ in DEMO_PARTS] + [f"left_{DEMO_THIGH}", f"right_{DEMO_THIGH}"]}


def palm_centre(positions: np.ndarray, side: str, skeleton=SMPLX_SKELETON) -> np.ndarray:
    """(T, 3) the palm's centre: halfway from the wrist to the middle of the four knuckles."""
    knuckles = np.mean([positions[:, skeleton.index(f"{side}_{f}1")] for f in ("index", "middle", "ring", "pinky")],
                       axis=0)
    return 0.5 * (positions[:, skeleton.index(f"{side}_wrist")] + knuckles)


def fingertips(world: np.ndarray, positions: np.ndarray, side: str, skeleton=SMPLX_SKELETON) -> np.ndarray:
    """(T, 5, 3) the tips of thumb, index, middle, ring and pinky: TIP_SHARE of the last segment's length past
    the last joint, along it, from world rotations (T, J, 4) and positions (T, J, 3)."""
    from ...clips import rotations
    tips = []
    for finger in FINGERS:
        last = skeleton.index(f"{side}_{finger}3")
        rotation = rotations.to_rotation(world[:, last])
        tips.append(positions[:, last] + rotation.apply(TIP_SHARE * skeleton.offsets[last]))
    return np.stack(tips, axis=1)
