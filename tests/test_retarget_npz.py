import numpy as np
import pytest

from soundmotion.clips.kinematics import joint_positions
from soundmotion.retarget.motion_file import load_motion_file
from soundmotion.retarget.sources.smplx_npz import NpzMotionError, read_smplx_npz, smplx_arrays_to_clip

HEAD, PELVIS, LEFT_ANKLE, LEFT_WRIST = 15, 0, 7, 20


def test_y_up_generator_output_becomes_z_up_facing_minus_y():
    frames = 4
    clip = smplx_arrays_to_clip({"poses": np.zeros((frames, 165)), "trans": np.tile([0.0, 1.2, 0.0], (frames, 1))},
                                fps=30)
    positions = joint_positions(clip)
    assert clip.fps == 30 and positions[0, HEAD, 2] > positions[0, PELVIS, 2] > positions[0, LEFT_ANKLE, 2]
    assert positions[0, LEFT_WRIST, 0] > 0.3  # the character's left is +X
    np.testing.assert_allclose(positions[0, PELVIS], [0.0031, -0.0120, 1.2 - 0.3514], atol=1e-9)


def test_amass_z_up_world_with_root_orientation():
    frames = 3
    poses = np.zeros((frames, 156))
    poses[:, 0] = np.pi / 2  # AMASS stands its Y-up body up in a Z-up world
    clip = smplx_arrays_to_clip({"poses": poses, "trans": np.tile([0.5, 0.0, 0.9], (frames, 1)),
                                 "mocap_framerate": np.array(120.0)})
    positions = joint_positions(clip)
    assert clip.fps == 120
    assert positions[0, HEAD, 2] - positions[0, PELVIS, 2] > 0.4
    np.testing.assert_allclose(positions[0, PELVIS], [0.5031, -0.3514, 0.912], atol=1e-9)
    # SMPL-H hands land on the SMPL-X hand joints; jaw and eyes stay at rest.
    assert clip.rotations.shape == (frames, 55, 4)


def test_smpl_72_and_resampling_through_the_loader(tmp_path):
    path = tmp_path / "smpl.npz"
    poses = np.zeros((60, 72))
    poses[:, 16 * 3 + 2] = np.linspace(0, -1.0, 60)
    np.savez(path, poses=poses, trans=np.zeros((60, 3)), mocap_frame_rate=np.array(60.0))
    source = load_motion_file(path, fps=30)
    assert source.fps == 30 and source.pose.num_frames == 30 and source.bone_map.name == "smplx_addon"


@pytest.mark.parametrize("arrays, message", [
    ({"betas": np.zeros(10)}, "lacks poses, trans"),
    ({"poses": np.zeros((5, 100)), "trans": np.zeros((5, 3)), "fps": np.array(30.0)}, r"72 \| 156 \| 165"),
    ({"poses": np.zeros((5, 165)), "trans": np.zeros((4, 3)), "fps": np.array(30.0)}, "must be \\(5, 3\\)"),
    ({"poses": np.full((5, 165), np.nan), "trans": np.zeros((5, 3)), "fps": np.array(30.0)}, "NaN"),
    ({"poses": np.zeros((5, 165)), "trans": np.zeros((5, 3))}, "no frame rate"),
])
def test_bad_npz_is_a_clear_error(arrays, message):
    with pytest.raises(NpzMotionError, match=message):
        smplx_arrays_to_clip(arrays)


def test_mismatched_frame_rate_and_missing_file(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, poses=np.zeros((5, 165)), trans=np.zeros((5, 3)), mocap_frame_rate=np.array(120.0))
    with pytest.raises(NpzMotionError, match="120 fps but 30 fps was requested"):
        read_smplx_npz(path, fps=30)
    with pytest.raises(NpzMotionError, match="does not exist"):
        read_smplx_npz(tmp_path / "none.npz")
