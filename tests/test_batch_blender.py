"""Blender outputs of `soundmotion batch` (a Talk take as .blend, .mp4, FBX and glTF, re-imported here) and
`soundmotion render` of that take on Ray against a single-process render, frame by frame."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from speech_fixtures import speech_wav

SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"


def soundmotion(*args):
    result = subprocess.run([str(SOUNDMOTION), *map(str, args)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def take(tmp_path_factory):
    """One short line (27 frames) through batch with every Blender output, on the bundled character, at 64×36."""
    folder = tmp_path_factory.mktemp("take")
    lines = folder / "lines"
    lines.mkdir()
    speech_wav(lines, "Bob made a map.", name="line", transcript_file=True)
    soundmotion("batch", lines, "--out", folder / "out", "--outputs", "blend,mp4,fbx,gltf", "--workers", 1,
                "--resolution", 64, 36)
    return folder / "out"


def action_curves(action) -> dict:
    """{(data path, index): F-curve} of an action, whichever slot they are in (Blender 5.0 layered actions)."""
    return {(curve.data_path, curve.array_index): curve for layer in action.layers for strip in layer.strips
            for bag in strip.channelbags for curve in bag.fcurves}


def all_curves() -> dict:
    import bpy

    return {key: curve for action in bpy.data.actions for key, curve in action_curves(action).items()}


def take_jaw_and_bones(path):
    """The take's jawOpen per frame as the scene plays it (NLA strips), and the bones its gesture turns."""
    import bpy

    bpy.ops.wm.open_mainfile(filepath=str(path))
    scene = bpy.context.scene
    key = bpy.data.objects["DemoHuman"].data.shape_keys
    jaw = []
    for frame in range(scene.frame_start, scene.frame_end + 1):
        scene.frame_set(frame)
        jaw.append(key.key_blocks["jawOpen"].value)
    return scene.frame_start, np.array(jaw), turning_bones(action_curves(bpy.data.actions["SM_gesture_line"]))


def turning_bones(curves) -> set:
    """Bones whose rotation curves move more than 0.05 (quaternion component) over the take."""
    moving = set()
    for (path, _), curve in curves.items():
        if path.startswith("pose.bones") and path.endswith("rotation_quaternion"):
            start, end = (int(f) for f in curve.range())
            values = [curve.evaluate(frame) for frame in range(start, end + 1)]
            if np.ptp(values) > 0.05:
                moving.add(path.split('"')[1])
    return moving


def test_batch_writes_a_talk_take_with_its_movie(take):
    import bpy

    report = json.loads((take / "report.json").read_text())
    assert report["rows"][0]["outputs"] == ["line.blend", "line.mp4", "line.fbx", "line.glb"]
    bpy.ops.wm.open_mainfile(filepath=str(take / "line.blend"))
    scene = bpy.context.scene
    strips = {track.name: track.strips[0] for track in bpy.data.objects["DemoRig"].animation_data.nla_tracks}
    assert strips["SM_gesture_line"].action.name == "SM_gesture_line"
    face = bpy.data.objects["DemoHuman"].data.shape_keys.animation_data.nla_tracks["SM_face_line"].strips[0]
    assert face.action.name == "SM_face_line"
    # The frame range is the take's: the gestures (they return to rest after the words) set its end.
    gesture = strips["SM_gesture_line"]
    assert (scene.frame_start, scene.frame_end) == (int(gesture.frame_start), int(gesture.frame_end))
    assert face.frame_end < gesture.frame_end
    assert scene.render.filepath == str(take / "line.mp4")
    streams = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,nb_frames",
                              "-of", "csv=p=0", str(take / "line.mp4")], capture_output=True, text=True).stdout
    audio, video = sorted(streams.split())
    assert audio.startswith("audio") and video == f"video,64,{scene.frame_end - scene.frame_start + 1}"


@pytest.mark.parametrize("importer, name", [("fbx", "line.fbx"), ("gltf", "line.glb")])
def test_game_exports_reimport_with_body_and_shape_key_curves(take, importer, name):
    import bpy

    first, jaw, source_moving = take_jaw_and_bones(take / "line.blend")
    assert np.ptp(jaw) > 0.3 and len(source_moving) >= 3
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    bpy.context.scene.render.fps = 30  # the take's rate, so imported keys land on its frames
    getattr(bpy.ops.import_scene, importer)(filepath=str(take / name))
    curves = all_curves()
    # The face comes back frame for frame. The glTF's time 0 is the scene's first frame, where the line's sound
    # starts (its importer puts time 0 on frame 0; the exporter's own timing put frame 1 at 1/30 s: a frame late in
    # a game); FBX's importer starts one frame later.
    curve = curves[('key_blocks["jawOpen"].value', 0)]
    offset = int(round(curve.range()[0])) - first
    assert offset == (-first if importer == "gltf" else 1) or (importer == "fbx" and offset == 0)
    imported = [curve.evaluate(first + offset + k) for k in range(len(jaw))]
    np.testing.assert_allclose(imported, jaw, atol=0.01)
    # The body too: the bones that turn in the take turn in the file (axes may differ per format).
    moving = turning_bones(curves)
    assert len(moving & source_moving) >= 0.8 * len(source_moving), (sorted(source_moving), sorted(moving))


def test_render_on_ray_equals_the_single_process_render_frame_by_frame(take, tmp_path):
    import bpy

    bpy.ops.wm.open_mainfile(filepath=str(take / "line.blend"))
    bpy.context.scene.frame_end = 20  # frames 1-20 of the take keep the test short
    bpy.context.scene.frame_step = 2  # a preview's step: the movie with its sound still needs every frame
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "take.blend"), copy=True)
    soundmotion("render", tmp_path / "take.blend", "--out", tmp_path / "one.mp4", "--frames", tmp_path / "one")
    done = soundmotion("render", tmp_path / "take.blend", "--out", tmp_path / "ray.mp4", "--frames",
                       tmp_path / "ray", "--ray", "--chunk", 7, "--workers", 2)
    one, ray = sorted((tmp_path / "one").glob("*.png")), sorted((tmp_path / "ray").glob("*.png"))
    assert [p.name for p in one] == [p.name for p in ray] == [f"frame_{f:06d}.png" for f in range(1, 21)]
    assert "20 frames (1-20) in 3 chunk(s) on ray" in done.stdout
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(one, ray))
    decoded = [decode(path) for path in (tmp_path / "one.mp4", tmp_path / "ray.mp4")]
    assert decoded[0].shape == (len(one), 36, 64, 3) and np.array_equal(decoded[0], decoded[1])
    assert decoded[0].std(axis=0).max() > 5  # the character moves: frames are not all the same
    first = decode_png(one[0])
    assert np.abs(first.astype(int) - decoded[0][0].astype(int)).mean() < 6  # the movie shows those frames
    streams = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
                              str(tmp_path / "ray.mp4")], capture_output=True, text=True).stdout.split()
    assert sorted(streams) == ["audio", "video"]


def decode(movie) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(movie), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, 36, 64, 3)


def decode_png(path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(36, 64, 3)


@pytest.mark.parametrize("args, message", [
    (("missing.blend", "--out", "x.mp4"), "missing.blend was not found"),
    (("missing.blend", "--out", "x.mp4", "--chunk", "0"), "--chunk must be a whole number of at least 1, got 0"),
])
def test_render_refuses_bad_input_with_exit_2(args, message, tmp_path):
    result = subprocess.run([str(SOUNDMOTION), "render", *args], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_blender_row_after_an_unreadable_file_is_still_made(tmp_path):
    """Checking an unreadable file imports bpy in the batch process (Blender's FFmpeg is asked), which puts Blender's
    scripts folders on sys.path; spawned workers inherit sys.path, and their `import bpy` found the scripts' bpy
    package instead of the module ("No module named '_bpy'"), so every later Blender output failed."""
    import json

    lines = tmp_path / "lines"
    lines.mkdir()
    (lines / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8)
    speech_wav(lines, "Bob made a map.", name="line", transcript_file=True)
    done = subprocess.run([str(SOUNDMOTION), "batch", str(lines), "--out", str(tmp_path / "out"), "--outputs", "blend",
                           "--workers", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-2000:]  # one row failed
    rows = {row["name"]: row for row in json.loads((tmp_path / "out" / "report.json").read_text())["rows"]}
    assert rows["broken"]["status"] == "failed" and rows["line"]["status"] == "done", rows["line"]
    assert (tmp_path / "out" / "line.blend").is_file()
