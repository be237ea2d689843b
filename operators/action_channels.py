"""One adapter over Blender's two action models, and the NLA layering every SoundMotion take gets.

Blender 4.2/4.3: `Action.fcurves`. Blender 4.4+: slotted, layered actions, where F-curves live in a
channelbag of a keyframe strip for one slot (5.0 removed `Action.fcurves`).

Each take is one strip on its own NLA track, named after the take (`SM_face_line`, `SM_dance_song`, …). The
active action stays free for the animator: corrections keyed there (or on a track above, blended with
Combine or Add) are evaluated on top of the take and survive when the take is run again, because a re-run only
replaces the strip on the take's own track.
"""

import bpy

TAKE_KEY = "soundmotion_take"  # on a take's action: its serial number (the latest take has the highest)


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


def take_track_name(action_name: str) -> str:
    """The track a take lives on: its action's name without Blender's .001 suffixes."""
    base, dot, suffix = action_name.rpartition(".")
    return base if dot and suffix.isdigit() else action_name


def take_strips(id_block) -> list:
    """(strip, track) of every SoundMotion take on the datablock's NLA tracks, oldest first."""
    animation_data = getattr(id_block, "animation_data", None)
    if animation_data is None:
        return []
    found = [(strip, track) for track in animation_data.nla_tracks for strip in track.strips
             if strip.action is not None and TAKE_KEY in strip.action]
    return sorted(found, key=lambda pair: pair[0].action[TAKE_KEY])


def take_action(id_block, prefix: str = ""):
    """The latest SoundMotion take on the datablock (whose name starts with `prefix`), or None."""
    actions = [strip.action for strip, _ in take_strips(id_block) if strip.action.name.startswith(prefix)]
    return actions[-1] if actions else None


def _next_serial() -> int:
    return 1 + max((int(action[TAKE_KEY]) for action in bpy.data.actions if TAKE_KEY in action), default=0)


def place_take(id_block, action, slot=None) -> dict:
    """Put `action` on the datablock as one NLA strip on its own track; returns what it replaced.

    A track of the same name (the same take run again) gets the new strip instead of its old one; a new track
    goes just above the other SoundMotion tracks. A plain active action (Replace, not an animator's Combine/Add
    layer over earlier takes) would hide the first take, so it is set aside with a fake user, as before."""
    animation_data = id_block.animation_data or id_block.animation_data_create()
    if animation_data.use_tweak_mode:
        animation_data.use_tweak_mode = False
    tracks = animation_data.nla_tracks
    ours = [track for _, track in take_strips(id_block)]
    name = take_track_name(action.name)
    replaced = {"track": name, "action": "", "slot": "", "active": "", "active_slot": ""}
    active = animation_data.action
    if active is not None and not ours and animation_data.action_blend_type == "REPLACE":
        replaced["active"] = active.name
        if has_slotted_actions() and animation_data.action_slot is not None:
            replaced["active_slot"] = animation_data.action_slot.identifier
        active.use_fake_user = True
        animation_data.action = None
    track = tracks.get(name)
    if track is None:
        track = tracks.new(prev=ours[-1]) if ours else tracks.new()
        track.name = name
    for strip in list(track.strips):
        if strip.action is not None:
            replaced["action"] = strip.action.name
            strip_slot = getattr(strip, "action_slot", None)
            replaced["slot"] = strip_slot.identifier if strip_slot is not None else ""
            strip.action.use_fake_user = True
        track.strips.remove(strip)
    action[TAKE_KEY] = _next_serial()
    action.use_fake_user = True
    _new_strip(track, action, slot)
    return replaced


def _new_strip(track, action, slot=None):
    strip = track.strips.new(action.name, int(round(action.frame_range[0])), action)
    strip.extrapolation = "NOTHING"  # acts only over its own frames: takes on one timeline do not cover each other
    if slot is not None and strip.action_slot != slot:
        strip.action_slot = slot
    return strip


def remove_take(id_block, action, replaced: dict):
    """Take `action`'s strip off the datablock and put back what place_take replaced."""
    animation_data = id_block.animation_data
    for strip, track in take_strips(id_block):
        if strip.action == action:
            track.strips.remove(strip)
            previous = bpy.data.actions.get(replaced.get("action", ""))
            if previous is not None:
                slot = previous.slots.get(replaced["slot"]) if has_slotted_actions() and replaced["slot"] else None
                _new_strip(track, previous, slot)
            elif not track.strips:
                animation_data.nla_tracks.remove(track)
            break
    active = bpy.data.actions.get(replaced.get("active", ""))
    if active is not None and animation_data.action is None:
        animation_data.action = active
        if has_slotted_actions() and replaced.get("active_slot"):
            slot = active.slots.get(replaced["active_slot"])
            if slot is not None:
                animation_data.action_slot = slot


def _action_fcurves(action, slot) -> list:
    if not has_slotted_actions():
        return list(action.fcurves)
    curves = []
    for layer in action.layers:
        for strip in layer.strips:
            bag = strip.channelbag(slot) if slot is not None else None
            if bag is not None:
                curves.extend(bag.fcurves)
    return curves


def fcurves_of(id_block):
    """The F-curves that animate this datablock through its assigned action, else through its latest
    SoundMotion take (empty when neither)."""
    animation_data = getattr(id_block, "animation_data", None)
    if animation_data is None:
        return []
    if animation_data.action is not None:
        slot = animation_data.action_slot if has_slotted_actions() else None
        return _action_fcurves(animation_data.action, slot)
    takes = take_strips(id_block)
    if not takes:
        return []
    strip = takes[-1][0]
    return _action_fcurves(strip.action, getattr(strip, "action_slot", None))


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
    strip = _new_strip(track, action, slot)
    animation_data.action = None
    return strip
