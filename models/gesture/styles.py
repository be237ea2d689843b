"""Gesture style presets: how often strokes come, how big they are, which shapes a speaker favours.

Stroke size, hand speed and wrist flick were tuned on the gesture bench towards a BEAT speaker's arm angular speed
while speaking (about 1.1 rad/s): the animated storyteller reaches it, the presenter and lecturer stay calmer.
A take's vocal effort (prosody.vocal_effort: whispered ~0.5, read speech 1, shouted up to ~1.45) scales its style
(with_effort): people gesture with their voice's effort.
"""

from dataclasses import dataclass, replace

from ...errors import SoundMotionError


class GestureSettingsError(SoundMotionError):
    """A gesture setting is out of range or unknown; the message names it."""


@dataclass(frozen=True)
class GestureStyle:
    name: str
    spacing: float            # seconds between strokes at amount 1
    amplitude: float          # stroke size
    both_share: float         # strokes made with both hands
    shapes: dict              # beat shape -> how often
    nod_share: float          # strokes that the head nods with
    stroke_seconds: float     # preparation → apex
    hold_seconds: float       # post-stroke hold
    torso: float              # degrees the torso leans and turns with the gestures
    weight_shift: float       # metres the pelvis moves between the feet (standing)
    stroke_metres: float = 0.2    # longest stroke (preparation → apex) at amount 1
    hand_speed: float = 1.8       # m/s at the fastest point of a movement
    wrist_flick: float = 0.0      # degrees the forearm rolls through a stroke, towards the apex's palm direction
    turn: float = 12.0            # degrees the body turns at most towards one side's listeners
    shift_scale: float = 1.0      # posture shifts come every 3–7 s times this
    step_share: float = 0.25      # posture shifts made with a step even without a turn (standing)
    head: float = 1.0             # how much the head moves with the voice (nods, pitch, gaze)
    spread: float = 1.0           # how far strokes wander over the gesture space
    large_share: float = 0.12     # strokes made large (wide and high)
    effort: float = 1.0           # the vocal effort the style was scaled for (with_effort); 1: as tuned


STYLES = {s.name: s for s in (
    GestureStyle("presenter", spacing=0.4, amplitude=2.0, both_share=0.4,
                 shapes={"beat": 3.0, "open_palm": 2.0, "precision_grip": 1.0, "frame": 0.7, "sweep": 0.4},
                 nod_share=0.5, stroke_seconds=0.28, hold_seconds=0.22, torso=3.5, weight_shift=0.03,
                 stroke_metres=0.25, hand_speed=2.5, wrist_flick=12.0, turn=20.0, shift_scale=1.0, step_share=0.3,
                 spread=1.4, large_share=0.2),
    GestureStyle("storyteller", spacing=0.36, amplitude=2.0, both_share=0.45,
                 shapes={"open_palm": 2.5, "sweep": 1.5, "beat": 1.5, "frame": 1.2, "fist_beat": 0.6},
                 nod_share=0.55, stroke_seconds=0.24, hold_seconds=0.18, torso=5.0, weight_shift=0.04,
                 stroke_metres=0.27, hand_speed=2.5, wrist_flick=20.0, turn=22.0, shift_scale=0.8, step_share=0.35,
                 head=1.2, spread=1.3, large_share=0.22),
    GestureStyle("lecturer", spacing=0.44, amplitude=1.8, both_share=0.2,
                 shapes={"precision_grip": 3.0, "beat": 2.0, "fist_beat": 1.0, "open_palm": 1.0, "frame": 0.5},
                 nod_share=0.45, stroke_seconds=0.26, hold_seconds=0.25, torso=4.0, weight_shift=0.03,
                 stroke_metres=0.23, hand_speed=2.4, wrist_flick=15.0, turn=20.0, shift_scale=1.2, step_share=0.2,
                 head=0.9, spread=1.1, large_share=0.1),
)}
HANDEDNESS = ("right", "left", "both")
EFFORT_HAND_SPEED = 3.0   # m/s: a shout's hands move faster, up to this (the fastest strokes stay under the tests' 4)


def with_effort(style: GestureStyle, effort: float) -> GestureStyle:
    """The style as a speaker with this vocal effort uses it. A whisper (0.5) gets small, slow gestures close to
    the body: strokes about half the size, further apart (fewer), slower, rarely large, with little head motion and
    torso lean; a raised or shouted voice (up to 1.45) larger, faster, more frequent strokes, more often large, more
    and stronger nods. Where the hands may go (below the face, clear of the shoulder and body) and how fast they may
    move stay limited as before (motion.py). Effort 1: the style unchanged. Posture (turns, steps, weight) is not
    the voice's: it stays."""
    if effort == 1.0:
        return style
    e = float(effort)
    return replace(style, spacing=style.spacing / e ** 0.8, amplitude=style.amplitude * e,
                   stroke_metres=style.stroke_metres * e,
                   hand_speed=min(style.hand_speed * e ** 0.5, max(style.hand_speed, EFFORT_HAND_SPEED)),
                   stroke_seconds=style.stroke_seconds / e ** 0.5, wrist_flick=style.wrist_flick * e,
                   nod_share=min(style.nod_share * e, 0.9), head=style.head * e, torso=style.torso * e,
                   spread=style.spread * e ** 0.5, large_share=min(style.large_share * e ** 2, 0.5), effort=e)


def check_settings(style: str, amount: float, handedness: str, fps: float, prior_strength: float = 0.0) -> GestureStyle:
    if style not in STYLES:
        raise GestureSettingsError(f"Unknown gesture style {style!r}; choose one of {', '.join(STYLES)}.")
    if not (0.0 <= amount <= 2.0):
        raise GestureSettingsError(f"Gesture amount must be between 0 and 2, got {amount:g}.")
    if handedness not in HANDEDNESS:
        raise GestureSettingsError(f"Handedness must be one of {', '.join(HANDEDNESS)}, got {handedness!r}.")
    if not (fps > 0 and fps == fps and fps < 1000):
        raise GestureSettingsError(f"Frame rate must be positive, got {fps}.")
    if not (0.0 <= prior_strength <= 1.0):
        raise GestureSettingsError(f"Motion prior strength must be between 0 and 1, got {prior_strength:g}.")
    return STYLES[style]
