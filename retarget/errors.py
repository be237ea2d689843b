from ..errors import SoundMotionError


class RetargetError(SoundMotionError):
    """Retargeting cannot go on (bad rig, bad file, unmapped bones); the message tells the user what to fix."""
