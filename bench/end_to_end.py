"""Audio → keys on the demo character, timed end to end through the operators a user presses.

60 s of espeak-ng speech (with its transcript beside it), on this machine's cores:
- Lip Sync from Audio (face only), Talk from Audio (face + gestures + retarget + keys), both with and without
  the transcript;
- the baseline in the same run: decoding the audio and writing a loudness-driven jaw only.
Prints seconds and multiples of real time (target ≥ 20×), after one short warm-up run.

Usage: .venv/bin/python bench/end_to_end.py
"""

import argparse
import os
import pathlib
import subprocess
import tempfile
import time

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="soundmotion-bench-"))

import bpy  # noqa: E402

import soundmotion  # noqa: E402
from soundmotion.models.audio.load import load_audio  # noqa: E402
from soundmotion.models.audio.loudness import rms_envelope  # noqa: E402
from soundmotion.operators.demo_scene import DEMO_CHARACTER, FACE_MESH, RIG  # noqa: E402
from soundmotion.operators.keyframes import write_shape_key_action  # noqa: E402

SENTENCES = (
    "Good morning, everybody, and thank you for coming to this short talk about moving pictures.",
    "My name is Bob, and I build small machines that turn sound into motion for animated characters.",
    "Picture a puppet on a stage: when the music plays, the puppet should move, but how much, and when?",
    "First, we listen. Second, we find the beats and the words. Third, we move the body and the face.",
    "Maybe you think this is simple. It is not! People notice every mistake in a moving mouth.",
    "The lips must close on every p, b and m, and open wide on a long ah, or the illusion breaks.",
    "We also wave the hands, we nod the head, and we breathe, because nobody stands perfectly still.",
    "Please try it yourself: drop a voice on your character, press the button, and watch it speak.",
)


def make_speech(folder: pathlib.Path, seconds: float = 60.0) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    text, wav = [], folder / "speech.wav"
    while True:
        text.append(SENTENCES[len(text) % len(SENTENCES)])
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), " ".join(text)], check=True)
        if load_audio(wav).duration >= seconds:
            break
    (folder / "speech.txt").write_text(" ".join(text))
    return wav


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def fresh_character():
    bpy.ops.wm.open_mainfile(filepath=str(DEMO_CHARACTER), load_ui=False)
    return bpy.data.objects[RIG], bpy.data.objects[FACE_MESH]


def loudness_baseline(wav):
    _, mesh = fresh_character()
    audio = load_audio(wav)
    envelope = rms_envelope(audio, 30.0)
    write_shape_key_action(mesh, "baseline", 1, {"jawOpen": envelope / envelope.max()})


def operator(name, wav, transcript: bool):
    rig, mesh = fresh_character()
    scene = bpy.context.scene
    scene.soundmotion.transcript = pathlib.Path(wav).with_suffix(".txt").read_text() if transcript else ""
    target = rig if name == "talk" else mesh
    with bpy.context.temp_override(active_object=target, object=target):
        assert getattr(bpy.ops.soundmotion, name)(filepath=str(wav)) == {"FINISHED"}


def main(argv=None):
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    soundmotion.register()
    with tempfile.TemporaryDirectory() as folder:
        wav = make_speech(pathlib.Path(folder))
        duration = load_audio(wav).duration
        # First-use costs (imports, the recogniser's dictionary, the phone net's weights) are paid once per
        # Blender session, not per minute of speech: a short line is animated before anything is timed.
        warm_up = make_speech(pathlib.Path(folder) / "warm_up", seconds=1.0)
        operator("talk", warm_up, True)
        rows = [("loudness jaw (baseline)", timed(lambda: loudness_baseline(wav)))]
        for name, label in (("lip_sync", "Lip Sync"), ("talk", "Talk (face + gestures)")):
            rows.append((f"{label}, transcript", timed(lambda: operator(name, wav, True))))
            hidden = pathlib.Path(folder) / "speech.txt"  # else the .txt beside the audio is used
            hidden.rename(hidden.with_suffix(".hidden"))
            rows.append((f"{label}, audio only", timed(lambda: operator(name, wav, False))))
            hidden.with_suffix(".hidden").rename(hidden)
    print(f"{duration:.1f} s of speech → keys on the demo character, Blender {bpy.app.version_string}, "
          f"{os.cpu_count()} cores")
    print(f"{'run':<34}{'seconds':>9}{'× real time':>13}")
    for label, seconds in rows:
        print(f"{label:<34}{seconds:>9.2f}{duration / seconds:>13.1f}")


if __name__ == "__main__":
    main()
