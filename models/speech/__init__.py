"""Speech analysis: where the voice is (activity), and which phones it says when (alignment, recognition)."""

from .segments import PhoneSegment
from .phonemes import PhoneTrack, find_phones

__all__ = ["PhoneSegment", "PhoneTrack", "find_phones"]
