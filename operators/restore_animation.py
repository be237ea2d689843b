"""Operator "Restore Previous Animation": take the latest SoundMotion take off the active object and give back
the action and values it had before (the take stays in the file, with a fake user)."""

import bpy

from . import previous_state
from .action_channels import animated_blocks
from .sound_strip import sync_sound_strips
from .user_errors import reports_errors


class SOUNDMOTION_OT_restore_previous(bpy.types.Operator):
    """Put back the action and shape-key/pose values the active object had before its latest SoundMotion take"""

    bl_idname = "soundmotion.restore_previous"
    bl_label = "Restore Previous Animation"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return context.active_object is not None

    @reports_errors
    def execute(self, context):
        obj = context.active_object
        blocks = previous_state.with_run_partners(animated_blocks(obj))  # a Talk take: its face and its body together
        removed = [name for name in (previous_state.restore(block) for block in blocks) if name]
        if not removed:
            self.report({"WARNING"}, f"{obj.name} has no SoundMotion take to undo.")
            return {"CANCELLED"}
        previous_state.restore_frame_end(context.scene, [bpy.data.actions[name] for name in removed
                                                         if name in bpy.data.actions])
        removed_strips, added_strips = sync_sound_strips(context.scene, _objects_of(blocks))
        note = f" Removed the sound strip {', '.join(removed_strips)}." if removed_strips else ""
        note += f" Put back the sound strip {', '.join(added_strips)}." if added_strips else ""
        self.report({"INFO"}, f"Restored {obj.name}; kept {', '.join(removed)} in the file.{note}")
        return {"FINISHED"}


def _objects_of(blocks) -> list:
    """Names of the objects behind `blocks` (objects, or their shape keys)."""
    objects = {block for block in blocks if isinstance(block, bpy.types.Object)}
    objects |= {o for block in blocks if isinstance(block, bpy.types.Key) for o in bpy.data.objects
                if o.type == "MESH" and o.data.shape_keys == block}
    return sorted(o.name for o in objects)


CLASSES = (SOUNDMOTION_OT_restore_previous,)
