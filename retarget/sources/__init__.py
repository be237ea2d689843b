"""Readers that turn motion files (BVH, SMPL/SMPL-X/AMASS .npz) into MotionClips."""
