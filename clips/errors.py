from ..errors import SoundMotionError


class ClipError(SoundMotionError):
    """A clip (or a file claiming to be one) breaks the canonical schema; the message says how."""
