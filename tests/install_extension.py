"""Run in a fresh Python process: install the built zip like a user, exercise it, disable it; print JSON.

Usage: python install_extension.py ZIP AUDIO   (BLENDER_USER_RESOURCES must point at an empty temp dir)
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


def main(zip_path, audio_path):
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
    report["action"] = mesh.data.shape_keys.animation_data.nla_tracks[0].strips[0].action.name  # the take's strip
    local_site = os.path.join(bpy.utils.user_resource("EXTENSIONS"), ".local", "lib",
                              f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    report["installed_wheels"] = sorted(os.listdir(local_site)) if os.path.isdir(local_site) else []

    addon_utils.disable(MODULE, default_set=True)
    report["disabled"] = registered()
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
