"""Real professional voices reading known prompts, from Debian's Asterisk sound packages, with frame labels that do
not come from the phone net for English.

Packages (Debian bookworm, pinned by version and sha256; fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into CACHE the first time):

- `asterisk-core-sounds-{en,es,fr,it,ru}-g722` 1.6.1-1: the prompts as G.722 (16 kHz wideband), decoded with ffmpeg;
- `asterisk-core-sounds-{en,es,fr,it,ru}` 1.6.1-1: the prompts' texts (`core-sounds-LANG.txt`: `name: text`).

Speakers and licences (each package's copyright file): English (en_US) and Mexican Spanish (es_MX) read by Allison
Smith, CC BY-SA 3.0; Canadian French (fr_CA) by June Wallack, CC BY-SA 3.0; Italian (it_IT) by Carlo Flora, CC BY 3.0;
Russian (ru_RU) by IvrvoiceRU (Maxim Topal), CC BY 3.0. None of them is a speaker of the lip-sync benches' real-speaker
sets (bench/data/real_speakers, bench/data/voice_quality), which stay held out, nor of the tuning material.

Labels:
- English: pocketsphinx's own two-pass forced alignment of the prompt text (words, then phones:
  bench/human_speech.make_reference, the same procedure that gives the real-speaker bench its truth); pocketsphinx's
  acoustic model was trained on real speech, so these labels do not come from our own net. ARPAbet phones become
  the net's articulatory classes (models/speech/articulation.ARPABET_CLASS).
- Other languages: eSpeak NG's phones placed by Viterbi over the shipped net's posteriors
  (scripts/real_speech_corpus.aligned_labels, SoundMotion's own aligner).

Prompts whose text holds digits, brackets or no letters are skipped (pocketsphinx's dictionary has no digits, and
"[beep]" is no speech), and so are the `silence/` files.

    .venv/bin/python scripts/asterisk_speech_corpus.py      (fetch, decode, and print how much there is)
"""

import gzip
import os
import pathlib
import re
import subprocess

import numpy as np

from real_speech_corpus import aligned_labels, debian_package    # a sibling script (scripts/ is on the path when run)

CACHE = (pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion"))
         / "asterisk_speech")
VERSION = "1.6.1-1"
# language → (sounds folder, eSpeak NG voice, sha256 of the g722 .deb, sha256 of the texts' .deb)
LANGUAGES = {
    "en": ("en_US_f_Allison", "en-us", "38c5261820b406dcb0ecb37675720da2b0864850690690352ca52707eb623806",
           "973e797d28e37fa6ca3c0a9d6fa717e77cf1268ae916bf09fd3503113cdffa50"),
    "es": ("es_MX_f_Allison", "es-419", "e4e3b4281057d3b81b779298fd6be705f57411513955c518eed1bcaabbd615b8",
           "9afdab7f559f036649fb406e625899306ca1004df8ebe39c30bfbd5912d66f74"),
    "fr": ("fr_CA_f_June", "fr", "7add61d5e42279ecff1bbdf842a5a946ac3644fac9a0fe44384731aa7270c8e0",
           "04c82c78c570c43a7136cbc5e2488d0c470b775468dff9fbce4a131b18cf1056"),
    "it": ("it_IT_m_Carlo", "it", "46b4cf7afc508a5fcfc051b7ea233251c0d195dd4ef83cc4b7facb4c6429b016",
           "3884d9457e12f21caa018c18f0d587df5d53ebea14b673d8453a134c5941ab3b"),
    "ru": ("ru_RU_f_IvrvoiceRU", "ru", "673b4238a6b8269960f055d868c6a11083f7a0d00979167cb01554046b48ed9b",
           "28a61616bb0cd3345a7ea532dec4df9f071e5d0fa9f8c1a563ea9669002f39ab"),
}


def fetch(cache: pathlib.Path = CACHE, languages=tuple(LANGUAGES)) -> pathlib.Path:
    """Download, check and unpack the packages, and decode every prompt to 16 kHz WAV once; returns the cache."""
    cache.mkdir(parents=True, exist_ok=True)
    root = cache / "x"
    for code in languages:
        folder, _, sounds_digest, texts_digest = LANGUAGES[code]
        texts = root / "usr" / "share" / "doc" / f"asterisk-core-sounds-{code}" / f"core-sounds-{code}.txt.gz"
        sounds = root / "usr" / "share" / "asterisk" / "sounds" / folder
        for unpacked, name, digest in ((texts, f"asterisk-core-sounds-{code}", texts_digest),
                                       (sounds, f"asterisk-core-sounds-{code}-g722", sounds_digest)):
            if not unpacked.exists():
                subprocess.run(["dpkg-deb", "-x", str(debian_package(cache, name, VERSION, digest)), str(root)],
                               check=True)
        for g722 in sorted(sounds.rglob("*.g722")):
            wav = cache / "wav" / code / g722.relative_to(sounds).with_suffix(".wav")
            if not wav.exists():
                wav.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "g722", "-i", str(g722), "-ar", "16000",
                                "-ac", "1", str(wav)], check=True)
    return cache


def _texts(cache: pathlib.Path, code: str) -> dict:
    path = cache / "x" / "usr" / "share" / "doc" / f"asterisk-core-sounds-{code}" / f"core-sounds-{code}.txt.gz"
    out = {}
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            name, colon, text = line.partition(":")
            if colon and not line.startswith(";") and name.strip() and " " not in name.strip():
                out[name.strip()] = text.strip()
    return out


def clips(cache: pathlib.Path = CACHE, languages=tuple(LANGUAGES)) -> list:
    """[(wav path, text, eSpeak NG voice, group "asterisk-LANG")] in a fixed order, for prompts that are speech."""
    out = []
    for code in languages:
        voice = LANGUAGES[code][1]
        for name, text in sorted(_texts(cache, code).items()):
            wav = cache / "wav" / code / f"{name}.wav"
            if (name.startswith("silence/") or not wav.exists() or re.search(r"[\d\[\]()<>]", text)
                    or not any(c.isalpha() for c in text)):
                continue
            out.append((str(wav), text, voice, f"asterisk-{code}"))
    return out


TIGHT_CLOSURES = False  # --tight-closures of scripts/train_recognition_head.py


def tighten_closure_labels(labels: np.ndarray, samples: np.ndarray, rate: int = 16000) -> np.ndarray:
    """Each p/b/m run shrunk to the quiet stretch where the lips are shut (models/speech/closures.labial_dip, the
    rule the run time applies to recognised p/b/m); the frames it gives up go to its neighbours (the burst to the
    sound after it). A run with no dip keeps its frames."""
    from soundmotion.models.speech.closures import labial_dip
    from soundmotion.models.speech.features import frame_features
    from soundmotion.models.speech.segments import FRAME_SECONDS, PhoneSegment

    features = frame_features(samples, rate)
    out = labels.copy()
    k, count = 0, min(len(labels), features.count)
    while k < count:
        if labels[k] not in ("B", "M"):
            k += 1
            continue
        end = k
        while end < count and labels[end] == labels[k]:
            end += 1
        dip = labial_dip(PhoneSegment(labels[k], k * FRAME_SECONDS, end * FRAME_SECONDS), features)
        if dip is not None:
            a, b = int(round(dip[0] / FRAME_SECONDS)), int(round(dip[1] / FRAME_SECONDS))
            before = labels[k - 1] if k > 0 else labels[k]
            after = labels[end] if end < len(labels) else labels[k]
            out[k:a] = before
            out[b:end] = after
        k = end
    return out


def spoken_words(text: str) -> list:
    """The prompt's words as pocketsphinx's dictionary spells them (lower case, hyphens split, no punctuation)."""
    return re.findall(r"[a-z']+", text.lower().replace("-", " "))


def pocketsphinx_labels(path: str, text: str):
    """(samples at 16 kHz, frame labels (T,) of class names) from pocketsphinx's two-pass forced alignment, or None
    when it leaves words out or covers too little of the voice."""
    from soundmotion.bench.human_speech import make_reference
    from soundmotion.models.audio.load import load_audio
    from soundmotion.models.audio.load import resample
    from soundmotion.models.speech.articulation import arpabet_class
    from soundmotion.models.speech.phone_net import FEATURE_RATE
    from soundmotion.models.speech.segments import FRAME_SECONDS, SILENCE

    words = spoken_words(text)
    try:
        audio = load_audio(path)
        reference = make_reference(path, " ".join(words))
    except Exception:
        return None
    spoken = [w for w in reference["words"] if w["word"] not in ("<sil>", "<s>", "</s>")]
    if len(spoken) < len(words) or not spoken:
        return None  # a word pocketsphinx does not know, or lost
    samples = resample(np.asarray(audio.samples, np.float32), int(audio.sample_rate), FEATURE_RATE)
    count = max(1, int(np.ceil(len(samples) / (FEATURE_RATE * FRAME_SECONDS) - 1e-9)))
    labels = np.full(count, SILENCE, dtype=object)
    for word in spoken:
        for name, start, end in word["phones"]:
            if name != SILENCE:
                labels[int(round(start / FRAME_SECONDS)):int(round(end / FRAME_SECONDS))] = arpabet_class(name)
    if TIGHT_CLOSURES:
        labels = tighten_closure_labels(labels, samples)
    return samples, labels


def labels(clip: tuple, net_path: str):
    """(samples at 16 kHz, frame labels) for one clip from clips(): pocketsphinx for English, our eSpeak NG aligner
    (over the net at `net_path`) for the other languages; None when the clip does not align well."""
    path, text, voice, group = clip
    if group == "asterisk-en":
        return pocketsphinx_labels(path, text)
    return aligned_labels(path, text, voice, net_path)


def main() -> int:
    import soundfile

    fetch()
    rows = clips()
    for code in LANGUAGES:
        mine = [r for r in rows if r[3] == f"asterisk-{code}"]
        seconds = sum(soundfile.info(r[0]).duration for r in mine)
        print(f"{code}: {len(mine)} prompts, {seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["CACHE", "LANGUAGES", "clips", "fetch", "labels", "pocketsphinx_labels"]
