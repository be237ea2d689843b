"""BVH reader: any skeleton, Y-up or Z-up, any unit, any channel order → a MotionClip on the file's own skeleton.

The clip is in the project's frame (metres, Z-up, facing -Y). BVH joint rest frames are aligned with the
file's axes, exactly like MotionClip joints, so only a change of basis is needed.

Translation is read wherever the file puts it. Some skeletons keep a still root at the floor and move the joint
below it (Bandai-Namco's `joint_Root` → `Hips`): the clip is then rooted at that moving joint, its world
position and rotation composed from the joints above it, which are dropped (their other children hang from
the new root). Position channels that never change are just the joint's offset.
"""

from dataclasses import dataclass

import numpy as np

from ...clips import MotionClip, rotations
from ...clips.errors import ClipError
from ...clips.rotations import Rotation
from ...clips.skeleton import Skeleton
from ..errors import RetargetError
from ..rig import RigRest

AXIS_LETTERS = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
# Human heights in each unit; the first bracket containing the rest height wins.
UNIT_SCALES = ((0.3, 3.0, 1.0), (3.0, 10.0, 0.1), (10.0, 100.0, 0.0254), (100.0, 400.0, 0.01), (400.0, 4000.0, 0.001))


class BvhError(RetargetError):
    """The BVH file is malformed; the message says where."""


@dataclass(eq=False)
class BvhMotion:
    clip: MotionClip
    rig: RigRest
    scale: float
    up_axis: str


@dataclass
class _Joint:
    name: str
    parent: int
    offset: np.ndarray
    channels: list
    end_site: np.ndarray = None


def read_bvh(path, up_axis: str = "auto", scale: float = None) -> BvhMotion:
    """Read a BVH file. `up_axis` is "Y", "Z" or "auto"; `scale` converts file units to metres (auto: from
    the skeleton's height)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise BvhError(f"Cannot read BVH file {path}: {error.strerror or error}.") from None
    # Windows tools save text as UTF-16 (or UTF-8 with a byte-order mark); read as UTF-8, such a file had
    # "no MOTION section".
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    return parse_bvh(data.decode(encoding, errors="replace"), str(path), up_axis, scale)


def parse_bvh(text: str, label: str = "BVH", up_axis: str = "auto", scale: float = None) -> BvhMotion:
    head, sep, motion = text.partition("MOTION")
    if not sep:
        raise BvhError(f"{label}: no MOTION section; this is not a complete BVH file (it may be cut short). "
                       "Export it again.")
    joints = _parse_hierarchy(head.split(), label)
    motion_line = len((head + "MOTION").splitlines())  # the file's line number of the MOTION line
    values, fps = _parse_motion(motion, sum(len(j.channels) for j in joints), label, motion_line)
    return _to_motion(joints, values, fps, label, up_axis, scale)


def _parse_hierarchy(tokens: list, label: str) -> list:
    if not tokens or tokens[0] != "HIERARCHY":
        raise BvhError(f"{label}: the file must start with HIERARCHY.")
    joints, stack, pos = [], [], 1
    pending_end = False

    def take(count):
        nonlocal pos
        if pos + count > len(tokens):
            raise BvhError(f"{label}: the hierarchy ends in the middle of a joint (unbalanced braces?).")
        out = tokens[pos:pos + count]
        pos += count
        return out

    while pos < len(tokens):
        word = take(1)[0]
        if word in ("ROOT", "JOINT"):
            if word == "ROOT" and joints:
                raise BvhError(f"{label}: more than one ROOT; only one skeleton per file is supported.")
            if word == "JOINT" and not stack:
                raise BvhError(f"{label}: JOINT outside any parent joint (broken hierarchy).")
            name = take(1)[0]
            if take(1)[0] != "{":
                raise BvhError(f"{label}: expected '{{' after {word} {name}.")
            joints.append(_Joint(name, stack[-1] if stack else -1, None, []))
            stack.append(len(joints) - 1)
        elif word == "End":
            take(1)
            if take(1)[0] != "{" or not stack:
                raise BvhError(f"{label}: malformed End Site.")
            pending_end = True
            stack.append(None)
        elif word == "OFFSET":
            offset = _floats(take(3), label, "OFFSET")
            if pending_end:
                joints[stack[-2]].end_site = offset if joints[stack[-2]].end_site is None else joints[stack[-2]].end_site
            elif stack and stack[-1] is not None:
                joints[stack[-1]].offset = offset
            else:
                raise BvhError(f"{label}: OFFSET outside a joint.")
        elif word == "CHANNELS":
            count = _int(take(1)[0], label)
            names = take(count)
            unknown = [n for n in names if n not in AXIS_LETTERS and n not in POSITION_CHANNELS]
            if unknown or not stack or stack[-1] is None:
                raise BvhError(f"{label}: unknown or misplaced channel(s) {unknown or names}.")
            joints[stack[-1]].channels = names
        elif word == "}":
            if not stack:
                raise BvhError(f"{label}: unbalanced '}}' in the hierarchy.")
            if stack.pop() is None:
                pending_end = False
        else:
            raise BvhError(f"{label}: unexpected word {word!r} in the hierarchy.")
    if stack:
        raise BvhError(f"{label}: the hierarchy has unclosed '{{' (broken hierarchy).")
    if not joints:
        raise BvhError(f"{label}: the hierarchy has no ROOT joint.")
    missing = [j.name for j in joints if j.offset is None]
    if missing:
        raise BvhError(f"{label}: joint(s) without OFFSET: {', '.join(missing[:5])}.")
    if len({j.name for j in joints}) != len(joints):
        raise BvhError(f"{label}: joint names repeat; every joint needs its own name.")
    return joints


def _parse_motion(motion: str, channel_count: int, label: str, motion_line: int = 1):
    """(frames × channels values, fps) from the text after MOTION; `motion_line` numbers its first line as in
    the file. A frame is a line of exactly `channel_count` values: read as one stream of numbers, rows holding one
    value too many were shifted by one more value each row (the pelvis swinging 0.6–3.1 m high, exit 0), and rows
    beyond `Frames:` were dropped without a word."""
    lines = motion.splitlines()
    tokens, data_start = [], None
    for index, line in enumerate(lines):
        tokens += line.split()
        if "Time:" in tokens:
            data_start = index + 1
            break
    try:
        frames = int(tokens[tokens.index("Frames:") + 1])
        frame_time = float(tokens[tokens.index("Time:") + 1])
    except (ValueError, IndexError):
        raise BvhError(f"{label}: MOTION needs 'Frames: N' and 'Frame Time: seconds'.") from None
    if not np.isfinite(frame_time) or frame_time <= 0:
        raise BvhError(f"{label}: Frame Time must be a positive number of seconds, got {frame_time}.")
    if frames <= 0:
        raise BvhError(f"{label}: the file holds no frames of motion (Frames: {frames}); export it again with "
                       "its animation.")
    rows = [(motion_line + index, line.split()) for index, line in enumerate(lines[data_start:], data_start)]
    rows = [(number, words) for number, words in rows if words]
    wrong = next(((number, len(words)) for number, words in rows if len(words) != channel_count), None)
    total = sum(len(words) for _, words in rows)
    if wrong is not None and total != frames * channel_count:  # rows wrapped over lines still add up
        number, count = wrong
        if number == rows[-1][0] and count < channel_count:
            raise BvhError(f"{label}: the last frame (line {number}) holds {count} of its {channel_count} values; "
                           f"the file is cut short: export it again.")
        raise BvhError(f"{label}: line {number} holds {count} values but the hierarchy declares {channel_count} "
                       f"channels; the file is damaged or was edited by hand: export it again.")
    if wrong is None and len(rows) != frames:
        first, last = (rows[0][0], rows[-1][0]) if rows else (motion_line, motion_line)
        raise BvhError(f"{label}: its header promises {frames} frames ('Frames: {frames}') but {len(rows)} lines "
                       f"of motion follow (lines {first}–{last}); set 'Frames:' to {len(rows)} if the file is "
                       f"complete, else export it again.")
    try:
        values = np.array([word for _, words in rows for word in words], dtype=np.float64)
    except ValueError:
        number, word = next((number, word) for number, words in rows for word in words if not _is_number(word))
        raise BvhError(f"{label}: line {number} holds {word!r}, which is not a number; export the file "
                       "again.") from None
    values = values.reshape(frames, channel_count)
    if not np.all(np.isfinite(values)):
        bad_frame = int(np.argwhere(~np.isfinite(values))[0, 0])
        line = f", line {rows[bad_frame][0]}" if wrong is None else ""
        raise BvhError(f"{label}: motion data contains NaN or infinite values (first at frame {bad_frame}{line}); "
                       "export the file again.")
    return values, 1.0 / frame_time


def _is_number(word) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _floats(words, label, what):
    try:
        values = np.array(words, dtype=np.float64)
    except ValueError:
        raise BvhError(f"{label}: {what} needs numbers, got {' '.join(words)}.") from None
    if not np.all(np.isfinite(values)):
        raise BvhError(f"{label}: {what} contains NaN or infinite values.")
    return values


def _int(word, label):
    try:
        return int(word)
    except ValueError:
        raise BvhError(f"{label}: CHANNELS needs a count, got {word!r}.") from None


def _to_motion(joints, values, fps, label, up_axis, scale) -> BvhMotion:
    frames = values.shape[0]
    offsets = np.stack([j.offset for j in joints])
    parents = np.array([j.parent for j in joints])
    local = np.zeros((frames, len(joints), 4))
    translations = {}
    column = 0
    for index, joint in enumerate(joints):
        rot_cols = [column + k for k, name in enumerate(joint.channels) if name in AXIS_LETTERS]
        order = "".join(AXIS_LETTERS[name] for name in joint.channels if name in AXIS_LETTERS)
        if order:
            # Channels listed Z Y X mean R = Rz·Ry·Rx: scipy's intrinsic (upper-case) order.
            local[:, index] = rotations.from_rotation(
                Rotation.from_euler(order, values[:, rot_cols], degrees=True), (frames,))
        else:
            local[:, index] = rotations.IDENTITY_WXYZ
        if any(name in joint.channels for name in POSITION_CHANNELS):
            raw = np.zeros((frames, 3))
            for axis, name in enumerate(POSITION_CHANNELS):
                if name in joint.channels:
                    raw[:, axis] = values[:, column + joint.channels.index(name)]
            translations[index] = _absolute_root(raw, joint.offset)
        column += len(joint.channels)
    joints, local, offsets, parents, root_position = _rooted_where_it_moves(joints, local, offsets, parents,
                                                                            translations)

    names = [j.name for j in joints]
    world, positions = _file_space_fk(local, offsets, parents, root_position)
    rest = np.zeros_like(offsets)
    for j, parent in enumerate(parents):
        rest[j] = offsets[j] + (rest[parent] if parent >= 0 else 0.0)
    rebased = False
    if not _upright(rest, names) and _upright(positions[0], names):
        # Some converters (e.g. CMU→Character Creator) bake joint orients into OFFSETs, leaving a
        # meaningless zero pose; their first frame is the real rest (a T-pose). Re-base on it.
        local, offsets = _rebased_on_frame(world, positions, parents, frame=0)
        rest = positions[0]
        rebased = True
    up = _up_axis(rest, names) if up_axis == "auto" else str(up_axis).upper()
    if up not in ("Y", "Z"):
        raise BvhError(f"{label}: up axis must be 'Y', 'Z' or 'auto', got {up_axis!r}.")
    basis = rotations.Y_UP_TO_Z_UP if up == "Y" else Rotation.identity()
    height = float(np.ptp(basis.apply(rest)[:, 2]))
    if scale is None:
        scale = next((s for low, high, s in UNIT_SCALES if low <= height < high), None)
        if scale is None:
            raise BvhError(f"{label}: cannot tell the unit of a {height:g}-unit tall skeleton; pass a scale.")
    basis = _facing_correction(basis, rest, names) * basis

    offsets_z = basis.apply(offsets) * scale
    offsets_z[0] = basis.apply(rest[0]) * scale
    root_z = basis.apply(root_position) * scale
    local_z = rotations.change_of_basis(local, basis)
    tails = np.full_like(offsets_z, np.nan)
    rest_z = basis.apply(rest) * scale
    for j, joint in enumerate(joints):
        if joint.end_site is not None and not np.any(parents == j):
            rest_end = _rest_end_site(joint.end_site, world, j, rebased)
            tails[j] = rest_z[j] + basis.apply(rest_end) * scale
    try:
        skeleton = Skeleton(tuple(names), parents, offsets_z)
        clip = MotionClip(fps, skeleton, rotations.normalize(local_z), root_z)
    except ClipError as error:
        raise BvhError(f"{label}: {error}") from None
    return BvhMotion(clip, RigRest.from_skeleton(skeleton, tails), float(scale), up)


def _rooted_where_it_moves(joints, local, offsets, parents, translations):
    """Constant position channels become offsets; when a joint below the root carries the motion, root the
    skeleton there (see the module note). Returns (joints, local rotations, offsets, parents, root path)."""
    rest = np.zeros_like(offsets)
    for j, parent in enumerate(parents):
        rest[j] = offsets[j] + (rest[parent] if parent >= 0 else 0.0)
    size = max(float(np.ptp(rest, axis=0).max()), 1e-9)
    offsets = offsets.copy()
    moving = []
    for j, path in translations.items():
        if j > 0 and np.ptp(path, axis=0).max() > 1e-3 * size:
            moving.append(j)
        elif j > 0:
            offsets[j] = path.mean(axis=0)
    frames = local.shape[0]
    if not moving:
        return joints, local, offsets, parents, translations.get(0, np.zeros((frames, 3)))
    depth = np.zeros(len(joints), dtype=int)
    for j, parent in enumerate(parents):
        depth[j] = depth[parent] + 1 if parent >= 0 else 0
    new_root = min(moving, key=lambda j: (depth[j], j))
    for j in moving:
        if j != new_root:
            offsets[j] = translations[j].mean(axis=0)  # a stretching bone keeps its mean length
    # World rotations and positions with every joint's own translation, in the file's space.
    world, positions = [None] * len(joints), np.zeros((frames, len(joints), 3))
    for j, parent in enumerate(parents):
        rot = rotations.to_rotation(local[:, j])
        step = translations.get(j, np.tile(offsets[j], (frames, 1)))
        if parent < 0:
            world[j], positions[:, j] = rot, translations.get(0, np.zeros((frames, 3)))
        else:
            world[j] = world[parent] * rot
            positions[:, j] = positions[:, parent] + world[parent].apply(step)
    dropped = set()
    bone = parents[new_root]
    while bone >= 0:
        dropped.add(bone)
        bone = parents[bone]
    order = [new_root] + [j for j in range(len(joints)) if j not in dropped and j != new_root]
    index = {j: i for i, j in enumerate(order)}
    new_joints, new_local, new_offsets, new_parents = [], np.empty((frames, len(order), 4)), [], []
    for i, j in enumerate(order):
        parent = parents[j]
        joint = _Joint(joints[j].name, -1, None, joints[j].channels, joints[j].end_site)
        if j == new_root:
            new_local[:, i] = rotations.from_rotation(world[j], (frames,))
            new_offsets.append(rest[j])
        elif parent in dropped:
            new_local[:, i] = rotations.from_rotation(world[new_root].inv() * world[j], (frames,))
            new_offsets.append(rest[j] - rest[new_root])
            joint.parent = 0
        else:
            new_local[:, i] = local[:, j]
            new_offsets.append(offsets[j])
            joint.parent = index[parent]
        joint.offset = new_offsets[-1]
        new_parents.append(joint.parent)
        new_joints.append(joint)
    return new_joints, new_local, np.array(new_offsets), np.array(new_parents), positions[:, new_root]


def _file_space_fk(local, offsets, parents, root_position):
    frames, count = local.shape[:2]
    world = [None] * count
    positions = np.zeros((frames, count, 3))
    for j, parent in enumerate(parents):
        rot = rotations.to_rotation(local[:, j])
        if parent < 0:
            world[j] = rot
            positions[:, j] = root_position
        else:
            world[j] = world[parent] * rot
            positions[:, j] = positions[:, parent] + world[parent].apply(offsets[j])
    return world, positions


def _rebased_on_frame(world, positions, parents, frame):
    """Local rotations and offsets of the same motion with `frame`'s pose as the (world-aligned) rest."""
    frames, count = positions.shape[:2]
    rebased_world = [w * w[frame].inv() for w in world]
    local = np.empty((frames, count, 4))
    offsets = np.zeros((count, 3))
    for j, parent in enumerate(parents):
        if parent < 0:
            local[:, j] = rotations.from_rotation(rebased_world[j], (frames,))
            offsets[j] = positions[frame, j]
        else:
            local[:, j] = rotations.from_rotation(rebased_world[parent].inv() * rebased_world[j], (frames,))
            offsets[j] = positions[frame, j] - positions[frame, parent]
    return local, offsets


def _rest_end_site(end_site, world, joint, rebased):
    return world[joint][0].apply(end_site) if rebased else end_site


def _upright(positions, names) -> bool:
    """Head above hips above feet along the axis where they differ most: a plausible standing rest pose."""
    heads, hips, feet = _named(names, "head"), _named(names, "hip", "pelvis"), _named(names, "foot", "ankle")
    if not (heads and hips and feet):
        return True
    head, hip, foot = positions[heads[0]], positions[hips[0]], np.mean(positions[feet], axis=0)
    axis = int(np.argmax(np.abs(head - foot)))
    sign = np.sign(head[axis] - foot[axis])
    return bool(sign * (head[axis] - hip[axis]) > 0 and sign * (hip[axis] - foot[axis]) > 0)


def _absolute_root(channel_position, root_offset):
    # Writers disagree: some store the root position absolutely, others relative to the ROOT OFFSET.
    # Values that hover around the offset are absolute; values near zero are relative to it.
    mean = channel_position.mean(axis=0)
    if np.linalg.norm(mean - root_offset) < np.linalg.norm(mean) or not np.any(root_offset):
        return channel_position
    return channel_position + root_offset


def _named(names, *needles):
    lowered = [n.lower() for n in names]
    return [i for i, n in enumerate(lowered) if any(k in n for k in needles)]


def _up_axis(rest, names) -> str:
    heads = _named(names, "head")
    feet = _named(names, "foot", "ankle", "toe")
    if heads and feet:
        up = rest[heads[0]] - np.mean(rest[feet], axis=0)
    else:
        up = rest.max(axis=0) - rest.min(axis=0)
        up[0] = 0.0  # X is left/right in every common convention
    axis = int(np.argmax(np.abs(up)))
    return "Z" if axis == 2 else "Y"


def _facing_correction(basis, rest, names) -> Rotation:
    """The turn about Z, in quarter turns, that points the toes -Y after the basis change (the project faces -Y).
    Only half a turn was tried before: a file facing +X walked along +X, and one facing -X, where the sign of
    the toes' Y is noise, along +X too. Snapped to a quarter turn as rest poses are written along an axis (the
    toes' own splay stays out of it)."""
    feet = _named(names, "foot", "ankle")
    toes = _named(names, "toe")
    if not feet or not toes:
        return Rotation.identity()
    forward = basis.apply(np.mean(rest[toes], axis=0) - np.mean(rest[feet], axis=0))
    if np.hypot(forward[0], forward[1]) < 1e-9:
        return Rotation.identity()
    quarters = int(np.round((-90.0 - np.degrees(np.arctan2(forward[1], forward[0]))) / 90.0)) % 4
    return Rotation.from_euler("z", 90 * quarters, degrees=True) if quarters else Rotation.identity()
