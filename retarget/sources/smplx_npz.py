"""SMPL / SMPL-H / SMPL-X / AMASS `.npz` motion → a canonical MotionClip.

`poses` holds axis-angle triples per joint: 165 values (SMPL-X: 55 joints), 156 (SMPL-H: 22 body + 30 hand
joints, no jaw/eyes) or 72 (SMPL: 24 joints, the two hand stubs dropped). `trans` moves the body model;
the pelvis sits J0 above it. The same motion comes under other keys too: `smpl_poses`/`smpl_trans` (EDGE),
`root_orient` + `pose_body` (+ `pose_hand`, `pose_jaw`, `pose_eye`; AMASS SMPL-X), or the SMPL-X model's own
parameter names `global_orient` + `body_pose` (+ hands, jaw, eyes) with `transl` (TalkSHOW-style outputs).

Which way is up is read from the content, not from the keys: BEAT2 and EMAGE write `mocap_frame_rate` like
AMASS but a Y-up world; AMASS writes a Z-up world around its Y-up bodies. The body's own up (its Y axis turned
by the root rotation) points along the world's up in nearly every frame of a human take, so that decides;
`up_axis` overrides it. Translations in centimetres (a pelvis metres above the floor, or walking tens of
metres per second) are scaled to metres.
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


POSE_KEYS = ("poses", "smpl_poses", "pose", "fullpose")
TRANS_KEYS = ("trans", "smpl_trans", "transl", "root_trans")
# Per-part keys of AMASS SMPL-X and of the SMPL-X model's parameters: (first joint of the 55, key names).
_PARTS = ((0, ("root_orient", "global_orient")), (1, ("pose_body", "body_pose")), (22, ("pose_jaw", "jaw_pose")),
          (23, ("pose_eye", "leye_pose")), (24, ("reye_pose",)), (25, ("pose_hand", "left_hand_pose")),
          (40, ("right_hand_pose",)))
MAX_METRE_HEIGHT = 5.0     # |vertical translation| in metres above this is a centimetre file
MAX_METRE_SPEED = 20.0     # metres per second; faster is a centimetre file
BODY_UP = np.array([0.0, 1.0, 0.0])  # SMPL bodies stand along their own +Y


def _poses_of(arrays: dict):
    """(frames, 72 | 156 | 165) axis-angles from whichever keys the file uses, or None."""
    key = next((k for k in POSE_KEYS if k in arrays), None)
    if key is not None:
        poses = np.asarray(arrays[key], dtype=np.float64)
        return poses.reshape(len(poses), -1) if poses.ndim == 3 else poses
    root = next((k for k in ("root_orient", "global_orient") if k in arrays), None)
    if root is None:
        return None
    frames = len(np.asarray(arrays[root]))
    poses = np.zeros((frames, 165))
    for first, keys in _PARTS:
        for key in keys:
            if key in arrays:
                part = np.asarray(arrays[key], dtype=np.float64).reshape(frames, -1)
                width = min(part.shape[1], 165 - 3 * first)  # pose_eye and pose_hand span both sides
                poses[:, 3 * first:3 * first + width] = part[:, :width]
    return poses


def smplx_arrays_to_clip(arrays: dict, label: str = "npz", fps: float = None, up_axis: str = "auto",
                         unit_scale: float = None, default_fps: float = None) -> MotionClip:
    """`fps` must agree with the rate the file stores; `default_fps` is the rate of a file that stores none (the
    SMPL-X model's `global_orient` + `body_pose` + `transl` layout and plain `poses` + `trans` files rarely do)."""
    poses = _poses_of(arrays)
    trans_key = next((k for k in TRANS_KEYS if k in arrays), None)
    missing = ([] if poses is not None else ["poses"]) + ([] if trans_key else ["trans"])
    if missing:
        raise NpzMotionError(f"{label} lacks {', '.join(missing)}; SMPL/SMPL-X/AMASS motion needs 'poses' "
                             f"(frames × 72/156/165 axis-angles) and 'trans' (frames × 3). Keys found: "
                             f"{', '.join(sorted(arrays)) or 'none'}.")
    trans = np.asarray(arrays[trans_key], dtype=np.float64)
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
    rate = stored if stored is not None else fps if fps is not None else default_fps
    if rate is None:
        raise NpzMotionError(f"{label} has no frame rate (mocap_frame_rate / mocap_framerate / fps); pass one.")
    if not np.isfinite(rate) or rate <= 0:
        raise NpzMotionError(f"{label} gives {rate:g} as its frame rate; store the rate the motion was captured at "
                             f"(e.g. mocap_frame_rate = 30) and load it again.")

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

    world_up = detect_up_axis(local[:, 0], arrays) if str(up_axis).lower() == "auto" else str(up_axis).upper()
    if world_up not in ("Y", "Z"):
        raise NpzMotionError(f"up axis must be 'Y', 'Z' or 'auto', got {up_axis!r}.")
    scale = detect_unit_scale(trans, world_up, rate) if unit_scale is None else float(unit_scale)
    trans = trans * scale
    basis = rotations.Y_UP_TO_Z_UP
    body = rotations.change_of_basis(local, basis)  # joint frames of a Z-up body
    if world_up == "Z":
        # World already Z-up: the root rotation maps the Y-up body into it, so only the body side changes.
        root = rotations.to_rotation(local[:, 0]) * basis.inv()
        body[:, 0] = rotations.from_rotation(root, (frames,))
        # SMPL rotates the body about its pelvis, so the pelvis sits at trans + J0 in the data's world.
        pelvis = trans + PELVIS_OFFSET_Y_UP
    else:
        pelvis = basis.apply(trans + PELVIS_OFFSET_Y_UP)
    try:
        return MotionClip(rate, SMPLX_SKELETON, rotations.normalize(body), pelvis)
    except ClipError as error:
        raise NpzMotionError(f"{label}: {error}") from None


def detect_up_axis(root_rotations: np.ndarray, arrays: dict = None) -> str:
    """'Y' or 'Z': where the body's own up (+Y, turned by the root rotation) points in most frames. A take
    lying down throughout falls back on the keys (AMASS's `mocap_framerate` means Z-up)."""
    ups = rotations.rotate(rotations.normalize(root_rotations), BODY_UP)
    votes = np.argmax(np.abs(ups), axis=1)
    upright = np.abs(ups[np.arange(len(ups)), votes]) > 0.7
    y, z = int(np.sum(upright & (votes == 1))), int(np.sum(upright & (votes == 2)))
    if max(y, z) >= 0.5 * len(ups):
        return "Y" if y >= z else "Z"
    return "Z" if arrays is not None and "mocap_framerate" in arrays else "Y"


def detect_unit_scale(trans: np.ndarray, world_up: str, fps: float) -> float:
    """1.0 for metres, 0.01 for centimetres (a body standing metres high, or travelling implausibly fast)."""
    vertical = trans[:, 1 if world_up == "Y" else 2]
    speeds = np.linalg.norm(np.diff(trans, axis=0), axis=1) * fps if len(trans) > 1 else np.zeros(1)
    if np.median(np.abs(vertical)) > MAX_METRE_HEIGHT or np.percentile(speeds, 95) > MAX_METRE_SPEED:
        return 0.01
    return 1.0


def clip_to_smplx_arrays(clip: MotionClip, up_axis: str = "Y") -> dict:
    """A canonical MotionClip as SMPL-X arrays (`poses` (T, 165), `trans`, `mocap_frame_rate`), in a Y-up world
    as BEAT2 and EMAGE write it or a Z-up world as AMASS does: the inverse of smplx_arrays_to_clip."""
    if clip.skeleton.joint_names != SMPLX_SKELETON.joint_names:
        raise NpzMotionError("Only clips on the SMPL-X skeleton can be written as SMPL-X poses.")
    basis = rotations.Y_UP_TO_Z_UP
    local = rotations.change_of_basis(clip.rotations, basis.inv())  # Y-up body frames
    if str(up_axis).upper() == "Z":
        local[:, 0] = rotations.from_rotation(rotations.to_rotation(clip.rotations[:, 0]) * basis,
                                              (clip.num_frames,))
        trans = clip.root_translation - PELVIS_OFFSET_Y_UP
    else:
        trans = basis.inv().apply(clip.root_translation) - PELVIS_OFFSET_Y_UP
    poses = rotations.to_rotation(local).as_rotvec().reshape(clip.num_frames, -1)
    return {"poses": poses, "trans": trans, "mocap_frame_rate": np.array(float(clip.fps))}
