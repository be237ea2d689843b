"""Put the audio in the sequencer so it plays and renders in sync with the keys written for it."""

import contextlib
import os

import bpy


class SoundStripUnavailable(RuntimeError):
    """This Blender build cannot play sound (e.g. a bpy module built without Audaspace)."""


def _strips(sequence_editor):
    # Blender 5.0 renamed the sequencer's `sequences` collection to `strips`.
    return sequence_editor.strips if hasattr(sequence_editor, "strips") else sequence_editor.sequences


OWNERS_KEY = "soundmotion_objects"  # on a strip SoundMotion added: the objects whose take it plays for


def _same_file(strip, audio_path: str) -> bool:
    """Whether the strip plays `audio_path` (compared case-insensitively where the file system is: Windows)."""
    return strip.sound is not None and \
        os.path.normcase(os.path.abspath(bpy.path.abspath(strip.sound.filepath))) == os.path.normcase(audio_path)


def add_sound_strip(scene, audio_path: str, frame_start: int, owners=()):
    """Add (or reuse, when this file already sits at this frame) a sound strip, marked with the objects whose
    take it plays for.

    Returns (strip, created) so a caller whose later steps fail can remove what it added.
    """
    editor = scene.sequence_editor or scene.sequence_editor_create()
    audio_path = os.path.abspath(audio_path)
    for strip in _strips(editor):
        if strip.type == "SOUND" and strip.frame_start == frame_start and _same_file(strip, audio_path):
            if OWNERS_KEY in strip:  # the same line, now also for these objects' take
                for owner in owners:
                    strip[OWNERS_KEY][owner] = 1
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
    strip[OWNERS_KEY] = {owner: 1 for owner in owners}
    return strip, True


def remove_sound_strip(scene, strip):
    sound = strip.sound
    _strips(scene.sequence_editor).remove(strip)
    if sound is not None and sound.users == 0:
        bpy.data.sounds.remove(sound)


def release_sound_strips(scene, names) -> list:
    """Objects whose takes were all taken back (Restore Previous) no longer own SoundMotion's sound strips; a
    strip that nobody owns any more is removed. Returns the removed strips' names."""
    if scene.sequence_editor is None:
        return []
    removed = []
    for strip in list(_strips(scene.sequence_editor)):
        if strip.type != "SOUND" or OWNERS_KEY not in strip:
            continue
        owners = strip[OWNERS_KEY]
        if not set(owners.keys()) & set(names):
            continue
        for name in names:
            if name in owners:
                del owners[name]
        if not owners.keys():
            removed.append(strip.name)
            remove_sound_strip(scene, strip)
    return removed


def _replaced_strips(scene, audio_path: str, frame_start: int, owners) -> list:
    """Sound strips SoundMotion added at this frame for these objects' takes with other audio: a new take of
    theirs there replaces them (two voices must not play at once)."""
    if scene.sequence_editor is None or not owners:
        return []
    audio_path = os.path.abspath(audio_path)
    return [strip for strip in _strips(scene.sequence_editor)
            if strip.type == "SOUND" and strip.frame_start == frame_start and OWNERS_KEY in strip
            and set(strip[OWNERS_KEY].keys()) & set(owners) and not _same_file(strip, audio_path)]


@contextlib.contextmanager
def sound_for_take(scene, audio_path: str, frame_start: int, notes: list, owners=()):
    """Add the take's sound strip (a note instead when this Blender has no audio), and remove it again if
    writing the take fails, so a failed run leaves the sequencer as it was. `owners`: names of the objects the
    take animates; the strip of their earlier take at this frame with other audio goes once this one is written."""
    replaced = _replaced_strips(scene, audio_path, frame_start, owners)
    try:
        strip, created = add_sound_strip(scene, audio_path, frame_start, owners)
    except SoundStripUnavailable as error:
        notes.append(str(error))
        strip, created = None, False
    try:
        yield strip
    except BaseException:
        if created:
            remove_sound_strip(scene, strip)
        raise
    for old in replaced:
        notes.append(f"Replaced the sound strip {old.name} at frame {frame_start}.")
        remove_sound_strip(scene, old)
