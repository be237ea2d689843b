"""A face take in the scene: shape-key curves and/or a 2D mouth index keyed from a face result, with the phone/word
track and the voice measures it used stored on its action (saved in the .blend), so that the animator can edit
the track and re-apply the face without analysing the audio again (phone_track_panel.py).

The 2D mouth is an integer custom property `soundmotion_mouth` on the object (Rhubarb A–H, X as 0–8, or Preston
Blair rest, AI, E, O, U, etc, L, WQ, MBP, FV as 0–9), keyed with constant interpolation: a driver can feed it to
an image sequence's frame offset, a Grease Pencil Time Offset modifier or anything else.
"""

import json

import bpy
import numpy as np

from ..models.face.mouth_style import CHARTS, mouth_indices, rest_index
from ..models.face.pipeline import FaceSettings, VoiceMeasures
from ..models.face.visemes import VISEMES
from ..takes import phone_track
from ..takes.key_poses import KeyStyle, pose_frames
from ..takes.pose_times import face_pose_times
from .action_channels import take_action
from .keyframes import write_property_action, write_shape_key_action
from .settings import language_of

TRACK_KEY = "soundmotion_track"   # on a face take's action: frames, fps, audio, keys, chart, voice, markers
MOUTH_PROPERTY = "soundmotion_mouth"
STEPS = {"SMOOTH": 0, "ONES": 1, "TWOS": 2, "THREES": 3}
_syncing = []  # non-empty while code (not the user) writes the lists: their update callbacks then stand still


def face_settings(scene, emotion: str = "neutral", emotion_strength: float = 0.0) -> FaceSettings:
    """The face settings of the scene's SoundMotion panel (strength, seed, language, mouth style) with the
    operator's emotion."""
    settings = scene.soundmotion
    fps = scene.render.fps / scene.render.fps_base
    return FaceSettings(articulation=settings.strength, seed=settings.seed, coarticulation=settings.coarticulation,
                        min_hold=settings.min_hold_frames / fps, language=language_of(settings),
                        emotion=emotion.lower(), emotion_strength=emotion_strength,
                        word_recogniser=settings.listen_for_words)


def take_face_settings(scene, meta: dict) -> FaceSettings:
    """The settings to rebuild a take with: the panel's current ones, with the take's own emotion and language."""
    settings = face_settings(scene, meta.get("emotion", "neutral"), meta.get("emotion_strength", 0.0))
    settings.language = meta.get("language", settings.language)
    return settings


def face_key_style(scene, mode: str, phones: list, count: int) -> KeyStyle:
    """Face keys at the phones' poses, each key's slope the face's own there (LOCAL): Re-apply after a phone
    edit then leaves every segment the edit does not reach exactly as it was."""
    fps = scene.render.fps / scene.render.fps_base
    return KeyStyle(mode=mode, pose_frames=pose_frames(face_pose_times(phones), fps, count),
                    step=STEPS[scene.soundmotion.mouth_step], fit="LOCAL")


FACE_BONE_TOLERANCE = 0.0005  # metres: a face rig's lip controls move millimetres (a body's 5 mm skips closures)


def face_rig_key_style(mode: str, phones: list, fps: float, count: int) -> KeyStyle:
    """A face rig's bones keyed at the phones' poses with local slopes, like the face, to half a millimetre."""
    return KeyStyle(mode=mode, pose_frames=pose_frames(face_pose_times(phones), fps, count), fit="LOCAL",
                    location_tolerance=FACE_BONE_TOLERANCE)


def jaw_key_style(mode: str, phones: list, fps: float, count: int, bone: str) -> KeyStyle:
    """A jaw bone keyed at the phones' poses with local slopes, like the face (see face_key_style)."""
    return KeyStyle(mode=mode, pose_frames={bone: pose_frames(face_pose_times(phones), fps, count)},
                    fit={bone: "LOCAL"})


# ---- the track's rows, stored on the take's action -------------------------------------------------------------

def _index(item) -> int:
    return int(item.path_from_id().rsplit("[", 1)[1].rstrip("]"))


def _fps(action) -> float:
    return json.loads(action[TRACK_KEY])["fps"] if TRACK_KEY in action else 30.0


def _phone_moved(self, context, edge: str):
    """Moving a phone's edge moves its neighbour's touching edge by as much, so the track stays gapless (and a
    hole the analysis left at a p/b/m keeps its width: phone_track.follow_edge); never past the neighbour's other
    edge."""
    if _syncing:
        return
    phones, k = self.id_data.soundmotion_phones, _index(self)
    fps = _fps(self.id_data)
    _syncing.append(True)
    try:
        if edge == "start" and k > 0:
            neighbour = phones[k - 1]
            end = phone_track.follow_edge(neighbour.end, self.held_start, self.start, fps)
            if end is not None:
                neighbour.end = neighbour.held_end = max(end, neighbour.start)
        elif edge == "end" and k + 1 < len(phones):
            neighbour = phones[k + 1]
            start = phone_track.follow_edge(neighbour.start, self.held_end, self.end, fps)
            if start is not None:
                neighbour.start = neighbour.held_start = min(start, neighbour.end)
        self.held_start, self.held_end = self.start, self.end
    finally:
        _syncing.pop()


def _word_moved(self, context):
    """Retiming a word moves and stretches all its phones; the phones around it give or take the time (across a
    hole the analysis left at a p/b/m too, which keeps its width)."""
    if _syncing:
        return
    action, k = self.id_data, _index(self)
    rows = list(action.soundmotion_phones)
    mine = [p for p in rows if p.word == k]
    if not mine or self.end <= self.start:
        return
    old, new = (self.held_start, self.held_end), (self.start, self.end)
    fps = _fps(action)
    _syncing.append(True)
    try:
        track = [phone_track.TrackPhone(p.phone, p.start, p.end, p.word) for p in rows]
        first, last = rows.index(mine[0]), rows.index(mine[-1])
        phone_track.rescale_word(track, k, old, new)
        before = phone_track.follow_edge(track[first - 1].end, old[0], new[0], fps) if first > 0 else None
        if before is not None:
            track[first - 1].end = max(before, track[first - 1].start)
        after = phone_track.follow_edge(track[last + 1].start, old[1], new[1], fps) if last + 1 < len(track) else None
        if after is not None:
            track[last + 1].start = min(after, track[last + 1].end)
        for row, phone in zip(rows, track):
            row.start = row.held_start = phone.start
            row.end = row.held_end = phone.end
        self.held_start, self.held_end = self.start, self.end
    finally:
        _syncing.pop()


def _phone_search(self, context, edit_text):
    return [name for name in phone_track.known_phones() if name.startswith(edit_text.upper())]


def _get_viseme(self):
    return VISEMES.index(phone_track.viseme_of(self, _fps(self.id_data)))


def _set_viseme(self, value):
    self.phone = phone_track.VISEME_PHONE[VISEMES[value]]


VISEME_ITEMS = [(name, name, f"Viseme {name}", i) for i, name in enumerate(VISEMES)]


class SoundMotionTrackPhone(bpy.types.PropertyGroup):
    phone: bpy.props.StringProperty(name="Phone", description="ARPAbet phone (AA, B, M, …) or SIL",
                                    search=_phone_search)
    viseme: bpy.props.EnumProperty(name="Viseme", items=VISEME_ITEMS, get=_get_viseme, set=_set_viseme,
                                   description="The mouth shape; choosing one picks a phone that makes it")
    start: bpy.props.FloatProperty(name="Start", description="Scene frame", precision=1,
                                   update=lambda self, context: _phone_moved(self, context, "start"))
    end: bpy.props.FloatProperty(name="End", description="Scene frame", precision=1,
                                 update=lambda self, context: _phone_moved(self, context, "end"))
    word: bpy.props.IntProperty(name="Word", default=-1)
    held_start: bpy.props.FloatProperty(options={"HIDDEN"})
    held_end: bpy.props.FloatProperty(options={"HIDDEN"})


class SoundMotionTrackWord(bpy.types.PropertyGroup):
    text: bpy.props.StringProperty(name="Word")
    start: bpy.props.FloatProperty(name="Start", description="Scene frame", precision=1, update=_word_moved)
    end: bpy.props.FloatProperty(name="End", description="Scene frame", precision=1, update=_word_moved)
    held_start: bpy.props.FloatProperty(options={"HIDDEN"})
    held_end: bpy.props.FloatProperty(options={"HIDDEN"})


def write_rows(action, words: list, phones: list):
    """Replace the take's word and phone rows (TrackWord / TrackPhone lists, scene frames)."""
    _syncing.append(True)
    try:
        for rows, items in ((action.soundmotion_words, words), (action.soundmotion_phones, phones)):
            while len(rows) > len(items):
                rows.remove(len(rows) - 1)
            while len(rows) < len(items):
                rows.add()
            for row, item in zip(rows, items):
                if hasattr(item, "text"):
                    row.text = item.text
                else:
                    row.phone, row.word = item.phone, item.word
                row.start = row.held_start = item.start
                row.end = row.held_end = item.end
    finally:
        _syncing.pop()


def store_track(action, words: list, phones: list, voice: VoiceMeasures, meta: dict):
    """Write the track's rows and the voice measures onto a take's action."""
    write_rows(action, words, phones)
    action[TRACK_KEY] = json.dumps(meta)
    action["soundmotion_voice"] = phone_track.voice_to_dict(voice)


def read_track(action) -> tuple:
    """(words, phones, voice, meta) of a face take."""
    words = [phone_track.TrackWord(w.text, w.start, w.end) for w in action.soundmotion_words]
    phones = [phone_track.TrackPhone(p.phone, p.start, p.end, p.word) for p in action.soundmotion_phones]
    voice = phone_track.voice_from_dict({key: (list(value) if hasattr(value, "__len__") else value)
                                         for key, value in action["soundmotion_voice"].items()})
    return words, phones, voice, json.loads(action[TRACK_KEY])


def face_take_of(obj):
    """(action, datablock) of the latest face take with a track on the object or its shape keys, else (None, None)."""
    candidates = []
    if obj is not None and obj.type == "MESH" and obj.data.shape_keys is not None:
        candidates.append(obj.data.shape_keys)
    if obj is not None:
        candidates.append(obj)
    takes = [(take_action(block), block) for block in candidates]
    takes = [(action, block) for action, block in takes if action is not None and TRACK_KEY in action]
    return max(takes, key=lambda pair: pair[0]["soundmotion_take"]) if takes else (None, None)


# ---- writing a face take ----------------------------------------------------------------------------------------

def write_mouth_take(obj, name: str, frame_start: float, visemes: np.ndarray, chart: str):
    indices = mouth_indices(visemes, chart)
    maximum, rest = len(CHARTS[chart][0]) - 1, rest_index(chart)
    if MOUTH_PROPERTY in obj:  # made for another chart (Re-apply after 2D Mouth changed): its range follows
        obj.id_properties_ui(MOUTH_PROPERTY).update(min=0, max=maximum)
    return write_property_action(obj, name, frame_start, MOUTH_PROPERTY, indices, maximum, rest)


def write_face_takes(scene, stem: str, frame_start: int, mesh, shape_key_values: dict, sprite_obj, chart: str,
                     face, voice, mode: str, written: list, track=None, audio_path: str = "",
                     settings: FaceSettings | None = None, jaw: dict = None) -> list:
    """Key the face from a FaceResult: shape keys on `mesh`, and the `chart`'s 2D mouth index on `sprite_obj`
    (either may be None); store the track on the takes. Returns what was written, for the report.

    `track`: (words, phones) in scene frames as the animator edited them; by default the face result's own.
    `settings`: the FaceSettings the face was made with; the take keeps its emotion and language for Re-apply.
    `jaw`: {"armature", "bone", "take"} when the same line opens a jaw bone in that armature take (Re-apply
    re-keys it too: jaw_key_style, keyframes.rekey_bone)."""
    fps = scene.render.fps / scene.render.fps_base
    words, phones = track if track is not None else phone_track.words_and_phones(face.phones, frame_start, fps)
    sprite_obj = sprite_obj if chart != "NONE" else None
    meta = {"fps": fps, "frame_start": frame_start, "audio": audio_path, "keys": mode, "stem": stem,
            "mesh": mesh.name if mesh is not None else "", "sprite": sprite_obj.name if sprite_obj else "",
            "chart": chart, "markers": [], "jaw": jaw or {}}
    if settings is not None:
        meta.update(emotion=settings.emotion, emotion_strength=float(settings.emotion_strength),
                    language=settings.language)
    parts, takes = [], []
    if mesh is not None:
        style = face_key_style(scene, mode, face.phones, face.clip.num_frames)
        action = write_shape_key_action(mesh, f"SM_face_{stem}", frame_start, shape_key_values, style)
        written.append(mesh.data.shape_keys)
        takes.append(action)
        parts.append(f"{action.name}: {len(shape_key_values)} shape keys")
    if sprite_obj is not None:
        action = write_mouth_take(sprite_obj, f"SM_mouth_{stem}", frame_start, face.visemes, chart)
        written.append(sprite_obj)
        takes.append(action)
        parts.append(f"{action.name}: {chart.replace('_', ' ').title()} mouth index on {sprite_obj.name}")
    for action in takes:
        store_track(action, words, phones, voice, meta)
    if takes:
        refresh_word_markers(scene, takes[0], scene.soundmotion.word_markers)
    return parts


def refresh_word_markers(scene, action, enabled: bool):
    """Timeline markers at the take's words: the ones it made before are replaced (or removed when disabled)."""
    meta = json.loads(action[TRACK_KEY])
    for name, frame in meta.get("markers", []):
        for marker in list(scene.timeline_markers):
            if marker.name == name and marker.frame == frame and marker.camera is None:
                scene.timeline_markers.remove(marker)
                break
    made = []
    if enabled:
        for word in action.soundmotion_words:
            frame = int(round(word.start))
            scene.timeline_markers.new(word.text, frame=frame)
            made.append([word.text, frame])
    meta["markers"] = made
    action[TRACK_KEY] = json.dumps(meta)


CLASSES = (SoundMotionTrackPhone, SoundMotionTrackWord)


def register():
    bpy.types.Action.soundmotion_phones = bpy.props.CollectionProperty(type=SoundMotionTrackPhone)
    bpy.types.Action.soundmotion_words = bpy.props.CollectionProperty(type=SoundMotionTrackWord)
    bpy.types.Action.soundmotion_phone_index = bpy.props.IntProperty(name="Phone")
    bpy.types.Action.soundmotion_word_index = bpy.props.IntProperty(name="Word")


def unregister():
    del bpy.types.Action.soundmotion_word_index
    del bpy.types.Action.soundmotion_phone_index
    del bpy.types.Action.soundmotion_words
    del bpy.types.Action.soundmotion_phones
