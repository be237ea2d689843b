"""Peak memory of long recordings through the command line, and end-to-end speed, against a baseline checkout
measured in the same run (issue #15: under 1 GB for 10 minutes of speech through `talk` and for an hour through
`face` and `dance`; end to end no more than 10 % slower).

The recordings are made here, on the fly, and deleted afterwards (nothing long is committed):
- speech, held out: the five LibriVox lines in bench/data/librivox (a human reader, never tuned on) one after
  another, repeated to 10 and to 60 minutes, with their transcripts repeated alike; written as 44.1 kHz stereo
  16-bit WAV, as a recorder would;
- music: real recordings from bench/music_corpus.py's held-out set (/work/coord/music, fetched from Debian)
  joined to 60 minutes when they are there, else the bundled demo loop (our own synthesizer: tuning material);
  44.1 kHz stereo WAV;
- a studio master: the same LibriVox lines at 96 kHz in 6 channels (FLAC), 15 minutes, through `face`.

Each run is a fresh process (`soundmotion <verb>` through the package of that checkout); its peak resident memory
comes from the kernel (wait4's ru_maxrss). The baseline is another commit of this repository (default: `main`),
unpacked with `git archive`; it refuses recordings over 15 minutes, which the table shows as refused.
End to end: bench/end_to_end.py (60 s of speech through the operators) run with each checkout, twice each,
alternating, the faster of the two kept.

Usage: .venv/bin/python bench/memory.py [--baseline REF] [--no-baseline] [--no-end-to-end] [--long-minutes 60]
       [--talk-minutes 10] [--studio-minutes 15] [--no-dance]
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIBRIVOX = ROOT / "bench" / "data" / "librivox"
DEMO_MUSIC = ROOT / "assets" / "demo_music.wav"
DEMO_CHARACTER = ROOT / "assets" / "demo_character.blend"
HELD_OUT_MUSIC = pathlib.Path("/work/coord/music")
RATE = 44100
TARGET_MB = 1024.0

RUNNER = """import importlib.util, os, sys
root = sys.argv[1]
spec = importlib.util.spec_from_file_location("soundmotion", os.path.join(root, "__init__.py"),
                                              submodule_search_locations=[root])
module = importlib.util.module_from_spec(spec)
sys.modules["soundmotion"] = module
spec.loader.exec_module(module)
if sys.argv[2] == "--script":
    import runpy
    sys.argv = sys.argv[3:]
    runpy.run_path(sys.argv[0], run_name="__main__")
else:
    from soundmotion.cli import main
    sys.exit(main(sys.argv[2:]))
"""


def _stereo_wav(path: pathlib.Path, pieces, minutes: float, rate: int = RATE, channels: int = 2) -> float:
    """Write `pieces` (mono arrays at `rate`) one after another, repeated until `minutes`, as 16-bit audio with
    `channels` channels (the voice in all of them, quieter away from the front; WAV, or FLAC by the suffix)."""
    import numpy as np
    import soundfile

    gains = np.ones(channels, np.float32) if channels <= 2 else \
        np.array([1.0, 1.0, 0.8, 0.3, 0.5, 0.5, 0.4, 0.4][:channels], np.float32)
    total, done = int(minutes * 60 * rate), 0
    with soundfile.SoundFile(str(path), "w", rate, channels, subtype="PCM_16") as handle:
        while done < total:
            for piece in pieces:
                block = piece[:total - done]
                handle.write(block[:, None] * gains[None, :])
                done += len(block)
                if done >= total:
                    break
    return done / rate


def _at_rate(path, rate: int = RATE):
    from soundmotion.models.audio.load import load_audio

    return load_audio(path, rate, max_seconds=1e9).samples


def make_speech(folder: pathlib.Path, minutes: float) -> pathlib.Path:
    """The LibriVox lines, each followed by half a second of pause, repeated to `minutes` (whole rounds only, so
    the transcript matches the audio)."""
    import numpy as np

    lines = sorted(LIBRIVOX.glob("*.flac"))
    pause = np.zeros(RATE // 2, np.float32)
    pieces, texts = [], []
    for line in lines:
        pieces += [_at_rate(line), pause]
        texts.append(line.with_suffix(".txt").read_text().strip())
    round_seconds = sum(len(p) for p in pieces) / RATE
    rounds = max(1, int(minutes * 60 // round_seconds))
    path = folder / f"speech_{minutes:g}min.wav"
    _stereo_wav(path, pieces * rounds, rounds * round_seconds / 60.0)
    path.with_suffix(".txt").write_text(" ".join(texts * rounds) + "\n")
    return path


def make_studio_speech(folder: pathlib.Path, minutes: float) -> pathlib.Path:
    """The LibriVox lines as a studio master: 96 kHz, 6 channels (5.1), FLAC (a third of the WAV on disk), with the
    transcript beside it."""
    import numpy as np

    rate = 96000
    pause = np.zeros(rate // 2, np.float32)
    pieces, texts = [], []
    for line in sorted(LIBRIVOX.glob("*.flac")):
        pieces += [_at_rate(line, rate), pause]
        texts.append(line.with_suffix(".txt").read_text().strip())
    round_seconds = sum(len(p) for p in pieces) / rate
    rounds = max(1, int(minutes * 60 // round_seconds))
    path = folder / f"studio_{minutes:g}min.flac"
    _stereo_wav(path, pieces * rounds, rounds * round_seconds / 60.0, rate, 6)
    path.with_suffix(".txt").write_text(" ".join(texts * rounds) + "\n")
    return path


def make_music(folder: pathlib.Path, minutes: float) -> tuple:
    """(path, description): held-out recordings joined to `minutes`, else the demo loop repeated."""
    songs = sorted(HELD_OUT_MUSIC.glob("*.flac"))
    if songs:
        pieces = [_at_rate(song) for song in songs[:12]]
        label = f"held out: {len(pieces)} real recordings from {HELD_OUT_MUSIC} joined and repeated"
    else:
        pieces = [_at_rate(DEMO_MUSIC)]
        label = "tuning: the bundled demo loop repeated (run bench/music_corpus.py for real recordings)"
    path = folder / f"music_{minutes:g}min.wav"
    _stereo_wav(path, pieces, minutes)
    return path, label


def unpack(ref: str, folder: pathlib.Path) -> pathlib.Path:
    """The checkout at `ref` as a package folder named soundmotion."""
    target = folder / "soundmotion"
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def measured(runner: pathlib.Path, package: pathlib.Path, args, folder: pathlib.Path) -> dict:
    """Run one command in a fresh process: exit status, seconds, peak resident MB, last line of stderr."""
    log = folder / "log.txt"
    with open(log, "w") as output:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, str(runner), str(package), *map(str, args)], stdout=output,
                                   stderr=subprocess.STDOUT, cwd=str(folder))
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return {"status": os.waitstatus_to_exitcode(status), "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024.0,
            "last": lines[-1][:110] if lines else ""}


def end_to_end(runner, package, folder) -> dict:
    """Rows of bench/end_to_end.py (label → seconds) run with `package`."""
    log = folder / "e2e.txt"
    with open(log, "w") as output:
        subprocess.run([sys.executable, str(runner), str(package), "--script", str(ROOT / "bench" / "end_to_end.py")],
                       stdout=output, stderr=subprocess.STDOUT, cwd=str(folder), check=True)
    rows = {}
    for line in log.read_text().splitlines():
        parts = line.rsplit(None, 2)
        if len(parts) == 3 and parts[0].startswith(("Lip Sync", "Talk", "loudness")):
            try:
                rows[parts[0].strip()] = float(parts[1])
            except ValueError:
                pass
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main", help="git ref measured alongside (default: main)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-end-to-end", action="store_true")
    parser.add_argument("--long-minutes", type=float, default=60.0)
    parser.add_argument("--talk-minutes", type=float, default=10.0)
    parser.add_argument("--studio-minutes", type=float, default=15.0,
                        help="minutes of 96 kHz 6-channel speech through face (0: skip)")
    parser.add_argument("--no-dance", action="store_true", help="skip the long music (and its ~0.6 GB of disk)")
    args = parser.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="soundmotion-memory-"))
    try:
        runner = work / "runner.py"
        runner.write_text(RUNNER)
        checkouts = {"this checkout": ROOT}
        if not args.no_baseline:
            head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                  text=True).stdout.strip()
            base = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline], capture_output=True,
                                  text=True, check=True).stdout.strip()
            checkouts = {f"baseline {args.baseline} ({base})": unpack(args.baseline, work / "baseline"),
                         f"this checkout ({head})": ROOT}
        print("Making the recordings …", flush=True)
        # In another process: a child's peak memory counts its parent's at the fork, so this one stays small.
        music_label = subprocess.run([sys.executable, __file__, "--make-recordings", str(work),
                                      str(args.talk_minutes), str(args.long_minutes), str(args.studio_minutes),
                                      "0" if args.no_dance else str(args.long_minutes)],
                                     capture_output=True, text=True, check=True).stdout.strip()
        talk_speech = work / f"speech_{args.talk_minutes:g}min.wav"
        long_speech = work / f"speech_{args.long_minutes:g}min.wav"
        music = work / f"music_{args.long_minutes:g}min.wav"
        out = work / "out"
        out.mkdir()
        runs = [
            (f"talk, {args.talk_minutes:g} min speech + transcript", ["talk", DEMO_CHARACTER, talk_speech, "--out",
                                                                     out / "talk.blend"]),
            (f"face, {args.talk_minutes:g} min speech + transcript", ["face", talk_speech, "--clip", out / "f10.npz"]),
            (f"face, {args.long_minutes:g} min speech + transcript", ["face", long_speech, "--clip", out / "f.npz",
                                                                     "--cues", out / "f.tsv", "--csv", out / "f.csv"]),
            (f"dance, {args.long_minutes:g} min music", ["dance", music, "--clip", out / "d.npz", "--bvh",
                                                        out / "d.bvh"]),
        ]
        if args.no_dance:
            runs = [run for run in runs if run[1][0] != "dance"]
        if args.studio_minutes > 0:
            runs.append((f"face, {args.studio_minutes:g} min 96 kHz 6-ch FLAC + tr.",
                         ["face", work / f"studio_{args.studio_minutes:g}min.flac", "--clip", out / "s.npz"]))
        print(f"speech: held out (LibriVox, bench/data/librivox) repeated; music: {music_label}")
        print(f"{'run':<40}{'checkout':<28}{'exit':>5}{'peak MB':>9}{'seconds':>9}  note")
        results = {}
        for label, argv in runs:
            for name, package in checkouts.items():
                result = measured(runner, package, argv, work)
                results[(label, name)] = result
                note = "" if result["status"] == 0 else result["last"]
                mark = "" if result["status"] else (" ok" if result["peak_mb"] < TARGET_MB else " OVER 1 GB")
                print(f"{label:<40}{name:<28}{result['status']:>5}{result['peak_mb']:>9.0f}{result['seconds']:>9.1f}"
                      f"{mark}  {note}", flush=True)
                for leftover in out.iterdir():
                    leftover.unlink()
        if not args.no_end_to_end:
            print("\nEnd to end (bench/end_to_end.py, faster of two runs each, alternating):")
            best = {name: {} for name in checkouts}
            for _ in range(2):
                for name, package in checkouts.items():
                    for row, seconds in end_to_end(runner, package, work).items():
                        best[name][row] = min(seconds, best[name].get(row, float("inf")))
            names = list(checkouts)
            print(f"{'row':<36}" + "".join(f"{n[:24]:>26}" for n in names) + ("    change" if len(names) == 2 else ""))
            for row in best[names[-1]]:
                cells = "".join(f"{best[n].get(row, float('nan')):>25.2f}s" for n in names)
                change = ""
                if len(names) == 2 and row in best[names[0]]:
                    change = f"{100.0 * (best[names[1]][row] / best[names[0]][row] - 1.0):>+9.1f} %"
                print(f"{row:<36}{cells}{change}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def make_recordings(folder: str, talk_minutes: str, long_minutes: str, studio_minutes: str, music_minutes: str):
    folder = pathlib.Path(folder)
    make_speech(folder, float(talk_minutes))
    make_speech(folder, float(long_minutes))
    if float(studio_minutes) > 0:
        make_studio_speech(folder, float(studio_minutes))
    print(make_music(folder, float(music_minutes))[1] if float(music_minutes) > 0 else "not made (--no-dance)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make-recordings"]:
        make_recordings(*sys.argv[2:7])
    else:
        main()
