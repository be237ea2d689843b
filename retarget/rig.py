"""RigRest: an armature's rest pose as plain arrays, and forward kinematics of pose-bone rotations on it.

Conventions follow Blender's pose bones so that what we compute is what Blender shows: a bone's rest
rotation is its rest matrix in armature space (Y along the bone), and a pose bone's local rotation q and
location l act in that rest frame:  M_bone = M_parent_pose · M_parent_rest⁻¹ · M_bone_rest · T(l) · R(q).
A MotionClip skeleton is the special case where every rest rotation is the identity.
"""

from dataclasses import dataclass

import numpy as np

from ..clips import rotations
from ..clips.skeleton import Skeleton
from .errors import RetargetError


@dataclass(frozen=True, eq=False)
class RigRest:
    """Bone names, parent indices (-1 for roots, parents first), rest heads/tails (B, 3) and rest
    rotations (B, 4) w-first, in the retarget space (metres, Z-up, facing -Y). `frame` (a rig_frame.RigFrame)
    says how that space sits on the armature's own when they differ (a tilted, scaled or turned armature)."""

    names: tuple
    parents: np.ndarray
    heads: np.ndarray
    tails: np.ndarray
    rest_rotations: np.ndarray
    frame: object = None

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        object.__setattr__(self, "parents", np.asarray(self.parents, dtype=np.int64))
        for key in ("heads", "tails", "rest_rotations"):
            object.__setattr__(self, key, np.asarray(getattr(self, key), dtype=np.float64))
        count = len(self.names)
        if len(set(self.names)) != count:
            raise RetargetError("An armature's bone names must be unique.")
        if (self.parents.shape != (count,) or self.heads.shape != (count, 3) or self.tails.shape != (count, 3)
                or self.rest_rotations.shape != (count, 4)):
            raise RetargetError(f"Rig arrays disagree with its {count} bone names.")
        if np.any(self.parents >= np.arange(count)):
            raise RetargetError("Rig bones must be ordered parents before children.")
        if not (np.all(np.isfinite(self.heads)) and np.all(np.isfinite(self.tails))):
            raise RetargetError("Rig rest pose contains NaN or infinite positions.")

    def __len__(self):
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def children(self, bone: int) -> list:
        return [int(c) for c in np.flatnonzero(self.parents == bone)]

    @classmethod
    def from_skeleton(cls, skeleton: Skeleton, tails: np.ndarray = None) -> "RigRest":
        """A clip skeleton as a rig: identity rest rotations; a joint's tail is its first child's head
        (or `tails[j]` when given, e.g. a BVH End Site), leaves continue their parent's direction."""
        heads = skeleton.rest_positions()
        if tails is None:
            tails = np.full_like(heads, np.nan)
        tails = np.array(tails, dtype=np.float64)
        for j in range(len(skeleton)):
            if np.all(np.isfinite(tails[j])):
                continue
            kids = skeleton.children(j)
            if kids:
                tails[j] = heads[kids[0]]
            else:
                parent = skeleton.parents[j]
                step = heads[j] - heads[parent] if parent >= 0 else np.array([0.0, 0.0, 0.1])
                tails[j] = heads[j] + 0.5 * step
        rest = np.tile(rotations.IDENTITY_WXYZ, (len(skeleton), 1))
        return cls(skeleton.joint_names, skeleton.parents, heads, tails, rest)


def sort_parents_first(names, parents_by_name: dict) -> list:
    """Bone names ordered so every parent precedes its children (Blender lists bones in any order)."""
    ordered, placed = [], set()
    pending = list(names)
    while pending:
        progress = False
        for name in list(pending):
            parent = parents_by_name.get(name) or None
            if parent is None or parent in placed or parent not in parents_by_name:
                ordered.append(name)
                placed.add(name)
                pending.remove(name)
                progress = True
        if not progress:
            raise RetargetError(f"The bone hierarchy has a cycle around {pending[0]!r}.")
    return ordered


@dataclass(eq=False)
class RigPose:
    """A rig animated over T frames: world (armature-space) rotations (T, B, 4) and heads (T, B, 3)."""

    rest: RigRest
    world_rotations: np.ndarray
    heads: np.ndarray

    @property
    def num_frames(self) -> int:
        return self.heads.shape[0]


def forward_kinematics(rest: RigRest, local_rotations: dict, root_locations: dict = None, frames: int = None,
                       only=None):
    """World rotations and heads of every bone from pose-bone local rotations {bone: (T, 4)} and
    locations {bone: (T, 3)}; bones absent from the dicts stay at rest. Vectorised over frames.
    `only`: bone names whose pose is needed; just they and their ancestors are computed (the rest stay zero)."""
    root_locations = root_locations or {}
    if frames is None:
        frames = len(next(iter(local_rotations.values())))
    rest_rot = rotations.normalize(rest.rest_rotations)
    quats = np.zeros((frames, len(rest), 4))
    heads = np.zeros((frames, len(rest), 3))
    needed = None
    if only is not None:
        needed = set()
        for name in only:
            bone = rest.index(name)
            while bone >= 0 and bone not in needed:
                needed.add(bone)
                bone = rest.parents[bone]
    for b, parent in enumerate(rest.parents):
        if needed is not None and b not in needed:
            continue
        name = rest.names[b]
        location = root_locations.get(name)
        offset = rotations.rotate(rest_rot[b], location) if location is not None else 0.0
        if parent < 0:
            quats[:, b] = rest_rot[b]
            heads[:, b] = rest.heads[b] + offset
        else:
            to_parent = rotations.conjugate(rest_rot[parent])
            quats[:, b] = rotations.multiply(quats[:, parent], rotations.multiply(to_parent, rest_rot[b]))
            heads[:, b] = heads[:, parent] + rotations.rotate(
                quats[:, parent], rotations.rotate(to_parent, rest.heads[b] - rest.heads[parent] + offset))
        if name in local_rotations:
            quats[:, b] = rotations.multiply(quats[:, b], rotations.normalize(local_rotations[name]))
    return RigPose(rest, quats, heads)


def tails_of(pose: RigPose, bones=None) -> np.ndarray:
    """World tail positions (T, B, 3) of a posed rig, or (T, len(bones), 3) of the given bone indices."""
    bones = range(len(pose.rest)) if bones is None else list(bones)
    rest = rotations.normalize(pose.rest.rest_rotations)
    tails = np.empty((pose.num_frames, len(bones), 3))
    for i, b in enumerate(bones):
        along = rotations.rotate(rotations.conjugate(rest[b]), pose.rest.tails[b] - pose.rest.heads[b])
        tails[:, i] = pose.heads[:, b] + rotations.rotate(pose.world_rotations[:, b], along)
    return tails
