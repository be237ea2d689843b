"""Pure test rigs: preset-named rigs on the SMPL-X skeleton geometry, and A-posed variants of any rig."""

import numpy as np
from scipy.spatial.transform import Rotation

from soundmotion.clips import rotations
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.retarget.bone_map import BoneMap, load_preset
from soundmotion.retarget.makehuman_rig import bone_rest_rotation
from soundmotion.retarget.rig import RigRest


def synthetic_rig(preset: str, roll: float = 0.3) -> tuple:
    """(RigRest, BoneMap): the canonical skeleton's joints that `preset` names, renamed and re-parented to
    their nearest named ancestor, as Blender bones (Y along the bone, a non-zero roll)."""
    bone_map = load_preset(preset)
    skeleton = SMPLX_SKELETON
    positions = skeleton.rest_positions()
    kept = [j for j, name in enumerate(skeleton.joint_names) if name in bone_map.bones]
    names, parents, heads, tails, rests = [], [], [], [], []
    for j in kept:
        parent = skeleton.parents[j]
        while parent >= 0 and parent not in kept:
            parent = skeleton.parents[parent]
        children = [c for c in kept if skeleton.parents[c] == j]
        head = positions[j]
        tail = positions[children[0]] if children else head + 0.5 * (head - positions[skeleton.parents[j]])
        if np.linalg.norm(tail - head) < 1e-3:
            tail = head + np.array([0.0, 0.0, 0.05])
        names.append(bone_map.bones[skeleton.joint_names[j]])
        parents.append(kept.index(parent) if parent >= 0 else -1)
        heads.append(head)
        tails.append(tail)
        rests.append(rotations.from_rotation(bone_rest_rotation(head, tail, roll))[0])
    return RigRest(names, parents, heads, tails, rests), bone_map


def a_posed(rig: RigRest, bone_map: BoneMap, degrees: float = 45.0) -> RigRest:
    """The same rig with both arms lowered by `degrees` about the shoulders (rest pose A instead of T)."""
    heads, tails = rig.heads.copy(), rig.tails.copy()
    rest = rotations.to_rotation(rig.rest_rotations)
    quats = rig.rest_rotations.copy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        top = rig.index(bone_map.bones[f"{side}_shoulder"])
        turn = Rotation.from_rotvec([0.0, sign * np.radians(degrees), 0.0])
        pivot = rig.heads[top].copy()
        for b in range(len(rig)):
            if _descends(rig, b, top):
                heads[b] = pivot + turn.apply(rig.heads[b] - pivot)
                tails[b] = pivot + turn.apply(rig.tails[b] - pivot)
                quats[b] = rotations.from_rotation(turn * rest[b])[0]
    return RigRest(rig.names, rig.parents, heads, tails, quats)


def _descends(rig, bone, top):
    while bone >= 0:
        if bone == top:
            return True
        bone = rig.parents[bone]
    return False


def transformed(rig: RigRest, rotation: Rotation = None, scale: float = 1.0, offset=(0.0, 0.0, 0.0)) -> RigRest:
    """The rig moved, turned and scaled as a whole (its bones' rolls kept): heads' = scale·R·heads + offset."""
    rotation = rotation or Rotation.identity()
    quat = rotations.from_rotation(rotation)[0]
    heads = scale * rotation.apply(rig.heads) + offset
    tails = scale * rotation.apply(rig.tails) + offset
    return RigRest(rig.names, rig.parents, heads, tails, rotations.multiply(quat, rig.rest_rotations))


def hip_origin(rig: RigRest, bone_map: BoneMap) -> RigRest:
    """The rig as MakeHuman's game-engine and CMU skeletons come: the armature origin at the pelvis head, the
    rest feet about 0.8-0.9 m below it."""
    return transformed(rig, offset=-rig.heads[rig.index(bone_map.bones["pelvis"])])


def rolled(rig: RigRest, seed: int = 0, max_degrees: float = 180.0) -> RigRest:
    """Every bone turned about its own axis by a random roll (same heads and tails, other local axes)."""
    rng = np.random.default_rng(seed)
    rolls = np.radians(rng.uniform(-max_degrees, max_degrees, len(rig)))
    turns = rotations.from_rotation(Rotation.from_rotvec(np.outer(rolls, [0.0, 1.0, 0.0])), (len(rig),))
    return RigRest(rig.names, rig.parents, rig.heads, rig.tails, rotations.multiply(rig.rest_rotations, turns))


def opaque_names(rig: RigRest, bone_map: BoneMap = None, seed: int = 0, prefix: str = "b") -> tuple:
    """(rig, map) with every bone renamed `b001`, `b002`, ... in a shuffled order, as some exporters write
    them; the map (when given) renamed alike, so it says which opaque bone plays each joint."""
    rng = np.random.default_rng(seed)
    numbers = rng.permutation(len(rig)) + 1
    rename = {name: f"{prefix}{number:03d}" for name, number in zip(rig.names, numbers)}
    renamed = RigRest([rename[n] for n in rig.names], rig.parents, rig.heads, rig.tails, rig.rest_rotations)
    if bone_map is None:
        return renamed, None
    mapped = BoneMap(bone_map.name, {j: rename[b] for j, b in bone_map.bones.items() if b in rename},
                     bone_map.description, rename.get(bone_map.root_bone, ""))
    return renamed, mapped


def shaped_mesh(targets: dict):
    """MakeHuman's base mesh deformed by morph targets {path under mpfb2/targets (no .target.gz): weight}: a
    child, a tall long-legged adult, ... whose rigs (read_makehuman_rig(path, mesh)) nobody tuned for."""
    import gzip

    from soundmotion.retarget.makehuman_rig import OBJ_TO_BLENDER, BaseMesh, mpfb_data_dir, read_base_mesh

    base = read_base_mesh()
    vertices = base.vertices.copy()
    for name, weight in targets.items():
        path = mpfb_data_dir() / "targets" / f"{name}.target.gz"
        rows = np.loadtxt(gzip.open(path, "rt"), comments="#")
        vertices[rows[:, 0].astype(int)] += weight * rows[:, 1:4] @ OBJ_TO_BLENDER.T
    body = base.groups.get("body", np.arange(len(vertices)))
    return BaseMesh(vertices, base.groups, float(vertices[body, 2].min()))


SHAPES = {
    "child": {"macrodetails/caucasian-female-child": 1.0},
    "tall long legs": {"macrodetails/height/male-young-averagemuscle-averageweight-maxheight": 1.0,
                       "legs/upperlegs-height-incr": 1.0, "legs/lowerlegs-height-incr": 1.0},
    "short legs long arms": {"legs/upperlegs-height-decr": 1.0, "legs/lowerlegs-height-decr": 1.0,
                             "arms/measure-upperarm-length-incr": 1.0, "arms/measure-lowerarm-length-incr": 1.0},
    "old woman": {"macrodetails/caucasian-female-old": 1.0},
}
