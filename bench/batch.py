"""`soundmotion batch` throughput: rows per minute with 1 and 2 local worker processes and with a local Ray
(num_cpus 2), same run, same rows, each into a fresh folder; then the resumed run, and the cue files of the
three engines compared byte for byte. Run as a user runs it (the installed `soundmotion` command), so every
time includes starting the workers (and Ray).

Rows: `espeak` — ten espeak-ng lines (our own synthetic material: the voices the lip-sync bench speaks) plus
one corrupt .wav; `librivox` — five lines of a LibriVox reader (real recordings we did not make or tune on,
bench/data/librivox), plus the same corrupt file.

Usage: .venv/bin/python bench/batch.py [--outputs cues,csv,clip] [--lines 10]
"""

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"
LINES = ("Bob made a map of the moon.", "Mom paid for five blue boats.", "We fed the puppy by the pool.",
         "Who knew the way to Boston?", "Pam bought a bike on Monday.", "Move the big box over there.",
         "Feel the warm sun on your face.", "Tom ate my apple pie.", "Why was the window open?",
         "Bob met a bee in the garden.")
CORRUPT = b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8


def espeak_rows(folder: pathlib.Path, count: int = 10) -> pathlib.Path:
    from soundmotion.bench import espeak_truth

    folder.mkdir(parents=True)
    for number in range(1, count + 1):
        line, voice = LINES[(number - 1) % len(LINES)], ("en-us", "en", "en+f3", "en-us+m3")[number % 4]
        espeak_truth.synthesize(line, voice, 175).write_wav(folder / f"line{number:02d}.wav")
        (folder / f"line{number:02d}.txt").write_text(line + "\n")
    (folder / "corrupt.wav").write_bytes(CORRUPT)
    return folder


def librivox_rows(folder: pathlib.Path) -> pathlib.Path:
    folder.mkdir(parents=True)
    for path in sorted((ROOT / "bench" / "data" / "librivox").glob("*.flac")):
        shutil.copy(path, folder / path.name)
        shutil.copy(path.with_suffix(".txt"), folder / path.with_suffix(".txt").name)
    (folder / "corrupt.wav").write_bytes(CORRUPT)
    return folder


def batch(rows, out, outputs, *extra) -> tuple:
    start = time.perf_counter()
    done = subprocess.run([str(SOUNDMOTION), "batch", str(rows), "--out", str(out), "--outputs", outputs,
                           "--no-progress", *map(str, extra)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"batch failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads((out / "report.json").read_text())
    return seconds, report["summary"], done.returncode


def cues(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(pathlib.Path(folder).glob("*.tsv"))}


def bench(name, rows, work, outputs):
    count = len([p for p in rows.iterdir() if p.suffix in (".wav", ".flac")])
    print(f"\n{name}: {count} rows ({count - 1} lines + 1 corrupt file), outputs {outputs}")
    print(f"{'engine':<22} {'seconds':>8} {'rows/min':>9}  done/skipped/failed  exit")
    results = {}
    for label, extra in (("1 local worker", ("--workers", 1)), ("2 local workers", ("--workers", 2)),
                         ("local Ray, 2 CPUs", ("--workers", 2, "--ray"))):
        out = work / f"{name}-{label.replace(' ', '_').replace(',', '')}"
        seconds, summary, code = batch(rows, out, outputs, *extra)
        results[label] = (seconds, out)
        print(f"{label:<22} {seconds:8.1f} {60 * count / seconds:9.1f}  "
              f"{summary['done']}/{summary['skipped']}/{summary['failed']}{'':>14} {code}")
    first, out = results["2 local workers"]
    seconds, summary, code = batch(rows, out, outputs, "--workers", 2)
    print(f"{'resumed (2 workers)':<22} {seconds:8.1f} {60 * count / seconds:9.1f}  "
          f"{summary['done']}/{summary['skipped']}/{summary['failed']}{'':>14} {code}   "
          f"= {seconds / first:.2f} of the first run")
    if "cues" in outputs:
        same = [cues(results[label][1]) == cues(out) for label in results]
        print(f"cue files byte-identical across the three engines: {all(same)} ({len(cues(out))} files)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", default="cues,csv,clip")
    parser.add_argument("--lines", type=int, default=10, help="espeak-ng lines (the sentences repeat in other voices)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soundmotion-batch-bench-") as folder:
        work = pathlib.Path(folder)
        bench("espeak (ours)", espeak_rows(work / "espeak", args.lines), work, args.outputs)
        bench("librivox (held out)", librivox_rows(work / "librivox"), work, args.outputs)


if __name__ == "__main__":
    main()
