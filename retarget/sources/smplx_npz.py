"""SMPL / SMPL-H / SMPL-X / AMASS `.npz` motion → a canonical MotionClip.

`poses` holds axis-angle triples per joint: 165 values (SMPL-X: 55 joints), 156 (SMPL-H: 22 body + 30 hand
joints, no jaw/eyes) or 72 (SMPL: 24 joints, the two hand stubs dropped). `trans` moves the body model;
the pelvis sits J0 above it. Generators (EDGE, EMAGE, TalkSHOW…) write Y-up worlds; AMASS (files with
`mocap_framerate`/`mocap_frame_rate`) writes a Z-up world around Y-up bodies.
"""

import numpy as np

from ...clips import MotionClip, rotations
from ...clips.errors import ClipError
from ...clips.npz_io import load_npz_arrays
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON
from ..errors import RetargetError

FPS_KEYS = ("mocap_frame_rate", "mocap_framerate", "fps", "frame_rate")
# Pelvis of the neutral SMPL-X body relative to the model origin (Y-up, metres); betas move it by ~1 cm.
PELVIS_OFFSET_Y_UP = np.array([0.0031, -0.3514, 0.0120])
SMPLH_HANDS = np.arange(25, 55)


class NpzMotionError(RetargetError):
    """The .npz is not SMPL-family motion; the message names what is missing or wrong."""


def read_smplx_npz(path, fps: float = None, up_axis: str = "auto") -> MotionClip:
    arrays = load_npz_arrays(path, NpzMotionError, noun="Motion", kind="file")
    return smplx_arrays_to_clip(arrays, str(path), fps, up_axis)


def smplx_arrays_to_clip(arrays: dict, label: str = "npz", fps: float = None, up_axis: str = "auto") -> MotionClip:
    missing = [k for k in ("poses", "trans") if k not in arrays]
    if missing:
        raise NpzMotionError(f"{label} lacks {', '.join(missing)}; SMPL/SMPL-X/AMASS motion needs 'poses' "
                             f"(frames × 72/156/165 axis-angles) and 'trans' (frames × 3). Keys found: "
                             f"{', '.join(sorted(arrays)) or 'none'}.")
    poses = np.asarray(arrays["poses"], dtype=np.float64)
    trans = np.asarray(arrays["trans"], dtype=np.float64)
    if poses.ndim != 2 or poses.shape[1] not in (72, 156, 165):
        raise NpzMotionError(f"{label}: 'poses' must be (frames, 72 | 156 | 165), got {poses.shape}.")
    if poses.shape[0] == 0:
        raise NpzMotionError(f"{label} has no frames of motion ('poses' is empty); choose another file.")
    if trans.shape != (poses.shape[0], 3):
        raise NpzMotionError(f"{label}: 'trans' must be ({poses.shape[0]}, 3) to match 'poses', got {trans.shape}.")
    if not (np.all(np.isfinite(poses)) and np.all(np.isfinite(trans))):
        raise NpzMotionError(f"{label}: 'poses' or 'trans' contain NaN or infinite values.")
    stored = next((float(np.asarray(arrays[k]).reshape(-1)[0]) for k in FPS_KEYS if k in arrays), None)
    if fps is not None and stored is not None and abs(float(fps) - stored) > 1e-3:
        raise NpzMotionError(f"{label} says it runs at {stored:g} fps but {fps:g} fps was requested; "
                             f"leave the frame rate unset or resample the clip after loading.")
    rate = stored if stored is not None else fps
    if rate is None or not np.isfinite(rate) or rate <= 0:
        raise NpzMotionError(f"{label} has no frame rate (mocap_frame_rate / mocap_framerate / fps); pass one.")

    frames = poses.shape[0]
    axis_angles = np.zeros((frames, len(SMPLX_SKELETON), 3))
    if poses.shape[1] == 165:
        axis_angles[:] = poses.reshape(frames, 55, 3)
    elif poses.shape[1] == 156:
        per_joint = poses.reshape(frames, 52, 3)
        axis_angles[:, :22] = per_joint[:, :22]
        axis_angles[:, SMPLH_HANDS] = per_joint[:, 22:]
    else:
        axis_angles[:, :22] = poses.reshape(frames, 24, 3)[:, :22]
    local = rotations.from_rotation(Rotation.from_rotvec(axis_angles.reshape(-1, 3)), (frames, len(SMPLX_SKELETON)))

    amass = any(k in arrays for k in ("mocap_frame_rate", "mocap_framerate"))
    world_up = ("Z" if amass else "Y") if up_axis == "auto" else str(up_axis).upper()
    basis = rotations.Y_UP_TO_Z_UP
    body = rotations.change_of_basis(local, basis)  # joint frames of a Z-up body
    if world_up == "Z":
        # World already Z-up: the root rotation maps the Y-up body into it, so only the body side changes.
        root = rotations.to_rotation(local[:, 0]) * basis.inv()
        body[:, 0] = rotations.from_rotation(root, (frames,))
        # SMPL rotates the body about its pelvis, so the pelvis sits at trans + J0 in the data's world.
        pelvis = trans + PELVIS_OFFSET_Y_UP
    elif world_up == "Y":
        pelvis = basis.apply(trans + PELVIS_OFFSET_Y_UP)
    else:
        raise NpzMotionError(f"up_axis must be 'Y', 'Z' or 'auto', got {up_axis!r}.")
    try:
        return MotionClip(rate, SMPLX_SKELETON, rotations.normalize(body), pelvis)
    except ClipError as error:
        raise NpzMotionError(f"{label}: {error}") from None

