"""Put the audio in the sequencer so it plays and renders in sync with the keys written for it."""

import contextlib
import os

import bpy


class SoundStripUnavailable(RuntimeError):
    """This Blender build cannot play sound (e.g. a bpy module built without Audaspace)."""


def _strips(sequence_editor):
    # Blender 5.0 renamed the sequencer's `sequences` collection to `strips`.
    return sequence_editor.strips if hasattr(sequence_editor, "strips") else sequence_editor.sequences


def add_sound_strip(scene, audio_path: str, frame_start: int):
    """Add (or reuse, when this file already sits at this frame) a sound strip.

    Returns (strip, created) so a caller whose later steps fail can remove what it added.
    """
    editor = scene.sequence_editor or scene.sequence_editor_create()
    audio_path = os.path.abspath(audio_path)
    same_file = os.path.normcase(audio_path)   # Windows paths compare case-insensitively
    for strip in _strips(editor):
        if strip.type == "SOUND" and strip.frame_start == frame_start and \
                os.path.normcase(os.path.abspath(bpy.path.abspath(strip.sound.filepath))) == same_file:
            return strip, False
    used_channels = {strip.channel for strip in _strips(editor)}
    channel = next(c for c in range(1, 129) if c not in used_channels)
    name = os.path.splitext(os.path.basename(audio_path))[0]
    try:
        strip = _strips(editor).new_sound(name, audio_path, channel=channel, frame_start=int(frame_start))
    except RuntimeError as error:
        if "Audaspace" in str(error):
            raise SoundStripUnavailable("This Blender build has no audio support, so no sound strip was added.") from None
        raise
    return strip, True


def remove_sound_strip(scene, strip):
    sound = strip.sound
    _strips(scene.sequence_editor).remove(strip)
    if sound is not None and sound.users == 0:
        bpy.data.sounds.remove(sound)


@contextlib.contextmanager
def sound_for_take(scene, audio_path: str, frame_start: int, notes: list):
    """Add the take's sound strip (a note instead when this Blender has no audio), and remove it again if
    writing the take fails, so a failed run leaves the sequencer as it was."""
    try:
        strip, created = add_sound_strip(scene, audio_path, frame_start)
    except SoundStripUnavailable as error:
        notes.append(str(error))
        strip, created = None, False
    try:
        yield strip
    except BaseException:
        if created:
            remove_sound_strip(scene, strip)
        raise
