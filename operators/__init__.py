"""Everything that touches the Blender scene: operators, panels, settings and the keyframe writer."""

import bpy

from . import (beat_markers, dance_to_music, face_from_audio, face_rig_panel, face_take, panel, phone_track_panel,
               restore_animation, retarget_motion, settings, shape_key_map_panel, talk_from_audio)

# Registration order matters: settings before the panels that draw them.
MODULES = (settings, face_take, face_from_audio, talk_from_audio, dance_to_music, beat_markers, restore_animation,
           panel, phone_track_panel, retarget_motion, shape_key_map_panel, face_rig_panel)


def classes():
    return [cls for module in MODULES for cls in module.CLASSES]


def register():
    for cls in classes():
        bpy.utils.register_class(cls)
    for module in MODULES:
        if hasattr(module, "register"):
            module.register()


def unregister():
    for module in reversed(MODULES):
        if hasattr(module, "unregister"):
            module.unregister()
    for cls in reversed(classes()):
        bpy.utils.unregister_class(cls)
