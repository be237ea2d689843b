"""Speech audio (+ optional transcript) → an ARKit-52 FaceClip, Rhubarb mouth cues and notes.

    result = generate_face("line.wav", transcript=None, fps=60.0)
    result.clip, result.mouth_cues, result.notes

Steps: voice activity and phones (models/speech), a coarticulated viseme mixture (visemes.py), JALI-style
jaw and lip amplitudes from loudness and pitch (arkit_curves.py), then blinks, brows and eyes
(secondary.py), emotion layers (emotion.py). Everything is numpy; nothing here imports bpy.
"""

import os
from dataclasses import dataclass, field, replace

import numpy as np

from ...clips.arkit import ARKIT_BLENDSHAPES
from ...clips.face import FaceClip
from ..audio.load import Audio, load_audio
from ..speech.closures import LABIALS
from ..speech.phonemes import find_phones
from ..speech.segments import FRAME_SECONDS, SILENCE
from ..speech.espeak import EspeakUnavailable, UnknownLanguage, check_language
from ..speech import transcripts
from .arkit_curves import jali_scales, mouth_weights, rest_in_pauses
from .emotion import EmotionError, add_emotion, apply_gain_offset, check_emotion, strength_curve
from .mouth_cues import mouth_cues
from .mouth_style import hold_phones
from .secondary import add_blinks, add_brow_raises, add_saccades, pitch_accents
from .visemes import VISEME_INDEX, jaw_weights, viseme_weights
from ...errors import SoundMotionError

# The face shows each sound this much before it is heard; lip closures keep their time (phonemes places them on the
# loudness dip where the lips are shut, and releases them early). Chosen on tuning material (bench/lipsync_results.md,
# eighteenth round): against real speakers' phone labels the face was about 10 ms late throughout; with a
# transcript, frame accuracy of the looked-at real speakers 0.783 -> 0.790, closures and pauses kept.
LEAD_SECONDS = 0.01


class FaceSettingsError(SoundMotionError):
    """A face setting is out of range; the message names it."""


@dataclass
class FaceSettings:
    articulation: float = 1.0     # 0..2: how far mouth and jaw move
    expressiveness: float = 0.5   # 0..1: jaw range with loudness, brow raises, gaze, blink rate
    smoothing: float = 0.5        # 0..1: 0 = crisp, 1 = soft
    seed: int = 0
    blinks: bool = True
    brows: bool = True
    eyes: bool = True
    coarticulation: float = 1.0   # 0..2: 0 holds each mouth shape, 1 blends neighbours as tuned, 2 blends more
    min_hold: float = 0.0         # seconds: no mouth shape is held shorter (mouth_style.hold_phones)
    language: str | None = None   # eSpeak NG code of the transcript's language; None: English (audio alone needs none)
    emotion: str = "neutral"      # neutral, happy, sad, angry, surprised, afraid or disgusted
    emotion_strength: float = 0.0  # 0..1
    emotion_curve: list | None = None  # [(seconds, 0..1)]: the strength over time (times emotion_strength)
    channel_gains: dict | None = None    # {ARKit channel: gain}, applied last
    channel_offsets: dict | None = None  # {ARKit channel: offset}
    aligner: str | None = None    # English transcripts: "pocketsphinx" or "espeak" (default phonemes.ENGLISH_ALIGNER)
    word_recogniser: bool = True  # audio only, English or Auto: closures in the words pocketsphinx hears (slower)

    def validate(self):
        for name, low, high in (("articulation", 0.0, 2.0), ("expressiveness", 0.0, 1.0), ("smoothing", 0.0, 1.0),
                                ("coarticulation", 0.0, 2.0), ("min_hold", 0.0, 0.5)):
            value = getattr(self, name)
            if not (low <= value <= high):
                raise FaceSettingsError(f"{name.capitalize()} must be between {low:g} and {high:g}, got {value:g}.")
        try:
            self.emotion = check_emotion(self.emotion, self.emotion_strength)
            apply_gain_offset(np.zeros((1, len(ARKIT_BLENDSHAPES))), self.channel_gains, self.channel_offsets)
            strength_curve(1.0, 1, 1.0, self.emotion_curve)
        except EmotionError as error:
            raise FaceSettingsError(str(error)) from None
        if self.language:
            try:
                self.language = check_language(self.language)
            except (EspeakUnavailable, UnknownLanguage) as error:
                raise FaceSettingsError(str(error)) from None


@dataclass
class FaceResult:
    clip: FaceClip
    mouth_cues: list                           # [(start_seconds, "A".."H" | "X")]
    notes: list = field(default_factory=list)  # plain sentences about what was noticed
    phone_source: str = "none"                 # "alignment", "recognition" or "none"
    phones: list = field(default_factory=list)
    track: object = None                       # the PhoneTrack: 10 ms voice measurements other models reuse
    visemes: np.ndarray = None                 # (frames, visemes): the mixture the mouth follows


def transcript_beside(audio_path, notes: list | None = None) -> str | None:
    """The words of `name.txt` (or `name.lab`, `name.srt`, `name.vtt`, also upper case) next to `name.wav`, if there
    is one. One that is neither UTF-8 text nor UTF-16 with a byte-order mark is ignored ("": there was one, but no
    words), as `--text` refuses it, and `notes` gets a sentence saying so (which stands for face_from_audio's
    NO_TRANSCRIPT_NOTE)."""
    return _transcript_at(transcripts.transcript_path_beside(audio_path), notes)


def _transcript_at(path, notes: list | None) -> str | None:
    """transcript_beside's words of the file at `path` (None: no file)."""
    if path is None:
        return None
    try:
        return transcripts.transcript_text(transcripts.read_text(path)) or None
    except UnicodeDecodeError:
        if notes is not None:
            notes.append(f"The transcript {os.path.basename(path)} beside the audio is not UTF-8 text, so it was "
                         "ignored and the audio alone was used.")
        return ""


def generate_face(audio_path, transcript: str | None = None, fps: float = 60.0,
                  settings: FaceSettings | None = None, progress=None) -> FaceResult:
    """Lip sync and facial animation for a speech recording. `progress(fraction, message)` may raise to cancel."""
    settings = settings or FaceSettings()
    settings.validate()
    if not (fps > 0 and np.isfinite(fps)):
        raise FaceSettingsError(f"Frame rate must be positive, got {fps}.")
    report = progress or (lambda fraction, message: None)
    audio, transcript, notes = load_speech(audio_path, transcript, report)
    return face_from_audio(audio, transcript, fps, settings, report, notes)


def load_speech(audio_path, transcript: str | None, report) -> tuple:
    """(audio, transcript, notes): the recording, and its transcript — the one given, else the .txt beside it."""
    report(0.0, "Loading audio")
    audio = load_audio(audio_path, allow_silence=True)
    notes = []
    if transcript is None:
        path = transcripts.transcript_path_beside(audio_path)
        transcript = _transcript_at(path, notes)
        if transcript:  # the note names the file read
            notes.append(f"Used the transcript {os.path.basename(path)}.")
    return audio, transcript, notes


@dataclass
class VoiceMeasures:
    """What the face takes from the voice besides its phones, per 10 ms frame. A take keeps it, so the face can be
    rebuilt from an edited phone track (`face_from_phones`) without analysing the audio again."""
    decibels: np.ndarray     # loudness, dBFS
    speaking: np.ndarray     # bool: voice activity
    semitones: np.ndarray    # pitch against the median voiced pitch, 0 where unvoiced
    voiced: np.ndarray       # bool
    duration: float          # seconds of audio
    speech_like: bool = True

    @classmethod
    def from_track(cls, track, duration: float) -> "VoiceMeasures":
        return cls(track.features.decibels, track.activity.active, track.pitch.semitones(), track.pitch.voiced,
                   float(duration), bool(track.speech_like))


NO_TRANSCRIPT_NOTE = ("No transcript given: phonemes were recognised from the audio; a transcript (text field or a "
                      ".txt beside the audio) gives more accurate lip sync.")


def face_from_audio(audio: Audio, transcript: str | None, fps: float, settings: FaceSettings,
                    report, notes: list) -> FaceResult:
    report(0.1, "Finding speech")
    track = find_phones(audio, transcript, report, language=settings.language, aligner=settings.aligner,
                        words=settings.word_recogniser)
    given_notes, notes = notes, notes + track.notes
    # Without words, and no note yet on a transcript file (load_speech's: one beside the audio was not UTF-8).
    if track.source == "recognition" and not (transcript and transcript.strip()) and not given_notes \
            and track.speech_like:
        notes.append(NO_TRANSCRIPT_NOTE)
    report(0.7, "Shaping visemes")
    # Whatever the recogniser made of music or noise is not speech: the mouth rests rather than flaps.
    phones = track.phones if track.speech_like else []
    result = face_from_phones(phones, VoiceMeasures.from_track(track, audio.duration), fps, settings, report)
    result.notes, result.phone_source, result.track = notes, track.source, track
    return result


def silent_spans(phones: list) -> list:
    """[(start, end)] seconds of silence, touching silences joined (an aligner's piece boundary or a closure hold
    may split one pause into several SIL phones, each too short to count as a pause on its own)."""
    spans = []
    for phone in phones:
        if phone.phone != SILENCE:
            continue
        if spans and abs(spans[-1][1] - phone.start) < 1e-6:
            spans[-1] = (spans[-1][0], phone.end)
        else:
            spans.append((phone.start, phone.end))
    return spans


def face_from_phones(phones: list, voice: VoiceMeasures, fps: float, settings: FaceSettings,
                     report=None) -> FaceResult:
    """The face for a given phone track (e.g. one an animator edited) and the voice's measures."""
    report = report or (lambda fraction, message: None)
    count = max(1, int(np.ceil(voice.duration * fps - 1e-9)))
    heard = np.arange(count) / fps + LEAD_SECONDS  # the moment of the sound each frame shows
    held = hold_phones(phones, settings.min_hold)
    held = [replace(p, start=p.start + LEAD_SECONDS, end=p.end + LEAD_SECONDS) if p.phone in LABIALS else p
            for p in held]  # closures keep their time
    visemes = viseme_weights(held, heard, settings.coarticulation)

    frame_index = np.clip((heard / FRAME_SECONDS).astype(int), 0, len(voice.decibels) - 1)
    loudness = voice.decibels[frame_index]
    speaking = voice.speaking[frame_index]
    pitch_index = np.clip(frame_index, 0, len(voice.semitones) - 1)
    semitones, voiced = voice.semitones[pitch_index], voice.voiced[pitch_index]
    jaw_scale, lip_scale = jali_scales(loudness, semitones, speaking, settings.expressiveness)
    articulation = settings.articulation
    weights = mouth_weights(visemes, jaw_scale, lip_scale, fps, articulation, settings.smoothing,
                            jaw_weights(held, heard, settings.coarticulation))
    rest_in_pauses(weights, [(start - LEAD_SECONDS, end - LEAD_SECONDS) for start, end in silent_spans(phones)], fps)

    report(0.85, "Adding blinks, brows and eyes")
    rng = np.random.default_rng(settings.seed)
    if settings.blinks:
        add_blinks(weights, fps, rng, settings.expressiveness)
    if settings.brows and voice.speech_like:
        add_brow_raises(weights, pitch_accents(semitones, voiced & speaking, fps), fps, settings.expressiveness)
    if settings.eyes:
        add_saccades(weights, fps, rng, settings.expressiveness)
    if settings.emotion != "neutral" and settings.emotion_strength > 0:
        strength = strength_curve(settings.emotion_strength, count, fps, settings.emotion_curve)
        add_emotion(weights, settings.emotion, strength, visemes[:, VISEME_INDEX["PP"]])
    apply_gain_offset(weights, settings.channel_gains, settings.channel_offsets, visemes[:, VISEME_INDEX["PP"]])
    clip = FaceClip(fps, np.clip(weights, 0.0, 1.0), ARKIT_BLENDSHAPES)
    cue_times = np.arange(int(np.ceil(voice.duration / FRAME_SECONDS))) * FRAME_SECONDS
    cues = mouth_cues(viseme_weights(held, cue_times + LEAD_SECONDS, settings.coarticulation), cue_times,
                      voice.duration)
    report(1.0, "Done")
    return FaceResult(clip, cues, [], "track", list(phones), None, visemes)
