"""A timed phone: the unit every speech step produces and the face pipeline consumes."""

import math
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

    def frames(self, count: int | None = None, at_least_one: bool = False) -> slice:
        """The FRAME_SECONDS frames nearest the phone's edges (rounded), cut to `count` frames when given;
        `at_least_one`: never empty, the frame at its start when it is shorter than half a frame."""
        lo = max(0, int(round(self.start / FRAME_SECONDS)))
        hi = int(round(self.end / FRAME_SECONDS))
        hi = max(lo + 1, hi) if at_least_one else hi
        return slice(lo, hi if count is None else min(count, hi))

    def covering_frames(self) -> slice:
        """Every FRAME_SECONDS frame the phone touches (its start rounded down, its end up)."""
        return slice(int(self.start / FRAME_SECONDS), int(math.ceil(self.end / FRAME_SECONDS)))


def base_phone(name: str) -> str:
    """'AH0' → 'AH'; pocketsphinx noise and filler units ('+NSN+', '<sil>', 'SIL') → 'SIL'."""
    name = name.strip().upper().rstrip("012")
    if not name or name.startswith("+") or name.startswith("<") or name in ("SIL", "SP", "NSN", "SPN"):
        return SILENCE
    return name
