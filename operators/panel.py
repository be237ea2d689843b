"""The SoundMotion tab in the 3D View sidebar."""

import bpy


class SOUNDMOTION_PT_main(bpy.types.Panel):
    bl_idname = "SOUNDMOTION_PT_main"
    bl_label = "SoundMotion"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "SoundMotion"

    def draw(self, context):
        settings = context.scene.soundmotion
        layout = self.layout
        layout.prop(settings, "audio_path")
        layout.prop(settings, "transcript")
        layout.prop(settings, "language")
        if settings.language == "OTHER":
            layout.prop(settings, "language_code")
        if settings.language in ("AUTO", "en"):
            layout.prop(settings, "listen_for_words")   # recognition only: no transcript, English or Auto
        row = layout.row(align=True)
        row.prop(settings, "frame_start")
        row.prop(settings, "seed")
        layout.prop(settings, "strength")
        layout.operator("soundmotion.talk", icon="OUTLINER_OB_ARMATURE")
        layout.operator("soundmotion.lip_sync", icon="SPEAKER")
        layout.operator("soundmotion.dance", icon="ARMATURE_DATA")
        layout.operator("soundmotion.beat_markers", icon="MARKER_HLT")
        layout.operator("soundmotion.restore_previous", icon="LOOP_BACK")


CLASSES = (SOUNDMOTION_PT_main,)
