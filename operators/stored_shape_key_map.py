"""The shape-key map saved on a face mesh in the .blend: one (shape key, ARKit channel, weight) entry per
term of a ShapeKeyMap row, like the bone map stored on an armature, so the panel can edit it row by row."""

import bpy

from ..clips.arkit import ARKIT_BLENDSHAPES
from ..retarget.shape_keys import ShapeKeyMap

STORED_MAP = "soundmotion_shape_key_map"  # Object collection property registered by shape_key_map_panel.py
STORED_PRESET = "soundmotion_shape_key_preset"

CHANNEL_ITEMS = [(name, name, f"ARKit channel {name}") for name in ARKIT_BLENDSHAPES]


class SoundMotionShapeKeyMapEntry(bpy.types.PropertyGroup):
    key: bpy.props.StringProperty(name="Shape Key", description="Shape key of this mesh")
    channel: bpy.props.EnumProperty(name="Channel", items=CHANNEL_ITEMS, description="ARKit channel that drives it")
    # No hard limits: fitted viseme rows weigh channels well beyond 1 (the sum is clipped to [0, 1] afterwards).
    weight: bpy.props.FloatProperty(name="Weight", default=1.0, soft_min=-1.0, soft_max=2.0,
                                    description="How much of the channel goes into the shape key")


def stored_shape_key_map(mesh_obj):
    """The map saved on the mesh (edited in the panel), or None when the mesh has none."""
    entries = getattr(mesh_obj, STORED_MAP, None)
    if not entries:
        return None
    rows = {}
    for entry in entries:
        if entry.key:
            row = rows.setdefault(entry.key, {})
            row[entry.channel] = row.get(entry.channel, 0.0) + entry.weight
    return ShapeKeyMap(rows, getattr(mesh_obj, STORED_PRESET, ""))


def store_shape_key_map(mesh_obj, shape_key_map: ShapeKeyMap):
    entries = getattr(mesh_obj, STORED_MAP)
    entries.clear()
    for key, row in shape_key_map.rows.items():
        for channel, weight in row.items():
            entry = entries.add()
            entry.key, entry.channel, entry.weight = key, channel, weight
    setattr(mesh_obj, STORED_PRESET, shape_key_map.preset)


def register():
    bpy.types.Object.soundmotion_shape_key_map = bpy.props.CollectionProperty(type=SoundMotionShapeKeyMapEntry)
    bpy.types.Object.soundmotion_shape_key_preset = bpy.props.StringProperty(
        name="Shape-Key Preset", description="Naming scheme the stored shape-key map was detected from")


def unregister():
    del bpy.types.Object.soundmotion_shape_key_preset
    del bpy.types.Object.soundmotion_shape_key_map
