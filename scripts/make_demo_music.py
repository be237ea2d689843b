"""Make the bundled dance demo loop by synthesis (drums, bass, chords; no recorded or copyrighted music ships).

Usage: .venv/bin/python scripts/make_demo_music.py   → assets/demo_music.wav (8 bars at 120 BPM, loops seamlessly)
"""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
BPM, BARS = 120.0, 8


def main():
    import soundfile

    from soundmotion.models.music.synth import SongPart, synthesize

    song = synthesize([SongPart(BARS // 2, BPM, "A"), SongPart(BARS // 2, BPM, "B")], sample_rate=22050, seed=0)
    loop = song.samples[:int(round(BARS * 4 * 60.0 / BPM * song.sample_rate))]
    path = ROOT / "assets" / "demo_music.wav"
    soundfile.write(str(path), loop, song.sample_rate, subtype="PCM_16")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB, {len(loop) / song.sample_rate:.1f} s)")


if __name__ == "__main__":
    main()
