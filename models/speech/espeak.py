"""eSpeak NG through ctypes: a transcript in any of its ~100 languages → timed IPA phones and the words they belong to.

At run time the library and its data come from the `espeakng-loader` wheel (libespeak-ng with espeak-ng-data,
GPL-3.0-or-later, shipped inside the extension); the benches and the phone-net training drive the system's
libespeak-ng (apt) the same way. eSpeak NG reports a phoneme event (IPA name, audio position) for every sound and a
word event (its place in the text) for every word it speaks, so a transcript comes back as phones with the
durations eSpeak would give them and the transcript word each belongs to.
"""

import ctypes
import ctypes.util
import itertools
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...errors import SoundMotionError
from .ascii_path import AliasUnavailable, ascii_alias

EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_PHONEME = 7
OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_PHONEME_IPA = 0x0002
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
PARAM_RATE = 1
PAUSES = ("_", "_:", "_!", "||", "|")
# eSpeak NG 1.52 keeps "<data folder>/espeak-ng-data" in a fixed buffer (N_PATH_HOME, src/libespeak-ng/speech.h) and
# silently truncates a longer path; it builds its file names in buffers a little larger than that one.
N_PATH_HOME = 230 if os.name == "nt" else 160
_PATH_MARGIN = 20
MAX_DATA_FOLDER = N_PATH_HOME - len("/espeak-ng-data") - _PATH_MARGIN - 1  # the longest data folder it takes


class EspeakUnavailable(RuntimeError):
    """The eSpeak NG library or its data could not be loaded."""


class UnknownLanguage(SoundMotionError):
    """eSpeak NG has no voice for the language code; the message lists some that exist."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class SpokenText:
    samples: np.ndarray  # int16 PCM as eSpeak made it
    sample_rate: int
    phones: list         # [(IPA name, start, end)] seconds, pauses left out
    words: list          # [(character offset, length, start seconds)] of each word eSpeak spoke, in order


class EspeakEngine:
    """One eSpeak NG library instance (its state is global to the library), guarded by a lock."""

    def __init__(self, library: str, data_folder: str | None = None):
        try:
            self.lib = ctypes.CDLL(library)
        except OSError:
            raise EspeakUnavailable(f"eSpeak NG could not be loaded from {library}") from None
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        options = INITIALIZE_PHONEME_EVENTS | INITIALIZE_PHONEME_IPA | INITIALIZE_DONT_EXIT
        path = os.fsencode(short_data_folder(data_folder)) if data_folder else None
        self.sample_rate = self.lib.espeak_Initialize(OUTPUT_SYNCHRONOUS, 200, path, options)
        if self.sample_rate <= 0:
            raise EspeakUnavailable("eSpeak NG failed to initialise (espeak-ng-data missing?)")
        self.lock = threading.Lock()
        self._chunks, self._events = [], []
        self._callback = _CALLBACK(self._on_synth)  # keep a reference: ctypes callbacks die with their object
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(self, wav, count, events):
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == EVENT_PHONEME:
                name = bytes(event.id.string).split(b"\0")[0].decode("utf-8", "replace")
                self._events.append(("phone", name, event.audio_position / 1000.0))
            elif event.type == EVENT_WORD:
                self._events.append(("word", (event.text_position - 1, event.length), event.audio_position / 1000.0))
            i += 1
        return 0

    def has_voice(self, voice: str) -> bool:
        with self.lock:
            return self.lib.espeak_SetVoiceByName(voice.encode()) == 0

    def speak(self, text: str, voice: str, rate: int = 175) -> SpokenText:
        with self.lock:
            self._chunks, self._events = [], []
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise UnknownLanguage(f"eSpeak NG has no voice {voice!r}")
            self.lib.espeak_SetParameter(PARAM_RATE, int(rate), 0)
            data = text.encode("utf-8") + b"\0"
            self.lib.espeak_Synth(data, len(data), 0, 0, 0, CHARS_UTF8, None, None)
            self.lib.espeak_Synchronize()
            pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            events = list(self._events)
        duration = len(pcm) / self.sample_rate
        times = [e[2] for e in events if e[0] == "phone"]
        phones, words, k = [], [], 0
        for kind, value, start in events:
            if kind == "word":
                words.append((value[0], value[1], start))
                continue
            end = times[k + 1] if k + 1 < len(times) else duration
            k += 1
            name = value.strip()
            if name and name not in PAUSES and not name.startswith("(") and end > start:  # (en): a switch
                phones.append((name, start, min(end, duration)))
        return SpokenText(pcm, self.sample_rate, phones, words)


def short_data_folder(folder: str) -> str:
    """The data folder (the one holding espeak-ng-data) as eSpeak NG can take it: the folder itself when its path is
    short and ASCII (on Windows it opens files through the narrow, code-page API), otherwise a short ASCII alias of it
    in the temp folder (ascii_path.ascii_alias: a symlink; on Windows its 8.3 name, a junction or, failing both, a
    copy of espeak-ng-data). Nothing is written next to the folder itself."""
    try:
        return ascii_alias(folder, MAX_DATA_FOLDER, prefix="soundmotion-espeak", copy=("espeak-ng-data",),
                           version_file=os.path.join("espeak-ng-data", "phondata"))
    except AliasUnavailable:
        raise EspeakUnavailable(
            f"eSpeak NG cannot read its data at {folder}: the path is too long or not plain ASCII for it, and no "
            "short alias could be made in the temp folder. Move Blender's user folder to a shorter ASCII path "
            "(or point BLENDER_USER_RESOURCES at one) and reinstall the extension.") from None


def system_library() -> str:
    """The system's libespeak-ng (apt install libespeak-ng1), for the benches and training, by its full path: loaded
    by its bare name, the dynamic loader would hand back the extension's copy if that was loaded first (both are
    "libespeak-ng.so.1"), with the wrong data folder."""
    import glob

    for pattern in ("/usr/lib/*/libespeak-ng.so.1", "/usr/lib/libespeak-ng.so.1", "/usr/local/lib/libespeak-ng.so.1",
                    "/opt/homebrew/lib/libespeak-ng.1.dylib", "/usr/local/lib/libespeak-ng.1.dylib"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"


@lru_cache(maxsize=1)
def runtime_engine() -> EspeakEngine:
    """The eSpeak NG that ships with the extension (the `espeakng-loader` wheel)."""
    try:
        import espeakng_loader
    except ImportError:
        raise EspeakUnavailable("Transcripts in other languages need eSpeak NG, which the SoundMotion extension "
                                "bundles (espeakng-loader); reinstall the extension.") from None
    data = espeakng_loader.get_data_path()
    return EspeakEngine(espeakng_loader.get_library_path(), os.path.dirname(data))


_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
COMMON_LANGUAGES = ("en", "es", "de", "fr", "it", "pt", "pt-br", "nl", "pl", "ru", "uk", "cs", "sv", "tr", "el",
                    "hi", "ar", "cmn", "yue", "ja", "ko", "vi", "id", "fi", "hu", "ro", "da", "nb", "he", "sw")
# Codes people use that are not eSpeak NG voice names, as its voices: ISO and BCP 47 codes, and old or informal ones.
LANGUAGE_ALIASES = {"zh": "cmn", "zh-cn": "cmn", "zh-hans": "cmn", "zh-tw": "cmn", "zh-hk": "yue", "zh-yue": "yue",
                    "jp": "ja", "ja-jp": "ja", "kr": "ko", "ko-kr": "ko", "iw": "he", "no": "nb"}
_REGION = re.compile(r"^([a-z]{2}|[0-9]{3})$")  # a BCP 47 region subtag: de-DE, es-419


class _Voice(ctypes.Structure):  # espeak_VOICE
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_void_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


@lru_cache(maxsize=4)
def voice_languages(engine: EspeakEngine) -> dict:
    """{language code eSpeak NG's voice list gives (en-gb, fr-fr, zh-yue, es-mx, ...): the voice it names, by its
    file name, lower case (en, fr, yue, es-419)}; where several voices speak a code, the one eSpeak NG prefers (its
    lowest priority number, the first listed of equals)."""
    engine.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
    engine.lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    best = {}
    with engine.lock:
        voices = engine.lib.espeak_ListVoices(None)
        for k in itertools.count():
            if not voices[k]:
                break
            voice = voices[k].contents
            name = voice.identifier.decode("utf-8", "replace").rsplit("/", 1)[-1].lower()
            address = voice.languages  # (priority byte, NUL-terminated code) pairs, ended by a 0 priority
            while ctypes.c_ubyte.from_address(address).value:
                priority = ctypes.c_ubyte.from_address(address).value
                code = ctypes.string_at(address + 1)
                address += len(code) + 2
                code = code.decode("utf-8", "replace").lower()
                if code not in best or priority < best[code][0]:
                    best[code] = (priority, name)
    return {code: name for code, (_, name) in best.items()}


def _voice_for(code: str, engine: EspeakEngine | None = None) -> str | None:
    """The eSpeak NG voice that speaks `code` (lower case, "-" between subtags), or None: a voice name as it is, an
    alias (LANGUAGE_ALIASES), a code of eSpeak NG's voice list, or a region-tagged code (de-de, es-ar) as its base
    language when eSpeak NG has no voice for that region."""
    if not _CODE.match(code):
        return None
    engine = engine or runtime_engine()
    if engine.has_voice(code):
        return code
    voice = LANGUAGE_ALIASES.get(code) or voice_languages(engine).get(code)
    if voice:
        return voice
    base, _, rest = code.partition("-")
    if rest and _REGION.match(rest):
        return _voice_for(base, engine)
    return None


def check_language(code: str, engine: EspeakEngine | None = None) -> str:
    """The eSpeak NG voice for `code` (case and "_" or "-" as given: ES, en_GB, zh-Hans, de-DE), which is the code
    the rest of the pipeline receives; otherwise UnknownLanguage with examples, and the nearest code when one has
    the same base language (sr-Latn: sr)."""
    code = (code or "").strip()
    wanted = code.lower().replace("_", "-")
    voice = _voice_for(wanted, engine)
    if voice:
        return voice
    examples = ", ".join(COMMON_LANGUAGES[:14])
    nearest = _voice_for(wanted.split("-")[0], engine) if "-" in wanted else None
    hint = f"did you mean {nearest!r}? Use" if nearest else "use"
    raise UnknownLanguage(f"Unknown language {code!r}: {hint} an eSpeak NG language code such as {examples}.")


__all__ = ["COMMON_LANGUAGES", "EspeakEngine", "EspeakUnavailable", "SpokenText", "UnknownLanguage",
           "check_language", "runtime_engine", "short_data_folder", "system_library"]
