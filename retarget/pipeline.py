"""One call from a loaded motion source to keyable pose-bone curves on a target rig (pure)."""

from .bone_map import BoneMap
from .foot_contacts import detect_contacts, plant_feet
from .motion_file import MotionSource
from .rig import RigRest
from .rig_frame import facing_forward, rest_floor
from .root_motion import RootMode
from .transfer import RetargetResult, retarget


def retarget_source(source: MotionSource, target: RigRest, target_map: BoneMap, root_mode=RootMode.FULL,
                    keep_feet: bool = True) -> RetargetResult:
    """Pose-bone rotations and locations for `target` (its rest in the retarget space: see rig_frame). The
    rig performs towards its own front, and its feet stand on its own rest floor, wherever its origin is."""
    target_map = target_map.restricted_to(target.names)
    target = facing_forward(target, target_map)
    result = retarget(source.pose, source.bone_map, target, target_map, source.fps, root_mode)
    if keep_feet and RootMode(root_mode) != RootMode.NONE:
        contacts = detect_contacts(source.pose, source.bone_map.restricted_to(source.pose.rest.names), source.fps)
        result = plant_feet(result, target, target_map, contacts, floor=rest_floor(target, target_map))
    return result
