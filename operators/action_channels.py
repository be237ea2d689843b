"""One adapter over Blender's two action models, so the rest of the add-on writes F-curves the same way.

Blender 4.2/4.3: `Action.fcurves`. Blender 4.4+: slotted, layered actions, where F-curves live in a
channelbag of a keyframe strip for one slot (5.0 removed `Action.fcurves`).
"""

import bpy


def has_slotted_actions() -> bool:
    return "slots" in bpy.types.Action.bl_rna.properties


class ActionChannels:
    """A fresh action for one datablock, and the F-curve container that belongs to it."""

    def __init__(self, action_name: str, id_block):
        self.id_block = id_block
        self.action = bpy.data.actions.new(action_name)
        self.slot = None
        if has_slotted_actions():
            self.slot = self.action.slots.new(id_type=id_block.id_type, name=id_block.name)
            layer = self.action.layers.new("Layer")
            strip = layer.strips.new(type="KEYFRAME")
            self._fcurves = strip.channelbag(self.slot, ensure=True).fcurves
        else:
            self._fcurves = self.action.fcurves

    def new_fcurve(self, data_path: str, index: int, group: str):
        if self.slot is None:
            return self._fcurves.new(data_path, index=index, action_group=group)
        return self._fcurves.new(data_path, index=index, group_name=group)

    def discard(self):
        """Remove the half-built action, so a failure leaves no trace in the file."""
        bpy.data.actions.remove(self.action)

    def assign(self):
        """Make the new action active on the datablock; the previous one is kept with a fake user."""
        animation_data = self.id_block.animation_data or self.id_block.animation_data_create()
        previous = animation_data.action
        if previous is not None and previous != self.action:
            previous.use_fake_user = True
        animation_data.action = self.action
        if self.slot is not None:
            animation_data.action_slot = self.slot
        self.action.use_fake_user = True
        return previous


def fcurves_of(id_block):
    """The F-curves that animate this datablock through its assigned action (empty when none)."""
    animation_data = getattr(id_block, "animation_data", None)
    if animation_data is None or animation_data.action is None:
        return []
    if not has_slotted_actions():
        return list(animation_data.action.fcurves)
    slot = animation_data.action_slot
    curves = []
    for layer in animation_data.action.layers:
        for strip in layer.strips:
            bag = strip.channelbag(slot) if slot is not None else None
            if bag is not None:
                curves.extend(bag.fcurves)
    return curves


def push_down_to_nla(id_block, track_name: str = None):
    """Move the active action into its own NLA strip that acts only over its own frame range.

    Lets several takes (a line, then a dance) share one rig on one timeline; the active action slot is
    freed for the next take, and outside each strip the rig keeps its rest pose or the other strips.
    """
    animation_data = id_block.animation_data
    action = animation_data.action
    slot = animation_data.action_slot if has_slotted_actions() else None
    track = animation_data.nla_tracks.new()
    track.name = track_name or action.name
    start = int(action.frame_range[0])
    strip = track.strips.new(action.name, start, action)
    strip.extrapolation = "NOTHING"
    if slot is not None and strip.action_slot != slot:
        strip.action_slot = slot
    animation_data.action = None
    return strip
