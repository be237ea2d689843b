"""Write a MotionClip as BVH (centimetres, Y-up, facing +Z: what Blender's and most tools' BVH importers expect)."""

import warnings

import numpy as np

from ...clips import rotations
from ...clips.motion import MotionClip

Z_UP_TO_Y_UP = rotations.Y_UP_TO_Z_UP.inv()
CM = 100.0


BLOCK_FRAMES = 2048  # frames converted and written at a time (an hour at 30 fps stays a few MB)


def write_bvh(clip: MotionClip, path) -> None:
    skeleton = clip.skeleton
    offsets = Z_UP_TO_Y_UP.apply(skeleton.offsets) * CM
    lines, order = ["HIERARCHY"], []
    _write_joint(lines, order, skeleton, offsets, 0, 0)
    lines += ["MOTION", f"Frames: {clip.num_frames}", f"Frame Time: {1.0 / clip.fps:.8f}"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
        for first in range(0, clip.num_frames, BLOCK_FRAMES):
            handle.write(_motion_lines(clip, order, first, min(clip.num_frames, first + BLOCK_FRAMES)))


def _motion_lines(clip: MotionClip, order: list, first: int, end: int) -> str:
    local = rotations.change_of_basis(clip.rotations[first:end], Z_UP_TO_Y_UP)
    with warnings.catch_warnings():
        # At X = ±90° scipy zeroes the third angle and warns; the angles still give the same rotation.
        warnings.filterwarnings("ignore", message="Gimbal lock detected")
        euler = np.degrees(rotations.to_rotation(local).as_euler("ZXY"))
    euler = euler.reshape(end - first, len(clip.skeleton), 3)[:, order]  # the hierarchy's depth-first order
    root = Z_UP_TO_Y_UP.apply(clip.root_translation[first:end]) * CM
    rows = np.concatenate([root, euler.reshape(end - first, -1)], axis=1)
    return "".join(" ".join(f"{v:.5f}" for v in values) + "\n" for values in rows)


def _write_joint(lines, order, skeleton, offsets, joint, depth):
    order.append(joint)
    pad = "  " * depth
    name = skeleton.joint_names[joint]
    if joint == 0:
        lines.append(f"ROOT {name}")
        offset = np.zeros(3)   # the root's place is all in its position channels
        channels = "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
    else:
        lines.append(f"{pad}JOINT {name}")
        offset = offsets[joint]
        channels = "CHANNELS 3 Zrotation Xrotation Yrotation"
    lines += [f"{pad}{{", f"{pad}  OFFSET {offset[0]:.5f} {offset[1]:.5f} {offset[2]:.5f}", f"{pad}  {channels}"]
    children = skeleton.children(joint)
    for child in children:
        _write_joint(lines, order, skeleton, offsets, child, depth + 1)
    if not children:
        tip = offsets[joint] * 0.5 if np.linalg.norm(offsets[joint]) > 1e-6 else np.array([0.0, 5.0, 0.0])
        lines += [f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {tip[0]:.5f} {tip[1]:.5f} {tip[2]:.5f}",
                  f"{pad}  }}"]
    lines.append(f"{pad}}}")
