"""Mapping canonical clips onto a user's rig and shape keys. The math is pure numpy/scipy; only files named
`blender_*.py` touch bpy."""
