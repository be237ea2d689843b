"""One adapter over Blender's two action models, and the NLA layering every SoundMotion take gets.

Blender 4.2/4.3: `Action.fcurves`. Blender 4.4+: slotted, layered actions, where F-curves live in a
channelbag of a keyframe strip for one slot (5.0 removed `Action.fcurves`).

Each take is one strip on its own NLA track, named after the take (`SM_face_line`, `SM_dance_song`, …). The
active action stays free for the animator: corrections keyed there (or on a track above, blended with
Combine or Add) are evaluated on top of the take and survive when the take is run again, because a re-run only
replaces the strip on the take's own track.

Outside its strips Blender's NLA would give every channel a take animates the property's built-in default (a
shape key 1.0 on 5.0, 0.0 on 4.2; a bone its rest pose), not what the user had set. So below the takes lies one
more track, `SM_static`, whose strip holds over the whole timeline the values the channels had before
SoundMotion animated them. A face returns to those values after its line; a body take (an armature) holds its
last pose after it ends, until a later take on the character plays, rather than snapping back to its static
pose (often the rig's T-pose): `refresh_extrapolation`.

A body's own animation keeps playing under its takes: the plain action an animator keyed on an armature (a walk
up to where the character talks) moves to a strip of its own just above `SM_static`, holding its ends, and a body
take that starts where such animation plays under it blends in from it (`BLEND_IN_SECONDS`) instead of snapping.
"""

import re

import bpy
import numpy as np

TAKE_KEY = "soundmotion_take"  # on a take's action: its serial number (the latest take has the highest)
STATIC_TRACK = "SM_static"
STATIC_KEY = "soundmotion_static"  # on the static layer's action
BLEND_IN_SECONDS = 0.3  # a body take's blend from the animation that plays under its start


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

    @classmethod
    def copy_of(cls, action, slot, id_block):
        """A fresh copy of a take's action (the next version of that take), to change some of its curves."""
        channels = cls.__new__(cls)
        channels.id_block = id_block
        channels.action = action.copy()
        channels.slot = None
        if has_slotted_actions():
            channels.slot = channels.action.slots.get(slot.identifier) if slot is not None else channels.action.slots[0]
            channels._fcurves = channels.action.layers[0].strips[0].channelbag(channels.slot, ensure=True).fcurves
        else:
            channels._fcurves = channels.action.fcurves
        return channels

    def remove_fcurves(self, data_path: str):
        for fcurve in [fc for fc in self._fcurves if fc.data_path == data_path]:
            self._fcurves.remove(fcurve)

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


def animated_blocks(obj) -> list:
    """The datablocks a take on `obj` may animate: the object, and a mesh's shape keys."""
    return [obj] + ([obj.data.shape_keys] if obj.type == "MESH" and obj.data.shape_keys is not None else [])


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


def take_on_track(id_block, track_name: str):
    """The strip of the take on the datablock's track `track_name` (that take's latest version), or None."""
    found = [strip for strip, track in take_strips(id_block) if track.name == track_name]
    return found[-1] if found else None


def _next_serial() -> int:
    return 1 + max((int(action[TAKE_KEY]) for action in bpy.data.actions if TAKE_KEY in action), default=0)


def active_stays_on_top(id_block) -> bool:
    """Whether the datablock's active action stays above the takes when place_take puts one there: an animator's
    Combine or Add layer, or any action once takes are there (a plain Replace action before the first take goes
    under it instead)."""
    animation_data = id_block.animation_data
    return animation_data is not None and animation_data.action is not None \
        and (animation_data.action_blend_type != "REPLACE" or bool(take_strips(id_block)))


def _scenes_of(id_block) -> list:
    """The scenes that use the datablock (the context's where it has none of its own: a shape-key block)."""
    return list(getattr(id_block, "users_scene", ())) or [bpy.context.scene]


def place_take(id_block, action, slot=None, static_values: dict = None) -> dict:
    """Put `action` on the datablock as one NLA strip on its own track; returns what it replaced.

    A track of the same name (the same take run again) gets the new strip instead of its old one; a new track
    goes just above the other SoundMotion tracks. A plain active action (Replace, not an animator's Combine/Add
    layer over earlier takes) would hide the first take, so it is set aside with a fake user, as before; on an
    armature it plays on from a strip of its own under the takes (its track named after it). A body take blends in
    (`BLEND_IN_SECONDS`) where the animator's own animation plays under its first frame.
    `static_values` ({"path|index": value}, as previous_state.read_values gives them): what the take's channels
    held before, for the static layer below the takes (channels it holds already keep their values)."""
    animation_data = id_block.animation_data or id_block.animation_data_create()
    if animation_data.use_tweak_mode:
        animation_data.use_tweak_mode = False
    tracks = animation_data.nla_tracks
    ours = [track for _, track in take_strips(id_block)]
    name = take_track_name(action.name)
    replaced = {"track": name, "action": "", "slot": "", "active": "", "active_slot": ""}
    active, body = animation_data.action, getattr(id_block, "type", "") == "ARMATURE"
    below = None  # the track the body's own action moves to, under the takes
    if active is not None and not active_stays_on_top(id_block):
        replaced["active"] = active.name
        active_slot = animation_data.action_slot if has_slotted_actions() else None
        if active_slot is not None:
            replaced["active_slot"] = active_slot.identifier
        active.use_fake_user = True
        animation_data.action = None
    static = hold_static_values(id_block, static_values or {}, action.frame_range[0], ours)
    if replaced["active"] and body:
        below = tracks.new(prev=static)
        below.name = replaced["active"]
        played = _new_strip(below, active, active_slot)
        played.extrapolation = "HOLD"  # as the action played: its ends held
        if any(m.type == "CYCLES" for curve in _action_fcurves(active, active_slot) for m in curve.modifiers):
            # a looping idle loops on as it did as the active action (held, it stopped after its first cycle)
            end = max([s.frame_end for s in _scenes_of(id_block)] + [action.frame_range[1]])
            length = max(played.action_frame_end - played.action_frame_start, 1.0)
            played.repeat = max(1.0, float(np.ceil((end + 1 - played.frame_start) / length)))
        replaced["active_track"] = below.name
    track = tracks.get(name)
    if track is not None:
        for strip in list(track.strips):
            if strip.action is not None:
                replaced["action"] = strip.action.name
                strip_slot = getattr(strip, "action_slot", None)
                replaced["slot"] = strip_slot.identifier if strip_slot is not None else ""
                strip.action.use_fake_user = True
            track.strips.remove(strip)
        above = [t for t in ours if t != track and list(tracks).index(t) > list(tracks).index(track)]
        if above:  # a later take's track lies above: the new version goes on top, or that one would hide it
            position = list(tracks).index(track)
            replaced["under"] = tracks[position - 1].name if position > 0 else ""  # where Restore puts it back
            tracks.remove(track)
            track = None
    if track is None:
        ours = [t for _, t in take_strips(id_block)]
        top = max(ours, key=lambda t: list(tracks).index(t)) if ours else (below or static)
        track = tracks.new(prev=top)
        track.name = name
    action[TAKE_KEY] = _next_serial()
    action.use_fake_user = True
    strip = _new_strip(track, action, slot)
    refresh_extrapolation(id_block)
    _blend_in(id_block, track, strip)
    return replaced


def _blend_in(id_block, track, strip):
    """A body take's strip blends in (BLEND_IN_SECONDS) where the animator's own animation plays under it."""
    if getattr(id_block, "type", "") == "ARMATURE" and _plays_under(id_block, track, strip.frame_start):
        render = _scenes_of(id_block)[0].render
        fps = render.fps / render.fps_base
        strip.blend_in = min(round(BLEND_IN_SECONDS * fps), 0.5 * (strip.frame_end - strip.frame_start))


def _plays_under(id_block, track, frame: float) -> bool:
    """Whether the animator's own animation plays at `frame` on a track below `track`: a strip that is not a take
    nor the static layer, not muted, over its own frames or held there (a body's own action). An earlier take
    holding its last pose does not count: takes follow each other as they did (the demo's line, then its dance)."""
    tracks = list(id_block.animation_data.nla_tracks)
    for lower in tracks[:tracks.index(track)]:
        if lower.mute or lower.name == STATIC_TRACK:
            continue
        for strip in lower.strips:
            if strip.mute or strip.action is None or TAKE_KEY in strip.action:
                continue
            if strip.frame_start <= frame <= strip.frame_end or strip.extrapolation == "HOLD" \
                    or (strip.extrapolation == "HOLD_FORWARD" and frame >= strip.frame_start):
                return True
    return False


def _new_strip(track, action, slot=None):
    strip = track.strips.new(action.name, int(round(action.frame_range[0])), action)
    strip.extrapolation = "NOTHING"  # acts only over its own frames: takes on one timeline do not cover each other
    if slot is not None and strip.action_slot != slot:
        strip.action_slot = slot
    return strip


def static_layer(id_block):
    """(track, strip) of the datablock's static layer, or (None, None)."""
    animation_data = getattr(id_block, "animation_data", None)
    track = animation_data.nla_tracks.get(STATIC_TRACK) if animation_data is not None else None
    if track is None or len(track.strips) != 1 or track.strips[0].action is None \
            or STATIC_KEY not in track.strips[0].action:
        return None, None
    return track, track.strips[0]


def hold_static_values(id_block, values: dict, frame: float, take_tracks=()):
    """The static layer below the takes, holding `values` ({"path|index": value}) for the channels it does not
    hold yet (created with the datablock's first take); returns its track, or None where it cannot lie below
    the takes (a file whose takes were made before it existed, with a take on the bottom track)."""
    tracks = id_block.animation_data.nla_tracks
    track, strip = static_layer(id_block)
    # The animator's own NLA tracks give their channels their values: held here too, a walk pushed down to a track
    # froze at the frame the scene was on (the layer is made on top of tracks that were there before it).
    own = _own_track_channels(id_block)
    values = {key: value for key, value in values.items()
              if (key.rsplit("|", 1)[0], int(key.rsplit("|", 1)[1])) not in own}
    if track is None:
        below = None
        if take_tracks:
            lowest = min(list(tracks).index(t) for t in take_tracks)
            if lowest == 0:
                return None
            below = tracks[lowest - 1]
        action = bpy.data.actions.new(f"{STATIC_TRACK}_{id_block.name}")
        action[STATIC_KEY] = True
        action.use_fake_user = True
        slot = None
        if has_slotted_actions():
            slot = action.slots.new(id_type=id_block.id_type, name=id_block.name)
            action.layers.new("Layer").strips.new(type="KEYFRAME")
        track = tracks.new(prev=below)
        track.name = STATIC_TRACK
        _add_static_channels(action, slot, values, frame)
        strip = _new_strip(track, action, slot)
        strip.extrapolation = "HOLD"  # the only strip of the bottom layer: its values before and after it too
        return track
    slot = getattr(strip, "action_slot", None)
    _add_static_channels(strip.action, slot, values, frame)
    return track


def _own_track_channels(id_block) -> set:
    """{(data path, index)} animated by strips on the datablock's NLA tracks that are neither takes nor the static
    layer (the animator's own)."""
    channels = set()
    for track in id_block.animation_data.nla_tracks:
        if track.name == STATIC_TRACK:
            continue
        for strip in track.strips:
            if strip.action is None or TAKE_KEY in strip.action or STATIC_KEY in strip.action:
                continue
            slot = getattr(strip, "action_slot", None) if has_slotted_actions() else None
            channels |= {(curve.data_path, curve.array_index) for curve in _action_fcurves(strip.action, slot)}
    return channels


def _add_static_channels(action, slot, values: dict, frame: float):
    if has_slotted_actions():
        fcurves = action.layers[0].strips[0].channelbag(slot, ensure=True).fcurves
    else:
        fcurves = action.fcurves
    held = {(fc.data_path, fc.array_index) for fc in fcurves}
    for key, value in values.items():
        data_path, index = key.rsplit("|", 1)
        if (data_path, int(index)) in held:
            continue
        group = re.search(r'\["(.*?)"\]', data_path)
        group = group.group(1) if group else data_path
        if has_slotted_actions():
            fcurve = fcurves.new(data_path, index=int(index), group_name=group)
        else:
            fcurve = fcurves.new(data_path, index=int(index), action_group=group)
        fcurve.keyframe_points.insert(frame, value, options={"FAST"})


def _remove_static_layer(id_block):
    track, strip = static_layer(id_block)
    if track is not None:
        action = strip.action
        id_block.animation_data.nla_tracks.remove(track)
        bpy.data.actions.remove(action)


def refresh_extrapolation(id_block):
    """A body take (an armature's) holds its last pose after it ends (HOLD_FORWARD) unless a take on a track
    below it plays on after its end, which the hold would cover; any other take acts only over its own frames,
    with the static layer's values outside them."""
    animation_data = getattr(id_block, "animation_data", None)
    if animation_data is None:
        return
    body = getattr(id_block, "type", "") == "ARMATURE"
    ends = []  # ends of the takes on the tracks below, bottom up
    for track in animation_data.nla_tracks:
        strips = [strip for strip in track.strips if strip.action is not None and TAKE_KEY in strip.action]
        for strip in strips:
            holds = body and all(end <= strip.frame_end for end in ends)
            extrapolation = "HOLD_FORWARD" if holds else "NOTHING"
            if strip.extrapolation != extrapolation:
                strip.extrapolation = extrapolation
        ends += [strip.frame_end for strip in strips]


def remove_take(id_block, action, replaced: dict):
    """Take `action`'s strip off the datablock and put back what place_take replaced."""
    animation_data = id_block.animation_data
    for strip, track in take_strips(id_block):
        if strip.action == action:
            track.strips.remove(strip)
            previous = bpy.data.actions.get(replaced.get("action", ""))
            if previous is not None:
                slot = previous.slots.get(replaced["slot"]) if has_slotted_actions() and replaced["slot"] else None
                under = animation_data.nla_tracks.get(replaced.get("under") or "")
                if under is not None and not track.strips:  # the earlier version goes back where it was
                    name = track.name
                    animation_data.nla_tracks.remove(track)
                    track = animation_data.nla_tracks.new(prev=under)
                    track.name = name
                _blend_in(id_block, track, _new_strip(track, previous, slot))  # as place_take made it
            elif not track.strips:
                animation_data.nla_tracks.remove(track)
            break
    if not take_strips(id_block):
        _remove_static_layer(id_block)
    refresh_extrapolation(id_block)
    active = bpy.data.actions.get(replaced.get("active", ""))
    if active is not None and animation_data.action is None:
        below = animation_data.nla_tracks.get(replaced.get("active_track") or "")
        if below is not None and all(strip.action == active for strip in below.strips):
            animation_data.nla_tracks.remove(below)  # the action plays as the active one again
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
