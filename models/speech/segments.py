"""A timed phone: the unit every speech step produces and the face pipeline consumes."""

from dataclasses import dataclass

SILENCE = "SIL"
FRAME_SECONDS = 0.01  # pocketsphinx frames


@dataclass(frozen=True)
class PhoneSegment:
    phone: str      # CMU ARPAbet without stress digits ("AA", "B", …) or "SIL"
    start: float    # seconds
    end: float      # seconds
    word: str = ""  # the transcript word it belongs to, when aligned

    @property
    def duration(self) -> float:
        return self.end - self.start


def base_phone(name: str) -> str:
    """'AH0' → 'AH'; pocketsphinx noise and filler units ('+NSN+', '<sil>', 'SIL') → 'SIL'."""
    name = name.strip().upper().rstrip("012")
    if not name or name.startswith("+") or name.startswith("<") or name in ("SIL", "SP", "NSN", "SPN"):
        return SILENCE
    return name
