"""Pick the bone map of a rig: the best-fitting preset, else a heuristic from names and rest positions, else
the rig's structure alone (topology.py) for names nothing knows (b001, b002, ...).

Namespaces (`mixamorig1:Hips`) are ignored when matching presets. The heuristic reads side from names
(`.L`, `_l`, `Left…`) or from the X position, joint kinds from common words (thigh, calf, forearm…),
spine bones from the chain between pelvis and neck, and fingers from their depth in each finger chain.
A map found by names must also make sense in the rest pose (left bones on the left, knees below hips, ...);
one that does not (names swapped between bones) gives way to the structural map. A named map that leaves out
the jaw or the eyes (Mixamo's preset has neither) gets them from the head bone's own children, where the rest pose
or the name says so (fill_face_joints).
"""

import re

import numpy as np

from .bone_map import BoneMap, all_presets
from .errors import RetargetError
from .rig import RigRest
from .topology import UP, _eyes_in, _jaw_of, _Tree, detect_by_topology, upright

FACE_JOINTS = ("jaw", "left_eye_smplhf", "right_eye_smplhf")
# Words in a bone's name that say it is some other part of the face than the jaw (a nose or tongue bone can start
# near the head joint and point forward and down as a jaw does).
_NOT_JAW = ("nose", "lip", "tongue", "teeth", "tooth", "ear", "eye", "brow", "lid", "cheek", "hair", "hat")


def strip_namespace(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def match_preset(preset: BoneMap, bone_names) -> BoneMap:
    by_plain = {}
    for name in bone_names:
        by_plain.setdefault(strip_namespace(name), name)
    bones = {}
    for joint, bone in preset.bones.items():
        actual = bone if bone in bone_names else by_plain.get(strip_namespace(bone))
        if actual:
            bones[joint] = actual
    root = preset.root_bone if preset.root_bone in bone_names else by_plain.get(strip_namespace(preset.root_bone), "")
    return BoneMap(preset.name, bones, preset.description, root if preset.root_bone else "")


def detect_bone_map(rig: RigRest, rig_label: str = "The armature") -> BoneMap:
    """The preset covering the rig best (all required joints present), else the map guessed from names, else
    the map read from the rig's structure; each with a confidence per row. Raises RetargetError naming the
    missing joints when the rig does not look humanoid."""
    names = set(rig.names)
    best, best_score = None, None
    for preset in all_presets():
        matched = match_preset(preset, names)
        if matched.missing_required():
            continue
        # The preset naming the most bones wins, fingers or not (BVH files often leave them out; a map still
        # has to pass `plausible` below). By share, MakeHuman's 26-bone CMU preset beat Mixamo's on a
        # Mixamo-named BVH without the "mixamorig:" prefix and two joints per finger (21/26 against 30/52),
        # dropping its chest and eight fingers; without fingers (22/52) Mixamo's was not even considered. The
        # share only breaks ties. A generated Rigify rig also has DEF- bones, but those follow the controls.
        score = (preset.name == "rigify_fk", len(matched.bones), len(matched.bones) / max(len(preset.bones), 1))
        if best_score is None or score > best_score:
            best, best_score = matched, score
    candidates = []
    if best is not None:
        candidates.append((best, 1.0))
    guessed = heuristic_bone_map(rig)
    if not guessed.missing_required():
        candidates.append((guessed, 0.8))
    for bone_map, sure in candidates:
        if plausible(rig, bone_map):
            bone_map.confidence = {joint: sure for joint in bone_map.bones}
            fill_face_joints(rig, bone_map, sure)
            return bone_map
    found = detect_by_topology(rig)
    if not found.bone_map.missing_required():
        found.bone_map.confidence = found.confidence
        return found.bone_map
    candidates = [(bone_map, sure) for bone_map, sure in candidates if upright(rig, bone_map.bones)]
    if candidates:  # implausible by its rest pose, but named and standing: better than nothing
        bone_map, sure = candidates[0]
        bone_map.confidence = {joint: 0.5 * sure for joint in bone_map.bones}
        return bone_map
    partial = max((guessed, found.bone_map), key=lambda m: len(m.bones) - 100 * len(m.missing_required()))
    if not partial.missing_required():  # all its joints named, but its shoulders are not above its hips
        raise RetargetError(
            f"{rig_label} does not look like a humanoid rig: the bones named as its shoulders "
            f"({partial.bones['left_shoulder']}, {partial.bones['right_shoulder']}) are not above its hips, as on "
            f"four legs. SoundMotion animates characters with two legs, two arms and a head; if this is one, pick a "
            f"bone map preset or edit the map.")
    partial.require_humanoid(rig_label)
    return partial


def fill_face_joints(rig: RigRest, bone_map: BoneMap, sure: float = 1.0):
    """Add the jaw and eyes a named map leaves out (Mixamo's preset has none, yet users add a jaw bone under the
    head; without it Lip Sync on a mesh without shape keys has nothing to open the mouth with). Only the head
    bone's own unmapped children are looked at: the jaw as a bone named so, else where name-free detection finds
    one (centred, starting near the head joint, pointing forward and down) unless its name says it is another
    part of the face; the eyes as a mirrored pair pointing forward at eye height and spacing. A generated Rigify
    rig's head control has no children, so its face stays with its face rig."""
    missing = [joint for joint in FACE_JOINTS if joint not in bone_map.bones]
    head = bone_map.bones.get("head")
    if not missing or head not in rig.names or not all(j in bone_map.bones for j in ("left_hip", "right_hip")):
        return
    tree = _Tree(rig)
    left_axis = rig.heads[rig.index(bone_map.bones["left_hip"])] - rig.heads[rig.index(bone_map.bones["right_hip"])]
    left_axis[2] = 0.0
    if np.linalg.norm(left_axis) < 1e-9:
        return
    left_axis = left_axis / np.linalg.norm(left_axis)
    forward = np.cross(left_axis, UP)
    used = set(bone_map.bones.values())
    h = rig.index(head)
    children = [c for c in tree.children[h] if rig.names[c] not in used]
    if "jaw" in missing:
        plain = {c: _plain(rig.names[c]) for c in children}
        named = [c for c in children if "jaw" in plain[c] and not any(word in plain[c] for word in _SKIP)
                 and abs(np.dot(rig.heads[c] - rig.heads[h], left_axis)) < 0.01 * tree.height]
        shaped = _jaw_of(tree, h, forward, left_axis)
        if len(named) == 1:
            bone_map.bones["jaw"], bone_map.confidence["jaw"] = rig.names[named[0]], 0.9 * sure
        elif shaped is not None and shaped[0] in children and (not named or shaped[0] in named) \
                and not any(word in plain[shaped[0]] for word in _NOT_JAW):
            bone_map.bones["jaw"], bone_map.confidence["jaw"] = rig.names[shaped[0]], shaped[1] * sure
    if "left_eye_smplhf" in missing and "right_eye_smplhf" in missing and len(children) >= 2:
        chest = next((bone_map.bones[j] for j in ("spine3", "spine2", "neck") if j in bone_map.bones), None)
        eyes = _eyes_in(tree, children, rig.index(chest), forward, left_axis) if chest in rig.names else None
        if eyes is not None:
            (left, right), conf = eyes
            for joint, bone in (("left_eye_smplhf", left), ("right_eye_smplhf", right)):
                bone_map.bones[joint], bone_map.confidence[joint] = rig.names[bone], conf * sure


def plausible(rig: RigRest, bone_map: BoneMap) -> bool:
    """Does the map make sense in the rig's rest pose: left joints to the left of their right twins (as the
    hips say), the head above the pelvis above the knees above the ankles, shoulders above the hips?"""
    bones = bone_map.restricted_to(rig.names).bones
    if any(joint not in bones for joint in ("pelvis", "head", "left_hip", "right_hip")):
        return False

    def at(joint):
        return rig.heads[rig.index(bones[joint])]

    left = at("left_hip") - at("right_hip")
    left[2] = 0.0
    if np.linalg.norm(left) < 1e-6:
        return False
    for joint in ("knee", "ankle", "shoulder", "elbow", "wrist"):
        if f"left_{joint}" in bones and f"right_{joint}" in bones:
            if np.dot(at(f"left_{joint}") - at(f"right_{joint}"), left) <= 0:
                return False
    height = at("head")[2] - at("pelvis")[2]
    if height <= 0:
        return False
    for side in ("left", "right"):
        chain = [at(f"{side}_{j}")[2] for j in ("hip", "knee", "ankle") if f"{side}_{j}" in bones]
        if any(lower >= upper for upper, lower in zip(chain, chain[1:])):
            return False
        if f"{side}_shoulder" in bones and at(f"{side}_shoulder")[2] <= at(f"{side}_hip")[2]:
            return False
    return True


_SIDE_PATTERNS = (
    (re.compile(r"(^|[^a-z])(l|left)([^a-z]|$)|^left|left$"), "left"),
    (re.compile(r"(^|[^a-z])(r|right)([^a-z]|$)|^right|right$"), "right"),
)
_SKIP = ("twist", "roll", "share", "helper", "pole", "target", "mch", "org-", "tweak", "breast", "ik", "meta",
         "carpal", "bend", "end", "nub")
_KINDS = (
    ("foot", ("toe", "ball")),
    ("ankle", ("foot", "ankle")),
    ("hip", ("thigh", "upleg", "upperleg", "hipjoint")),
    ("knee", ("calf", "shin", "knee", "lowerleg", "leg")),
    ("wrist", ("hand", "wrist")),
    ("elbow", ("forearm", "lowerarm", "elbow")),
    ("shoulder", ("upperarm", "arm")),
    ("collar", ("clavicle", "collar", "shoulder")),
    ("head", ("head",)),
    ("neck", ("neck",)),
    ("spine", ("spine", "chest", "back", "torso", "waist", "abdomen")),
    ("pelvis", ("hips", "pelvis", "hip")),
    ("root", ("root",)),
)
_FINGER_WORDS = {"thumb": ("thumb",), "index": ("index",), "middle": ("middle", "mid"),
                 "ring": ("ring",), "pinky": ("pinky", "little")}


def _side(name: str, x: float):
    lowered = name.lower()
    camel = re.match(r"^(Left|Right)[A-Z]", strip_namespace(name))
    if camel:
        return camel.group(1).lower()
    for pattern, side in _SIDE_PATTERNS:
        if pattern.search(lowered.replace(".", "_")):
            return side
    return None


def _side_by_position(x: float):
    if abs(x) > 0.02:
        return "left" if x > 0 else "right"
    return None


def _plain(name: str) -> str:
    lowered = strip_namespace(name).lower()
    lowered = re.sub(r"(^|[._\-\s])(l|r|left|right)($|[._\-\s])", r"\1\3", lowered)
    lowered = re.sub(r"^(left|right)|(left|right)$", "", lowered)
    return re.sub(r"[^a-z0-9]", "", lowered)


def heuristic_bone_map(rig: RigRest) -> BoneMap:
    depth = np.zeros(len(rig), dtype=int)
    for b, parent in enumerate(rig.parents):
        depth[b] = depth[parent] + 1 if parent >= 0 else 0
    candidates = {}
    fingers = {}
    for b, name in enumerate(rig.names):
        plain = _plain(name)
        if any(word in plain for word in _SKIP) or not plain:
            continue
        named_side = _side(name, rig.heads[b][0])
        side = named_side or _side_by_position(rig.heads[b][0])
        finger = next((f for f, words in _FINGER_WORDS.items() if any(w in plain for w in words)), None)
        if finger and side and "toe" not in plain:
            fingers.setdefault((side, finger), []).append(b)
            continue
        kind = next((k for k, words in _KINDS if any(w in plain for w in words)), None)
        if kind is None:
            continue
        sided = kind not in ("head", "neck", "spine", "pelvis", "root")
        if sided and not side or not sided and named_side:
            continue
        key = f"{side}_{kind}" if sided else kind
        candidates.setdefault(key, []).append(b)
    if "pelvis" not in candidates and "root" in candidates:
        candidates["pelvis"] = candidates["root"]
    candidates.pop("root", None)
    bones = {}
    for key, found in candidates.items():
        if key != "spine":
            bones[key] = rig.names[min(found, key=lambda b: depth[b])]
    spine = sorted(candidates.get("spine", []), key=lambda b: depth[b])
    if spine:
        picks = {"spine1": spine[0], "spine3": spine[-1]}
        if len(spine) >= 3:
            picks["spine2"] = spine[len(spine) // 2]
        bones.update({k: rig.names[v] for k, v in picks.items()})
    for (side, finger), found in fingers.items():
        for k, b in enumerate(sorted(found, key=lambda b: depth[b])[:3]):
            bones[f"{side}_{finger}{k + 1}"] = rig.names[b]
    return BoneMap("detected", bones, "Guessed from bone names and rest positions")
