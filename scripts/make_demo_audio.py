"""Make the bundled demo speech with espeak-ng (no recorded or copyrighted audio ships with SoundMotion).

Usage: python scripts/make_demo_audio.py   → assets/demo_speech.wav + assets/demo_speech.txt
"""

import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEXT = ("Hello! I am the SoundMotion demo character. "
        "Press one button, and my mouth moves with my voice. "
        "Bob bought a map, but we will never stop to read it.")


def main():
    wav = ROOT / "assets" / "demo_speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), TEXT], check=True)
    (ROOT / "assets" / "demo_speech.txt").write_text(TEXT + "\n")
    print(f"wrote {wav.relative_to(ROOT)} ({wav.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
