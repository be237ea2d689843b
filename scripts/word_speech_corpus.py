"""More real English speakers for the phone net: single words and letters said by KDE's volunteers, from Debian's
KLettres and KTuberling data packages, labelled by pocketsphinx's forced alignment.

Packages (Debian bookworm, pinned by version and sha256; fetched with `apt-get download` and unpacked with
`dpkg-deb -x` into CACHE the first time; both GPL-2+ by their copyright files):

- `klettres-data` 4:22.12.3-1: the alphabet and short words ("me", "pet", "ball") read in US English (`en`) and
  British English (`en_GB`), one speaker each;
- `ktuberling-data` 4:22.12.3-1: the names of the toy's stamps ("mouth", "umbrella", "pepperoni") read in English.

(GCompris' voices, which the plan named, are not in Debian's `gcompris-qt-data` 3.1-2: the game downloads them at
run time, so they are not used.) None of these speakers is in the lip-sync benches' real-speaker sets or the tuning
material. Labels: pocketsphinx's two-pass forced alignment of the word (asterisk_speech_corpus.pocketsphinx_labels,
the procedure that gives the real-speaker bench its truth); a word pocketsphinx does not know is skipped.

    .venv/bin/python scripts/word_speech_corpus.py      (fetch, decode, and print how much there is)
"""

import os
import pathlib
import re
import subprocess

from asterisk_speech_corpus import pocketsphinx_labels  # a sibling script (scripts/ is on the path when run)
from real_speech_corpus import debian_package

CACHE = (pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion"))
         / "word_speech")
VERSION = "4:22.12.3-1"
PACKAGES = {"klettres-data": "1186d257a19e84230856baea0b0b1ded8be9195080fcdb2588970b5cd937f5a8",
            "ktuberling-data": "fba44c875bfa31ea488dadd9263e87a4dcaea0bd47d28817f6c0dc6d2af970ed"}
# KTuberling stamp names whose spoken word is not the name's last part as it stands
SPOKEN = {"fallingstar": "falling star", "palmtree": "palm tree", "moonwalker": "moon walker", "sphynx": "sphinx",
          "broccolli": "broccoli"}


def fetch(cache: pathlib.Path = CACHE) -> pathlib.Path:
    """Download, check and unpack both packages and decode every English recording to 16 kHz WAV once."""
    cache.mkdir(parents=True, exist_ok=True)
    root = cache / "x"
    for name, digest in PACKAGES.items():
        deb = debian_package(cache, name, VERSION, digest)
        if not (root / "usr" / "share" / name.split("-")[0]).is_dir():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    for ogg, _, _ in _recordings(root):
        wav = cache / "wav" / ogg.relative_to(root / "usr" / "share").with_suffix(".wav")
        if not wav.exists():
            wav.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(ogg), "-ar", "16000", "-ac", "1",
                            str(wav)], check=True)
    return cache


def _recordings(root: pathlib.Path) -> list:
    """[(ogg path, text, group)] of the English recordings, in name order."""
    out = []
    for accent in ("en", "en_GB"):
        for ogg in sorted((root / "usr" / "share" / "klettres" / accent).glob("*/*.ogg")):
            out.append((ogg, ogg.stem.lower(), f"klettres-{accent}"))
    for ogg in sorted((root / "usr" / "share" / "ktuberling" / "sounds" / "en").glob("*.ogg")):
        word = ogg.stem.split("_")[-1]
        out.append((ogg, SPOKEN.get(word, word), "ktuberling-en"))
    return out


def clips(cache: pathlib.Path = CACHE) -> list:
    """[(wav path, text, eSpeak NG voice, group)] like asterisk_speech_corpus.clips()."""
    root = cache / "x"
    return [(str(cache / "wav" / ogg.relative_to(root / "usr" / "share").with_suffix(".wav")), text, "en-us", group)
            for ogg, text, group in _recordings(root) if re.fullmatch(r"[a-z' ]+", text)]


def labels(clip: tuple, net_path: str = ""):
    """(samples at 16 kHz, frame labels) by pocketsphinx's forced alignment, or None."""
    return pocketsphinx_labels(clip[0], clip[1])


def main() -> int:
    import soundfile

    fetch()
    rows = clips()
    for group in sorted({r[3] for r in rows}):
        mine = [r for r in rows if r[3] == group]
        aligned = sum(labels(r) is not None for r in mine)
        print(f"{group}: {len(mine)} recordings ({aligned} aligned), "
              f"{sum(soundfile.info(r[0]).duration for r in mine) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["CACHE", "clips", "fetch", "labels"]
