"""Canonical clips: the one representation of motion and face animation that every stage exchanges.

No bpy here: models produce these, retarget/ maps them, operators/ writes them into a scene.
"""

from .arkit import ARKIT_BLENDSHAPES
from .errors import ClipError
from .face import FaceClip
from .motion import MotionClip
from .skeleton import SMPLX_SKELETON, Skeleton

__all__ = ["ARKIT_BLENDSHAPES", "ClipError", "FaceClip", "MotionClip", "SMPLX_SKELETON", "Skeleton"]
