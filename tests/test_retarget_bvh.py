import numpy as np
import pytest

from soundmotion.clips.kinematics import joint_positions
from soundmotion.retarget.sources.bvh import BvhError, parse_bvh, read_bvh
from shared_mocap import CMU, needs_cmu


SMALL = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT LeftUpLeg
  {
    OFFSET 10 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT LeftFoot
    {
      OFFSET 0 -90 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 0 -5 15
      }
    }
  }
  JOINT Head
  {
    OFFSET 0 70 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 20 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0333333
0 95 0 0 0 0 0 0 0 0 0 0 0 0 0
0 95 10 0 0 90 0 0 0 0 0 0 0 0 0
"""


def test_small_y_up_centimetre_bvh_becomes_z_up_metres_facing_minus_y():
    motion = parse_bvh(SMALL)
    clip = motion.clip
    assert motion.up_axis == "Y" and motion.scale == 0.01 and clip.fps == pytest.approx(30.0, abs=1e-3)
    positions = joint_positions(clip)
    np.testing.assert_allclose(positions[0, 0], [0, 0, 0.95], atol=1e-9)
    np.testing.assert_allclose(positions[0, 2], [0.1, 0, 0.05], atol=1e-9)
    # Y-up +Z (forward in BVH) becomes -Y; the toes' end site points forward.
    np.testing.assert_allclose(motion.rig.tails[2] - motion.rig.heads[2], [0, -0.15, -0.05], atol=1e-9)
    # Frame 1: 90° about the BVH's Y (up) turns the body about Z; root moved 10 cm forward.
    np.testing.assert_allclose(positions[1, 0], [0, -0.1, 0.95], atol=1e-9)
    np.testing.assert_allclose(positions[1, 1] - positions[1, 0], [0, 0.1, 0], atol=1e-9)


def test_z_up_file_with_other_channel_order_reads_the_same_pose():
    z_up = (SMALL.replace("OFFSET 0 -90 0", "OFFSET 0 0 -90").replace("OFFSET 0 70 0", "OFFSET 0 0 70")
            .replace("OFFSET 0 20 0", "OFFSET 0 0 20").replace("OFFSET 0 -5 15", "OFFSET 0 -15 -5")
            .replace("0 95 0 0", "0 0 95 0").replace("0 95 10 0 0 90", "0 -10 95 90 0 0"))
    motion = parse_bvh(z_up)
    assert motion.up_axis == "Z"
    positions = joint_positions(motion.clip)
    np.testing.assert_allclose(positions[0, 2], [0.1, 0, 0.05], atol=1e-9)
    np.testing.assert_allclose(positions[1, 1] - positions[1, 0], [0, 0.1, 0], atol=1e-9)


@pytest.mark.parametrize("broken, message", [
    (SMALL.replace("MOTION", "MOTON"), "no MOTION section"),
    (SMALL.replace("  JOINT Head\n  {", "  JOINT Head\n"), "expected .{. after JOINT Head"),
    (SMALL.replace("MOTION", "}\nMOTION"), "unbalanced"),
    (SMALL.replace("0 95 10 0 0 90", "0 nan 10 0 0 90"), "NaN"),
    (SMALL.replace("Frames: 2", "Frames: 3"), "promises 3 frames"),
    (SMALL.replace("Frame Time: 0.0333333", "Frame Time: 0"), "Frame Time must be a positive"),
])
def test_broken_bvh_is_a_clear_error(broken, message):
    with pytest.raises(BvhError, match=message):
        parse_bvh(broken)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(BvhError, match="Cannot read BVH file"):
        read_bvh(tmp_path / "none.bvh")


@needs_cmu
def test_cmu_character_creator_bvh_is_rebased_on_its_first_frame():
    motion = read_bvh(CMU / "general" / "002_01.bvh")
    clip = motion.clip
    assert clip.fps == pytest.approx(60.0, abs=0.01) and motion.scale == 0.01 and motion.up_axis == "Y"
    names = clip.skeleton.joint_names
    positions = joint_positions(clip)
    head, hip = positions[:, names.index("CC_Base_Head")], positions[:, names.index("CC_Base_Hip")]
    toes = positions[:, [names.index("CC_Base_L_ToeBase"), names.index("CC_Base_R_ToeBase")]]
    assert np.all(head[:, 2] > hip[:, 2]) and 1.5 < head[0, 2] < 1.9
    assert 0.0 < toes[..., 2].min() < 0.12  # feet near the floor, metres
    # Rebased: the first frame is the rest pose.
    np.testing.assert_allclose(clip.rotations[0, 1:], np.tile([1, 0, 0, 0], (len(names) - 1, 1)), atol=1e-9)
