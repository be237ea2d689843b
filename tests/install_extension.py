"""Run in a fresh Python process: install the built zip like a user, exercise it, disable it; print JSON.

Usage: python install_extension.py ZIP AUDIO [SPANISH_AUDIO SPANISH_TEXT]
(BLENDER_USER_RESOURCES must point at an empty temp dir). With a Spanish line, also a take in Spanish.
"""

import json
import os
import sys

import bpy  # first: it puts Blender's script modules (addon_utils) on sys.path

import addon_utils  # noqa: E402

MODULE = "bl_ext.user_default.soundmotion"


def registered():
    return {
        "operator": hasattr(bpy.types, "SOUNDMOTION_OT_lip_sync"),
        "panel": hasattr(bpy.types, "SOUNDMOTION_PT_main"),
        "scene_settings": hasattr(bpy.types.Scene, "soundmotion"),
    }


def spanish_take(mesh, audio_path, text, report):
    """Lip sync a Spanish line with its transcript through the installed add-on (eSpeak NG from its wheel)."""
    settings = bpy.context.scene.soundmotion
    settings.audio_path, settings.transcript, settings.language = audio_path, text, "es"
    report["lip_sync_es"] = sorted(bpy.ops.soundmotion.lip_sync())
    report["action_es"] = mesh.data.shape_keys.animation_data.action.name
    pipeline = sys.modules[MODULE + ".models.face.pipeline"]
    face = pipeline.generate_face(audio_path, transcript=text, fps=30.0, settings=pipeline.FaceSettings(language="es"))
    report["phones_es"] = face.phone_source
    report["espeak_from"] = sys.modules[MODULE + ".models.speech.espeak"].runtime_engine().lib._name


def main(zip_path, audio_path, spanish_audio=None, spanish_text=None):
    report = {"user_resources": os.environ["BLENDER_USER_RESOURCES"]}
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    module = sys.modules.get(MODULE)
    report["module_file"] = getattr(module, "__file__", None)
    report["enabled"] = registered()

    bpy.ops.wm.read_homefile(use_empty=True)
    mesh = bpy.data.objects.new("Face", bpy.data.meshes.new("Face"))
    mesh.data.from_pydata([(0, 0, 0), (1, 0, 0), (0, 0, 1)], [], [(0, 1, 2)])
    bpy.context.scene.collection.objects.link(mesh)
    mesh.shape_key_add(name="Basis")
    mesh.shape_key_add(name="jawOpen")
    bpy.context.view_layer.objects.active = mesh
    bpy.context.scene.soundmotion.audio_path = audio_path
    report["lip_sync"] = sorted(bpy.ops.soundmotion.lip_sync())
    report["action"] = mesh.data.shape_keys.animation_data.action.name
    local_site = os.path.join(bpy.utils.user_resource("EXTENSIONS"), ".local", "lib",
                              f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    report["installed_wheels"] = sorted(os.listdir(local_site)) if os.path.isdir(local_site) else []
    if spanish_audio:
        spanish_take(mesh, spanish_audio, spanish_text, report)

    addon_utils.disable(MODULE, default_set=True)
    report["disabled"] = registered()
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:5])
