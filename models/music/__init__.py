"""Music analysis for dance: tempo and beats that follow drift, downbeats, sections, onset and loudness curves."""

from .analysis import MusicAnalysis, Section, analyse_music, beat_position, fallback_analysis

__all__ = ["MusicAnalysis", "Section", "analyse_music", "beat_position", "fallback_analysis"]
