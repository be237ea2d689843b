"""The README's main job: `soundmotion demo` turns the bundled speech into a talking character, .blend + .mp4."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from soundmotion.models.audio.load import load_audio
from soundmotion.models.audio.loudness import rms_envelope
from soundmotion.operators.demo_scene import GAP_FRAMES

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOUNDMOTION = pathlib.Path(sys.executable).parent / "soundmotion"


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = subprocess.run([str(SOUNDMOTION), "demo", "--out", str(out), "--resolution", "320", "180"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out


def probe_streams(video):
    result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,duration",
                             "-of", "json", str(video)], capture_output=True, text=True, check=True)
    return {s["codec_type"]: s for s in json.loads(result.stdout)["streams"]}


def test_demo_writes_a_blend_and_an_h264_aac_movie_of_the_line_then_the_dance(demo_output):
    assert (demo_output / "demo.blend").stat().st_size > 100_000
    streams = probe_streams(demo_output / "demo.mp4")
    import bpy

    speech_frames = int(np.ceil(load_audio(ROOT / "assets" / "demo_speech.wav").duration * 30))
    music_frames = int(np.ceil(load_audio(ROOT / "assets" / "demo_music.wav").duration * 30))
    bpy.ops.wm.open_mainfile(filepath=str(demo_output / "demo.blend"))
    last_frame = bpy.context.scene.frame_end
    # The gestures may settle a little after the voice ends, so the dance starts at least this late.
    assert last_frame >= speech_frames + GAP_FRAMES + music_frames - 1
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    assert float(streams["video"]["duration"]) == pytest.approx(last_frame / 30, abs=0.1)
    assert float(streams["audio"]["duration"]) == pytest.approx(last_frame / 30, abs=0.15)


def test_the_mouth_moves_with_the_speech_in_the_render(demo_output, tmp_path):
    envelope = rms_envelope(load_audio(ROOT / "assets" / "demo_speech.wav"), fps=30)
    loud, quiet = int(np.argmax(envelope)) + 1, int(np.argmin(envelope)) + 1  # demo keys start at frame 1
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "render_mouth_frames.py"),
                             str(demo_output / "demo.blend"), str(tmp_path), str(loud), str(quiet)],
                            capture_output=True, text=True, timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(lines[0][len("REPORT "):])
    frames = report["frames"]
    assert frames[str(loud)]["jawOpen"] > frames[str(quiet)]["jawOpen"] + 0.2
    left, top, right, bottom = report["box"]
    assert 0 <= left < right <= 320 and 0 <= top < bottom <= 180  # the mouth is in shot (demo rendered 320×180)

    mouth_loud, mouth_quiet = (np.load(frames[str(f)]["mouth"]) for f in (loud, quiet))
    assert mouth_loud.shape == (bottom - top, right - left)
    assert np.mean(np.abs(mouth_loud - mouth_quiet)) > 3.0


def test_the_character_gestures_while_speaking_then_dances_on_camera(demo_output):
    import bpy

    from soundmotion.operators.demo_scene import DEMO_CHARACTER

    bpy.ops.wm.open_mainfile(filepath=str(DEMO_CHARACTER))
    blocks = bpy.data.objects["DemoHuman"].data.shape_keys.key_blocks
    static_face = np.array([block.value for block in blocks])  # the character's face before any take
    bpy.ops.wm.open_mainfile(filepath=str(demo_output / "demo.blend"))
    scene = bpy.context.scene
    markers = sorted((m.frame, m.camera.name) for m in scene.timeline_markers)
    assert [name for _, name in markers] == ["SM_HeadCamera", "SM_BodyCamera"]
    dance_start = markers[1][0]
    rig = bpy.data.objects["DemoRig"]
    strips = sorted((strip.frame_start, strip.action.name, strip.frame_end) for track in rig.animation_data.nla_tracks
                    for strip in track.strips if not strip.action.name.startswith("SM_static"))
    assert [name for _, name, _ in strips] == ["SM_gesture_demo_speech", "SM_dance_demo_music"]
    assert strips[1][0] == dance_start and rig.animation_data.action is None
    shape_keys = bpy.data.objects["DemoHuman"].data.shape_keys
    face_strips = [s for t in shape_keys.animation_data.nla_tracks for s in t.strips]
    assert [s.action.name for s in face_strips] == [f"SM_static_{shape_keys.name}", "SM_face_demo_speech"]
    face_end = int(face_strips[1].frame_end)

    def hand_heights(frames):
        heights = []
        for frame in frames:
            scene.frame_set(frame)
            heights.append((rig.matrix_world @ rig.pose.bones["hand_r"].head).z)
        return np.array(heights)

    assert np.ptp(hand_heights(range(1, 240, 4))) > 0.05  # co-speech gesture
    assert np.ptp(hand_heights(range(dance_start, dance_start + 90, 3))) > 0.05  # dance

    def pose(frame):
        scene.frame_set(frame)
        return np.array([np.array(b.matrix_basis) for b in rig.pose.bones])

    # Between the takes the rig holds the line's last pose (standing, hands down) instead of snapping to its rest
    # pose (the rig's T-pose); after the dance it holds the dance's last pose.
    line_end, dance_end = int(strips[0][2]), int(strips[1][2])
    assert face_end < line_end < dance_start - 3
    np.testing.assert_allclose(pose(dance_start - 3), pose(line_end), atol=1e-5)
    assert not np.allclose(pose(dance_start - 3), np.eye(4), atol=1e-2)
    if dance_end < scene.frame_end:
        np.testing.assert_allclose(pose(scene.frame_end), pose(dance_end), atol=1e-5)
    # After its line the face is back where it was before the take (Blender's NLA alone would give every shape
    # key its default, 1.0 on 5.0), through the rest of the gestures and the dance.
    for frame in (face_end + 1, line_end, dance_start + 30):
        scene.frame_set(frame)
        np.testing.assert_allclose([block.value for block in shape_keys.key_blocks], static_face, atol=1e-6)
    assert scene.frame_end >= dance_start + 15 * 30  # the whole loop is kept
