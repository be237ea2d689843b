"""What retargeting needs to know about the canonical (SMPL-X) joints: which joint a bone points at,
which joints a usable map must have, which chains share rotation, and how to orient each bone's twist."""

from ..clips.skeleton import SMPLX_JOINT_NAMES

CANONICAL_JOINTS = SMPLX_JOINT_NAMES
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
SIDES = ("left", "right")

REQUIRED = (
    "pelvis", "head",
    "left_hip", "left_knee", "left_ankle", "right_hip", "right_knee", "right_ankle",
    "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
)

# Canonical joints a bone's direction is measured towards, first mapped candidate wins.
_AIMS = {
    "spine1": ("spine2", "spine3", "neck"),
    "spine2": ("spine3", "neck"),
    "spine3": ("neck", "head"),
    "neck": ("head",),
}
for _side in SIDES:
    _AIMS.update({
        f"{_side}_hip": (f"{_side}_knee",),
        f"{_side}_knee": (f"{_side}_ankle",),
        f"{_side}_ankle": (f"{_side}_foot",),
        f"{_side}_collar": (f"{_side}_shoulder",),
        f"{_side}_shoulder": (f"{_side}_elbow",),
        f"{_side}_elbow": (f"{_side}_wrist",),
        f"{_side}_wrist": (f"{_side}_middle1", f"{_side}_index1", f"{_side}_ring1", f"{_side}_pinky1"),
    })
    for _finger in FINGERS:
        _AIMS[f"{_side}_{_finger}1"] = (f"{_side}_{_finger}2", f"{_side}_{_finger}3")
        _AIMS[f"{_side}_{_finger}2"] = (f"{_side}_{_finger}3",)
AIMS = dict(_AIMS)

# Where a target has more bones than the map names (5 spine bones for 3 canonical), the in-between bones
# share the rotation so the back bends smoothly; limb twist bones just follow.
DISTRIBUTED = frozenset({"spine1", "spine2", "spine3", "neck"})

# The pelvis bone points anywhere (up the spine, forward, back) depending on the rig; the line between
# the hip joints is what every rig agrees on, so that is the pelvis's direction.
ACROSS = {"pelvis": ("right_hip", "left_hip")}

# The jaw and the eyes are leaves whose bones point nowhere that skeletons agree on (SMPL-X's have no child, so
# their direction continues head → joint; a rig's jaw may run from the hinge to the chin or hang down). Aiming
# them along the source's made-up direction turned MakeHuman's jaw 20.5° (chin 24 mm into the skull) and its
# eyes 37.9° for a whole take in which they never moved. So they carry the source joint's turn relative to the
# head, through the head's rest alignment: a jaw or eye the clip does not move stays at rest on the head.
RELATIVE_TO = {"jaw": "head", "left_eye_smplhf": "head", "right_eye_smplhf": "head"}

# The SMPL-X head joint's first child is the jaw (down and forward): its bone must point up the skull instead,
# or the target's head is aimed at its chin.
HEAD_TOP_OFFSET = (0.0, 0.0, 0.12)

# A head bone points up the skull on most rigs (Rigify 0.0° from vertical, Mixamo 0.8°, MakeHuman and the demo
# character 3.1°), but its tail may sit at its first child (the jaw: 123.7° from vertical on rigs built that way)
# or an eye (59.7°), or along an imported bone's local axis. Aimed along the source's up the skull, such a head
# turned 123.7° (60.4°) away for a whole take, even a still one. So a head bone further than this from the
# vertical says nothing about the skull: its rest head is taken as upright, as rigs are modelled, and its aim
# is the vertical (the source's, HEAD_TOP_OFFSET, is too). 20° is three times the steepest up-the-skull bone
# seen (6.3°, a head bone continuing the neck) and bounds how far a still head can be set straight.
UPRIGHT_WITHIN_DEG = {"head": 20.0}


def canonical_tails(skeleton):
    """Tails for RigRest.from_skeleton on a canonical skeleton (NaN: use the default, the first child)."""
    import numpy as np

    tails = np.full((len(skeleton), 3), np.nan)
    if "head" in skeleton.joint_names:
        head = skeleton.index("head")
        tails[head] = skeleton.rest_positions()[head] + HEAD_TOP_OFFSET
    return tails


TORSO_UPPER = frozenset({"spine2", "spine3", "neck", "head", "left_collar", "right_collar", "jaw"})


def side_of(joint: str):
    return next((s for s in SIDES if joint.startswith(s + "_")), None)


def twist_reference(joint: str) -> str:
    """Which body axis fixes a bone's roll: 'hips' (left-right across the hips), 'shoulders', 'palm_<side>'
    (across the knuckles), 'up' (feet) or 'facing'."""
    side = side_of(joint)
    if joint == "pelvis":
        return "up"
    if joint == "spine1":
        return "hips"
    if joint in TORSO_UPPER:
        return "shoulders"
    if side and (joint.endswith("wrist") or any(f in joint for f in FINGERS)):
        return f"palm_{side}"
    if side and (joint.endswith("ankle") or joint.endswith("foot")):
        return "up"
    return "facing"
