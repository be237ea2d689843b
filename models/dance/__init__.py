"""Music → dance: choreography written as code (moves on beats, feet by IK), contact clean-up, BVH export."""

from .pipeline import DanceResult, dance_to_analysis, generate_dance

__all__ = ["DanceResult", "dance_to_analysis", "generate_dance"]
