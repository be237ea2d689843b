"""madmom's RNN + DBN beats and downbeats for a list of files, as JSON; run by bench/beats.py in the bench-only
environment (`bash bench/madmom_env.sh`, .venv-bench), since madmom needs an older numpy than Blender's.

    .venv-bench/bin/python bench/madmom_baseline.py OUT.json AUDIO...

madmom's models are CC BY-NC-SA: a baseline to compare with, never part of SoundMotion.
"""

import json
import sys
import time


def main(argv):
    out, paths = argv[0], argv[1:]
    import numpy as np
    import soundfile
    from madmom.audio.signal import Signal
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    rnn = RNNDownBeatProcessor()
    dbn = DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)
    results = {}
    for path in paths:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
        start = time.perf_counter()
        beats = dbn(rnn(Signal(samples.mean(axis=1), sample_rate=rate)))
        seconds = time.perf_counter() - start
        beats = np.asarray(beats).reshape(-1, 2)
        results[path] = {"beats": beats[:, 0].tolist(), "downbeats": beats[beats[:, 1] == 1, 0].tolist(),
                         "seconds": seconds, "duration": len(samples) / rate}
        print(f"madmom: {path}: {len(beats)} beats in {seconds:.1f} s", file=sys.stderr, flush=True)
    with open(out, "w") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main(sys.argv[1:])
