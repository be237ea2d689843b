"""Music analyses handed over directly (a steady grid of beats and bars), as the music model would report them."""

import numpy as np

from soundmotion.models.music.analysis import MusicAnalysis, Section


def grid_analysis(bpm=120.0, beats_per_bar=4, bars=(8, 8, 8), labels=(0, 1, 0), loudness=(0.8, 1.0, 0.8),
                  lead_in=0.3) -> MusicAnalysis:
    """A song's analysis handed over directly (a steady grid, sections of whole bars), as the music model would
    report it, e.g. for a 3/4 waltz."""
    period = 60.0 / bpm
    total_bars = sum(bars)
    beats = lead_in + np.arange(total_bars * beats_per_bar + 1) * period
    bar_starts = np.arange(0, total_bars * beats_per_bar, beats_per_bar)
    duration = float(beats[-1] + 0.5)
    rate = 100.0
    curve = np.zeros(int(duration * rate) + 1)
    sections, bar = [], 0
    for count, label, loud in zip(bars, labels, loudness):
        start = 0.0 if bar == 0 else float(beats[bar * beats_per_bar])
        bar += count
        end = duration if bar == total_bars else float(beats[bar * beats_per_bar])
        sections.append(Section(start, end, label, loud))
        curve[int(start * rate):int(end * rate) + 1] = loud
    return MusicAnalysis(duration, bpm, beats, beats[bar_starts], 0, sections, rate, np.zeros_like(curve), curve,
                         bar_starts=bar_starts, beats_per_bar=beats_per_bar)
