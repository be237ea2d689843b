"""SoundMotion: sound to editable keyframes in Blender (lip sync, facial curves, gestures, dance).

Only registration lives here. Importing the package does not import bpy, so the pure modules
(clips/, models/, retarget/) work outside Blender.
"""


def register():
    from . import operators

    operators.register()


def unregister():
    from . import operators

    operators.unregister()
