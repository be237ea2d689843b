"""Load any supported motion source into what `transfer.retarget` takes: a posed rig, its bone map, fps."""

from dataclasses import dataclass
from pathlib import Path

from ..clips import MotionClip
from ..clips.npz_io import load_npz_arrays
from .bone_map import BoneMap, load_preset
from .canonical import canonical_tails
from .detect import detect_bone_map
from .errors import RetargetError
from .rig import RigPose, RigRest
from .sources.bvh import read_bvh
from .sources.smplx_npz import NpzMotionError, smplx_arrays_to_clip
from .transfer import source_pose_from_clip


@dataclass(eq=False)
class MotionSource:
    pose: RigPose
    bone_map: BoneMap
    fps: float
    label: str


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
        bone_map = load_preset("smplx_addon") if set(clip.skeleton.joint_names) >= {"pelvis", "head"} \
            else detect_bone_map(rig, f"The skeleton of {label}")
    return MotionSource(source_pose_from_clip(clip, rig), bone_map, clip.fps, label)


UP_AXES = ("auto", "y", "z")


def load_motion_file(path, fps: float = None, bone_map: BoneMap = None, up_axis: str = "auto") -> MotionSource:
    """BVH or SMPL/SMPL-X/AMASS .npz (or a SoundMotion MotionClip .npz), resampled to `fps` when given.
    `up_axis` ("auto", "y", "z") overrides which axis of the file's world is up (read from the content)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if str(up_axis).lower() not in UP_AXES:
        raise RetargetError(f"The up axis must be one of {', '.join(UP_AXES)}, got {up_axis!r}.")
    up = "auto" if str(up_axis).lower() == "auto" else str(up_axis).upper()
    if suffix == ".bvh":
        motion = read_bvh(path, up_axis=up)
        return clip_source(motion.clip, motion.rig, bone_map, fps, path.name)
    if suffix == ".npz":
        clip = _npz_clip(path, up)
        return clip_source(clip, None, bone_map, fps, path.name)
    raise RetargetError(f"{path.name}: motion files must be .bvh or .npz (SMPL, SMPL-X, AMASS or a SoundMotion clip).")


def _npz_clip(path, up_axis: str = "auto") -> MotionClip:
    arrays = load_npz_arrays(path, NpzMotionError, noun="Motion", kind="file")  # read once, then dispatch
    if {"joint_names", "rotations", "root_translation"} <= set(arrays):
        return MotionClip.from_arrays(arrays, path)  # SoundMotion's own clips are Z-up by contract
    return smplx_arrays_to_clip(arrays, str(path), up_axis=up_axis)
