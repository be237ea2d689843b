"""generate_gestures contract: determinism per seed, joint limits, seated/standing, bad input, settings."""

import numpy as np
import pytest

from soundmotion.bench import espeak_truth
from soundmotion.clips import rotations
from soundmotion.clips.kinematics import joint_positions
from soundmotion.clips.skeleton import SMPLX_SKELETON
from soundmotion.models.gesture import metrics
from soundmotion.models.gesture.pipeline import END_SETTLE_SECONDS, generate_gestures, gestures_from_audio
from soundmotion.models.gesture.styles import STYLES, GestureSettingsError
from tests.speech_fixtures import chord_music, silence, white_noise, write_wav

TEXT = "Let me tell you about the longest summer of my life, when everything changed for all of us."
REST_HEIGHT = 0.15    # metres above the pelvis joint: hands resting (hanging, clasped, on the hip) stay below


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    utterance = espeak_truth.synthesize(TEXT, "en-us+m3", 165)
    return write_wav(tmp_path_factory.mktemp("gesture"), "speech", utterance.samples, utterance.sample_rate)


def test_same_seed_same_take_and_different_seeds_differ(speech):
    a = generate_gestures(speech, seed=7, style="storyteller")
    b = generate_gestures(speech, seed=7, style="storyteller")
    c = generate_gestures(speech, seed=8, style="storyteller")
    assert np.array_equal(a.clip.rotations, b.clip.rotations)
    assert np.array_equal(a.clip.root_translation, b.clip.root_translation)
    assert a.strokes == b.strokes
    assert metrics.diversity(a.clip, c.clip) > 0.03
    assert a.clip.skeleton is SMPLX_SKELETON and a.clip.fps == 30.0
    assert a.clip.num_frames >= int(np.ceil(a.prosody.duration * 30.0 - 1e-9))
    assert a.clip.num_frames <= int(np.ceil((a.prosody.duration + END_SETTLE_SECONDS) * 30.0))


def test_hands_rest_at_the_end_even_when_speech_runs_to_the_last_sample(tmp_path):
    utterance = espeak_truth.synthesize("And that is exactly why we did it", "en-us", 175)
    trimmed = utterance.samples[:int(utterance.duration * 0.97 * utterance.sample_rate)]
    path = write_wav(tmp_path, "to_the_end", trimmed, utterance.sample_rate)
    result = generate_gestures(path, style="storyteller", seed=0)
    assert result.clip.duration > len(trimmed) / utterance.sample_rate + 0.5
    end = metrics.arm_positions(result.clip, metrics.HANDS)[-1]
    assert np.all(end[:, 2] < REST_HEIGHT)       # a rest pose: hanging, clasped low or on the hip
    assert metrics.angular_speed(result.clip)[-3:].max() < 0.2


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("seated", [False, True])
def test_joint_limits_elbows_bend_one_way_and_hands_stay_out_of_the_torso(speech, style, seated):
    clip = generate_gestures(speech, style=style, seated=seated, amount=2.0, seed=1).clip
    skeleton = clip.skeleton
    for side, sign in (("left", 1.0), ("right", -1.0)):
        elbow = rotations.to_rotation(clip.rotations[:, skeleton.index(f"{side}_elbow")]).as_rotvec()
        flexion = np.degrees(-sign * elbow[:, 2])
        assert flexion.min() > -1.0, "elbow hyperextends"
        assert flexion.max() < 150.0
        assert np.degrees(np.abs(elbow[:, [0, 1]])).max() < 1.0   # a hinge: no twist or side bend
        wrist = rotations.to_rotation(clip.rotations[:, skeleton.index(f"{side}_wrist")]).magnitude()
        assert np.degrees(wrist).max() < 95.0
    positions = joint_positions(clip)
    chest = positions[:, skeleton.index("spine3")]
    pelvis_z = positions[:, 0, 2]
    for side in ("left", "right"):
        hand = positions[:, skeleton.index(f"{side}_wrist")] - chest
        inside = (np.abs(hand[:, 0]) < 0.13) & (hand[:, 1] > -0.12) & (hand[:, 1] < 0.12) & \
                 (positions[:, skeleton.index(f"{side}_wrist"), 2] > pelvis_z - 0.05) & (hand[:, 2] < 0.25)
        assert not inside.any(), f"{side} hand inside the torso at frame {np.flatnonzero(inside)[:3]}"


def assert_feet_planted_but_when_stepping(positions):
    """Each ankle either stands on the floor at its rest height without moving, or is lifted in a step;
    toes never go below the floor."""
    skeleton = SMPLX_SKELETON
    rest = skeleton.rest_positions()
    for side in ("left", "right"):
        ankle = positions[:, skeleton.index(f"{side}_ankle")]
        down = np.abs(ankle[:, 2] - rest[skeleton.index(f"{side}_ankle"), 2]) < 0.001
        both = down[1:] & down[:-1]
        slide = np.linalg.norm(np.diff(ankle[:, :2], axis=0), axis=1)[both]
        assert slide.max(initial=0.0) < 0.001, f"{side} foot slides while down"
        assert ankle[:, 2].min() > rest[skeleton.index(f"{side}_ankle"), 2] - 0.001
        toe = positions[:, skeleton.index(f"{side}_foot"), 2]
        assert toe.min() > rest[skeleton.index(f"{side}_foot"), 2] - 0.005
        assert down.mean() > 0.8


def test_standing_keeps_feet_planted_and_seated_sits(speech):
    standing = joint_positions(generate_gestures(speech, seed=0).clip)
    seated = joint_positions(generate_gestures(speech, seed=0, seated=True).clip)
    skeleton = SMPLX_SKELETON
    assert_feet_planted_but_when_stepping(standing)
    assert standing[:, 0, 0].std() > 0.001 or len(standing) < 200   # weight shifts over a few seconds
    assert seated[:, 0, 2].max() < 0.65
    knee = seated[:, skeleton.index("left_knee")]
    hip = seated[:, skeleton.index("left_hip")]
    assert np.all(knee[:, 1] < hip[:, 1] - 0.3)     # thighs point forward


@pytest.mark.parametrize("make", [lambda: white_noise(4.0), lambda: chord_music(6.0), lambda: silence(3.0)],
                         ids=["noise", "music", "silence"])
def test_not_speech_gives_a_calm_idle_with_a_note(tmp_path, make):
    path = write_wav(tmp_path, "not_speech", make())
    result = generate_gestures(path, style="storyteller", amount=2.0)
    assert result.strokes == []
    assert any("idles calmly" in note for note in result.notes)
    assert not any("face" in note or "mouth" in note for note in result.notes)
    assert metrics.angular_speed(result.clip).mean() < 0.1
    hands = metrics.arm_positions(result.clip, metrics.HANDS)
    assert np.all(hands[..., 2] < REST_HEIGHT)      # hands at rest


def test_talk_gestures_to_clipped_speech_as_its_face_lip_syncs_it(speech):
    """Speech recorded far too hot (clipped flat) sounds level like music to the loudness checks alone; in Talk the
    body takes the face's verdict (heard with the phone net), so the face does not talk while the body idles."""
    from soundmotion.models.audio.load import Audio, load_audio
    from soundmotion.models.speech.phonemes import find_phones

    audio = load_audio(speech)
    clipped = Audio(np.clip(audio.samples * 10 ** (30 / 20), -1.0, 1.0).astype(np.float32), audio.sample_rate,
                    audio.path)
    track = find_phones(clipped, words=False)
    assert track.speech_like
    alone = gestures_from_audio(clipped, seed=0)
    with_face = gestures_from_audio(clipped, seed=0, track=track)
    assert alone.strokes == [] and any("idles calmly" in note for note in alone.notes)
    assert len(with_face.strokes) >= 8 and not any("idles" in note for note in with_face.notes)


def test_bad_settings_raise_clear_errors(speech):
    with pytest.raises(GestureSettingsError, match="style"):
        generate_gestures(speech, style="opera")
    with pytest.raises(GestureSettingsError, match="amount"):
        generate_gestures(speech, amount=3.0)
    with pytest.raises(GestureSettingsError, match="Handedness"):
        generate_gestures(speech, handedness="middle")
    with pytest.raises(GestureSettingsError, match="Frame rate"):
        generate_gestures(speech, fps=0.0)
    assert issubclass(GestureSettingsError, ValueError)


def test_progress_reports_and_can_cancel(speech):
    seen = []
    generate_gestures(speech, progress=lambda fraction, message: seen.append((fraction, message)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0

    class Cancelled(Exception):
        pass

    def cancel(fraction, message):
        if fraction >= 0.5:
            raise Cancelled()
    with pytest.raises(Cancelled):
        generate_gestures(speech, progress=cancel)


def test_transcript_beside_the_audio_is_used(tmp_path):
    utterance = espeak_truth.synthesize("I never said that. Did you?", "en-us", 150)
    path = write_wav(tmp_path, "line", utterance.samples, utterance.sample_rate)
    (tmp_path / "line.txt").write_text(utterance.text)
    result = generate_gestures(path)
    assert any("transcript" in note for note in result.notes)
    assert any(s.cue == "negation" for s in result.plan.strokes)


def test_aligned_phones_from_the_face_pipeline_give_the_same_cues(tmp_path):
    from soundmotion.models.audio.load import load_audio
    from soundmotion.models.speech.phonemes import find_phones
    text = "You never know what is there."
    utterance = espeak_truth.synthesize(text, "en-us", 150)
    path = write_wav(tmp_path, "reuse", utterance.samples, utterance.sample_rate)
    track = find_phones(load_audio(path), text)
    assert track.source == "alignment"
    aligned_here = generate_gestures(path, transcript=text, seed=4)
    reused = generate_gestures(path, transcript=text, seed=4, track=track)
    assert [(s.time, s.shape, s.cue) for s in reused.plan.strokes] == \
           [(s.time, s.shape, s.cue) for s in aligned_here.plan.strokes]
    assert {"negation", "there"} <= {s.cue for s in reused.plan.strokes}


def test_a_handed_over_track_whose_alignment_failed_is_not_aligned_again(tmp_path, monkeypatch):
    from soundmotion.models.audio.load import load_audio
    from soundmotion.models.gesture import pipeline
    from soundmotion.models.speech.phonemes import find_phones
    utterance = espeak_truth.synthesize("You never know what is there.", "en-us", 150)
    path = write_wav(tmp_path, "mismatch", utterance.samples, utterance.sample_rate)
    wrong_text = "Seventeen purple elephants quietly juggled oranges at the railway station yesterday evening."
    track = find_phones(load_audio(path), wrong_text)
    assert track.source == "recognition"

    def align_again(*args, **kwargs):
        raise AssertionError("the face pipeline's track was analysed again")

    monkeypatch.setattr(pipeline, "find_phones", align_again)
    result = generate_gestures(path, transcript=wrong_text, seed=4, track=track)
    assert any("could not be aligned" in note for note in result.notes)
    assert not any(s.word for s in result.plan.strokes)  # no word cues: the voice alone
