"""IK controls (bpy adapter): key a rig's IK targets and poles so that its IK limbs reproduce the retarget.

A limb is found from the rig's own IK constraints (Rigify's legs and arms, or any rig with an IK constraint and
optionally a pole target): the constraint's chain must end at a mapped ankle or wrist (the owner's tail, or its
head with Use Tail off, where the chain starts at its parent). The control a user animates is found from the
constraint's target by walking back through copy-location constraints and parents to the top-most control that
nothing constrains (Rigify: MCH-thigh_ik_target.L ← foot_heel_ik.L ← foot_ik.L), but never onto the body: the walk
stops below a mapped bone, an ancestor of one or of the IK chain (a root or chest bone that hand-made, Auto-Rig
Pro and Mixamo control rigs hang their controls from), or a bone another limb's controls hang from.

Each control is carried rigidly by the retargeted bone it sits on at rest: the IK target by the ankle (wrist),
the pole by the thigh (upper arm), so the IK solves to the same pose as the FK result. Its keys are its pose
values under its parent as Blender evaluates it frame by frame; a second pass measures the IK chain's end and
moves the target by what remains, and turns the pole about the hip-to-ankle line by what the knee's side is
off (by the thigh's own twist where the knee is nearly straight: see _plane_turn). Rigify's limb switches are
keyed in the same action (IK_FK 0, pole_vector on, IK_Stretch 0: a stretchy chain straightens its knee a
little), so turning IK_FK back to 1 shows the FK result, which is keyed too.
"""

from dataclasses import dataclass

import bpy
import numpy as np

from ..clips import rotations
from ..clips.rotations import Rotation
from .blender_eval import evaluate_poses, measuring_only
from .bone_map import BoneMap
from .rig import RigRest
from .rig_frame import RigFrame

LIMBS = {"leg": ("hip", "knee", "ankle"), "arm": ("shoulder", "elbow", "wrist")}
NEAR = 0.03  # of the rig's height: how close an IK chain's end must start to a mapped ankle or wrist
# Of the upper bone's length: how far from its axis a twist of the limb shows. 0.15 keeps the bench's Rigify IK
# legs at 0.24 / 2.29 degrees; 0.25 cost 0.01 of p95, 0.1 left the IK shin 22.7 degrees off the FK shin on a
# Dance take's straightest frame (14.3 at 0.15).
TWIST_LEVER = 0.15


@dataclass
class IkLimb:
    side: str
    kind: str            # "leg" or "arm"
    chain_end: str       # the bone that carries the IK constraint
    target: str          # the control keyed for the chain's end (e.g. foot_ik.L)
    pole: str = ""       # the control keyed for the knee or elbow direction (e.g. thigh_ik_target.L)
    switch: str = ""     # the bone holding Rigify's IK_FK / pole_vector properties
    extra: tuple = ()    # (IK bone, FK bone) pairs whose local rotations match (Rigify's toe_ik / toe_fk)
    active: bool = True  # the constraint is on (not muted, influence above 0): the chain's FK keys cannot show


def _walk_to_control(armature, name, stop=frozenset()):
    """From a constraint's subtarget to the bone an animator keys: follow copy-location sources and parents
    while the bone is constrained or a mechanism bone, then climb to the top unconstrained control. `stop`: bones
    the walk must not reach (keys there would move the body or another limb); "" when it would."""
    bones, pose = armature.data.bones, armature.pose.bones
    seen = set()
    while name and name not in seen and name not in stop:
        seen.add(name)
        constrained = [c for c in pose[name].constraints if c.type == "COPY_LOCATION" and c.subtarget]
        if not name.startswith(("MCH-", "ORG-", "DEF-")) and not pose[name].constraints:
            break
        name = constrained[0].subtarget if constrained else (bones[name].parent.name if bones[name].parent else "")
    if not name or name in stop or pose[name].constraints:
        return ""
    while bones[name].parent is not None:
        parent = bones[name].parent.name
        if parent.startswith(("MCH-", "ORG-", "DEF-")) or pose[parent].constraints or parent in stop:
            break
        name = parent
    return name


def _ancestry(bones, names) -> set:
    """The named bones and all their ancestors."""
    return {n for name in names if name in bones for n in (name, *(p.name for p in bones[name].parent_recursive))}


def find_ik_limbs(armature, bone_map: BoneMap, rest: RigRest) -> list:
    """The rig's IK limbs whose chains end at a mapped ankle or wrist, one per limb (the constraint with a pole
    preferred: Rigify carries one with and one without, switched by its pole_vector property)."""
    height = float(np.ptp(np.concatenate([rest.heads, rest.tails])[:, 2])) or 1.0
    ends = {}
    for side in ("left", "right"):
        for kind, (_, _, end) in LIMBS.items():
            bone = bone_map.get(f"{side}_{end}")
            if bone and bone in rest.names:
                ends[(side, kind)] = rest.heads[rest.index(bone)]
    candidates = []
    for pose_bone in armature.pose.bones:
        for constraint in pose_bone.constraints:
            if constraint.type != "IK" or constraint.target != armature or not constraint.subtarget:
                continue
            i = rest.index(pose_bone.name)
            tip = rest.tails[i] if constraint.use_tail else rest.heads[i]  # Use Tail off: the chain ends at the head
            limb = min(ends, key=lambda k: np.linalg.norm(ends[k] - tip), default=None)
            if limb is not None and np.linalg.norm(ends[limb] - tip) <= NEAR * height:
                candidates.append((limb, pose_bone, constraint))
    bones = armature.data.bones
    # Keys on a mapped bone or an ancestor of one (a root, the chest) would move the body; on a bone the other
    # limbs' controls hang from (a shared root or trajectory bone) they would move those limbs as well.
    body = _ancestry(bones, [b for b in bone_map.bones.values() if b in bones])
    hung = {}
    for limb, _, constraint in candidates:
        pole = constraint.pole_subtarget if constraint.pole_target == armature else ""
        hung.setdefault(limb, set()).update(_ancestry(bones, [constraint.subtarget, pole]))
    found = {}
    for limb, pose_bone, constraint in candidates:
        lower = pose_bone if constraint.use_tail else pose_bone.parent
        stop = body | _ancestry(bones, [lower.name] if lower else [])  # the chain and what carries it
        stop = stop.union(*(names for other, names in hung.items() if other != limb))
        target = _walk_to_control(armature, constraint.subtarget, stop)
        pole = constraint.pole_subtarget if constraint.pole_target == armature else ""
        if not target or (limb in found and found[limb].pole and not pole):
            continue
        found[limb] = IkLimb(limb[0], limb[1], pose_bone.name, target, pole or "", _switch_of(armature, lower),
                             _ik_twins(armature, limb, bone_map), not constraint.mute and constraint.influence > 0)
    return list(found.values())


def _constraint_chain(pose_bone, constraint) -> list:
    """The bones one IK constraint moves (with Use Tail off, its owner's parent and up)."""
    bone = pose_bone if constraint.use_tail else pose_bone.parent
    chain = []
    while bone is not None and len(chain) < (constraint.chain_count or 10 ** 6):
        chain.append(bone.name)
        bone = bone.parent
    return chain


def unkeyed_ik_note(armature, bone_map: BoneMap, limbs: list) -> str:
    """A sentence naming the IK constraints that are on, move mapped bones and belong to no limb found (no
    control to key: its target is part of the body, is shared, or its chain ends at no mapped wrist or ankle):
    those bones follow the constraint's target, not the take. "" when there are none."""
    mapped = set(bone_map.bones.values())
    keyed = {limb.chain_end for limb in limbs}
    hidden = []
    for pose_bone in armature.pose.bones:
        for constraint in pose_bone.constraints:
            if constraint.type != "IK" or constraint.mute or constraint.influence <= 0 or pose_bone.name in keyed:
                continue
            moved = [b for b in _constraint_chain(pose_bone, constraint) if b in mapped]
            if moved:
                hidden.append(f"'{pose_bone.name}' (moving {', '.join(repr(b) for b in moved)})")
    if not hidden:
        return ""
    many = len(hidden) > 1
    return (f"The IK constraint{'s' if many else ''} on {', '.join(hidden)} {'have' if many else 'has'} no control "
            f"of {'their' if many else 'its'} own to key (the target is part of the body or shared with another "
            f"limb, or the chain ends at no mapped wrist or ankle), so those bones follow the target, not the take: "
            f"set the influence to 0 to see the take there, or key the target yourself.")


def _switch_of(armature, lower):
    """Rigify's limb property bone (IK_FK, pole_vector) at the chain's root (`lower`: the chain's last bone), or ""."""
    if lower is None:
        return ""
    chain_root = lower.parent.head if lower.parent is not None else lower.head
    for pose_bone in armature.pose.bones:
        if "IK_FK" in pose_bone.keys() and (pose_bone.head - chain_root).length < 1e-3 * max(armature.dimensions):
            return pose_bone.name
    return ""


def _ik_twins(armature, limb, bone_map):
    """(IK control, FK control) pairs below the limb's end, e.g. Rigify's toe_ik.L and toe_fk.L."""
    bones = armature.pose.bones
    pairs = []
    fk = bone_map.get(f"{limb[0]}_foot") if limb[1] == "leg" else None
    if fk and "_fk" in fk:
        twin = fk.replace("_fk", "_ik")
        if twin in bones and not bones[twin].constraints:
            pairs.append((twin, fk))
    return tuple(pairs)


def _rest_matrix(armature, name):
    return np.array(armature.data.bones[name].matrix_local, dtype=np.float64)


def _world(quats, heads):
    """(T, 4, 4) from rotations (T, 4) and positions (T, 3)."""
    out = np.tile(np.eye(4), (len(quats), 1, 1))
    out[:, :3, :3] = rotations.to_rotation(quats).as_matrix()
    out[:, :3, 3] = heads
    return out


def measured_bones(armature, bone_map: BoneMap, limbs: list) -> list:
    """The bones ik_control_keys first measures on the FK result: the limbs' mapped joints and the parents of
    their controls."""
    controls = [c for limb in limbs for c in (limb.target, limb.pole) if c]
    parents = {armature.data.bones[c].parent.name for c in controls if armature.data.bones[c].parent is not None}
    joints = {bone_map.bones[f"{limb.side}_{j}"] for limb in limbs for j in LIMBS[limb.kind]}
    return sorted(parents | joints)


def ik_control_keys(armature, rest: RigRest, result, bone_map: BoneMap, limbs: list, passes: int = 2,
                    planned=None, measured: dict = None):
    """({bone: (T, 4)}, {bone: (T, 3)}, {(bone, property): value}) keys for the limbs' IK controls, in the
    armature's units, that make the IK reproduce `result` (pose-bone rotations and locations of the FK bones;
    `planned`: the retarget before it was matched to the evaluated rig, whose pose the IK chains must take).
    `measured`: {bone: (T, 4, 4)} already evaluated with exactly `result` posed (match_evaluated_pose's last
    pass), used instead of evaluating the FK result again where it holds every bone of measured_bones."""
    frame = rest.frame or RigFrame()
    frames = result.num_frames
    props = {}
    for limb in limbs:
        if limb.switch:
            props[(limb.switch, "IK_FK")] = 0.0
            if limb.pole and "pole_vector" in armature.pose.bones[limb.switch].keys():
                props[(limb.switch, "pole_vector")] = 1.0
            if "IK_Stretch" in armature.pose.bones[limb.switch].keys():
                props[(limb.switch, "IK_Stretch")] = 0.0  # a stretchy chain straightens its knee a little
    joints = {(limb.side, limb.kind): [bone_map.bones[f"{limb.side}_{j}"] for j in LIMBS[limb.kind]] for limb in limbs}
    controls = [c for limb in limbs for c in (limb.target, limb.pole) if c]
    parents = {c: armature.data.bones[c].parent.name for c in controls if armature.data.bones[c].parent is not None}
    pose_rotations = dict(result.bone_rotations)
    pose_locations = frame.locations_to_armature(result.bone_locations)
    # The FK result as Blender evaluates it: a rig's mechanism bones carry its FK controls in ways the plain
    # parent chain does not show (Rigify hangs the arms from the torso through constraints). Where the mapped
    # bones are themselves the IK chain (a plain rig with IK constraints) the retarget's own pose is the reference.
    chain_bones = {b for limb in limbs for b in ik_chain(armature, limb.chain_end)}
    references = sorted({b for bones in joints.values() for b in bones})
    # A mapped bone the IK chain carries (its own bones, or a foot below them) cannot be its own reference.
    chain_bones |= {b for b in references
                    if any(p.name in chain_bones for p in armature.pose.bones[b].parent_recursive)}
    names = sorted(set(parents.values()) | set(references))
    if measured and all(n in measured for n in names):
        evaluated = {n: measured[n] for n in names}
    else:
        evaluated = _evaluated_matrices(armature, pose_rotations, pose_locations, names, frames)
    intended = _intended_matrices(armature, rest, planned or result, frame, references)
    reference = {b: intended[b] if b in chain_bones else evaluated[b] for b in references}
    desired = {}
    for limb in limbs:
        upper, _, end = joints[(limb.side, limb.kind)]
        desired[limb.target] = _carried(armature, reference[end], end, limb.target)
        if limb.pole:
            desired[limb.pole] = _carried(armature, reference[upper], upper, limb.pole)
    rots, locs = _locals(armature, desired, parents, evaluated, frames)
    for limb in limbs:
        for twin, fk in limb.extra:
            if fk in result.bone_rotations:
                rots[twin] = result.bone_rotations[fk]
    for _ in range(passes - 1):
        # Measure the IK chains as Blender solves them with these keys, and move what remains.
        chain_ends = {}
        for limb in limbs:
            lower = ik_chain(armature, limb.chain_end)[0]  # the owner, or its parent with Use Tail off
            chain_ends[(limb.side, limb.kind)] = (armature.pose.bones[lower].parent.name, lower, limb.chain_end)
        names = sorted({b for bones in chain_ends.values() for b in bones} | set(parents.values()))
        solved = _evaluated_matrices(armature, {**pose_rotations, **rots}, {**pose_locations, **locs}, names, frames,
                                     props)
        worst = 0.0
        for limb in limbs:
            upper, middle, end = joints[(limb.side, limb.kind)]
            top, bottom, owner = chain_ends[(limb.side, limb.kind)]
            hip, knee = solved[top][:, :3, 3], solved[bottom][:, :3, 3]
            tip = knee + solved[bottom][:, :3, 1] * armature.data.bones[bottom].length if bottom == owner else \
                solved[owner][:, :3, 3]
            want_hip, want_knee, want_tip = (reference[b][:, :3, 3] for b in (upper, middle, end))
            miss = want_tip - tip
            worst = max(worst, float(np.abs(miss).max()))
            desired[limb.target][:, :3, 3] += miss
            if limb.pole:
                turn = _plane_turn((hip, knee, tip), (want_hip, want_knee, want_tip),
                                   _rest_relative(armature, solved[top], top),
                                   _rest_relative(armature, reference[upper], upper))
                offset = desired[limb.pole][:, :3, 3] - want_hip
                desired[limb.pole][:, :3, 3] = want_hip + turn.apply(offset)
        rots.update(_locals(armature, desired, parents, solved, frames)[0])
        locs.update(_locals(armature, desired, parents, solved, frames)[1])
        if worst < 1e-4:
            break
    return rots, locs, props


def ik_chain(armature, owner):
    """The bones an IK constraint on `owner` moves, its end first (the owner's parent with Use Tail off)."""
    pose_bone = armature.pose.bones[owner]
    constraints = [c for c in pose_bone.constraints if c.type == "IK"]
    count = max((c.chain_count for c in constraints), default=0) or 100
    if constraints and not any(c.use_tail for c in constraints):
        pose_bone = pose_bone.parent
    chain = []
    while pose_bone is not None and len(chain) < count:
        chain.append(pose_bone.name)
        pose_bone = pose_bone.parent
    return chain


def _carried(armature, reference_world, reference, control):
    """(T, 4, 4) the control's world matrix kept at its rest relation to the reference bone."""
    return reference_world @ np.linalg.inv(_rest_matrix(armature, reference)) @ _rest_matrix(armature, control)


def _locals(armature, desired, parents, evaluated, frames):
    """Pose-bone rotations and locations giving each control its desired world matrix under its evaluated parent."""
    rots, locs = {}, {}
    for control, world in desired.items():
        rest_matrix = _rest_matrix(armature, control)
        if control in parents:
            parent = parents[control]
            carrier = evaluated[parent] @ np.linalg.inv(_rest_matrix(armature, parent))
        else:
            carrier = np.tile(np.eye(4), (frames, 1, 1))
        local = np.linalg.inv(carrier @ rest_matrix) @ world
        rots[control] = rotations.from_rotation(Rotation.from_matrix(_orthonormal(local[:, :3, :3])), (frames,))
        if armature.data.bones[control].use_local_location:
            locs[control] = local[:, :3, 3]
        else:  # location in the parent's rest-relative axes, before the bone's own rest (Rigify's IK controls)
            point = np.einsum("tij,tj->ti", np.linalg.inv(carrier), np.c_[world[:, :3, 3], np.ones(frames)])
            locs[control] = point[:, :3] - rest_matrix[:3, 3]
    return rots, locs


def _rest_relative(armature, world, name):
    """(T, 3, 3) a bone's rotation from its rest (armature space), comparable between two bones of one limb."""
    return _orthonormal(world[:, :3, :3]) @ _rest_matrix(armature, name)[:3, :3].T


def _plane_turn(solved, wanted, solved_upper, wanted_upper) -> Rotation:
    """The turn about the wanted hip-to-tip line that brings the solved chain (hip, knee, tip positions; its
    upper bone's rest-relative rotation) onto the wanted one: onto the wanted knee's side of that line where the
    knee is well bent, onto the wanted upper bone's own twist where it is nearly straight.

    A nearly straight knee's side is a poor guide to a hinge knee (Rigify's IK bends about one axis): a
    retargeted knee bent a little sideways or backwards sets it anywhere round the line, and the whole leg
    twists to follow. On a Dance take the FK knee, held 11.5 degrees bent by the planted foot's reach, bent 139
    degrees off its thigh's hinge for a frame and the IK shin came out 138.5 degrees off the keyed FK shin
    (166 on other frames; 179 on CMU walk 05_01). Matching the side moves the knee by about its distance from
    the line times the turn; twisting the limb away from its thigh moves its surface by about TWIST_LEVER of
    the upper bone times the turn: the turn is the least-squares balance of the two, and a knee bent against
    the hinge counts as straight (no twist past a quarter turn brings it round). Where the two agree, a knee
    bent in its thigh's hinge or an IK knee free to bend any way (it starts from the keyed pose), nothing
    changes."""
    hip, knee, tip = solved
    want_hip, want_knee, want_tip = wanted
    axis = want_tip - want_hip
    axis /= np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-12)

    def across(a, b):
        v = b - a
        return v - np.sum(v * axis, axis=1, keepdims=True) * axis

    have, want = across(hip, knee), across(want_hip, want_knee)
    bent = np.linalg.norm(want, axis=1)  # the wanted knee's distance from the line
    knee_angle = np.arctan2(np.sum(np.cross(have, want) * axis, axis=1), np.sum(have * want, axis=1))
    # The upper bone's twist about the line from the solved to the wanted: the swing-twist split of the turn.
    quats = rotations.from_rotation(Rotation.from_matrix(wanted_upper @ np.transpose(solved_upper, (0, 2, 1))),
                                    (len(axis),))
    twist_angle = 2.0 * np.arctan2(np.sum(quats[:, 1:] * axis, axis=1), quats[:, 0])
    # The wanted knee seen from where the twist alone puts it: ahead along the hinge, across it. A knee behind
    # (bent against the hinge) counts as straight there: no twist of the limb past a quarter turn reaches it.
    off = knee_angle - twist_angle
    ahead, side = np.maximum(bent * np.cos(off), 0.0), bent * np.sin(off)
    lever = TWIST_LEVER * np.linalg.norm(want_knee - want_hip, axis=1)
    # Least squares of (bent * knee-side error) and (lever * twist error), the knee's weight bent ** 2.
    shown = np.hypot(ahead, side)
    angle = twist_angle + np.arctan2(shown * side, shown * ahead + lever ** 2)
    return Rotation.from_rotvec(axis * angle[:, None])


def _intended_matrices(armature, rest, result, frame, names):
    """{bone: (T, 4, 4)} the retarget's own pose (armature space), for bones the IK itself moves."""
    from .rig import forward_kinematics

    pose = forward_kinematics(rest, result.bone_rotations, result.bone_locations, result.num_frames)
    back = rotations.conjugate(frame.rotation)
    out = {}
    for name in names:
        b = rest.index(name)
        out[name] = _world(rotations.multiply(back, pose.world_rotations[:, b]),
                           rotations.rotate(back, pose.heads[:, b]) / frame.scale)
    return out


def _orthonormal(matrices):
    u, _, vt = np.linalg.svd(matrices)
    return u @ vt


def _evaluated_matrices(armature, pose_rotations, pose_locations, names, frames, props=None):
    """{bone: (T, 4, 4)} evaluated armature-space matrices of `names` with the given pose-bone rotations and
    locations (armature units) posed frame by frame, custom properties {(bone, prop): value} set meanwhile."""
    if not names:
        return {}
    pose_bones = armature.pose.bones
    order = [pb.name for pb in pose_bones]
    base_rot = np.zeros((len(order), 4))
    base_loc = np.zeros((len(order), 3))
    pose_bones.foreach_get("rotation_quaternion", base_rot.ravel())
    pose_bones.foreach_get("location", base_loc.ravel())
    rotated = [n for n in order if n in pose_rotations]
    columns = [order.index(n) for n in rotated]
    located = {order.index(n): np.asarray(v) for n, v in pose_locations.items()}
    modes = {n: pose_bones[n].rotation_mode for n in rotated}
    kept_props = {key: pose_bones[key[0]][key[1]] for key in (props or {})}
    animation = armature.animation_data
    kept = animation.action if animation else None
    kept_slot = getattr(animation, "action_slot", None) if animation else None
    kept_nla = animation.use_nla if animation else True
    wanted = [order.index(n) for n in names]
    stacked = np.stack([pose_rotations[n] for n in rotated], axis=1) if rotated else np.zeros((frames, 0, 4))
    located_columns = list(located)
    located_values = np.stack([located[b] for b in located_columns], axis=1) if located else np.zeros((frames, 0, 3))
    try:
        if animation:
            animation.action = None
            animation.use_nla = False  # earlier takes on the NLA would pose the bones over the values set here
        for n in rotated:
            pose_bones[n].rotation_mode = "QUATERNION"
        for (bone, prop), value in (props or {}).items():
            pose_bones[bone][prop] = type(kept_props[(bone, prop)])(value)
        with measuring_only(armature, names):  # a face, say, is not evaluated frame by frame
            out = evaluate_poses(armature, base_rot, base_loc, columns, stacked, located_columns, located_values,
                                 wanted)
    finally:
        pose_bones.foreach_set("rotation_quaternion", base_rot.ravel())
        pose_bones.foreach_set("location", base_loc.ravel())
        for n, mode in modes.items():
            pose_bones[n].rotation_mode = mode
        for (bone, prop), value in kept_props.items():
            pose_bones[bone][prop] = value
        if animation:
            animation.action = kept
            if kept_slot is not None:
                animation.action_slot = kept_slot
            animation.use_nla = kept_nla
        armature.update_tag(refresh={"DATA"})
        bpy.context.view_layer.update()
    return {name: out[:, i] for i, name in enumerate(names)}


SWITCHES = ("IK_FK", "pole_vector", "IK_Stretch")  # the Rigify limb properties a take may key


def _property_path(bone: str, prop: str) -> str:
    return f'pose.bones["{bpy.utils.escape_identifier(bone)}"]["{prop}"]'


def switch_values(armature, limbs: list) -> dict:
    """{"path|0": value} of the limbs' Rigify switches as they are now (read before a take is made)."""
    from ..operators.previous_state import read_values

    return read_values(armature, [(_property_path(limb.switch, prop), 0) for limb in limbs if limb.switch
                                  for prop in SWITCHES])


def key_properties(armature, action, props: dict, frame_start: int, frames: int, previous: dict = None):
    """Constant keys on custom properties ({(bone, property): value}) in the armature's take; `previous`
    (switch_values before the take) is what Restore Previous and the frames outside the take give them back."""
    from ..operators.action_channels import has_slotted_actions
    from ..operators.previous_state import remember_values

    if not props:
        return
    if has_slotted_actions():  # the take's one slot (takes sit on the NLA, not as the active action)
        fcurves = action.layers[0].strips[0].channelbag(action.slots[0], ensure=True).fcurves
    else:
        fcurves = action.fcurves
    paths = [_property_path(bone, prop) for bone, prop in props]
    remember_values(armature, action, {key: value for key, value in (previous or {}).items()
                                       if key.rsplit("|", 1)[0] in paths})
    for path, ((bone, prop), value) in zip(paths, props.items()):
        fcurve = fcurves.new(path, index=0, group_name=bone) if has_slotted_actions() else \
            fcurves.new(path, index=0, action_group=bone)
        fcurve.keyframe_points.add(2)
        fcurve.keyframe_points.foreach_set("co", [frame_start, value, frame_start + max(frames - 1, 1), value])
        fcurve.keyframe_points.foreach_set("interpolation", [0, 0])  # constant
        fcurve.update()
