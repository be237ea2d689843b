"""Operator "Add Beat Markers" in real Blender: markers on beats and bars, the user's own markers kept."""

import bpy
import numpy as np
import pytest
import soundfile

from soundmotion.models.music.synth import SongPart, synthesize, write_wav

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def waltz(tmp_path_factory):
    song = synthesize([SongPart(12, 120, "A", beats_per_bar=3), SongPart(12, 120, "B", beats_per_bar=3)],
                      seed=7, lead_in=0.5)
    path = tmp_path_factory.mktemp("music") / "waltz.wav"
    write_wav(song, path)
    return song, path


def test_markers_land_on_beats_and_bars_are_numbered(scene, waltz):
    song, path = waltz
    scene.render.fps = 24
    scene.soundmotion.frame_start = 101
    scene.timeline_markers.new("Chorus", frame=5)
    assert bpy.ops.soundmotion.beat_markers(filepath=str(path)) == {"FINISHED"}
    markers = {m.name: m.frame for m in scene.timeline_markers}
    assert markers["Chorus"] == 5
    bars = sorted(frame for name, frame in markers.items() if name.startswith("Bar "))
    expected = 101 + np.round(song.downbeats * 24).astype(int)
    assert len(bars) >= len(expected) - 1
    assert np.mean(np.min(np.abs(np.array(bars)[:, None] - expected[None]), axis=0) <= 2) >= 0.9
    assert markers["Bar 1"] == pytest.approx(expected[0], abs=2)
    assert "1.2" in markers and "1.3" in markers and "1.4" not in markers   # three beats to the bar
    beats = len([n for n in markers if n != "Chorus"])
    assert len(song.beats) - 2 <= beats <= len(song.beats) + 6   # the last chord's ring may get a bar more
    # Again, bars only: the previous beat markers are replaced, the user's marker stays.
    assert bpy.ops.soundmotion.beat_markers(filepath=str(path), bars_only=True) == {"FINISHED"}
    names = [m.name for m in scene.timeline_markers]
    assert "Chorus" in names and not any("." in n for n in names)
    assert len([n for n in names if n.startswith("Bar ")]) == len(bars)


def test_music_without_a_beat_is_refused_and_markers_are_left_alone(scene, tmp_path):
    noise = tmp_path / "noise.wav"
    soundfile.write(str(noise), 0.3 * np.random.default_rng(2).standard_normal(22050 * 6).astype(np.float32), 22050)
    scene.timeline_markers.new("Keep", frame=12)
    with pytest.raises(RuntimeError, match="No steady beat"):
        bpy.ops.soundmotion.beat_markers(filepath=str(noise))
    assert [(m.name, m.frame) for m in scene.timeline_markers] == [("Keep", 12)]


def test_a_marker_of_yours_named_like_one_of_its_stays_and_a_meter_counts_the_bars(scene, waltz, capfd):
    """Re-running replaces only the markers this button made (a marker of yours named "Bar 3" elsewhere stays);
    Meter 3/4 or 4/4 counts the bars in that meter; markers before the scene's range get a note."""
    _, path = waltz
    scene.frame_start, scene.frame_end = 1001, 1400
    scene.timeline_markers.new("Bar 3", frame=900)
    assert bpy.ops.soundmotion.beat_markers(filepath=str(path), meter="4/4") == {"FINISHED"}
    assert "The markers start at frame 1, before the scene's frame range (1001–1400)" in capfd.readouterr().out
    names = [m.name for m in scene.timeline_markers]
    assert "1.4" in names and "1.5" not in names  # bars of four, as asked
    assert bpy.ops.soundmotion.beat_markers(filepath=str(path)) == {"FINISHED"}
    markers = [(m.name, m.frame) for m in scene.timeline_markers]
    assert ("Bar 3", 900) in markers
    assert "1.3" in [name for name, _ in markers] and "1.4" not in [name for name, _ in markers]  # the waltz again
