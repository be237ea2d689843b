"""Put the audio in the sequencer so it plays and renders in sync with the keys written for it."""

import contextlib
import json
import os

import bpy

from .action_channels import TAKE_KEY, animated_blocks, take_strips


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
    if bpy.data.filepath and bpy.context.preferences.filepaths.use_relative_paths:
        # As Blender's own Add > Sound does: the shot folder can move (a farm's mount, another drive) and keep its
        # sound; an absolute path silenced the render there.
        try:
            strip.sound.filepath = bpy.path.relpath(audio_path)
        except ValueError:  # another drive (Windows): stays absolute
            pass
    return strip, True


def remove_sound_strip(scene, strip):
    sound = strip.sound
    _strips(scene.sequence_editor).remove(strip)
    if sound is not None and sound.users == 0:
        bpy.data.sounds.remove(sound)


SOUND_KEY = "soundmotion_sound"  # on a take's action: JSON [audio path, start frame] of the line it was made for


def _objects_take_tracks(obj) -> list:
    """(take action, its NLA track) of every SoundMotion take on the object's tracks and on its shape keys' (every
    take in play, not the versions they replaced)."""
    return [(strip.action, track) for block in animated_blocks(obj) for strip, track in take_strips(block)]


LINE_MUTED = "soundmotion_line_muted"  # on a take's action: its track was muted because a later line replaced it


def mark_takes(owners, audio_path: str, frame_start: int):
    """Record on the owners' latest takes (those a run just wrote) which line they play, for sync_sound_strips."""
    for name in owners:
        obj = bpy.data.objects.get(name)
        takes = [action for action, _ in _objects_take_tracks(obj)] if obj is not None else []
        if takes:
            newest = max(int(action[TAKE_KEY]) for action in takes)
            for action in takes:
                if int(action[TAKE_KEY]) == newest:
                    action[SOUND_KEY] = json.dumps([os.path.abspath(audio_path), int(frame_start)])


def sync_sound_strips(scene, names) -> tuple:
    """Make SoundMotion's sound strips follow the takes in play of the objects `names`: a strip plays for an object
    while its newest take starting at that frame was made for that line; one nobody plays for any more is removed,
    and a take's line without its strip (a restored take whose strip a later take replaced) is added back. An older
    take at a frame where a later line replaced it is muted (LINE_MUTED), and unmuted when it is the newest again.
    Objects with a take made before takes recorded their line are left as they are. Returns (removed, added) strip
    names."""
    wanted = {}
    for name in names:
        obj = bpy.data.objects.get(name)
        if obj is None:
            continue
        takes = _objects_take_tracks(obj)
        if any(SOUND_KEY not in action for action, _ in takes):
            continue
        newest = {}  # start frame → (the newest take there, its line): a later line at a frame replaces the earlier
        for action, track in sorted(takes, key=lambda pair: int(pair[0][TAKE_KEY])):
            path, frame = json.loads(action[SOUND_KEY])
            newest[int(frame)] = (action, os.path.normcase(path))
        wanted[name] = {(path, frame) for frame, (_, path) in newest.items()}
        for action, track in takes:  # a replaced line's take is muted too, else it moves on in silence
            replaced = newest[int(json.loads(action[SOUND_KEY])[1])][0] != action
            if replaced and not track.mute:
                track.mute, action[LINE_MUTED] = True, True
            elif not replaced and action.get(LINE_MUTED):
                track.mute = False
                del action[LINE_MUTED]
    removed, added = [], []
    editor = scene.sequence_editor
    present = set()
    for strip in list(_strips(editor)) if editor is not None else []:
        if strip.type != "SOUND" or OWNERS_KEY not in strip or strip.sound is None:
            continue
        line = (os.path.normcase(os.path.abspath(bpy.path.abspath(strip.sound.filepath))), int(strip.frame_start))
        owners = strip[OWNERS_KEY]
        for name, lines in wanted.items():
            if name in owners.keys() and line not in lines:
                del owners[name]
            elif line in lines:
                owners[name] = 1
                present.add((name, line))
        if not owners.keys():
            removed.append(strip.name)
            remove_sound_strip(scene, strip)
    for name, lines in wanted.items():
        for path, frame in sorted(lines):
            if (name, (path, frame)) not in present and os.path.isfile(path):
                try:
                    strip, created = add_sound_strip(scene, path, frame, [name])
                except SoundStripUnavailable:
                    continue
                present.add((name, (path, frame)))
                if created:
                    added.append(strip.name)
    return removed, added


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
    for old in replaced:  # a strip that also plays for other objects' takes stays theirs (sync_sound_strips)
        if set(old[OWNERS_KEY].keys()) <= set(owners):
            notes.append(f"Replaced the sound strip {old.name} at frame {frame_start}.")
            remove_sound_strip(scene, old)
    mark_takes(owners, audio_path, frame_start)
    sync_sound_strips(scene, owners)  # the same line moved to another frame: its strip there goes
