"""What a datablock looked like before SoundMotion animated it, stored on the new action so it can be restored.

A new action overrides the user's static values (a shape key at 0.3, a posed bone) on every frame; removing
it would leave whatever the last evaluated frame set. So each action remembers the previous action (and
slot) and the static value of every channel it animates, and "Restore Previous Animation" puts them back.
"""

import contextlib
import json

import bpy

from .action_channels import has_slotted_actions

STATE_KEY = "soundmotion_previous_state"


def _resolve_owner(id_block, data_path: str):
    owner_path, _, attribute = data_path.rpartition(".")
    return (id_block.path_resolve(owner_path) if owner_path else id_block), attribute


def read_values(id_block, channels) -> dict:
    """{"path|index": value} for (data_path, index) pairs, read from the datablock as it is now."""
    values = {}
    for data_path, index in channels:
        owner, attribute = _resolve_owner(id_block, data_path)
        value = getattr(owner, attribute)
        values[f"{data_path}|{index}"] = float(value[index] if hasattr(value, "__len__") else value)
    return values


def remember(action, id_block, channels):
    """Record, on `action`, id_block's current action/slot and static channel values (before assignment)."""
    animation_data = id_block.animation_data
    previous = animation_data.action if animation_data else None
    slot = animation_data.action_slot if previous is not None and has_slotted_actions() else None
    action[STATE_KEY] = json.dumps({
        "action": previous.name if previous else "",
        "slot": slot.identifier if slot is not None else "",
        "values": read_values(id_block, channels),
    })


def restore(id_block) -> str:
    """Undo what a SoundMotion action did to id_block; returns the name of the action that was removed.

    The SoundMotion action itself is kept (fake user) so the take can be re-assigned later.
    """
    animation_data = id_block.animation_data
    action = animation_data.action if animation_data else None
    if action is None or STATE_KEY not in action:
        return ""
    state = json.loads(action[STATE_KEY])
    previous = bpy.data.actions.get(state["action"]) if state["action"] else None
    animation_data.action = previous
    if previous is not None and state["slot"] and has_slotted_actions():
        slot = previous.slots.get(state["slot"])
        if slot is not None:
            animation_data.action_slot = slot
    for key, value in state["values"].items():
        data_path, index = key.rsplit("|", 1)
        owner, attribute = _resolve_owner(id_block, data_path)
        current = getattr(owner, attribute)
        if hasattr(current, "__len__"):
            current[int(index)] = value
        else:
            setattr(owner, attribute, value)
    return action.name


@contextlib.contextmanager
def all_or_nothing(written: list):
    """Collects the datablocks a run gives new takes; if the run fails, each gets its previous animation back
    and the new take is deleted, so no half-applied run is left behind."""
    try:
        yield written
    except BaseException:
        for id_block in written:
            bpy.data.actions.remove(bpy.data.actions[restore(id_block)])
        raise
