"""Load any supported motion source into what `transfer.retarget` takes: a posed rig, its bone map, fps."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..clips import MotionClip
from ..clips.npz_io import load_npz_arrays
from .bone_map import BoneMap, load_preset
from .canonical import canonical_tails
from .detect import detect_bone_map
from .errors import RetargetError
from .rig import RigPose, RigRest
from .sources.bvh import read_bvh
from .sources.smplx_npz import FPS_KEYS, NpzMotionError, smplx_arrays_to_clip
from .transfer import source_pose_from_clip


@dataclass(eq=False)
class MotionSource:
    pose: RigPose
    bone_map: BoneMap
    fps: float
    label: str
    rate_named: bool = True  # False: the file names no frame rate and was read at the rate asked for

    @property
    def notes(self) -> list:
        """What the user should know about how the file was read (one clause each)."""
        return [] if self.rate_named else [f"{self.label} names no frame rate: read at {self.fps:g} fps"]


def clip_source(clip: MotionClip, rig: RigRest = None, bone_map: BoneMap = None, fps: float = None,
                label: str = "clip") -> MotionSource:
    """A MotionClip as a source, resampled to `fps` (the scene's rate) when given."""
    if fps is not None and abs(float(fps) - clip.fps) > 1e-6:
        if rig is not None and rig.names != clip.skeleton.joint_names:
            raise RetargetError("Cannot resample a clip whose rig does not match its skeleton.")
        tails = rig.tails if rig is not None else canonical_tails(clip.skeleton)
        clip = clip.resampled(fps)
        rig = RigRest.from_skeleton(clip.skeleton, tails)
    rig = rig or RigRest.from_skeleton(clip.skeleton, canonical_tails(clip.skeleton))
    if bone_map is None:
        # SMPL-X's own joint names map one to one; a skeleton that merely has a `pelvis` and a `head` (Unreal's,
        # Blender's metarig names) was handed this preset and refused as "not a humanoid".
        smplx = load_preset("smplx_addon").restricted_to(clip.skeleton.joint_names)
        bone_map = smplx if not smplx.missing_required() else detect_bone_map(rig, f"The skeleton of {label}")
    _refuse_limbs_without_length(rig, bone_map, label)
    return MotionSource(source_pose_from_clip(clip, rig), bone_map, clip.fps, label)


# Limb segments that must have a length: (upper joint, lower joint, what the user calls the segment).
_LIMBS = tuple((f"{side}_{upper}", f"{side}_{lower}", what) for side in ("left", "right")
               for upper, lower, what in (("hip", "knee", "thigh"), ("knee", "ankle", "shin"),
                                          ("shoulder", "elbow", "upper arm"), ("elbow", "wrist", "forearm")))
MIN_LIMB_SHARE = 0.01  # of the skeleton's height: a human's shortest of these (the forearm) is about 15 %


def _refuse_limbs_without_length(rig: RigRest, bone_map: BoneMap, label: str):
    """Zero OFFSETs are common and harmless between joints that share a place (CMU's LHipJoint and LowerBack
    on Hips, Biped's Bip01 Pelvis), but a hand sitting on its elbow leaves the forearm without a direction: its
    motion is then read off the next bone's, 20.8° off in every frame of a walk, without a word."""
    height = float(np.ptp(rig.heads[:, 2])) if len(rig) else 0.0
    for upper, lower, what in _LIMBS:
        names = bone_map.bones.get(upper), bone_map.bones.get(lower)
        if height <= 0 or not all(name in rig.names for name in names):
            continue
        if np.linalg.norm(rig.heads[rig.index(names[1])] - rig.heads[rig.index(names[0])]) < MIN_LIMB_SHARE * height:
            raise RetargetError(f"{label}: {names[1]} sits on {names[0]}, so the {what} has no length (its OFFSET "
                                f"is 0 0 0 or nearly); fix that OFFSET in the file or export it again.")


UP_AXES = ("auto", "y", "z")


def load_motion_file(path, fps: float = None, bone_map: BoneMap = None, up_axis: str = "auto",
                     default_fps: float = None) -> MotionSource:
    """BVH or SMPL/SMPL-X/AMASS .npz (or a SoundMotion MotionClip .npz), resampled to `fps` when given.
    `up_axis` ("auto", "y", "z") overrides which axis of the file's world is up (read from the content).
    An .npz that names no frame rate is read at `fps` (the scene's), else at `default_fps`, and says so in
    `notes`: nothing else could tell its rate."""
    path = Path(path)
    suffix = path.suffix.lower()
    if str(up_axis).lower() not in UP_AXES:
        raise RetargetError(f"The up axis must be one of {', '.join(UP_AXES)}, got {up_axis!r}.")
    up = "auto" if str(up_axis).lower() == "auto" else str(up_axis).upper()
    if suffix == ".bvh":
        motion = read_bvh(path, up_axis=up)
        return clip_source(motion.clip, motion.rig, bone_map, fps, path.name)
    if suffix == ".npz":
        clip, rate_named = _npz_clip_and_rate(path, up, fps if fps is not None else default_fps)
        source = clip_source(clip, None, bone_map, fps, path.name)
        source.rate_named = rate_named
        return source
    raise RetargetError(f"{path.name}: motion files must be .bvh or .npz (SMPL, SMPL-X, AMASS or a SoundMotion clip).")


def _npz_clip(path, up_axis: str = "auto", default_fps: float = None) -> MotionClip:
    return _npz_clip_and_rate(path, up_axis, default_fps)[0]


def _npz_clip_and_rate(path, up_axis: str = "auto", default_fps: float = None):
    """(clip, whether the file names its frame rate)."""
    arrays = load_npz_arrays(path, NpzMotionError, noun="Motion", kind="file")  # read once, then dispatch
    if {"joint_names", "rotations", "root_translation"} <= set(arrays):
        return MotionClip.from_arrays(arrays, path), True  # SoundMotion's own clips are Z-up by contract
    if {"channel_names", "weights"} <= set(arrays):  # `soundmotion face --clip`: said as what it is, not as SMPL
        raise NpzMotionError(f"{Path(path).name} is a FaceClip (ARKit-52 face weights), not body motion; "
                             "retarget moves bodies: key a face with `soundmotion talk` or Lip Sync from Audio in "
                             "Blender, or give a MotionClip, BVH or SMPL-X file.")
    rate_named = any(key in arrays for key in FPS_KEYS)
    return smplx_arrays_to_clip(arrays, str(path), up_axis=up_axis, default_fps=default_fps), rate_named
