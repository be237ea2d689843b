"""Bone-driven faces: a pose per viseme or per ARKit channel, blended per frame into bone keys.

A FacePoses holds named poses of a face rig as pose-bone values (location and rotation, offsets from the rest
pose in the armature's own units, as Blender keys them). Which face channels drive each pose is a ShapeKeyMap
over the pose names, exactly as for shape keys: poses named after ARKit channels map one to one, poses named
after visemes (AA, MBP, viseme_PP, ...) through the viseme presets, and the user can edit it row by row.

Blending: each frame's location is the weighted sum of the poses' locations; its rotation is the exponential
of the weighted sum of their rotation vectors (so two poses turning the same jaw add up, and a weight of 0.5
turns half way). Built-in pose sets (Rigify's generated face) are data in presets/faces/.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..clips import rotations
from ..clips.face import FaceClip
from ..clips.rotations import Rotation
from .errors import RetargetError
from .jaw_bone import opening_sign
from .rig import RigRest
from .shape_keys import ShapeKeyMap, map_shape_keys

FACE_PRESET_DIR = Path(__file__).resolve().parent / "presets" / "faces"
SIDES = {"Left": (".L", ".R"), "Right": (".R", ".L")}


@dataclass
class FacePoses:
    """poses[name][bone] = (location (3,), rotation (4,) w-first); `source` says where they came from."""

    poses: dict = field(default_factory=dict)
    source: str = ""

    @property
    def names(self) -> list:
        return list(self.poses)

    @property
    def bones(self) -> list:
        return sorted({bone for pose in self.poses.values() for bone in pose})

    def without_still_bones(self, tolerance: float = 1e-6) -> "FacePoses":
        """The same poses less the bones that stay at rest in all of them (a pose library keys every bone)."""
        moving = {bone for pose in self.poses.values() for bone, (location, rotation) in pose.items()
                  if np.abs(location).max() > tolerance or 1.0 - abs(rotation[0]) > tolerance}
        return FacePoses({name: {b: v for b, v in pose.items() if b in moving} for name, pose in self.poses.items()},
                         self.source)

    def bone_keys(self, weights: dict) -> tuple:
        """({bone: (T, 4) rotations}, {bone: (T, 3) locations}) for per-frame pose weights {pose: (T,)}."""
        weights = {name: np.asarray(w, dtype=np.float64) for name, w in weights.items() if name in self.poses}
        if not weights:
            return {}, {}
        frames = len(next(iter(weights.values())))
        turns = {b: np.zeros((frames, 3)) for b in self.bones}
        moves = {b: np.zeros((frames, 3)) for b in self.bones}
        for name, weight in weights.items():
            for bone, (location, rotation) in self.poses[name].items():
                moves[bone] += weight[:, None] * np.asarray(location, dtype=np.float64)
                turns[bone] += weight[:, None] * rotations.to_rotation(rotation).as_rotvec()[0]
        keyed_rotations = {b: rotations.from_rotation(Rotation.from_rotvec(v), (frames,)) for b, v in turns.items()}
        return keyed_rotations, moves

    def keys_for(self, clip: FaceClip, pose_map: ShapeKeyMap) -> tuple:
        """Bone keys for a face clip through the map from face channels to poses."""
        return self.bone_keys(pose_map.key_values(clip))


def pose_map_for(face_poses: FacePoses, stored: ShapeKeyMap = None) -> ShapeKeyMap:
    """The stored map (rows for poses the rig has), else the one detected from the pose names."""
    if stored is not None:
        rows = {name: row for name, row in stored.rows.items() if name in face_poses.poses}
        if rows:
            return ShapeKeyMap(rows, stored.preset)
    return map_shape_keys(face_poses.names)


# Built-in face rigs ------------------------------------------------------------------------------------------

def face_preset_names() -> list:
    return sorted(p.stem for p in FACE_PRESET_DIR.glob("*.json"))


def load_face_preset(name: str) -> dict:
    path = FACE_PRESET_DIR / f"{name}.json"
    if not path.is_file():
        raise RetargetError(f"No built-in face rig {name!r}; built in: {', '.join(face_preset_names())}.")
    return json.loads(path.read_text(encoding="utf-8"))


def matching_face_preset(bone_names) -> str:
    """The built-in face rig whose required controls the armature has, or ""."""
    names = set(bone_names)
    return next((p for p in face_preset_names() if set(load_face_preset(p)["requires"]) <= names), "")


def preset_face_poses(name: str, rest: RigRest) -> FacePoses:
    """A built-in face rig's poses for this armature: moves scaled to its mouth (and eyelids), turned into each
    control's own axes. `rest` is the rig in the retarget space (read_rig_rest), its frame giving the units."""
    preset = load_face_preset(name)
    missing = [b for b in preset["requires"] if b not in rest.names]
    if missing:
        raise RetargetError(f"The armature lacks the {name} face controls {', '.join(missing)}.")
    scale = rest.frame.scale if rest.frame is not None else 1.0
    head = lambda bone: rest.heads[rest.index(bone)]  # noqa: E731
    units = {"mouth": float(np.linalg.norm(head("lips.L") - head("lips.R")))}
    lids = [np.linalg.norm(head(f"lid.T{s}.002") - head(f"lid.B{s}.002")) for s in (".L", ".R")
            if f"lid.T{s}.002" in rest.names and f"lid.B{s}.002" in rest.names]
    units["lid"] = float(np.mean(lids)) if lids else 0.25 * units["mouth"]
    jaw, degrees = preset["jaw"], float(preset["jaw_open_degrees"])
    opening = _jaw_turn(rest, jaw, degrees)
    poses = {}
    for channel, bones in preset["poses"].items():
        for pose_name, swap in _sided(channel):
            pose = {}
            for bone, move in bones.items():
                bone = _swap_side(bone, swap)
                if bone not in rest.names:
                    continue
                location, rotation = np.zeros(3), rotations.IDENTITY_WXYZ.copy()
                if "open" in move:
                    rotation = rotations.from_rotation(Rotation.from_rotvec(opening.as_rotvec() * move["open"]))[0]
                if "close" in move:  # a first guess; blender_face.calibrated fits it on the rig itself
                    drop = _lip_drop(rest, jaw, opening, bone)
                    location = _local(rest, bone, np.array([0.0, 0.0, drop * move["close"]])) / scale
                if "move" in move:
                    x, forward, up = move["move"]
                    if swap:
                        x = -x
                    vector = units[move.get("unit", "mouth")] * np.array([x, -forward, up])
                    location = location + _local(rest, bone, vector) / scale
                pose[bone] = (location, rotation)
            if pose:
                poses[pose_name] = pose
    return FacePoses(poses, f"{name} (built in)")


def _sided(channel):
    """[(pose name, swap sides)]: a ...Left channel also gives its mirrored ...Right pose."""
    if channel.endswith("Left"):
        return [(channel, False), (channel[:-4] + "Right", True)]
    return [(channel, False)]


def _swap_side(bone, swap):
    if not swap:
        return bone
    for a, b in ((".L", ".R"), (".R", ".L")):
        if a in bone:
            return bone.replace(a, b)
    return bone


def _local(rest, bone, vector):
    """A retarget-space vector in the bone's own rest axes (where pose-bone locations live)."""
    return rotations.rotate(rotations.conjugate(rest.rest_rotations[rest.index(bone)]), vector)


def _jaw_turn(rest, jaw, degrees) -> Rotation:
    """The jaw control's local rotation that opens the mouth by `degrees` (about its own X, downwards)."""
    return Rotation.from_rotvec([opening_sign(rest, jaw) * np.radians(degrees), 0.0, 0.0])


def _lip_drop(rest, jaw, opening, lip) -> float:
    """How far (retarget units) the opened jaw carries the lower lip down: what mouthClose must give back."""
    pivot = rest.heads[rest.index(jaw)]
    arm = rest.heads[rest.index(lip)] - pivot
    axis_turn = rotations.to_rotation(rest.rest_rotations[rest.index(jaw)]) * opening * \
        rotations.to_rotation(rest.rest_rotations[rest.index(jaw)]).inv()
    return float(-(axis_turn.apply(arm)[0] - arm)[2])
