"""What a datablock looked like before SoundMotion animated it, stored on the new take so it can be restored.

A take overrides the user's static values (a shape key at 0.3, a posed bone) on every frame; removing it would
leave whatever the last evaluated frame set. So each take remembers the static value of every channel it
animates and what its NLA placement replaced (an earlier version of the take on its track, an active action it
set aside), and "Restore Previous Animation" puts them back.
"""

import contextlib
import json

import bpy

from .action_channels import TAKE_KEY, has_slotted_actions, hold_static_values, remove_take, take_strips

STATE_KEY = "soundmotion_previous_state"


def _resolve_owner(id_block, data_path: str):
    owner_path, _, attribute = data_path.rpartition(".")
    return (id_block.path_resolve(owner_path) if owner_path else id_block), attribute


def _custom_property(id_block, data_path: str):
    """(owner, name) for a custom property's path ('["name"]', 'pose.bones["hand.L"]["IK_FK"]'), else None."""
    if not data_path.endswith('"]'):
        return None
    owner_path, _, name = data_path.rpartition('["')
    return (id_block.path_resolve(owner_path) if owner_path else id_block), name[:-2]


def read_values(id_block, channels) -> dict:
    """{"path|index": value} for (data_path, index) pairs, read from the datablock as it is now."""
    values = {}
    for data_path, index in channels:
        custom = _custom_property(id_block, data_path)
        if custom is not None:  # a custom property: it may not exist yet
            owner, name = custom
            if name in owner:
                values[f"{data_path}|{index}"] = float(owner[name])
            continue
        owner, attribute = _resolve_owner(id_block, data_path)
        value = getattr(owner, attribute)
        values[f"{data_path}|{index}"] = float(value[index] if hasattr(value, "__len__") else value)
    return values


def store(action, values: dict, replaced: dict):
    """Record on the take what restoring it must give back: static values and what its placement replaced."""
    action[STATE_KEY] = json.dumps({"values": values, "replaced": replaced})


def remember_values(id_block, action, values: dict):
    """Channels keyed into a placed take afterwards (a rig's IK/FK switches): what they held before (`values`, as
    read_values gives them, read before the take was made) joins what Restore Previous gives back and the static
    layer below the takes."""
    state = json.loads(action[STATE_KEY])
    state["values"] = {**values, **state["values"]}
    action[STATE_KEY] = json.dumps(state)
    hold_static_values(id_block, values, action.frame_range[0], [track for _, track in take_strips(id_block)])


def stored_values(action) -> dict:
    """The static values a take stored (empty for an action that is not a take)."""
    return json.loads(action[STATE_KEY])["values"] if STATE_KEY in action else {}


def _put_back_values(id_block, values: dict):
    for key, value in values.items():
        data_path, index = key.rsplit("|", 1)
        custom = _custom_property(id_block, data_path)
        if custom is not None:
            owner, name = custom
            owner[name] = type(owner[name])(value)
            continue
        owner, attribute = _resolve_owner(id_block, data_path)
        current = getattr(owner, attribute)
        if hasattr(current, "__len__"):
            current[int(index)] = value
        else:
            setattr(owner, attribute, value)


def restore(id_block) -> str:
    """Undo the latest SoundMotion take on id_block; returns the name of the take's action ("" when none).

    The take's action itself is kept (fake user) so it can be used again."""
    takes = [strip.action for strip, _ in take_strips(id_block) if STATE_KEY in strip.action]
    if takes:
        action = takes[-1]
        state = json.loads(action[STATE_KEY])
        remove_take(id_block, action, state["replaced"])
        _put_back_values(id_block, state["values"])
        return action.name
    return _restore_active_action(id_block)


def _restore_active_action(id_block) -> str:
    """Files written before takes went into the NLA: the take is the active action, which remembers the one
    it replaced."""
    animation_data = id_block.animation_data
    action = animation_data.action if animation_data else None
    if action is None or STATE_KEY not in action:
        return ""
    state = json.loads(action[STATE_KEY])
    if "action" not in state:
        return ""
    previous = bpy.data.actions.get(state["action"]) if state["action"] else None
    animation_data.action = previous
    if previous is not None and state["slot"] and has_slotted_actions():
        slot = previous.slots.get(state["slot"])
        if slot is not None:
            animation_data.action_slot = slot
    _put_back_values(id_block, state["values"])
    return action.name


@contextlib.contextmanager
def all_or_nothing(written: list):
    """Collects the datablocks a run gives new takes; if the run fails, each gets its previous animation back
    and the new take is deleted, so no half-applied run is left behind. If it succeeds, the takes are marked as
    one run, which Restore Previous Animation takes back as a whole (Talk: face and body)."""
    try:
        yield written
    except BaseException:
        for id_block in written:
            name = restore(id_block)
            if name:
                bpy.data.actions.remove(bpy.data.actions[name])
        raise
    _mark_run(written)


FRAME_END_KEY = "soundmotion_frame_end"  # on a take's action: [the scene's End before the take, the End it set]


def extend_frame_end(scene, last_frame: int, blocks):
    """Stretch the scene's range to the take's last frame; the takes just written on `blocks` remember the End
    they found, so Restore Previous puts it back (restore_frame_end: it stayed extended)."""
    last_frame = int(last_frame)
    if last_frame <= scene.frame_end:
        return
    for block in blocks:
        action = _latest_take(block)
        if action is not None:
            action[FRAME_END_KEY] = [int(scene.frame_end), last_frame]
    scene.frame_end = last_frame


def restore_frame_end(scene, actions):
    """The scene's End as it was before the restored takes, unless it was changed since they set it."""
    for action in actions:
        found = action.get(FRAME_END_KEY)
        if found is not None and scene.frame_end == int(found[1]):
            scene.frame_end = int(found[0])


RUN_KEY = "soundmotion_run"  # on a take's action: the serial of the run that wrote it (shared by its takes)


def _latest_take(id_block):
    takes = [strip.action for strip, _ in take_strips(id_block) if STATE_KEY in strip.action]
    return takes[-1] if takes else None


def _mark_run(blocks: list):
    actions = [action for action in map(_latest_take, blocks) if action is not None]
    run = max((int(action[TAKE_KEY]) for action in actions), default=0)
    for action in actions:
        action[RUN_KEY] = run


def with_run_partners(id_blocks: list) -> list:
    """`id_blocks` plus every datablock whose latest take came from the same run as their latest take."""
    latest = [action for action in map(_latest_take, id_blocks) if action is not None]
    if not latest:
        return list(id_blocks)
    newest = max(latest, key=lambda action: int(action[TAKE_KEY]))
    run = newest.get(RUN_KEY)
    blocks = list(id_blocks)
    if run is None:
        return blocks
    for block in list(bpy.data.objects) + list(bpy.data.shape_keys):
        action = _latest_take(block)
        if action is not None and action.get(RUN_KEY) == run and block not in blocks:
            blocks.append(block)
    return blocks
