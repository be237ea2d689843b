"""The thin bpy side of retargeting: read an armature's rest pose (and, for rig-to-rig, its animation) into
plain arrays, and write a RetargetResult as one new action through operators.keyframes."""

import json
from contextlib import contextmanager

import bpy
import numpy as np

from ..clips import rotations
from ..clips.rotations import Rotation
from . import blender_eval
from .blender_eval import evaluate_poses, measuring_only
from .bone_map import BoneMap, load_preset
from .detect import detect_bone_map
from .errors import RetargetError
from .motion_file import MotionSource, load_motion_file
from .pipeline import retarget_source
from .rig import RigPose, RigRest, forward_kinematics, sort_parents_first
from .rig_frame import RigFrame, in_frame, upright_frame
from .root_motion import RootMode, StartPose
from .transfer import RetargetResult


def object_kind(obj) -> str:
    """'a mesh', 'an empty': how a sentence names the object's type."""
    kind = obj.type.lower().replace("_", " ")
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def instance_hint(obj) -> str:
    """A sentence for an empty that instances a collection (File > Link's result): its armature cannot be
    selected until the character has a library override."""
    collection = getattr(obj, "instance_collection", None) if obj is not None and obj.type == "EMPTY" else None
    if collection is None or getattr(obj, "instance_type", "") != "COLLECTION":
        return ""
    return (f" It instances the collection '{collection.name}' (a linked character?): make a library override "
            f"(Object > Library Override > Make) and select the override's armature.")


def require_armature(obj, role: str = "target"):
    if obj is None or obj.type != "ARMATURE":
        name = f"'{obj.name}' is {object_kind(obj)} object" if obj else "nothing is selected"
        raise RetargetError(f"The {role} must be an armature, but {name}. Select the character's armature."
                            + instance_hint(obj))
    if len(obj.data.bones) == 0:
        raise RetargetError(f"Armature '{obj.name}' has no bones. Select the character's armature (the one with "
                            f"its skeleton).")
    return obj


def read_rig_rest(armature_obj, scene=None, to_animate: bool = True) -> RigRest:
    """Bone names, parents and rest matrices in the retarget space (metres, Z-up): the armature's own space
    turned upright and scaled by its object's world transform (parents included) and the scene's unit scale.
    `to_animate`: the rig is about to receive keys, so refuse linked data that cannot hold them."""
    if to_animate:
        require_editable(armature_obj)
    return in_frame(read_armature_rest(armature_obj), armature_frame(armature_obj, scene))


def require_not_tweaking(id_block, name: str = None):
    """A take cannot be placed while an NLA strip's action is open for editing (tweak mode: the active action is
    read-only then, and writing it raised AttributeError, reported as a bug)."""
    animation = getattr(id_block, "animation_data", None)
    if animation is not None and animation.use_tweak_mode:
        raise RetargetError(f"{name or id_block.name} is in NLA tweak mode (a strip's action is open for editing). "
                            f"Leave it with Tab in the NLA editor and run again.")
    return id_block


def require_editable(obj):
    """Keys can land on local objects and on library overrides, not on data linked from another file."""
    library = obj.library
    if library is not None:
        raise RetargetError(
            f"'{obj.name}' is linked from {bpy.path.basename(library.filepath)} and cannot be animated in this file. "
            f"Make a library override of the character (Object > Library Override > Make), select its armature and "
            f"run again: the new action lands on the override.")
    override = obj.override_library
    if override is not None and getattr(override, "is_system_override", False):
        raise RetargetError(
            f"'{obj.name}' is a library override that is not editable. Make it editable (Outliner > right-click > "
            f"Library Override > Make Editable) and run again.")


def read_armature_rest(armature_obj) -> RigRest:
    """Bone names, parents and rest matrices in the armature's own space and units."""
    require_armature(armature_obj)
    bones = armature_obj.data.bones
    parents = {b.name: (b.parent.name if b.parent else None) for b in bones}
    order = sort_parents_first([b.name for b in bones], parents)
    index = {name: i for i, name in enumerate(order)}
    heads = np.array([tuple(bones[n].head_local) for n in order], dtype=np.float64)
    tails = np.array([tuple(bones[n].tail_local) for n in order], dtype=np.float64)
    matrices = np.array([[tuple(row) for row in bones[n].matrix_local.to_3x3()] for n in order], dtype=np.float64)
    rest = rotations.from_rotation(Rotation.from_matrix(matrices), (len(order),))
    parent_index = [index[parents[n]] if parents[n] else -1 for n in order]
    return RigRest(order, parent_index, heads, tails, rest)


def armature_frame(armature_obj, scene=None) -> RigFrame:
    """World up seen from the armature, and metres per armature unit (object scale x scene unit scale)."""
    scene = scene or bpy.context.scene
    matrix = np.array(armature_obj.matrix_world, dtype=np.float64)[:3, :3]
    determinant = np.linalg.det(matrix)
    if determinant <= 1e-12:
        raise RetargetError(f"Armature '{armature_obj.name}' has a mirrored or zero scale; apply its scale "
                            f"(Object > Apply > Scale) and retarget again.")
    rotation = _orthonormal(matrix)
    unit = scene.unit_settings.scale_length if scene.unit_settings.system != "NONE" else 1.0
    scale = float(np.cbrt(determinant)) * float(unit or 1.0)
    return upright_frame(rotation.T @ np.array([0.0, 0.0, 1.0]), scale)


STORED_MAP = "soundmotion_bone_map"  # Object collection property registered by operators/retarget_motion.py
TRAVEL_ENTRY = "travel"  # the stored entry naming BoneMap.root_bone


STORED_MAP_JSON = "soundmotion_bone_map_json"  # the same map as one string: it survives on library overrides


def stored_bone_map(armature_obj):
    """The map saved on the armature in the .blend (edited in the panel), or None."""
    entries = getattr(armature_obj, STORED_MAP, None)
    mirror = getattr(armature_obj, STORED_MAP_JSON, "")
    if armature_obj.override_library is not None and mirror:
        # Blender keeps only part of a Python collection edited on an override; its string copy is whole.
        data = json.loads(mirror)
        bone_map = BoneMap.from_dict(data)
        bone_map.confidence = {j: float(c) for j, c in data.get("confidence", {}).items()}
        return bone_map
    if not entries:
        return None
    bones = {e.joint: e.bone for e in entries if e.bone and e.joint != TRAVEL_ENTRY}
    travel = next((e.bone for e in entries if e.joint == TRAVEL_ENTRY), "")
    confidence = {e.joint: float(e.confidence) for e in entries if e.bone and e.joint != TRAVEL_ENTRY}
    return BoneMap("stored", bones, "", travel, confidence)


def store_bone_map(armature_obj, bone_map: BoneMap):
    from .canonical import CANONICAL_JOINTS

    entries = getattr(armature_obj, STORED_MAP)
    entries.clear()
    for joint in CANONICAL_JOINTS:
        entry = entries.add()
        entry.joint = joint
        entry.bone = bone_map.bones.get(joint, "")
        entry.confidence = bone_map.confidence.get(joint, 1.0)
    entry = entries.add()
    entry.joint = TRAVEL_ENTRY
    entry.bone = bone_map.root_bone
    mirror_bone_map(armature_obj)


def mirror_bone_map(armature_obj):
    """Copy the stored rows into the map's string copy (after detection, loading or an edit in the panel)."""
    entries = getattr(armature_obj, STORED_MAP, None)
    if entries is None or not hasattr(armature_obj, STORED_MAP_JSON):
        return
    bones = {e.joint: e.bone for e in entries if e.bone and e.joint != TRAVEL_ENTRY}
    travel = next((e.bone for e in entries if e.joint == TRAVEL_ENTRY), "")
    data = BoneMap("stored", bones, "", travel).to_dict()
    data["confidence"] = {e.joint: round(float(e.confidence), 3) for e in entries if e.bone and e.joint != TRAVEL_ENTRY}
    setattr(armature_obj, STORED_MAP_JSON, json.dumps(data))
    back_up_override_map(armature_obj, STORED_MAP_JSON)


# A map edited on a library override lives in override operations on properties this add-on registers: a Blender
# without the add-on enabled drops them when it opens the shot (and saves the shot without them), and so does one
# that enables the add-on with the shot already open. The maps' string copies are kept again in each local scene
# that shows the override (a plain custom property, which any Blender keeps), and put back from there.
OVERRIDE_MAPS_KEY = "soundmotion_override_maps"  # on a scene: JSON {override object name: {property: map text}}


def back_up_override_map(obj, prop: str):
    """Keep the override `obj`'s string copy of a map (property `prop`) in its local scenes too."""
    if obj.override_library is None:
        return
    text = getattr(obj, prop, "")
    for scene in obj.users_scene:
        if scene.library is None:
            kept = json.loads(scene.get(OVERRIDE_MAPS_KEY, "{}"))
            if kept.get(obj.name, {}).get(prop, "") != text:
                kept.setdefault(obj.name, {})[prop] = text
                scene[OVERRIDE_MAPS_KEY] = json.dumps(kept, sort_keys=True)


def backed_up_override_map(obj, prop: str) -> str:
    """The map text back_up_override_map kept for the override `obj` ("" when none)."""
    for scene in obj.users_scene:
        text = json.loads(scene.get(OVERRIDE_MAPS_KEY, "{}")).get(obj.name, {}).get(prop, "")
        if text:
            return text
    return ""


def overrides_with_maps(prop: str) -> list:
    """Override armatures with a map string in `prop`, put back from their scenes' copy where it was lost."""
    found = []
    for obj in bpy.data.objects:
        if obj.type != "ARMATURE" or obj.override_library is None or not hasattr(obj, prop):
            continue
        if not getattr(obj, prop) and backed_up_override_map(obj, prop):
            setattr(obj, prop, backed_up_override_map(obj, prop))
        if getattr(obj, prop):
            found.append(obj)
    return found


def restore_override_bone_maps():
    """After a file loads (and when the add-on is enabled with a file open): rebuild the panel rows of library
    overrides from their whole string copies, put back from the scene's copy where Blender dropped them."""
    for obj in overrides_with_maps(STORED_MAP_JSON):
        store_bone_map(obj, stored_bone_map(obj))


def bone_map_for(armature_obj, map_spec=None) -> BoneMap:
    """`map_spec`: None (the map stored on the armature, else detect), a preset name, a JSON path, a BoneMap."""
    if isinstance(map_spec, BoneMap):
        return map_spec
    if map_spec:
        spec = str(map_spec)
        return BoneMap.load(spec) if spec.lower().endswith(".json") else load_preset(spec)
    stored = stored_bone_map(armature_obj)
    if stored is not None:
        return stored
    return detect_bone_map(read_rig_rest(armature_obj, to_animate=False), f"Armature '{armature_obj.name}'")


def read_rig_motion(armature_obj, frame_start: int, frame_end: int, scene=None) -> RigPose:
    """The armature's evaluated pose over a frame range (constraints and drivers included), in the same
    retarget space as read_rig_rest."""
    scene = scene or bpy.context.scene
    rest = read_rig_rest(require_armature(armature_obj, "source"), scene, to_animate=False)
    pose_bones = [armature_obj.pose.bones[n] for n in rest.names]
    frames = list(range(int(frame_start), int(frame_end) + 1))
    if not frames:
        raise RetargetError("The source frame range is empty.")
    matrices = np.zeros((len(frames), len(rest), 4, 4))
    current = scene.frame_current
    try:
        for i, frame in enumerate(frames):
            scene.frame_set(frame)
            for b, pose_bone in enumerate(pose_bones):
                matrices[i, b] = np.array(pose_bone.matrix)
    finally:
        scene.frame_set(current)
    world = rotations.from_rotation(Rotation.from_matrix(_orthonormal(matrices[..., :3, :3]).reshape(-1, 3, 3)),
                                    (len(frames), len(rest)))
    return RigPose(rest, rest.frame.rotations_to_retarget(world), rest.frame.points_to_retarget(matrices[..., :3, 3]))


def read_start_pose(armature_obj, frame: int, bone_map: BoneMap, take_track: str = "", scene=None):
    """The pelvis bone's evaluated pose at `frame` (a StartPose in read_rig_rest's space) as the armature's own
    animation has it before a take is added there: its action, NLA strips, constraints and drivers, with the
    take's own track (`take_track`, an earlier version that the new one replaces) muted meanwhile. None when the
    map has no pelvis on this rig.

    Only what the take will replace counts: an active action that stays on top of the takes (Combine or Add, or
    any once takes are there: action_channels.place_take) is left out, and so is what the bones above the travel
    bone do (a walk keyed on a Root bone): the take keys neither, so both go on moving it, and counted here too
    they placed it twice (3 m for a 1.5 m walk)."""
    scene = scene or bpy.context.scene
    pelvis = bone_map.bones.get("pelvis", "")
    if pelvis not in armature_obj.pose.bones:
        return None
    travel = bone_map.travel_bone if bone_map.travel_bone in armature_obj.pose.bones else pelvis
    rest = read_rig_rest(armature_obj, scene, to_animate=False)
    animation = armature_obj.animation_data
    track = animation.nla_tracks.get(take_track) if animation is not None and take_track else None
    mute = track is not None and not track.mute
    from ..operators.action_channels import active_stays_on_top
    on_top = active_stays_on_top(armature_obj)
    if on_top and not len(animation.nla_tracks):  # nothing under the layer: the take goes where the layer puts it
        return None
    kept = (animation.action, getattr(animation, "action_slot", None)) if on_top else None
    current = scene.frame_current
    # Going to the start frame evaluates the whole scene there and back (frame-change handlers run, and animated
    # values set by hand go back to their keys), so only where the rig's own animation can place it elsewhere.
    step = int(frame) != current and _moves_with_the_frame(armature_obj)
    try:
        if mute:
            track.mute = True
        if on_top:
            animation.action = None
        if step:
            scene.frame_set(int(frame))
        elif mute or on_top:
            bpy.context.view_layer.update()
        matrix = np.array(armature_obj.pose.bones[pelvis].matrix, dtype=np.float64)
        carrier = armature_obj.pose.bones[travel].parent
        if carrier is not None:  # the pelvis as the take's own bones place it: without its carrier's move
            moved = np.array(carrier.matrix, dtype=np.float64) @ np.linalg.inv(np.array(carrier.bone.matrix_local))
            matrix = np.linalg.inv(moved) @ matrix
    finally:
        if mute:
            track.mute = False
        if on_top:
            animation.action = kept[0]
            if kept[1] is not None:
                animation.action_slot = kept[1]
        if step:
            scene.frame_set(current)
        elif mute or on_top:
            bpy.context.view_layer.update()
    turn = rotations.from_rotation(Rotation.from_matrix(_orthonormal(matrix[:3, :3])), ())
    return StartPose(rest.frame.rotations_to_retarget(turn), rest.frame.points_to_retarget(matrix[:3, 3]))


def _moves_with_the_frame(armature_obj) -> bool:
    """Whether the armature or an object above it is animated (an action or NLA tracks): its pose may differ at
    another frame."""
    obj = armature_obj
    while obj is not None:
        if blender_eval.keyed(obj.animation_data):
            return True
        obj = obj.parent
    return False


def _orthonormal(matrices):
    u, _, vt = np.linalg.svd(matrices)
    return u @ vt


def _carriers(pose_bones, animated: list, bone_map: BoneMap = None) -> list:
    """For each animated bone, the index in `animated` of the animated bone that carries it, or -1: the bone of its
    joint's nearest mapped ancestor on the canonical skeleton (a rig's constraints may hang a hand's fingers
    from a mechanism bone, but they carry the hand's turn to them), else its nearest animated parent in Blender."""
    from ..clips.skeleton import SMPLX_SKELETON

    joints = {bone: joint for joint, bone in (bone_map.bones.items() if bone_map else ())}
    index = {name: i for i, name in enumerate(animated)}
    names, parents = SMPLX_SKELETON.joint_names, SMPLX_SKELETON.parents
    out = []
    for name in animated:
        carrier = -1
        if name in joints and joints[name] in names:
            joint = parents[names.index(joints[name])]
            while joint >= 0 and carrier < 0:
                carrier = index.get(bone_map.bones.get(names[joint]), -1)
                joint = parents[joint]
        parent = pose_bones[name].parent
        while carrier < 0 and parent is not None:
            carrier = index.get(parent.name, -1)
            parent = parent.parent
        out.append(carrier)
    return out


def _overridden(pose_bone, driven=frozenset()) -> bool:
    """Whether a constraint overrides the bone's own keys. A muted one or one at influence 0 does not (a hand-made
    IK/FK switch drives the influence), nor the IK on a bone of a chain whose controls are keyed (`driven`): its
    chain starts from the keyed pose, which shows wherever the IK is turned off (without keys the forearm stood
    at rest, the hand 0.13 m off)."""
    return any(not c.mute and c.influence > 0 and (c.type != "IK" or pose_bone.name not in driven)
               for c in pose_bone.constraints)


def has_constraints(armature_obj) -> bool:
    return any(pose_bone.constraints for pose_bone in armature_obj.pose.bones)


def match_evaluated_pose(armature_obj, rest: RigRest, result: RetargetResult, passes: int = 16,
                         tolerance_deg: float = 0.05, driven: set = frozenset(),
                         bone_map: BoneMap = None, also: tuple = (), measured: dict = None) -> RetargetResult:
    """Rigs with constraints (Rigify: FK controls under MCH bones that copy other bones) do not follow the
    plain parent chain the math assumes. Pose each frame in Blender, compare every animated bone's
    evaluated world rotation with the intended one, and fold the difference into its local rotation;
    repeat until parents and children agree. Only what the animated bones depend on is evaluated (blender_eval).

    `also`: more bones to measure meanwhile; `measured` (a dict) receives {bone: (T, 4, 4)} of the animated bones
    and those, as evaluated with the returned result posed (every frame's last pass leaves its keys as they were
    measured), when that result poses nothing but the animated bones: blender_ik then need not evaluate it again."""
    frames = result.num_frames
    intended = forward_kinematics(rest, result.bone_rotations, result.bone_locations, frames)
    pose_bones = armature_obj.pose.bones
    order = [pb.name for pb in pose_bones]
    # Constrained bones (Rigify's MCH-) are driven by their constraints: keys on them would do nothing.
    constrained = {n for n in result.bone_rotations if _overridden(pose_bones[n], driven)}
    fixed = constrained | set(driven)  # bones an IK chain moves keep their planned keys
    animated = [n for n in order if n in result.bone_rotations and n not in fixed]
    columns = [order.index(n) for n in animated]
    extra = [n for n in dict.fromkeys(also) if n in pose_bones and n not in animated]
    measuring = columns + [order.index(n) for n in extra]
    final = np.zeros((frames, len(measuring), 4, 4))  # each frame's latest measurement
    stale = np.zeros(frames, dtype=bool)  # frames whose keys changed since they were last measured
    wanted = intended.world_rotations[:, [rest.index(n) for n in animated]]  # (T, A, 4)
    local = np.stack([result.bone_rotations[n] for n in animated], axis=1)
    base = np.zeros((len(order), 4))
    pose_bones.foreach_get("rotation_quaternion", base.ravel())
    base_locations = np.zeros((len(order), 3))
    pose_bones.foreach_get("location", base_locations.ravel())
    frame = rest.frame or RigFrame()
    located = {order.index(n): v for n, v in frame.locations_to_armature(result.bone_locations).items()}
    located_columns = list(located)
    located_values = np.stack([np.asarray(located[b], dtype=np.float64) for b in located_columns], axis=1) \
        if located else np.zeros((frames, 0, 3))
    modes = {name: pose_bones[name].rotation_mode for name in animated}
    animation = armature_obj.animation_data
    kept_action = animation.action if animation else None
    kept_slot = getattr(animation, "action_slot", None) if animation else None
    kept_nla = animation.use_nla if animation else True
    # Each bone's correction also undoes what its carrier's correction will do to it (_carriers), so a
    # whole chain settles in a pass or two where constraints pass the parent's turn on (plain parents, Rigify's
    # FK chains); where they do not, the next pass measures and fixes the rest. Frames stop being posed once
    # every bone in them is within the tolerance.
    ancestor = _carriers(pose_bones, animated, bone_map)
    pending = np.arange(frames)
    try:
        if animation:
            animation.action = None
            animation.use_nla = False  # earlier takes on the NLA would pose the bones over the values set here
        for name in modes:
            pose_bones[name].rotation_mode = "QUATERNION"
        with measuring_only(armature_obj, animated + extra):
            for _ in range(passes):
                evaluated = evaluate_poses(armature_obj, base, base_locations, columns, local[pending],
                                           located_columns, located_values[pending], measuring)
                final[pending], stale[pending] = evaluated, False
                evaluated = evaluated[:, :len(columns)]
                actual = Rotation.from_matrix(_orthonormal(evaluated[..., :3, :3]).reshape(-1, 3, 3))
                actual = frame.rotations_to_retarget(rotations.from_rotation(actual, (len(pending), len(animated))))
                goal = wanted[pending]
                error = rotations.multiply(rotations.conjugate(actual), goal)
                off = np.degrees(2 * np.arccos(np.clip(np.abs(error[..., 0]), 0.0, 1.0))).max(axis=1) >= tolerance_deg
                if not off.any():
                    break
                for i, a in enumerate(ancestor):  # the ancestor's coming turn (actual · goal⁻¹), seen from here
                    if a >= 0:
                        carried = rotations.multiply(actual[:, a], rotations.conjugate(goal[:, a]))
                        error[:, i] = rotations.multiply(rotations.conjugate(actual[:, i]),
                                                         rotations.multiply(carried, goal[:, i]))
                fix = pending[off]
                local[fix] = rotations.normalize(rotations.multiply(local[fix], error[off]))
                stale[fix] = True
                pending = fix
    finally:
        pose_bones.foreach_set("rotation_quaternion", base.ravel())
        pose_bones.foreach_set("location", base_locations.ravel())
        for name, mode in modes.items():
            pose_bones[name].rotation_mode = mode
        if animation:
            animation.action = kept_action
            if kept_slot is not None:
                animation.action_slot = kept_slot
            animation.use_nla = kept_nla
        armature_obj.update_tag(refresh={"DATA"})
        bpy.context.view_layer.update()
    rotations_out = {n: q for n, q in result.bone_rotations.items() if n not in constrained}
    rotations_out.update({n: local[:, i] for i, n in enumerate(animated)})
    if measured is not None and not stale.any() and set(rotations_out) == set(animated):
        measured.update({n: final[:, i] for i, n in enumerate(animated + extra)})
    return RetargetResult(result.fps, rotations_out, result.bone_locations, result.mapped_joints,
                          result.unmapped_joints, result.leg_ratio)


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def apply_retarget(armature_obj, result: RetargetResult, action_name: str, frame_start: int, frame: RigFrame = None,
                   extra: tuple = None, style=None):
    """One new action (a take) with the result's keys; locations converted to the armature's units (`frame`).
    `extra`: more keys for the same action, ({bone: (T, 4)}, {bone: (T, 3)}) already in the armature's units (a
    face). `style`: a takes.key_poses.KeyStyle (key poses by default, or every frame)."""
    from ..operators.keyframes import write_pose_action

    rotations_out = dict(result.bone_rotations)
    locations = (frame or RigFrame()).locations_to_armature(result.bone_locations)
    if extra is not None:
        rotations_out.update(extra[0])
        locations.update(extra[1])
    return write_pose_action(armature_obj, action_name, frame_start, rotations_out, locations, style=style)


IK_LIMBS = ("NONE", "LEGS", "ALL")  # which IK limbs of a rig receive keys on their controls


def key_retarget(armature_obj, rest: RigRest, result: RetargetResult, action_name: str, frame_start: int,
                 style=None, extra: tuple = None, ik_limbs: str = "LEGS", bone_map: BoneMap = None,
                 notes: list = None):
    """Write a retarget result as a new action, matching the evaluated pose first on constrained rigs (Rigify).
    `extra` (see apply_retarget) joins the same action, e.g. the face of a Talk take. On a rig with IK limbs
    (Rigify, or IK constraints with targets and poles) the limbs named by `ik_limbs` also get keys on their IK
    controls and are switched to IK in the action (see blender_ik.py); their FK controls are keyed as well. The
    other limbs with a Rigify switch are switched to FK in the action, which is what is keyed for them; a limb
    whose IK is on and has no such switch (hand-made rigs) gets its IK controls keyed whatever `ik_limbs` says,
    since its FK keys could not show. `notes` (a list) receives a sentence naming IK that still hides the take.

    Returns (action, the result as written)."""
    from .blender_ik import (find_ik_limbs, ik_chain, ik_control_keys, key_properties, measured_bones,
                             switch_values, unkeyed_ik_note)

    require_editable(armature_obj)
    limbs, found = [], []
    if any(c.type == "IK" for pb in armature_obj.pose.bones for c in pb.constraints):
        bone_map = (bone_map or bone_map_for(armature_obj)).restricted_to(rest.names)
        found = find_ik_limbs(armature_obj, bone_map, rest)
        limbs = [limb for limb in found if ik_limbs == "ALL" or (ik_limbs == "LEGS" and limb.kind == "leg")
                 or (limb.active and not limb.switch)]
        note = unkeyed_ik_note(armature_obj, bone_map, found)
        if note and notes is not None:
            notes.append(note)
    # The other limbs are keyed on their FK controls only: a Rigify switch left at IK (its default) would hide them.
    props = {(limb.switch, "IK_FK"): 1.0 for limb in found if limb.switch and limb not in limbs}
    switches = switch_values(armature_obj, found)  # as the user left them, for Restore Previous
    planned = result
    measured = {} if blender_eval.BULK else None  # the FK result as the match last evaluated it, for the IK
    with _carriers_at_rest(armature_obj, rest, result, bone_map):
        if has_constraints(armature_obj):
            driven = {b for limb in limbs for b in ik_chain(armature_obj, limb.chain_end)}
            bone_map = (bone_map or bone_map_for(armature_obj)).restricted_to(rest.names)
            also = measured_bones(armature_obj, bone_map, limbs) if limbs and measured is not None else ()
            result = match_evaluated_pose(armature_obj, rest, result, driven=driven, bone_map=bone_map, also=also,
                                          measured=measured)
        if limbs:
            rots, locs, ik_props = ik_control_keys(armature_obj, rest, result, bone_map, limbs, planned=planned,
                                                   measured=measured)
            props.update(ik_props)
            extra = ({**rots, **(extra[0] if extra else {})}, {**locs, **(extra[1] if extra else {})})
    action = apply_retarget(armature_obj, result, action_name, frame_start, rest.frame, extra, style)
    key_properties(armature_obj, action, props, frame_start, result.num_frames, switches)
    return action, result


_REST_VALUES = {"location": (0.0, 0.0, 0.0), "rotation_quaternion": (1.0, 0.0, 0.0, 0.0),
                "rotation_euler": (0.0, 0.0, 0.0), "rotation_axis_angle": (0.0, 0.0, 1.0, 0.0),
                "scale": (1.0, 1.0, 1.0)}


@contextmanager
def _carriers_at_rest(armature_obj, rest: RigRest, result: RetargetResult, bone_map: BoneMap = None):
    """The bones above the take's travel bone that it does not key (Rigify's root, a Root bone) at their rest
    while the take is matched to the evaluated rig, their own pose given back after: the take's keys are then
    relative to them, and they go on placing and turning the character (posed, or keyed in the animator's own
    action). Measured where they stood, a character turned 90° by its root control had its takes turned back to
    the rig's rest facing."""
    bone_map = (bone_map or bone_map_for(armature_obj)).restricted_to(rest.names)
    pose_bones = armature_obj.pose.bones
    travel = pose_bones.get(bone_map.travel_bone)
    keyed = set(result.bone_rotations) | set(result.bone_locations)
    carriers = [bone for bone in _carrying(armature_obj, travel) if bone.name not in keyed]
    kept = [(bone, {name: tuple(getattr(bone, name)) for name in _REST_VALUES}) for bone in carriers
            if any(not np.allclose(getattr(bone, name), value) for name, value in _REST_VALUES.items())]
    for bone, _ in kept:
        for name, value in _REST_VALUES.items():
            setattr(bone, name, value)
    if kept:
        bpy.context.view_layer.update()
    try:
        yield
    finally:
        for bone, values in kept:
            for name, value in values.items():
                setattr(bone, name, value)
        if kept:
            bpy.context.view_layer.update()


def _carrying(armature_obj, bone) -> list:
    """The bones that move `bone` as a whole: its parents, and the bones of this armature that their constraints
    follow (Rigify's MCH-torso.parent follows root through an Armature constraint), and theirs in turn."""
    pose_bones, found, todo = armature_obj.pose.bones, {}, list(bone.parent_recursive) if bone is not None else []
    while todo:
        carrier = todo.pop()
        if carrier.name in found:
            continue
        found[carrier.name] = carrier
        todo += list(carrier.parent_recursive)
        for constraint in carrier.constraints:
            targets = [constraint] + list(getattr(constraint, "targets", None) or [])
            todo += [pose_bones[t.subtarget] for t in targets if getattr(t, "target", None) == armature_obj
                     and getattr(t, "subtarget", "") in pose_bones]
    return list(found.values())


def retarget_onto_armature(source: MotionSource, target_obj, target_map=None, root_mode=RootMode.FULL,
                           frame_start: int = 1, action_name: str = None, keep_feet: bool = True, style=None,
                           ik_limbs: str = "LEGS"):
    """Retarget and write one new action on `target_obj`. Everything is checked before the scene changes.

    Captured motion is keyed on every frame unless `style` (a takes.key_poses.KeyStyle) asks for key poses."""
    if style is None:
        from ..takes.key_poses import KeyStyle

        style = KeyStyle("FRAMES")
    require_not_tweaking(require_armature(target_obj))
    target_rest = read_rig_rest(target_obj)
    bone_map = bone_map_for(target_obj, target_map)
    result = retarget_source(source, target_rest, bone_map, root_mode, keep_feet)
    return key_retarget(target_obj, target_rest, result, action_name or f"{source.label} → {target_obj.name}",
                        frame_start, style, ik_limbs=ik_limbs, bone_map=bone_map)


def source_from_armature(source_obj, frame_start: int, frame_end: int, scene=None, map_spec=None) -> MotionSource:
    scene = scene or bpy.context.scene
    pose = read_rig_motion(source_obj, frame_start, frame_end, scene)
    return MotionSource(pose, bone_map_for(source_obj, map_spec), scene_fps(scene), source_obj.name)


def find_armature(armature_name: str = None):
    armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    if armature_name:
        obj = bpy.data.objects.get(armature_name)
        if obj is None or obj.type != "ARMATURE":
            raise RetargetError(f"No armature named {armature_name!r}; armatures here: "
                                f"{', '.join(o.name for o in armatures) or 'none'}.")
        return obj
    if not armatures:
        raise RetargetError("The file has no armature: give a .blend with the character's armature in it.")
    if len(armatures) != 1:
        raise RetargetError(f"The file has {len(armatures)} armatures ({', '.join(o.name for o in armatures)}); "
                            f"name one as FILE.blend:ARMATURE.")
    return armatures[0]


def retarget_file_onto_blend(source_path, blend_path, out_path, armature_name: str = None, map_spec=None,
                             root_mode=RootMode.FULL, frame_start: int = None, keep_feet: bool = True,
                             style=None, up_axis: str = "auto", ik_limbs: str = "LEGS") -> RetargetResult:
    """CLI entry: open `blend_path`, retarget a .bvh/.npz onto its armature, save as `out_path`."""
    from ..operators.character_files import open_blend

    open_blend(blend_path)
    scene = bpy.context.scene
    target = find_armature(armature_name)
    source = load_motion_file(source_path, fps=scene_fps(scene), up_axis=up_axis)
    start = scene.frame_start if frame_start is None else frame_start
    _, result = retarget_onto_armature(source, target, map_spec, root_mode, start, keep_feet=keep_feet, style=style,
                                       ik_limbs=ik_limbs)
    scene.frame_end = max(scene.frame_end, start + result.num_frames - 1)
    bpy.ops.wm.save_as_mainfile(filepath=str(out_path))
    return result


def bone_map_of_blend(blend_path, armature_name: str = None) -> BoneMap:
    """CLI entry for `soundmotion bonemap`: the detected map of an armature in a .blend."""
    from ..operators.character_files import open_blend

    open_blend(blend_path)
    return bone_map_for(find_armature(armature_name))
