"""Run in a fresh Python process: install the built zip like a user, with nothing else to import from, exercise
it (Talk and Dance on the bundled character, and with a Spanish line a lip sync in Spanish), disable it; print a
JSON report.

Usage: python install_extension.py ZIP ASSETS_DIR [SPANISH_AUDIO SPANISH_TEXT]
(BLENDER_USER_RESOURCES must point at an empty temp dir)

The test environment has the runtime dependencies installed too (soundfile, pocketsphinx, scipy ...), which
would hide a wheel missing from the zip. So, as in Blender, only Blender's own modules (bpy, numpy and what
Blender bundles) are importable from the environment: anything else must come from the extension's wheels.
"""

import importlib
import importlib.abc
import importlib.machinery
import json
import os
import site
import sys

import bpy  # first: it puts Blender's script modules (addon_utils) on sys.path

import addon_utils  # noqa: E402

MODULE = "bl_ext.user_default.soundmotion"
# What Blender ships besides bpy (build_files/build_environment/cmake/python_site_packages.cmake, numpy).
BLENDER_PROVIDES = {"bpy", "numpy", "requests", "certifi", "charset_normalizer", "idna", "urllib3", "zstandard",
                    "Cython", "cython", "pyximport", "autopep8", "pycodestyle", "toml", "setuptools", "pkg_resources",
                    "_distutils_hack", "pip", "_virtualenv"}


def extension_site_packages() -> str:
    return os.path.join(bpy.utils.user_resource("EXTENSIONS"), ".local", "lib",
                        f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")


def environment_modules() -> set:
    """Top-level modules the test environment's site-packages provide (editable installs included)."""
    names = set()
    for directory in site.getsitepackages():
        for entry in os.listdir(directory):
            if entry.endswith((".dist-info", ".egg-info", ".pth")) or entry.startswith("__"):
                if entry.startswith("__editable__") and entry.endswith(".pth"):
                    names.add("soundmotion")
                continue
            names.add(entry.split(".")[0])
    return names - BLENDER_PROVIDES


class OnlyFromExtensionWheels(importlib.abc.MetaPathFinder):
    """Top-level imports of the environment's third-party modules resolve only in the extension's site-packages."""

    def __init__(self, blocked: set):
        self.blocked, self.refused = blocked, []

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in self.blocked:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, [extension_site_packages()])
        if spec is None:
            self.refused.append(fullname)
            raise ModuleNotFoundError(f"No module named {fullname!r} in the extension's wheels", name=fullname)
        return spec


def registered():
    return {
        "operator": hasattr(bpy.types, "SOUNDMOTION_OT_lip_sync"),
        "panel": hasattr(bpy.types, "SOUNDMOTION_PT_main"),
        "scene_settings": hasattr(bpy.types.Scene, "soundmotion"),
    }


def spanish_take(face, audio_path, text, report, take):
    """Lip sync a Spanish line with its transcript through the installed add-on (eSpeak NG from its wheel)."""
    settings = bpy.context.scene.soundmotion
    settings.audio_path, settings.transcript, settings.language = audio_path, text, "es"
    report["lip_sync_es"] = sorted(bpy.ops.soundmotion.lip_sync())
    report["action_es"] = take(face.data.shape_keys).name
    pipeline = importlib.import_module(f"{MODULE}.models.face.pipeline")
    result = pipeline.generate_face(audio_path, transcript=text, fps=30.0, settings=pipeline.FaceSettings(language="es"))
    report["phones_es"] = result.phone_source
    report["espeak_from"] = importlib.import_module(f"{MODULE}.models.speech.espeak").runtime_engine().lib._name


def main(zip_path, assets, spanish_audio=None, spanish_text=None):
    guard = OnlyFromExtensionWheels(environment_modules())
    report = {"user_resources": os.environ["BLENDER_USER_RESOURCES"],
              "already_imported": sorted(guard.blocked & set(sys.modules)), "guarded": sorted(guard.blocked)}
    sys.meta_path.insert(0, guard)
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    module = sys.modules.get(MODULE)
    report["module_file"] = getattr(module, "__file__", None)
    report["enabled"] = registered()

    bpy.ops.wm.open_mainfile(filepath=os.path.join(assets, "demo_character.blend"), load_ui=False)
    rig, face = bpy.data.objects["DemoRig"], bpy.data.objects["DemoHuman"]
    bpy.context.view_layer.objects.active = rig
    # Talk: the transcript beside the audio is force-aligned (pocketsphinx), the voice analysed, the face and
    # the gestures written; Dance: beats, sections, the learned prior and leg IK on the same rig.
    report["talk"] = sorted(bpy.ops.soundmotion.talk(filepath=os.path.join(assets, "demo_speech.wav")))
    take = importlib.import_module(f"{MODULE}.operators.action_channels").take_action   # the latest take's action
    report["talk_actions"] = [take(face.data.shape_keys).name, take(rig).name]
    scene = bpy.context.scene
    hand = []
    for frame in range(1, 200, 5):
        scene.frame_set(frame)
        hand.append(tuple(rig.matrix_world @ rig.pose.bones["hand_r"].head))
    report["hand_travel"] = max(max(c) - min(c) for c in zip(*hand))
    # The aligner itself, from the installed copy: all of the transcript aligned by pocketsphinx (its trimmed
    # wheel, without the language model), none of it left to recognition.
    speech = lambda name: importlib.import_module(f"{MODULE}.models.speech.{name}")  # noqa: E731
    audio = importlib.import_module(f"{MODULE}.models.audio.load").load_audio(os.path.join(assets, "demo_speech.wav"))
    with open(os.path.join(assets, "demo_speech.txt"), encoding="utf-8") as handle:
        aligned = speech("alignment").align_transcript(speech("pcm").decoder_pcm(audio), handle.read())
    report["aligned_phones"] = sum(phone.phone != "SIL" for phone in aligned.phones)
    report["alignment_failed_spans"] = aligned.failed_spans
    # The word recogniser (audio only, English): the language model the add-on ships once, not its wheel's.
    decoders = speech("decoder")
    report["word_lm"] = decoders.word_language_model()
    recogniser = decoders.word_decoder()
    recogniser.start_utt()
    recogniser.process_raw(speech("pcm").decoder_pcm(audio), full_utt=True)
    recogniser.end_utt()
    report["words_heard"] = len(recogniser.hyp().hypstr.split()) if recogniser.hyp() else 0
    report["dance"] = sorted(bpy.ops.soundmotion.dance(filepath=os.path.join(assets, "demo_music.wav"),
                                                       trim_seconds=4.0))
    report["dance_action"] = take(rig).name
    if spanish_audio:
        spanish_take(face, spanish_audio, spanish_text, report, take)
    report["imported_from"] = {name: getattr(sys.modules.get(name), "__file__", None)
                               for name in ("soundfile", "_cffi_backend", "pocketsphinx", "typing_extensions", "scipy",
                                            "espeakng_loader")}
    local_site = extension_site_packages()
    report["installed_wheels"] = sorted(os.listdir(local_site)) if os.path.isdir(local_site) else []
    pocketsphinx_dir = os.path.join(local_site, "pocketsphinx")
    report["pocketsphinx_files"] = sorted(os.listdir(pocketsphinx_dir)) if os.path.isdir(pocketsphinx_dir) else []
    report["refused"] = sorted(set(guard.refused))

    addon_utils.disable(MODULE, default_set=True)
    report["disabled"] = registered()
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:5])
