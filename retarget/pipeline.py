"""One call from a loaded motion source to keyable pose-bone curves on a target rig (pure)."""

from .bone_map import BoneMap
from .foot_contacts import detect_contacts, plant_feet
from .motion_file import MotionSource
from .rig import RigRest
from .root_motion import RootMode
from .transfer import RetargetResult, retarget


def retarget_source(source: MotionSource, target: RigRest, target_map: BoneMap, root_mode=RootMode.FULL,
                    keep_feet: bool = True) -> RetargetResult:
    target_map = target_map.restricted_to(target.names)
    result = retarget(source.pose, source.bone_map, target, target_map, source.fps, root_mode)
    if keep_feet and RootMode(root_mode) != RootMode.NONE:
        contacts = detect_contacts(source.pose, source.bone_map.restricted_to(source.pose.rest.names), source.fps)
        result = plant_feet(result, target, target_map, contacts)
    return result
