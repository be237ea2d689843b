"""The look bench: generated takes next to real capture on the same character, as contact sheets and numbers.

    .venv/bin/python bench/look.py --kind dance --audio song.wav [--audio other.flac …] [--style groove] [--seed 0]
    .venv/bin/python bench/look.py --kind gesture --audio speech.wav [--text speech.txt]
    .venv/bin/python bench/look.py --kind dance --audio song.wav --real G1:J_Dance5_Hype --real CMU:005_18@2-12

For each audio file a take is generated (dance or co-speech gesture, the same call as the CLI's) and shown next to
real capture from ../shared/mocap, all retargeted onto the demo character (assets/demo_character.blend) by the
same code as Retarget Motion: a PNG contact sheet rendered with Workbench in a Blender subprocess (one row per
take, one column per moment, camera following the pelvis over a 0.5 m floor grid; bench/look_blender.py) and
issue 10's whole-body statistics (bench/body_stats.py, measured on the demo character's rig) for every take
side by side. Real capture: `G1:<clip>` (G1 Moves dance, mapped onto SMPL-X by models/dance/g1_mocap.py),
`CMU:<trial>` (CMU's BVH, retargeted directly), or a path to a .bvh or a MotionClip .npz; `@a-b` keeps seconds
a to b. Defaults: for dance CMU 005_18 and two G1 Moves dances; for gestures the nearest we have to a person
standing and talking with the hands (no speech capture is in ../shared/mocap): G1 Moves' "hands chop" and CMU
002_10. Look at the sheets: the numbers cannot say whether it looks like a person.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.look", run_name="__main__")
    raise SystemExit

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import body_stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOCAP = os.path.join(ROOT, "..", "shared", "mocap")
CHARACTER = os.path.join(ROOT, "assets", "demo_character.blend")
RIG = "DemoRig"
DEFAULT_REAL = {
    "dance": ("CMU:005_18", "G1:J_Dance5_Hype@2-32", "G1:J_Dance7_Party@2-32"),
    "gesture": ("G1:B_HandsChop@1-29", "CMU:002_10"),
}
FPS = 30.0


def generate(kind: str, audio: str, args, beats_per_bar: int = 0):
    """(MotionClip, notes) of a generated take; `beats_per_bar` > 0 hands a dance that meter."""
    if kind == "dance":
        from ..models.audio.load import load_audio
        from ..models.dance.pipeline import dance_from_audio, dance_to_analysis
        from ..models.music.spectrum import SAMPLE_RATE
        options = dict(fps=FPS, style=args.style or "groove", energy=args.energy, seed=args.seed,
                       in_place=args.in_place)
        result = dance_from_audio(load_audio(audio, SAMPLE_RATE), **options)
        if beats_per_bar:   # the meter handed over (until the beat tracker reports it)
            from ..models.music.meter import with_meter
            result = dance_to_analysis(with_meter(result.analysis, beats_per_bar), **options)
            result.notes.append(f"Meter handed over: {beats_per_bar} beats to the bar.")
        return result.clip, result.notes
    from ..models.gesture.pipeline import generate_gestures
    text = None
    if args.text:
        with open(args.text, encoding="utf-8") as handle:
            text = handle.read()
    result = generate_gestures(audio, text, fps=FPS, style=args.style or "presenter", seed=args.seed)
    return result.clip, result.notes


def real_take(spec: str, folder: str):
    """(label, path the renderer reads, start, end, MotionClip or MotionSource for the statistics)."""
    from ..retarget.motion_file import load_motion_file

    window = (None, None)
    if "@" in spec:
        spec, span = spec.rsplit("@", 1)
        a, b = span.split("-")
        window = (float(a), float(b))
    if spec.startswith("G1:"):
        from ..models.dance.g1_mocap import DEFAULT_DATA, read_g1
        name = spec[3:]
        category = "bonus" if name.startswith("B_") and not name.endswith("Dance") else "dance"
        clip = read_g1(os.path.join(MOCAP, "g1_moves", "retarget", category, name + ".csv"), None)
        clip = clip.resampled(FPS)
        path = os.path.join(folder, f"real_{name}.npz")
        clip.save(path)
        label, take = f"real G1 {name}", clip
    elif spec.startswith("CMU:"):
        trial = spec[4:]
        sub = "dance" if trial.startswith("005_") and trial != "005_01" else "general"
        path = os.path.join(MOCAP, "cmu", sub, trial + ".bvh")
        label, take = f"real CMU {trial}", load_motion_file(path, fps=FPS)
    else:
        path = spec
        label = "real " + os.path.basename(spec)
        take = _load_clip(path) if path.lower().endswith(".npz") else load_motion_file(path, fps=FPS)
    return label, path, window, _windowed(take, window)


def _load_clip(path):
    from ..clips.motion import MotionClip
    return MotionClip.load(path)


def _windowed(take, window):
    from ..clips.motion import MotionClip
    from ..retarget.motion_file import MotionSource
    from ..retarget.rig import RigPose

    a, b = window
    if a is None:
        return take
    if isinstance(take, MotionClip):
        lo, hi = int(round(a * take.fps)), int(round(b * take.fps))
        return MotionClip(take.fps, take.skeleton, take.rotations[lo:hi], take.root_translation[lo:hi])
    lo, hi = int(round(a * take.fps)), int(round(b * take.fps))
    pose = RigPose(take.pose.rest, take.pose.world_rotations[lo:hi], take.pose.heads[lo:hi])
    return MotionSource(pose, take.bone_map, take.fps, take.label)


def duration_of(take) -> float:
    from ..clips.motion import MotionClip
    return take.duration if isinstance(take, MotionClip) else take.pose.num_frames / take.fps


def _fit(times: np.ndarray, duration: float) -> np.ndarray:
    """The sheet's moments, or for a take too short for them the same number spread over the take."""
    if times[-1] < duration - 0.05:
        return times
    span = times[-1] - times[0]
    start = max(0.0, min(times[0], duration - 0.1 - span))
    return np.linspace(start, min(start + span, duration - 0.1), len(times))


def render_sheet(rows: list, times: np.ndarray, sheet: str, tile=(180, 270)) -> float:
    """rows: [(label, path, (start, end), duration)]. Runs bench/look_blender.py in a subprocess."""
    folder = os.path.dirname(os.path.abspath(sheet))
    job = {"character": CHARACTER, "rig": RIG, "fps": FPS, "tile": list(tile), "sheet": os.path.abspath(sheet),
           "takes": [{"label": label, "source": path, "start": window[0], "end": window[1],
                      "times": [float(t) for t in _fit(times, duration)]}
                     for label, path, window, duration in rows]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=folder, delete=False) as handle:
        json.dump(job, handle)
    env = dict(os.environ)
    env.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="sm_look_"))
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "soundmotion.bench.look_blender", handle.name], env=env,
                              capture_output=True, text=True)
    finally:
        os.remove(handle.name)
    if done.returncode != 0 or not os.path.isfile(sheet):
        raise RuntimeError("Rendering the contact sheet failed:\n" + done.stdout[-2000:] + done.stderr[-2000:])
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("dance", "gesture"), default="dance")
    parser.add_argument("--audio", action="append", default=[], help="music (dance) or speech (gesture); repeatable")
    parser.add_argument("--label", action="append", default=[], help="a label for each --audio, in order")
    parser.add_argument("--text", help="transcript for gestures")
    parser.add_argument("--style")
    parser.add_argument("--energy", type=float, default=1.0)
    parser.add_argument("--in-place", action="store_true")
    parser.add_argument("--beats-per-bar", type=int, action="append", default=[],
                        help="dance: for each --audio in order, hand the choreography this meter (3 for a waltz; "
                             "0: the beat tracker's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", action="append", help="real capture to show (see the module's help); repeatable")
    parser.add_argument("--start", type=float, default=2.0, help="first moment on the sheet, seconds")
    parser.add_argument("--span", type=float, default=9.0, help="seconds the sheet's columns cover")
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--sheet", default="out/look_{kind}.png", help="where the contact sheet goes")
    parser.add_argument("--tile", type=int, nargs=2, default=(180, 270), metavar=("W", "H"),
                        help="pixels of one moment on the sheet")
    parser.add_argument("--no-render", action="store_true", help="statistics only")
    args = parser.parse_args(argv)
    if not args.audio:
        default = os.path.join(ROOT, "assets", "demo_music.wav" if args.kind == "dance" else "demo_speech.wav")
        args.audio = [default]
        if args.kind == "gesture" and not args.text:
            args.text = os.path.join(ROOT, "assets", "demo_speech.txt")
    sheet = args.sheet.format(kind=args.kind)
    os.makedirs(os.path.dirname(os.path.abspath(sheet)) or ".", exist_ok=True)
    folder = tempfile.mkdtemp(prefix="sm_look_")
    rows, stats = [], []
    for i, audio in enumerate(args.audio):
        label = args.label[i] if i < len(args.label) else os.path.splitext(os.path.basename(audio))[0]
        start = time.perf_counter()
        meter = args.beats_per_bar[i] if i < len(args.beats_per_bar) else 0
        clip, notes = generate(args.kind, audio, args, meter)
        seconds = time.perf_counter() - start
        path = os.path.join(folder, f"take_{i}.npz")
        clip.save(path)
        name = f"{args.kind} {label}"
        print(f"{name}: {clip.duration:.1f} s generated in {seconds:.2f} s ({clip.duration / seconds:.0f}x real "
              f"time). " + " ".join(notes), flush=True)
        rows.append((name, path, (None, None), clip.duration))
        stats.append((name, body_stats.demo_rig_stats(clip)))
    for spec in args.real or DEFAULT_REAL[args.kind]:
        label, path, window, take = real_take(spec, folder)
        rows.append((label, path, window, duration_of(take)))
        stats.append((label, body_stats.demo_rig_stats(take)))
    width = max(34, max(len(label) for label, _ in stats) + 1)
    print("\nOn the demo character's rig (bench/body_stats.py):")
    print(body_stats.header(width))
    for label, figures in stats:
        print(body_stats.row(label, figures, width))
    if not args.no_render:
        times = args.start + np.arange(args.columns) * args.span / max(args.columns - 1, 1)
        seconds = render_sheet(rows, times, sheet, tuple(args.tile))
        print(f"\nContact sheet: {sheet} ({len(rows)} rows × {len(times)} moments from {times[0]:.1f} s every "
              f"{times[1] - times[0] if len(times) > 1 else 0:.1f} s; rendered in {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
