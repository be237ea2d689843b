"""Ground truth for lip-sync tests and the bench: speech from espeak-ng with the exact time of every phoneme.

The espeak-ng library reports a phoneme event (IPA name, start in ms) for every sound it synthesises, so the
timings are exact rather than estimated. The library is driven through ctypes (apt package libespeak-ng1).
"""

import atexit
import ctypes
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..models.speech.espeak import EspeakEngine, EspeakUnavailable, system_library


@dataclass
class Phone:
    ipa: str
    start: float  # seconds
    end: float


@dataclass
class Utterance:
    samples: np.ndarray  # float32 mono
    sample_rate: int
    phones: list  # of Phone, in time order, silences not included
    text: str
    voice: str
    rate: int
    words: list = ()  # [(character offset, length, start seconds)] as eSpeak NG spoke them

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def write_wav(self, path):
        import soundfile

        soundfile.write(str(path), self.samples, self.sample_rate, subtype="PCM_16")


_ENGINE = None


@lru_cache(maxsize=1)
def bench_runtime_engine() -> EspeakEngine:
    """The extension's eSpeak NG (the `espeakng-loader` wheel) as a second, private instance for the benches' speech:
    a copy of its library loaded from a temp folder, so it has global state of its own. The pipeline speaks
    transcripts with the runtime engine itself (espeak.runtime_engine), and synthesising bench speech with that
    instance made the speech depend on what the pipeline had said before (a few samples longer or shorter, and
    the 13-language corpus came out with other closures when another set of languages ran first)."""
    import espeakng_loader

    folder = tempfile.mkdtemp(prefix="soundmotion-bench-espeak-")
    atexit.register(shutil.rmtree, folder, True)
    library = shutil.copy(espeakng_loader.get_library_path(), folder)
    return EspeakEngine(library, os.path.dirname(espeakng_loader.get_data_path()))


def synthesize(text: str, voice: str = "en-us", rate: int = 175, engine: EspeakEngine | None = None) -> Utterance:
    """`text` spoken by the system's espeak-ng (apt; or by `engine`) in `voice` at `rate` words per minute."""
    global _ENGINE
    if _ENGINE is None and engine is None:
        _ENGINE = EspeakEngine(system_library())
    # espeak-ng's synthesizer keeps state from one utterance to the next (a line came out up to 20 ms longer or
    # shorter depending on what the process had said before, which made tests depend on their order), so where
    # the platform can fork, each utterance is spoken by a child of the process's freshly initialised engine.
    engine = engine or _ENGINE
    if hasattr(os, "fork"):
        spoken = _in_child(_seeded, engine, text, voice, rate)
    else:
        spoken = _seeded(engine, text, voice, rate)
    samples = spoken.samples.astype(np.float32) / 32768.0
    phones = [Phone(name, start, end) for name, start, end in spoken.phones]
    return Utterance(samples, spoken.sample_rate, phones, text, voice, rate, spoken.words)


def _seeded(engine: EspeakEngine, *args):
    """engine.speak(*args) with eSpeak NG's random numbers seeded the same every time: it draws the breath noise
    of voice variants such as f2 and f3 from them, and 1.52 seeds them with the clock when it starts, so the bench
    corpus (and so its figures) changed slightly from run to run. (1.51 draws them from the C library's rand(),
    which nothing seeds.)"""
    if hasattr(engine.lib, "espeak_ng_SetRandSeed"):
        engine.lib.espeak_ng_SetRandSeed(ctypes.c_long(1))
    return engine.speak(*args)


def _in_child(function, *args):
    """function(*args) in a forked child (the parent's state stays as it was); its result or error comes back."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        status = 0
        try:
            try:
                payload = pickle.dumps((True, function(*args)))
            except BaseException as error:  # noqa: BLE001 - handed to the parent
                payload = pickle.dumps((False, error))
            view = memoryview(payload)
            while view:
                view = view[os.write(write, view):]
        except BaseException:  # noqa: BLE001 - a child must not run the parent's code
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    chunks = []
    with os.fdopen(read, "rb") as stream:
        while chunk := stream.read(1 << 20):
            chunks.append(chunk)
    os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError("espeak-ng's child process ended without a result")
    ok, value = pickle.loads(b"".join(chunks))
    if not ok:
        raise value
    return value


# Coarse mouth classes used for scoring; IPA as espeak-ng reports it (length marks and stress stripped).
CLOSED, LABIODENTAL, ROUNDED, OPEN, REST, OTHER = "closed", "f/v", "rounded", "open", "rest", "other"
CLASSES = (CLOSED, LABIODENTAL, ROUNDED, OPEN, REST, OTHER)


def phone_class(ipa: str) -> str:
    base = ipa.replace("ː", "").replace("ˈ", "").replace("ˌ", "").replace("ʲ", "").strip()
    if not base or base.startswith("_"):
        return REST
    if base[0] in "pbm":
        return CLOSED
    if base[0] in "fv":
        return LABIODENTAL
    if base in ("w", "u", "ʊ", "oʊ", "o", "ɔ", "ɒ", "əʊ", "ɔɪ", "uː", "ʉ", "ɵ", "ʊə", "ɔː"):
        return ROUNDED
    if base in ("ɑ", "æ", "ʌ", "a", "aɪ", "aʊ", "ɑɹ", "ɛ", "eə", "ɛə", "ɑː"):
        return OPEN
    return OTHER


EDGE_DROP_DB = 12.0


def truth_frames(utterance: Utterance, frame_seconds: float = 0.01, acoustic_edges: bool = True,
                 classify=None) -> np.ndarray:
    """One coarse class per 10 ms frame (frame k covers [k·dt, (k+1)·dt)), rest where no phone sounds.

    espeak-ng's phoneme events put a stop's closure silence (and its aspiration) inside the neighbouring
    vowel's span. With `acoustic_edges`, the quiet frames at a vowel's edge next to a consonant (12 dB or
    more below the vowel's peak) take that consonant's class, which is where the lips really are.
    `classify`: IPA → class (default phone_class, English's phonemes).
    """
    classify = classify or phone_class
    count = int(np.ceil(utterance.duration / frame_seconds))
    labels = np.full(count, REST, dtype=object)
    centres = (np.arange(count) + 0.5) * frame_seconds
    spans = []
    for phone in utterance.phones:
        inside = np.flatnonzero((centres >= phone.start) & (centres < phone.end))
        labels[inside] = classify(phone.ipa)
        spans.append(inside)
    if not acoustic_edges:
        return labels
    decibels = frame_decibels(utterance, frame_seconds, count)
    classes = [classify(p.ipa) for p in utterance.phones]
    for k, inside in enumerate(spans):
        if classes[k] not in (OPEN, ROUNDED) or utterance.phones[k].ipa == "w" or len(inside) < 3:
            continue
        peak = decibels[inside].max()
        for neighbour, frames in ((k - 1, inside), (k + 1, inside[::-1])):
            if not 0 <= neighbour < len(classes) or classes[neighbour] in (OPEN, ROUNDED, REST):
                continue
            for frame in frames[:len(frames) // 2]:
                if decibels[frame] > peak - EDGE_DROP_DB:
                    break
                labels[frame] = classes[neighbour]
    return labels


def frame_decibels(utterance: Utterance, frame_seconds: float, count: int) -> np.ndarray:
    """Mean power of frame k = [k·dt, (k+1)·dt) of the synthesised samples, dB, on exact sample boundaries (at
    22 050 Hz a 10 ms frame is 220.5 samples); frames past the end: silent."""
    bounds = np.round(np.arange(count + 1) * frame_seconds * utterance.sample_rate).astype(int)
    squares = np.concatenate([[0.0], np.cumsum(utterance.samples.astype(np.float64) ** 2)])
    bounds = np.minimum(bounds, len(utterance.samples))
    sums = squares[bounds[1:]] - squares[bounds[:-1]]
    power = sums / np.maximum(bounds[1:] - bounds[:-1], 1)
    return 10.0 * np.log10(np.maximum(power, 1e-10))


# Written for this bench: dense with p/b/m, rounded (oo, w, o) and open (aa, ae) vowels.
SENTENCES = (
    "Bob bought a big map of Boston.",
    "Mummy put blue boots by the pool.",
    "Pam combed the puppy while the moon rose above the palm trees.",
    "Every morning Ben opens the window and watches the boats move.",
    "A wobbly bubble popped above my umbrella.",
    "Paul and Bill hope to improve the map by Monday.",
    "We swam past the bay, but the big waves were too rough.",
    "My father found five flat stones by the harbour.",
    "Bring me a warm bowl of soup, maybe with bread and butter.",
    "The happy panda ate bamboo among the tall grass.",
    "Who would move a ruby from the museum at midnight?",
    "Mom baked apple pie for the whole family on Sunday.",
    "Put the broom back, then mop the floor by the bathtub.",
    "Bright lamps blinked above the empty platform.",
    "Robin never wanted to wander far from home.",
    "A mob of people pushed past the bus stop.",
)
VOICES = ("en-us", "en", "en+f3", "en-us+m3", "en+f2", "en-us+m7")
RATES = (140, 175, 210)
