"""The add-on's per-scene settings, saved in the .blend with the scene."""

import os

import bpy

# The Language menu: Auto lip-syncs from the audio alone, in any language (a transcript, if given, is read as
# English, as before); a language makes the transcript count in that language (eSpeak NG codes).
LANGUAGES = (("AUTO", "Auto (audio only)", "Lip sync from the audio alone, in any language; a transcript, if "
              "given, is read as English"),
             ("en", "English", ""), ("es", "Spanish", ""), ("de", "German", ""), ("fr", "French", ""),
             ("it", "Italian", ""), ("pt", "Portuguese", ""), ("pt-br", "Portuguese (Brazil)", ""),
             ("nl", "Dutch", ""), ("pl", "Polish", ""), ("ru", "Russian", ""), ("uk", "Ukrainian", ""),
             ("cs", "Czech", ""), ("sv", "Swedish", ""), ("da", "Danish", ""), ("nb", "Norwegian", ""),
             ("fi", "Finnish", ""), ("hu", "Hungarian", ""), ("ro", "Romanian", ""), ("el", "Greek", ""),
             ("tr", "Turkish", ""), ("ar", "Arabic", ""), ("he", "Hebrew", ""), ("fa", "Persian", ""),
             ("hi", "Hindi", ""), ("bn", "Bengali", ""), ("ta", "Tamil", ""), ("cmn", "Mandarin Chinese", ""),
             ("yue", "Cantonese", ""), ("ja", "Japanese (kana)", ""), ("ko", "Korean", ""), ("vi", "Vietnamese", ""),
             ("id", "Indonesian", ""), ("sw", "Swahili", ""),
             ("OTHER", "Other…", "Another eSpeak NG language code, typed below"))
EMOTIONS = tuple((name.upper(), name.capitalize(), f"A {name} face over the whole take" if name != "neutral"
                  else "No emotion layer") for name in
                 ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted"))


METER_ITEMS = [("auto", "Auto", "The meter the beat tracker hears"),
               ("4/4", "4/4", "Bars of four beats"),
               ("3/4", "3/4", "Bars of three beats, danced as a waltz"),
               ("6/8", "6/8", "Two pulses to the bar, swaying from one foot to the other"),
               ("5/4", "5/4", "Bars of five beats, swaying 3 + 2"),
               ("7/8", "7/8", "Bars of seven beats (the eighths), swaying 2 + 2 + 3")]


def chosen_audio(filepath: str, settings) -> str:
    """The operator's audio file, else the scene's, as an absolute path; a "//" path is relative to the saved
    .blend file, so an unsaved file cannot resolve it."""
    path = filepath or settings.audio_path
    if path.startswith("//") and not bpy.data.filepath:
        from .background_job import UserFacingError

        raise UserFacingError(f"The audio path {path} is relative to the .blend file, which has not been saved yet. "
                              f"Save the file first, or choose the audio file again.")
    return bpy.path.abspath(path)


def before_scene_note(scene, frame_start: int, markers: bool = False) -> list:
    """[a sentence] when a take (or the beat markers) starts before the scene's frame range (a studio scene starting
    at 1001, Start Frame left at 1): scrubbing the scene would not show it."""
    if frame_start >= scene.frame_start:
        return []
    subject, them = ("The markers start", "them") if markers else ("The take starts", "it")
    return [f"{subject} at frame {frame_start}, before the scene's frame range ({scene.frame_start}–"
            f"{scene.frame_end}): set Start Frame in the SoundMotion panel to place {them} in the range."]


def language_of(settings) -> str | None:
    """The eSpeak NG code the scene's settings name, or None for Auto."""
    if settings.language == "AUTO":
        return None
    if settings.language == "OTHER":  # typed by hand: as eSpeak NG names it (zh-Hans: cmn), or refused with a sentence
        from ..models.speech.espeak import check_language

        if not settings.language_code.strip():  # was taken as Auto: a transcript then read as English, unsaid
            from .background_job import UserFacingError

            raise UserFacingError("Language is Other… but no code is typed: type the language's code under Code "
                                  "(e.g. sk, ka, sw, yue), or choose Auto for lip sync from the audio alone.")
        return check_language(settings.language_code)
    return settings.language


def set_language(settings, code: str | None):
    """Select `code` in the Language menu (Other… with the code typed when the menu does not list it)."""
    listed = {item[0] for item in LANGUAGES}
    if not code:
        settings.language = "AUTO"
    elif code in listed:
        settings.language = code
    else:
        settings.language, settings.language_code = "OTHER", code


EMOTION_DESCRIPTION = "Emotion layered over the lip sync (upper and lower face)"
EMOTION_STRENGTH_DESCRIPTION = "How strongly the emotion shows (0..1)"


# Blender 4.5 and later warn that a file path property without this option "does not support" "//" paths.
RELATIVE_PATH_OPTIONS = {"PATH_SUPPORTS_BLEND_RELATIVE"} if bpy.app.version >= (4, 5, 0) else set()


class SoundMotionSettings(bpy.types.PropertyGroup):
    audio_path: bpy.props.StringProperty(
        name="Audio", subtype="FILE_PATH", options=RELATIVE_PATH_OPTIONS,
        description="Voice or music file (wav, flac, ogg or mp3)")
    transcript: bpy.props.StringProperty(
        name="Transcript",
        description="What is said in the audio (optional; a .txt or .lab beside the audio is used when empty)")
    frame_start: bpy.props.IntProperty(
        name="Start Frame", default=1,
        description="Scene frame at which the audio and the generated keys start")
    strength: bpy.props.FloatProperty(
        name="Strength", default=1.0, min=0.0, max=2.0,
        description="How strongly the mouth articulates")
    seed: bpy.props.IntProperty(
        name="Seed", default=0, min=0,
        description="Different seeds give different takes of blinks, gestures and dance")
    language: bpy.props.EnumProperty(
        name="Language", items=LANGUAGES, default="AUTO",
        description="The transcript's language; Auto lip-syncs from the audio alone, in any language")
    language_code: bpy.props.StringProperty(
        name="Code", description="eSpeak NG language code, e.g. sk, ka, sw, yue")
    listen_for_words: bpy.props.BoolProperty(
        name="Listen for Words", default=True,
        description="Without a transcript (Auto or English): also close the lips on the p, b and m of the words "
                    "an English word recogniser hears. More closures on real voices, about 2.5x slower")
    # Mouth style (operators/phone_track_panel.py draws these; face_take.py reads them)
    coarticulation: bpy.props.FloatProperty(
        name="Blend", default=1.0, min=0.0, max=2.0, subtype="FACTOR",
        description="How much neighbouring mouth shapes blend: 0 holds each shape, 1 as tuned, 2 softer")
    min_hold_frames: bpy.props.IntProperty(
        name="Minimum Hold", default=0, min=0, max=12, subtype="TIME",
        description="No mouth shape is held for fewer frames than this (0: no minimum)")
    mouth_step: bpy.props.EnumProperty(
        name="Stepping", default="SMOOTH",
        items=[("SMOOTH", "Smooth", "Bezier keys in between poses"),
               ("ONES", "On Ones", "Constant keys on every frame"),
               ("TWOS", "On Twos", "Constant keys every second frame (stop-motion, anime)"),
               ("THREES", "On Threes", "Constant keys every third frame")],
        description="Key the face smoothly or stepped (constant interpolation)")
    mouth_chart: bpy.props.EnumProperty(
        name="2D Mouth", default="NONE",
        items=[("NONE", "None", "No mouth index"),
               ("RHUBARB", "Rhubarb A–X", "Integer property soundmotion_mouth: A–H = 0–7, X (rest) = 8"),
               ("PRESTON_BLAIR", "Preston Blair",
                "Integer property soundmotion_mouth: rest, AI, E, O, U, etc, L, WQ, MBP, FV = 0–9")],
        description="Also key a mouth-shape index for sprite, image-sequence or Grease Pencil mouths")
    word_markers: bpy.props.BoolProperty(
        name="Word Markers", default=False, description="Put a timeline marker at each word of a face take")


CLASSES = (SoundMotionSettings,)


_before_save = {}  # scene name: its audio path before _rebase_audio_paths, put back after a saved copy


@bpy.app.handlers.persistent
def _rebase_audio_paths(filepath, *_):
    """Save As into another folder: a "//" audio path is rewritten relative to the new file, as Blender rewrites its
    own relative paths (a shot saved as v002 beside v001 lost its audio: "//line.wav" then named v002's folder)."""
    _before_save.clear()
    old_folder, new_folder = os.path.dirname(bpy.data.filepath), os.path.dirname(str(filepath or ""))
    if not bpy.data.filepath or not new_folder or os.path.normcase(old_folder) == os.path.normcase(new_folder):
        return
    for scene in bpy.data.scenes:
        path = scene.soundmotion.audio_path
        if path.startswith("//") and scene.library is None:
            try:
                rebased = "//" + os.path.relpath(bpy.path.abspath(path), new_folder).replace(os.sep, "/")
            except ValueError:   # another drive (Windows): absolute
                rebased = bpy.path.abspath(path)
            _before_save[scene.name] = path
            scene.soundmotion.audio_path = rebased


@bpy.app.handlers.persistent
def _after_save(filepath, *_):
    """A saved copy (File > Save Copy) leaves this session on the old file: its paths go back."""
    if os.path.normcase(os.path.abspath(str(filepath or ""))) != os.path.normcase(os.path.abspath(bpy.data.filepath)):
        for name, path in _before_save.items():
            if name in bpy.data.scenes:
                bpy.data.scenes[name].soundmotion.audio_path = path
    _before_save.clear()


def register():
    bpy.types.Scene.soundmotion = bpy.props.PointerProperty(type=SoundMotionSettings)
    bpy.app.handlers.save_pre.append(_rebase_audio_paths)
    bpy.app.handlers.save_post.append(_after_save)


def unregister():
    for handlers, handler in ((bpy.app.handlers.save_pre, _rebase_audio_paths),
                              (bpy.app.handlers.save_post, _after_save)):
        if handler in handlers:
            handlers.remove(handler)
    del bpy.types.Scene.soundmotion
