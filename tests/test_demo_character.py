"""The committed demo character (assets/demo_character.blend, built by scripts/build_demo_character.py).

Runs with the real ``bpy`` module (no skip: the asset is part of the product).
"""

import math
from pathlib import Path

import bpy
import numpy as np
import pytest

from soundmotion.clips.arkit import ARKIT_BLENDSHAPES

pytestmark = pytest.mark.blender
REPO_ROOT = Path(__file__).resolve().parents[1]

BLEND = REPO_ROOT / "assets" / "demo_character.blend"

EXPECTED_BONES = {
    "pelvis", "spine_01", "spine_02", "spine_03", "neck_01", "head",
    "clavicle_l", "upperarm_l", "lowerarm_l", "hand_l", "clavicle_r", "upperarm_r", "lowerarm_r", "hand_r",
    "thigh_l", "calf_l", "foot_l", "ball_l", "thigh_r", "calf_r", "foot_r", "ball_r",
    "thumb_01_l", "index_03_l", "pinky_03_r",
}


@pytest.fixture
def scene():
    """Open the asset fresh for every test (0.2 s) so pose/shape-key edits never leak between tests."""
    assert BLEND.is_file(), f"missing {BLEND}: run scripts/build_demo_character.py"
    bpy.ops.wm.open_mainfile(filepath=str(BLEND), load_ui=False)
    body = bpy.data.objects["DemoHuman"]
    rig = bpy.data.objects["DemoRig"]
    return body, rig


def rest_co(mesh) -> np.ndarray:
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float64)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def evaluated_co(obj) -> np.ndarray:
    """World-space vertex positions after shape keys and the armature modifier."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    depsgraph.update()
    ev = obj.evaluated_get(depsgraph)
    me = ev.to_mesh()
    try:
        co = np.empty(len(me.vertices) * 3, dtype=np.float64)
        me.vertices.foreach_get("co", co)
        co = co.reshape(-1, 3)
    finally:
        ev.to_mesh_clear()
    mw = np.array(obj.matrix_world)
    return co @ mw[:3, :3].T + mw[:3, 3]


def skin_vertices(body) -> np.ndarray:
    """Indices of vertices used by faces with the "Skin" material (the body surface, no eyes/teeth/tongue)."""
    skin = body.data.materials.find("Skin")
    assert skin >= 0
    idx = {v for p in body.data.polygons if p.material_index == skin for v in p.vertices}
    return np.array(sorted(idx))


def test_objects_and_structure(scene):
    body, rig = scene
    assert body.type == "MESH" and rig.type == "ARMATURE"
    assert body.parent is rig
    mods = [m for m in body.modifiers if m.type == "ARMATURE"]
    assert len(mods) == 1 and mods[0].object is rig
    assert bpy.context.scene.render.fps == 30
    assert 10_000 < len(body.data.vertices) < 20_000
    assert all(p.use_smooth for p in body.data.polygons)
    assert "Skin" in body.data.materials
    assert BLEND.stat().st_size <= 8 * 1024 * 1024


def test_shape_keys_are_the_52_arkit_names_in_apple_order(scene):
    body, _ = scene
    names = [kb.name for kb in body.data.shape_keys.key_blocks]
    assert names[0] == "Basis"
    assert tuple(names[1:]) == ARKIT_BLENDSHAPES
    assert len(names) == 53
    basis = body.data.shape_keys.key_blocks["Basis"]
    for kb in body.data.shape_keys.key_blocks[1:]:
        assert kb.relative_key == basis
        assert kb.value == 0.0


def test_every_shape_key_moves_something(scene):
    body, _ = scene
    kbs = body.data.shape_keys.key_blocks
    n = len(body.data.vertices)
    base = np.empty(n * 3)
    kbs["Basis"].data.foreach_get("co", base)
    for name in ARKIT_BLENDSHAPES:
        co = np.empty(n * 3)
        kbs[name].data.foreach_get("co", co)
        assert np.abs(co - base).max() > 1e-3, name  # > 1 mm


def test_armature_bones(scene):
    _, rig = scene
    bones = rig.data.bones
    assert len(bones) >= 50
    assert EXPECTED_BONES <= set(bones.keys())
    assert bones["head"].parent.name == "neck_01"
    assert bones["upperarm_l"].parent.name == "clavicle_l"
    assert bones["hand_l"].head_local.x > 0.3  # character's left is +X
    assert bones["hand_r"].head_local.x < -0.3
    assert bones["head"].head_local.z > bones["pelvis"].head_local.z + 0.5


def test_size_placement_and_facing(scene):
    body, rig = scene
    co = rest_co(body.data) @ np.array(body.matrix_world)[:3, :3].T + np.array(body.matrix_world)[:3, 3]
    height = co[:, 2].max() - co[:, 2].min()
    assert 1.5 < height < 2.0
    assert abs(co[:, 2].min()) < 1e-4
    assert abs(co[:, 0].min() + co[:, 0].max()) < 0.01  # symmetric about x = 0
    assert abs(np.median(co[:, 1])) < 0.15

    # Faces -Y: toes are in front of (more -Y than) the ankles/heels, the nose in front of the head bone.
    ankle = rig.data.bones["foot_l"].head_local
    sole = co[(co[:, 2] < 0.03) & (co[:, 0] > 0)]
    toes, heel = sole[:, 1].min(), sole[:, 1].max()
    assert ankle.y - toes > 2 * (heel - ankle.y) > 0
    assert rig.data.bones["ball_l"].tail_local.y < rig.data.bones["foot_l"].head_local.y
    head = rig.data.bones["head"].head_local
    skull = co[co[:, 2] > head.z]
    nose = skull[np.argmin(skull[:, 1])]
    assert nose[1] < head.y - 0.08
    assert abs(nose[0]) < 0.01


def test_jaw_open_moves_chin_down(scene):
    body, rig = scene
    head = rig.data.bones["head"].head_local
    rest = evaluated_co(body)
    skin = skin_vertices(body)
    s = rest[skin]
    # Lower lip / chin: front surface of the face on the midline, 3-8 cm below the head joint.
    chin = skin[(np.abs(s[:, 0]) < 0.002) & (s[:, 2] > head.z - 0.08) & (s[:, 2] < head.z - 0.03)
                & (s[:, 1] < head.y - 0.12)]
    forehead = skin[(s[:, 2] > head.z + 0.06) & (s[:, 1] < head.y - 0.07)]
    assert len(chin) >= 5 and len(forehead) >= 20
    body.data.shape_keys.key_blocks["jawOpen"].value = 1.0
    opened = evaluated_co(body)
    dz = opened[:, 2] - rest[:, 2]
    assert np.median(dz[chin]) < -0.005, np.median(dz[chin])
    assert dz[chin].min() < -0.02
    assert np.abs(opened[forehead] - rest[forehead]).max() < 0.001


def test_eye_blink_left_is_on_plus_x(scene):
    body, _ = scene
    kbs = body.data.shape_keys.key_blocks
    base = rest_co(body.data)
    for name, sign in (("eyeBlinkLeft", 1), ("eyeBlinkRight", -1)):
        co = np.empty(base.size)
        kbs[name].data.foreach_get("co", co)
        delta = co.reshape(-1, 3) - base
        lid = delta[:, 2] < -0.005  # the upper lid comes down by > 5 mm, on one side only
        assert lid.sum() > 30, name
        assert np.all(sign * base[lid, 0] > 0.015), name
        # and the motion as a whole is centred on that side's eye
        weight = np.linalg.norm(delta, axis=1)
        assert sign * (base[:, 0] * weight).sum() / weight.sum() > 0.015, name


def test_every_vertex_is_skinned(scene):
    body, _ = scene
    totals = np.array([sum(g.weight for g in v.groups) for v in body.data.vertices])
    assert totals.min() > 0.99
    assert totals.max() < 1.01
    bone_names = set(scene[1].data.bones.keys())
    assert {vg.name for vg in body.vertex_groups} <= bone_names


def test_posing_upper_arm_moves_the_hand(scene):
    body, rig = scene
    hand_l = body.vertex_groups["hand_l"].index
    hand_r = body.vertex_groups["hand_r"].index
    left = [v.index for v in body.data.vertices if any(g.group == hand_l and g.weight > 0.9 for g in v.groups)]
    right = [v.index for v in body.data.vertices if any(g.group == hand_r and g.weight > 0.9 for g in v.groups)]
    assert len(left) > 50 and len(right) > 50
    rest = evaluated_co(body)
    pb = rig.pose.bones["upperarm_l"]
    pb.rotation_mode = "XYZ"
    pb.rotation_euler = (0.0, 0.0, math.radians(-60))
    posed = evaluated_co(body)
    moved = np.linalg.norm(posed - rest, axis=1)
    assert moved[left].min() > 0.10  # the whole left hand swings by > 10 cm
    assert moved[right].max() < 1e-6
