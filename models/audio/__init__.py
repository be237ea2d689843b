"""Reading audio files and measuring them (loudness, silence); shared by the face, gesture and dance models."""

from .load import AudioError, Audio, load_audio

__all__ = ["Audio", "AudioError", "load_audio"]
