"""Speech audio (+ optional transcript) → co-speech gesture on the SMPL-X skeleton.

    result = generate_gestures("line.wav", transcript=None, fps=30.0, style="presenter", seed=0)
    result.clip, result.strokes, result.notes

Steps: prosody (voice activity, pitch accents, stressed syllables, vocal effort; models/speech and models/audio), the
style scaled by the take's vocal effort (whispered: small and slow; shouted: large and fast; styles.py), word cues
from an aligned transcript (words.py), the gesture plan (planning.py), posture shifts and steps (posture.py), hand
tracks that rest, rise and dip (motion.py) and the body over its feet with the head following the voice (body.py),
then optionally the dance model's learned motion prior on the arms, spine and head (prior.py).
Numpy/scipy only; nothing here imports bpy. The same seed gives the same take.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from ...clips.motion import MotionClip
from ..audio.load import Audio
from ..face.pipeline import load_speech
from ..speech.phonemes import PhoneTrack, find_phones
from .body import build_clip
from .motion import follow_through, hand_tracks, idle_sway
from .planning import GesturePlan, plan_gestures
from .posture import plan_postures, posture_at
from .prior import apply_gesture_prior, weights_available
from .prosody import Prosody, analyse_prosody
from .styles import check_settings, with_effort
from .words import find_cues, timed_words

WHISPERED_EFFORT = 0.75   # a take's vocal effort below this is told as whispered, above RAISED_EFFORT as raised
RAISED_EFFORT = 1.15
SHOUTED_EFFORT = 1.3
REST_SWAY_METRES = 0.004
GESTURE_SWAY_METRES = 0.02
END_SETTLE_SECONDS = 1.6
PRIOR_STRENGTH = 0.5      # bench: beats and jerk unchanged, idles drift a little instead of freezing


@dataclass
class GestureResult:
    clip: MotionClip                           # runs up to END_SETTLE_SECONDS past the audio so the hands rest
    strokes: list                              # seconds: stroke apexes
    notes: list = field(default_factory=list)  # plain sentences about what was noticed
    plan: GesturePlan = None
    prosody: Prosody = None
    postures: list = None                      # posture.Posture shifts over the take
    pose_times: dict = None                    # part of the body → seconds where it has its poses (pose_times())


def generate_gestures(audio_path, transcript: str | None = None, fps: float = 30.0, style: str = "presenter",
                      amount: float = 1.0, handedness: str = "right", seated: bool = False, seed: int = 0,
                      progress=None, track: PhoneTrack | None = None,
                      prior_strength: float = PRIOR_STRENGTH, language: str | None = None) -> GestureResult:
    """Co-speech gesture for a speech recording. `progress(fraction, message)` may raise to cancel.

    `track`: the face pipeline's analysis of the same audio (FaceResult.track), so a run that makes face and
    gestures measures the voice and aligns the transcript once.
    `prior_strength` (0..1): how much of the learned motion prior's correction goes into the arms, spine and head.
    `language`: eSpeak NG code of the transcript's language (None: English); word cues come from English words only.
    """
    check_settings(style, amount, handedness, fps, prior_strength)
    report = progress or (lambda fraction, message: None)
    audio, transcript, notes = load_speech(audio_path, transcript, report)
    return gestures_from_audio(audio, transcript, fps, style, amount, handedness, seated, seed, report, notes,
                               track, prior_strength, language)


def gestures_from_audio(audio: Audio, transcript: str | None = None, fps: float = 30.0, style: str = "presenter",
                        amount: float = 1.0, handedness: str = "right", seated: bool = False, seed: int = 0,
                        progress=None, notes: list | None = None, track: PhoneTrack | None = None,
                        prior_strength: float = PRIOR_STRENGTH, language: str | None = None) -> GestureResult:
    preset = check_settings(style, amount, handedness, fps, prior_strength)
    report = progress or (lambda fraction, message: None)
    notes = list(notes or [])
    report(0.1, "Listening to the voice")
    prosody = analyse_prosody(audio, track)
    notes += prosody.notes
    if prosody.speech_like:
        # The voice's effort scales the take (styles.with_effort); each phrase's own, a little more, in planning.
        preset = with_effort(preset, prosody.effort)
        notes += effort_notes(prosody.effort)
    cues = []
    if transcript and transcript.strip() and prosody.speech_like:
        if track is None:  # a handed-over track already holds this transcript's alignment, or its failure
            report(0.3, "Aligning the transcript")
            track = find_phones(audio, transcript, language=language, words=False)  # no lip closures needed
        if track.source == "alignment":
            cues = find_cues(timed_words(track.phones, transcript))
        else:
            notes.append("The transcript could not be aligned, so gestures follow the voice only.")
    report(0.6, "Planning gestures")
    rng = np.random.default_rng(seed)
    plan = plan_gestures(prosody, cues, preset, amount, handedness, rng)
    notes += plan.notes
    report(0.75, "Moving arms and hands")
    # The clip runs on past the audio until the hands are back at rest, when speech goes up to the end.
    settle = 0.0
    if plan.units:
        settle = float(np.clip(END_SETTLE_SECONDS - (audio.duration - plan.units[-1][1]), 0.0, END_SETTLE_SECONDS))
    count = max(1, int(np.ceil((audio.duration + settle) * fps - 1e-9)))
    times = np.arange(count) / fps
    postures = plan_postures(plan, prosody.regions(), preset, handedness, seated, rng, end=float(times[-1]))
    plan = _hands_for_postures(plan, postures, handedness)
    tracks = hand_tracks(plan, preset, amount, times, seated, rng, postures, prosody.regions())
    for side, track in tracks.items():
        # Raised hands wander more than hands hanging at rest.
        raised = np.clip((track.position[:, 1] - 0.05) / 0.2, 0.0, 1.0)[:, None]
        sway = REST_SWAY_METRES + (GESTURE_SWAY_METRES - REST_SWAY_METRES) * raised
        track.position = track.position + sway * idle_sway(count, fps, rng, 1.0, seconds=0.6)
        tracks[side] = follow_through(track, fps)
    report(0.85, "Moving the body")
    clip = build_clip(tracks, plan, preset, times, fps, seated, rng, postures, prosody)
    if prior_strength > 0:
        if weights_available():
            report(0.95, "Applying the motion prior")
            clip = apply_gesture_prior(clip, prior_strength)
        else:
            notes.append("The motion prior's weights are missing, so the gestures are procedural only.")
    report(1.0, "Done")
    return GestureResult(clip, [s.time for s in plan.strokes], notes, plan, prosody, postures,
                         pose_times(tracks, plan, postures))


def effort_notes(effort: float) -> list:
    """A note when the voice's effort sets the gestures apart from read speech."""
    if effort < WHISPERED_EFFORT:
        return ["Whispered: small gestures."]
    if effort >= SHOUTED_EFFORT:
        return ["Shouted: large, fast gestures."]
    if effort >= RAISED_EFFORT:
        return ["Raised voice: larger gestures."]
    return []


def pose_times(tracks: dict, plan: GesturePlan, postures: list) -> dict:
    """Where each part of the body has its poses, in seconds (the frames key poses are keyed at first): each arm
    where its hand arrives and stops (rest, preparation, apex, hold, dip), the head on its nods, shakes and tilts,
    the body where a posture shift starts and settles."""
    times = {f"{side}_arm": sorted(float(t) for t in track.key_times if t >= 0.0) for side, track in tracks.items()}
    times["head"] = sorted(move.time for move in plan.head)
    times["body"] = sorted(t for posture in postures or [] for t in (posture.start, posture.start + 1.0))
    return times


def _hands_for_postures(plan: GesturePlan, postures: list, handedness: str) -> GesturePlan:
    """One-handed strokes go to the posture's talking hand: never the hand resting on the hip; with handedness
    "both", the hand the posture favours."""
    strokes = []
    for stroke in plan.strokes:
        if stroke.hands in ("left", "right"):
            posture = posture_at(postures, stroke.time)
            on_hip = [side for side, rest in zip(("left", "right"), posture.rest) if rest == "hip"]
            if handedness == "both" and stroke.cue in ("accent", "stress"):
                stroke = replace(stroke, hands=posture.dominant)
            if stroke.hands in on_hip:
                stroke = replace(stroke, hands="right" if stroke.hands == "left" else "left")
        strokes.append(stroke)
    return replace(plan, strokes=strokes)
