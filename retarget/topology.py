"""Name-free humanoid detection: which bone plays which canonical joint, read from the hierarchy and the rest
geometry alone (for rigs whose bones are called b001, b002, ... or anything else no preset knows).

The feet are the lowest leaves of two subtrees that part above knee height; the bone where they part is the
pelvis. The toes say where the front is, so left and right follow from position whatever way the rig faces.
The hands are the leaves farthest out to each side; the bone where the arms part is the chest. Up from the
chest, the branch that reaches highest holds the neck and the head. Along each limb the joint is chosen whose
split of the limb is most human (thigh ≈ 1.1 shin, upper arm ≈ 1.1 forearm), so twist, deltoid or hip-joint
bones in the chain are skipped. Fingers are the chains under the wrist: the thumb is the one that starts
nearest the wrist, the others are ordered along the knuckles from the thumb's side.

Every joint gets a confidence in [0, 1]: 1 where the structure leaves no doubt, lower where proportions or
left/right symmetry look unusual or two bones are equally good (e.g. two coinciding bones at the eye).
"""

from dataclasses import dataclass

import numpy as np

from .bone_map import BoneMap
from .canonical import SIDES
from .rig import RigRest

UP = np.array([0.0, 0.0, 1.0])
LIMB_RATIO = np.log(1.1)   # thigh / shin and upper arm / forearm of an adult
ANKLE_HEIGHT = 0.2         # of the pelvis height above the floor: the ankle is the first leg joint below it
FINGER_EXTENT = 0.1        # of the body height: a finger chain's reach from its first bone's head
METACARPAL = 0.021         # of the body height: a bone starting this close to the wrist joint is a palm bone
EYE_SPACING = 0.019        # of the body height: half the distance between the eyes
# Canonical spine joints' heights between the pelvis and the neck on SMPL-X's body (spine1, spine2, spine3).
SPINE_FRACTIONS = {"spine1": 0.22, "spine2": 0.48, "spine3": 0.58}


@dataclass
class TopologyMap:
    bone_map: BoneMap
    confidence: dict  # canonical joint → [0, 1]
    forward: np.ndarray  # the rig's front, horizontal unit vector


class _Tree:
    def __init__(self, rig: RigRest):
        self.rig = rig
        count = len(rig)
        self.children = [[] for _ in range(count)]
        for b, parent in enumerate(rig.parents):
            if parent >= 0:
                self.children[parent].append(b)
        self.depth = np.zeros(count, dtype=int)
        for b, parent in enumerate(rig.parents):
            self.depth[b] = self.depth[parent] + 1 if parent >= 0 else 0
        points = np.concatenate([rig.heads, rig.tails])
        self.floor = float(points[:, 2].min())
        self.height = float(np.ptp(points[:, 2])) or 1.0
        # Every bone's subtree, as a sorted array of bone indices (children come after parents).
        members = [[b] for b in range(count)]
        for b in range(count - 1, -1, -1):
            parent = rig.parents[b]
            if parent >= 0:
                members[parent].extend(members[b])
        self.subtree = [np.array(sorted(m)) for m in members]

    def leaves(self, within=None):
        bones = range(len(self.rig)) if within is None else within
        return [b for b in bones if not self.children[b]]

    def ancestors(self, bone) -> list:
        """bone, its parent, ... up to the root."""
        chain = []
        while bone >= 0:
            chain.append(bone)
            bone = self.rig.parents[bone]
        return chain

    def common_ancestor(self, a, b):
        above = set(self.ancestors(a))
        return next((x for x in self.ancestors(b) if x in above), -1)

    def path(self, top, bottom) -> list:
        """Bones below `top` down to `bottom` (inclusive), top excluded; [] if bottom is not below top."""
        chain = self.ancestors(bottom)
        if top not in chain:
            return []
        return chain[:chain.index(top)][::-1]

    def extent(self, bone) -> float:
        """How far the bone's subtree reaches from the bone's head."""
        members = self.subtree[bone]
        points = np.concatenate([self.rig.heads[members], self.rig.tails[members]])
        return float(np.max(np.linalg.norm(points - self.rig.heads[bone], axis=1)))

    def length(self, bone) -> float:
        return float(np.linalg.norm(self.rig.tails[bone] - self.rig.heads[bone]))


def _unit(vector):
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 1e-12 else vector * 0.0


def _horizontal(vector):
    return np.array([vector[0], vector[1], 0.0])


def _split_score(tree, chain, upper, middle, end):
    """How unlike a human limb the split upper→middle→end is: the ratio of its two parts against 1.1, plus
    how far the chain bends between upper and middle (a collar bone is no part of the upper arm)."""
    heads = tree.rig.heads
    a = np.linalg.norm(heads[middle] - heads[upper])
    b = np.linalg.norm(heads[end] - heads[middle])
    if a < 1e-6 or b < 1e-6:
        return np.inf
    line = (heads[middle] - heads[upper]) / a
    between = chain[chain.index(upper) + 1:chain.index(middle)]
    bend = max((np.linalg.norm(np.cross(heads[x] - heads[upper], line)) for x in between), default=0.0)
    return abs(np.log(a / b) - LIMB_RATIO) + 2.0 * bend / a


def _limb_split(tree, chain, end):
    """(upper joint, middle joint, score): the pair of bones of `chain` that split the limb to `end` most like
    a human limb; score 0 is a straight limb with a perfect 1.1 ratio. Of two equally straight splits the one
    spanning more of the limb wins (a forearm twist bone is not an elbow)."""
    heads = tree.rig.heads
    spans = {b: np.linalg.norm(heads[end] - heads[b]) for b in chain}
    longest = max(spans.values())
    best = (None, None, np.inf)
    for i, upper in enumerate(chain):
        for middle in chain[i + 1:]:
            span = np.linalg.norm(heads[middle] - heads[upper]) + np.linalg.norm(heads[end] - heads[middle])
            score = _split_score(tree, chain, upper, middle, end) + 0.3 * np.log(max(longest, span) / max(span, 1e-9))
            if score < best[2] - 1e-9:
                best = (upper, middle, score)
    return best


def _ratio_confidence(score):
    return float(np.clip(1.0 - max(0.0, score - 0.15) / 0.5, 0.3, 1.0))


def detect_by_topology(rig: RigRest) -> TopologyMap:
    """The canonical joints the rig's structure reveals (possibly not all: the caller checks REQUIRED)."""
    tree = _Tree(rig)
    heads, tails = rig.heads, rig.tails
    bones, confidence = {}, {}

    feet = _find_feet(tree)
    if feet is None:
        return TopologyMap(BoneMap("topology", {}), {}, np.array([0.0, -1.0, 0.0]))
    pelvis, leaf_a, leaf_b = feet
    pelvis_height = heads[pelvis, 2] - tree.floor
    ankles = [_ankle_on(tree, pelvis, leaf, pelvis_height) for leaf in (leaf_a, leaf_b)]
    forward, facing_sure = _forward(tree, ankles, (leaf_a, leaf_b), heads[pelvis])
    left_axis = _unit(np.cross(UP, forward))
    if np.dot(heads[ankles[0]] - heads[pelvis], left_axis) < np.dot(heads[ankles[1]] - heads[pelvis], left_axis):
        leaf_a, leaf_b = leaf_b, leaf_a
        ankles = ankles[::-1]
    legs = dict(zip(SIDES, zip((leaf_a, leaf_b), ankles)))
    bones["pelvis"] = pelvis
    confidence["pelvis"] = 1.0

    def lateral(bone):
        return float(np.dot(heads[bone] - heads[pelvis], left_axis))

    for side, (leaf, ankle) in legs.items():
        chain = tree.path(pelvis, ankle)
        reach = abs(lateral(ankle))
        # The hip joint is off the midline (not a pelvis-to-hip bone), the knee splits the leg like a human's.
        off = [b for b in chain[:-1] if abs(lateral(b)) >= 0.35 * reach] or chain[:-1]
        if len(off) < 2:
            continue
        hip = off[0]
        knee, score = _best_middle(tree, chain[:-1], hip, ankle)
        if knee is None:
            continue
        bones.update({f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle})
        conf = _ratio_confidence(score) * (1.0 if facing_sure else 0.6)
        confidence.update({f"{side}_hip": conf, f"{side}_knee": conf, f"{side}_ankle": conf})
        toes = [c for c in tree.children[ankle]
                if np.dot(_horizontal(tails[c] - heads[ankle]), forward) > 0.02 * tree.height
                or np.dot(_horizontal(heads[c] - heads[ankle]), forward) > 0.02 * tree.height]
        if toes:
            # Several toe bones (MakeHuman's five): the big toe, nearest the body's midline.
            bones[f"{side}_foot"] = min(toes, key=lambda c: (abs(lateral(c)), tree.depth[c], tuple(heads[c])))
            confidence[f"{side}_foot"] = conf if len(toes) == 1 else 0.8 * conf

    arms = _find_arms(tree, pelvis, left_axis, legs)
    if arms is not None:
        chest, hands = arms
        spine = tree.path(pelvis, chest)
        bones.update(_spine_joints(spine, heads, pelvis, _neck_base(tree, chest, hands)))
        for joint in ("spine1", "spine2", "spine3"):
            if joint in bones:
                confidence[joint] = 1.0 if len(spine) in (1, 3) else 0.9
        for side, hand_leaf in hands.items():
            _map_arm(tree, chest, hand_leaf, side, forward, bones, confidence, 1.0 if facing_sure else 0.6)
        _map_head(tree, chest, hands, forward, left_axis, bones, confidence)
    names = {joint: rig.names[b] for joint, b in bones.items()}
    if not upright(rig, names):
        # Four legs (a cat): its "arms" are leaves beside the head. Only the legs are kept, so the rig is
        # refused as not humanoid instead of danced with its eyelids for hands.
        bones = {j: b for j, b in bones.items() if j == "pelvis" or j.split("_", 1)[-1] in LEG_JOINTS}
        names = {j: n for j, n in names.items() if j in bones}
        confidence = {j: c for j, c in confidence.items() if j in bones}
    _symmetry_check(rig, bones, confidence, heads[pelvis], left_axis)
    return TopologyMap(BoneMap("topology", names, "Found from the hierarchy and rest positions"),
                       {j: round(float(c), 2) for j, c in confidence.items()}, forward)


LEG_JOINTS = ("hip", "knee", "ankle", "foot")
UPRIGHT = 0.1  # of the rig's height: how far a humanoid's shoulders stand above its hips at rest, at the least


def upright(rig: RigRest, names: dict) -> bool:
    """Whether the shoulders of a map ({joint: bone}) stand above its hips, as a standing humanoid's do (a
    human's by about a quarter of its height, in any rest pose); True where either is not mapped."""
    def mean_height(joint):
        return [rig.heads[rig.index(names[f"{side}_{joint}"]), 2] for side in SIDES
                if names.get(f"{side}_{joint}") in rig.names]

    shoulders, hips = mean_height("shoulder"), mean_height("hip")
    if not shoulders or not hips:
        return True
    height = float(np.ptp(np.concatenate([rig.heads, rig.tails])[:, 2])) or 1.0
    return float(np.mean(shoulders) - np.mean(hips)) >= UPRIGHT * height


def _best_middle(tree, chain, upper, end):
    best = (None, np.inf)
    for middle in chain[chain.index(upper) + 1:]:
        score = _split_score(tree, chain, upper, middle, end)
        if score < best[1]:
            best = (middle, score)
    return best


def _find_feet(tree):
    """(pelvis, foot leaf, other foot leaf): the two lowest leaves whose branches part above knee height."""
    def lowest(b):
        return min(tree.rig.tails[b, 2], tree.rig.heads[b, 2])

    leaves = sorted(tree.leaves(), key=lambda b: (lowest(b), tuple(tree.rig.heads[b])))
    low = [b for b in leaves if lowest(b) < tree.floor + 0.12 * tree.height]
    for a in low:
        for b in low:
            if b == a:
                continue
            meet = tree.common_ancestor(a, b)
            if meet >= 0 and tree.rig.heads[meet, 2] > tree.floor + 0.3 * tree.height:
                return meet, a, b
    return None


def _ankle_on(tree, pelvis, leaf, pelvis_height):
    chain = tree.path(pelvis, leaf)
    limit = tree.floor + ANKLE_HEIGHT * pelvis_height
    below = [b for b in chain if tree.rig.heads[b, 2] < limit]
    return below[0] if below else chain[-1]


def _forward(tree, ankles, leaves, pelvis_head):
    """The rig's front from where its toes point (and whether that was clear), else Blender's -Y.

    The toes are the point of the foot farthest from the ankle along the ground: the lowest leaf may be a heel
    bone behind the ankle (Rigify's metarigs), which points the other way."""
    heads, tails = tree.rig.heads, tree.rig.tails
    toes = np.zeros(3)
    for ankle, leaf in zip(ankles, leaves):
        foot = tree.subtree[ankle]
        points = np.concatenate([tails[foot], heads[foot], tails[leaf][None]])
        reach = [_horizontal(point - heads[ankle]) for point in points]
        toes += max(reach, key=np.linalg.norm)
    across = _horizontal(heads[ankles[0]] - heads[ankles[1]])
    across = _unit(across)
    toes -= np.dot(toes, across) * across
    if np.linalg.norm(toes) > 0.03 * tree.height:
        return _unit(toes), True
    fallback = np.array([0.0, -1.0, 0.0])
    return _unit(fallback - np.dot(fallback, across) * across) if np.linalg.norm(across) else fallback, False


def _find_arms(tree, pelvis, left_axis, legs):
    """(chest, {side: hand leaf}): the leaves farthest out to each side outside the legs, and where they part."""
    heads, tails = tree.rig.heads, tree.rig.tails
    leg_bones = set()
    for leaf, ankle in legs.values():
        top = tree.path(pelvis, ankle)[0]
        leg_bones.update(tree.subtree[top].tolist())
    candidates = [b for b in tree.leaves(tree.subtree[pelvis]) if b not in leg_bones]
    if len(candidates) < 2:
        return None
    reach = {b: float(np.dot(tails[b] - heads[pelvis], left_axis)) for b in candidates}
    left = max(candidates, key=lambda b: (reach[b], tuple(-heads[b])))
    right = min(candidates, key=lambda b: (reach[b], tuple(heads[b])))
    if reach[left] <= 0 or reach[right] >= 0:
        return None
    chest = tree.common_ancestor(left, right)
    if chest < 0 or chest in (left, right):
        return None
    return chest, {"left": left, "right": right}


def _neck_base(tree, chest, hands):
    """The first bone of the branch above the chest that reaches highest, or None."""
    arm_tops = {tree.path(chest, leaf)[0] for leaf in hands.values()}
    branches = [c for c in tree.children[chest] if c not in arm_tops]
    if not branches:
        return None
    return max(branches, key=lambda c: (np.max(tree.rig.tails[tree.subtree[c], 2]), tuple(tree.rig.heads[c])))


def _spine_joints(spine, heads, pelvis, neck):
    """spine1..3 from the bones between the pelvis and the chest (the chest is spine3)."""
    if not spine:
        return {}
    if len(spine) >= 3:
        return {"spine1": spine[0], "spine2": spine[len(spine) // 2], "spine3": spine[-1]}
    out = {"spine3": spine[-1]}
    if len(spine) == 2:
        top = heads[neck, 2] if neck is not None else heads[spine[-1], 2]
        span = top - heads[pelvis, 2]
        fraction = (heads[spine[0], 2] - heads[pelvis, 2]) / span if span > 1e-6 else 0.0
        middle = 0.5 * (SPINE_FRACTIONS["spine1"] + SPINE_FRACTIONS["spine2"])
        out["spine1" if fraction < middle else "spine2"] = spine[0]
    return out


def _map_arm(tree, chest, hand_leaf, side, forward, bones, confidence, sure):
    chain = tree.path(chest, hand_leaf)
    wrist = _wrist_on(tree, chain)
    if wrist is None or chain.index(wrist) < 2:
        return
    before = chain[:chain.index(wrist)]
    shoulder, elbow, score = _limb_split(tree, before, wrist)
    if elbow is None:
        return
    conf = _ratio_confidence(score) * sure
    bones.update({f"{side}_shoulder": shoulder, f"{side}_elbow": elbow, f"{side}_wrist": wrist})
    confidence.update({f"{side}_shoulder": conf, f"{side}_elbow": conf, f"{side}_wrist": conf})
    if before.index(shoulder) > 0:
        bones[f"{side}_collar"] = before[0]
        confidence[f"{side}_collar"] = conf
    _map_fingers(tree, wrist, side, bones, confidence, sure)


def _wrist_on(tree, chain):
    """The first bone of the arm chain that carries two or more finger-sized branches, else the hand leaf."""
    for bone in chain:
        small = [c for c in tree.children[bone] if tree.extent(c) < FINGER_EXTENT * tree.height]
        if len(small) >= 2:
            return bone
    last = chain[-1]
    stub = tree.length(last) < 0.03 * tree.height and len(chain) > 3
    return chain[-2] if stub else last


def _finger_chains(tree, wrist):
    """Per finger: its (up to) three bones from the knuckle out, skipping metacarpals and tip stubs."""
    heads = tree.rig.heads
    chains = []
    for leaf in tree.leaves(tree.subtree[wrist]):
        path = tree.path(wrist, leaf)
        if not path:
            continue
        while len(path) > 3 or (len(path) > 1 and
                                np.linalg.norm(heads[path[0]] - heads[wrist]) < METACARPAL * tree.height):
            path = path[1:]  # a metacarpal: starts at the wrist (a thumb's first bone starts a little off it)
        chains.append(path[:3])
    # Chains sharing their first bone are one finger (a branching palm bone): keep the longest.
    unique = {}
    for path in chains:
        key = path[0]
        if key not in unique or len(path) > len(unique[key]):
            unique[key] = path
    return list(unique.values())


def _map_fingers(tree, wrist, side, bones, confidence, sure):
    heads = tree.rig.heads
    chains = _finger_chains(tree, wrist)
    if len(chains) < 2:
        return
    chains = sorted(chains, key=lambda p: (np.linalg.norm(heads[p[0]] - heads[wrist]), tuple(heads[p[0]])))
    thumb, others = chains[0], chains[1:5]
    knuckles = np.array([heads[p[0]] for p in others])
    centre = knuckles.mean(axis=0)
    if len(others) > 1:
        axis = np.linalg.svd(knuckles - centre)[2][0]
        order = np.argsort((knuckles - centre) @ axis)
        ordered = [others[i] for i in order]
        thumb_base = heads[thumb[0]]
        if np.linalg.norm(heads[ordered[-1][0]] - thumb_base) < np.linalg.norm(heads[ordered[0][0]] - thumb_base):
            ordered = ordered[::-1]
    else:
        ordered = others
    names = ["index", "middle", "ring", "pinky"] if len(ordered) >= 4 else \
        {1: ["middle"], 2: ["index", "pinky"], 3: ["index", "middle", "pinky"]}[len(ordered)]
    conf = sure * (1.0 if len(chains) == 5 else 0.6)
    for finger, path in [("thumb", thumb)] + list(zip(names, ordered)):
        for k, bone in enumerate(path):
            bones[f"{side}_{finger}{k + 1}"] = bone
            confidence[f"{side}_{finger}{k + 1}"] = conf


def _map_head(tree, chest, hands, forward, left_axis, bones, confidence):
    """Neck and head on the branch above the chest that reaches highest; the head is where the eyes hang
    (else the chain's last bone, less a short end bone at the top of the skull); then jaw and eyes."""
    heads, tails = tree.rig.heads, tree.rig.tails
    base = _neck_base(tree, chest, hands)
    if base is None:
        return
    members = tree.subtree[base]
    top_leaf = max(tree.leaves(members), key=lambda b: (max(tails[b, 2], heads[b, 2]), tuple(heads[b])))
    chain = [base] + tree.path(base, top_leaf)
    eyes = _eyes_in(tree, members, chest, forward, left_axis)
    head = None
    if eyes is not None:
        meet = tree.common_ancestor(*eyes[0])
        head = meet if meet in chain else None
    if head is None:
        head = chain[-1]
        parent = chain[-2] if len(chain) > 1 else None
        if parent is not None and not tree.children[head] and tree.length(parent) >= 0.08 * tree.height \
                and np.linalg.norm(tails[parent] - heads[head]) < 0.01 * tree.height:
            head = parent  # an end bone marking the top of the skull (Mixamo's HeadTop_End)
    bones["head"] = head
    confidence["head"] = 1.0 if eyes is not None or len(chain) <= 3 else 0.8
    if head != chain[0]:
        bones["neck"] = chain[0]
        confidence["neck"] = confidence["head"]
    jaw = _jaw_of(tree, head, forward, left_axis)
    if jaw is not None:
        bones["jaw"], confidence["jaw"] = jaw
    if eyes is not None:
        (left, right), conf = eyes
        bones["left_eye_smplhf"], bones["right_eye_smplhf"] = left, right
        confidence["left_eye_smplhf"] = confidence["right_eye_smplhf"] = conf


def _jaw_of(tree, head, forward, left_axis):
    """A centred child of the head that starts near the head joint and points forward and down."""
    heads, tails = tree.rig.heads, tree.rig.tails
    found = []
    for child in tree.children[head]:
        direction = tails[child] - heads[child]
        centred = abs(np.dot(heads[child] - heads[head], left_axis)) < 0.01 * tree.height
        near = np.linalg.norm(heads[child] - heads[head]) < 0.06 * tree.height
        if centred and near and np.dot(direction, forward) > 0 and direction[2] < 0 \
                and tree.length(child) > 0.005 * tree.height:
            found.append(child)
    if not found:
        return None
    found.sort(key=lambda c: (tails[c, 2], tuple(heads[c])))
    tie = len(found) > 1 and abs(tails[found[0], 2] - tails[found[1], 2]) < 0.005 * tree.height
    return found[0], 0.5 if tie else (0.9 if len(found) == 1 else 0.7)


def _eyes_in(tree, members, chest, forward, left_axis):
    """((left, right), confidence): the mirrored pair of forward-pointing bones at eye height and spacing in
    front of the neck, or None."""
    heads, tails = tree.rig.heads, tree.rig.tails
    h = tree.height
    top = float(np.max(np.concatenate([heads[members], tails[members]])[:, 2]))
    centre = heads[chest]

    def spot(b):
        offset = heads[b] - centre
        return np.dot(offset, left_axis), np.dot(offset, forward), heads[b, 2]

    lefts, rights = [], []
    for b in members:
        x, y, z = spot(b)
        direction = tails[b] - heads[b]
        if 0.008 * h < abs(x) < 0.04 * h and y > 0.02 * h and top - 0.14 * h < z and z > centre[2] + 0.1 * h \
                and np.dot(direction, forward) > 0.5 * np.linalg.norm(direction):
            (lefts if x > 0 else rights).append(b)
    pairs = []
    for a in lefts:
        xa, ya, za = spot(a)
        for b in rights:
            xb, yb, zb = spot(b)
            mismatch = abs(xa + xb) + abs(ya - yb) + abs(za - zb)
            if mismatch < 0.01 * h:
                score = mismatch + abs(abs(xa) - EYE_SPACING * h) + abs(abs(xb) - EYE_SPACING * h)
                pairs.append((score, tree.depth[a], tuple(heads[a]), (a, b)))
    if not pairs:
        return None
    pairs.sort(key=lambda p: p[:3])
    tie = len(pairs) > 1 and abs(pairs[1][0] - pairs[0][0]) < 1e-4 * h
    return pairs[0][3], 0.5 if tie else 0.8


def _symmetry_check(rig, bones, confidence, centre, left_axis):
    """Lower the confidence of left/right pairs that are not mirror images of each other."""
    height = float(np.ptp(np.concatenate([rig.heads, rig.tails])[:, 2])) or 1.0
    for joint in list(bones):
        if not joint.startswith("left_"):
            continue
        other = "right_" + joint[len("left_"):]
        if other not in bones:
            continue
        a = rig.heads[bones[joint]] - centre
        b = rig.heads[bones[other]] - centre
        mirrored = b - 2.0 * np.dot(b, left_axis) * left_axis
        off = np.linalg.norm(a - mirrored) / height
        if off > 0.02:
            factor = float(np.clip(1.0 - (off - 0.02) / 0.1, 0.3, 1.0))
            confidence[joint] = confidence.get(joint, 1.0) * factor
            confidence[other] = confidence.get(other, 1.0) * factor

