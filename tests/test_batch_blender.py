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


def key_curves(objects):
    """{(datablock kind, data path, index): keyframe (frame, value) array} of objects and their shape keys."""
    from soundmotion.operators.action_channels import fcurves_of

    curves = {}
    for obj in objects:
        for kind, block in (("object", obj), ("key", getattr(getattr(obj, "data", None), "shape_keys", None))):
            for curve in fcurves_of(block) if block is not None else ():
                points = np.array([tuple(k.co) for k in curve.keyframe_points])
                if len(points):
                    curves[(kind, curve.data_path, curve.array_index)] = points
    return curves


def take_curves(path):
    import bpy

    bpy.ops.wm.open_mainfile(filepath=str(path))
    return key_curves(bpy.data.objects)


def imported_curves(importer, path):
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    getattr(bpy.ops.import_scene, importer)(filepath=str(path))
    return key_curves(bpy.data.objects)


def test_batch_writes_a_talk_take_with_its_movie(take):
    import bpy

    report = json.loads((take / "report.json").read_text())
    assert report["rows"][0]["outputs"] == ["line.blend", "line.mp4", "line.fbx", "line.glb"]
    bpy.ops.wm.open_mainfile(filepath=str(take / "line.blend"))
    scene = bpy.context.scene
    assert bpy.data.objects["DemoRig"].animation_data.action.name == "SM_gesture_line"
    assert bpy.data.objects["DemoHuman"].data.shape_keys.animation_data.action.name == "SM_face_line"
    rig = bpy.data.objects["DemoRig"]
    assert (scene.frame_start, scene.frame_end) == tuple(int(f) for f in rig.animation_data.action.frame_range)
    assert scene.render.filepath == str(take / "line.mp4")
    streams = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,nb_frames",
                              "-of", "csv=p=0", str(take / "line.mp4")], capture_output=True, text=True).stdout
    audio, video = sorted(streams.split())
    assert audio.startswith("audio") and video == f"video,64,{scene.frame_end - scene.frame_start + 1}"


@pytest.mark.parametrize("importer, name", [("fbx", "line.fbx"), ("gltf", "line.glb")])
def test_game_exports_reimport_with_body_and_shape_key_curves(take, importer, name):
    source = take_curves(take / "line.blend")
    curves = imported_curves(importer, take / name)
    jaw = ("key", 'key_blocks["jawOpen"].value', 0)
    assert jaw in curves and np.ptp(curves[jaw][:, 1]) > 0.1
    # The shape-key curve comes back key for key (frame times differ by each format's origin); a baked file
    # may hold the last value to the end of the scene's range.
    count = len(source[jaw])
    np.testing.assert_allclose(curves[jaw][:count, 1], source[jaw][:, 1], atol=2e-3)
    np.testing.assert_allclose(curves[jaw][count:, 1], source[jaw][-1, 1], atol=2e-3)
    # The body comes back too: the bones that turn in the take turn in the file (axes may differ per format).
    moving, source_moving = turning_bones(curves), turning_bones(source)
    assert len(source_moving) >= 3 and "upperarm_l" in source_moving
    assert len(moving & source_moving) >= 0.8 * len(source_moving), (sorted(source_moving), sorted(moving))


def turning_bones(curves) -> set:
    return {key[1].split('"')[1] for key, points in curves.items()
            if key[0] == "object" and key[1].startswith("pose.bones") and key[1].endswith("rotation_quaternion")
            and np.ptp(points[:, 1]) > 0.05}


def test_render_on_ray_equals_the_single_process_render_frame_by_frame(take, tmp_path):
    import bpy

    bpy.ops.wm.open_mainfile(filepath=str(take / "line.blend"))
    bpy.context.scene.frame_end = 20  # frames 1-20 of the take keep the test short
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
    (("missing.blend", "--out", "x.mp4"), "Take file not found"),
    (("missing.blend", "--out", "x.mp4", "--chunk", "0"), "--chunk must be at least 1 frame"),
])
def test_render_refuses_bad_input_with_exit_2(args, message, tmp_path):
    result = subprocess.run([str(SOUNDMOTION), "render", *args], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
