"""Beats, downbeats and meter from frame-wise activations: Viterbi over tempo and bar position (numpy).

The model is the bar-pointer dynamic Bayesian network of Krebs, Böck & Widmer (2015) as used by madmom's
downbeat tracker: the hidden state is (meter, tempo, position in the bar); the position advances one frame at
a time, the tempo may change only where a beat begins (the further from the old tempo, the less likely:
exp(-TRANSITION_LAMBDA·|ratio - 1|)), and a bar of M beats wraps to its start. Frames in the first
1/OBSERVATION_LAMBDA of a beat look for a beat (in the bar's first beat: a downbeat), the others for no beat.

Because the position moves deterministically inside a beat, the decode runs over beat starts (a semi-Markov
form of the same model): the score of a beat that starts at frame t with interval τ is the sum of its frames'
log-observations (prefix sums) plus the best predecessor beat that started at t - τ'. No beat is shorter than
the fastest tempo's interval, so all frames of such a stretch are decoded in one vectorised step. Every meter is
decoded and the most likely one is kept.

The net sometimes hears the off-beat as the beat for a section (guitar riffs accented between the beats), where
the beat itself goes on: people's beats do not jump half a beat and back. So each beat may also be read half a
beat late (its beat frames at t + τ // 2, for OFFBEAT_COST per beat and OFFBEAT_SWITCH per change of reading):
the decode then keeps its phase through such a section instead of following the net onto the off-beat and back
(two tempo bumps of a few frames cost less than the section's evidence). A whole piece on the off-beat stays on
it (reading it late costs more): analysis.onto_the_bass moves whole pieces.
"""

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# madmom's values at 100 frames a second are 16 and 100. At this net's 50 frames a second they were chosen on the
# validation split of bench/music_corpus.py (39 game-soundtrack excerpts from packages that never trained the
# net, madmom's beats; tuning data): beat F 0.855 → 0.894 and tempo octave errors 5 → 2 of 39 with 10 and 60
# (a grid of 4–32 × 30–300; 32 made 29 of 39 octave errors).
OBSERVATION_LAMBDA = 10.0
TRANSITION_LAMBDA = 60.0
MIN_BPM, MAX_BPM = 55.0, 215.0
FLOOR = 1e-7
# A mild log-normal preference for tempi near 120 BPM, per beat: on held-back training pieces it took tempo
# octave errors from 13 % to 10 % of the pieces (beat F 0.860 → 0.869); σ = 0.8 changed nothing.
TEMPO_SIGMA = 0.5
TEMPO_CENTRE_BPM = 120.0
ACTIVE = 0.1               # frames before the first and after the last beat probability this high get no beats
BAND = 5                   # tempo changes from one beat to the next: at most 5 intervals (frames) either way
# A beat read half a beat late (where the net put it on the off-beat) costs OFFBEAT_COST, a change of reading
# OFFBEAT_SWITCH (None: never read late). Chosen on both tuning splits (madmom's beats): beat F 0.925 → 0.925 on
# the validation split, 0.934 → 0.940 on the band split (one track's off-beat section 0.84 → 1.00), the same for
# costs 0.3–0.7 with changes at 15–22. 0.6 / 18 is their middle; on five synthetic pieces with 40–50 % of the beats
# on the off-beat it kept the phase in two (recall 0.50–0.59 → 1.00), fell in one nearly even split (0.53 → 0.40:
# the decode then jumps once instead of changing reading twice) and left two as they were (0.4 / 20 also made one
# of them 0.60 → 0.27). Cheaper changes (0.5 / 15, 0.7 / 8) also held a track's second half, on whose shifted
# phase madmom stays, to its first half's (0.85 → 0.59); dearer ones (0.3 / 30, 0.7 / 20) never changed reading;
# 1 / 10 kept the phase where madmom itself jumps half a beat for 12 s and back (0.88 → 0.77).
OFFBEAT_COST = 0.6
OFFBEAT_SWITCH = 18.0


@dataclass
class DecodedBeats:
    beats: np.ndarray          # seconds
    beat_in_bar: np.ndarray    # 1 = downbeat
    beats_per_bar: int
    log_probability: float     # of the whole decode (all frames)


def decode(activations: np.ndarray, frame_rate: float, meters=(3, 4), min_bpm: float = MIN_BPM,
           max_bpm: float = MAX_BPM, meter_log_prior: dict = None) -> DecodedBeats:
    """The most likely beats and bars for (T, 2) beat/downbeat probabilities (a beat's includes downbeats).

    Only the stretch from the first to the last frame whose beat probability reaches ACTIVE is decoded (as
    madmom does), so silent lead-ins and tails get no beats."""
    activations = np.asarray(activations, np.float64)
    active = np.flatnonzero(activations[:, 0] >= ACTIVE)
    if len(active) == 0:
        return DecodedBeats(np.zeros(0), np.zeros(0, int), max(meters), -np.inf)
    margin = int(round(frame_rate))    # a second of quiet either side, so the first beat is not the first frame
    first, last = max(0, int(active[0]) - margin), min(len(activations), int(active[-1]) + 1 + margin)
    if first > 0 or last < len(activations):
        decoded = decode(activations[first:last], frame_rate, meters, min_bpm, max_bpm, meter_log_prior)
        decoded.beats = decoded.beats + first / frame_rate
        keep = (decoded.beats >= (active[0] - 2) / frame_rate) & (decoded.beats <= (active[-1] + 2) / frame_rate)
        decoded.beats, decoded.beat_in_bar = decoded.beats[keep], decoded.beat_in_bar[keep]
        return decoded
    count = len(activations)
    intervals = np.arange(int(np.floor(60.0 * frame_rate / max_bpm)), int(np.ceil(60.0 * frame_rate / min_bpm)) + 1)
    beat = np.clip(activations[:, 0], FLOOR, 1.0 - FLOOR)
    down = np.clip(activations[:, 1], FLOOR, 1.0)
    none_cum = _prefix(np.log((1.0 - beat) / (OBSERVATION_LAMBDA - 1.0)))
    # a downbeat is a beat that is also a bar's first: p(beat)·p(down) there, p(beat)·(1 - p(down)) on other beats
    # (measured on held-back training pieces: the meter is right 70 % of the time against 56 % for madmom's
    # p(down) / p(beat) - p(down), whose ties on beats that are half downbeat favoured bars of three)
    beat_cum = _prefix(np.log(beat) + np.log(np.clip(1.0 - down, FLOOR, 1.0)))
    down_cum = _prefix(np.log(beat) + np.log(down))
    # score of a beat starting at frame t with interval k: its first `head` frames are beat frames, the rest not
    head = np.maximum(1, np.ceil(intervals / OBSERVATION_LAMBDA)).astype(int)[None, :]
    tempo_prior = 0.0 if TEMPO_SIGMA is None else \
        -0.5 * (np.log(60.0 * frame_rate / intervals / TEMPO_CENTRE_BPM) / TEMPO_SIGMA) ** 2   # per beat

    def emissions(times: np.ndarray) -> tuple:
        """(beat, downbeat) log-scores (len(times), K) of beats starting at `times` with each interval: made
        for a block of frames at a time, so an hour of music never holds (frames × intervals) arrays."""
        starts = times[:, None]
        head_end = np.minimum(starts + head, count)
        beat_end = np.minimum(starts + intervals[None, :], count)
        rest = none_cum[beat_end] - none_cum[head_end]
        on = (beat_cum[head_end] - beat_cum[starts] + rest + tempo_prior,
              down_cum[head_end] - down_cum[starts] + rest + tempo_prior)
        if OFFBEAT_COST is None:
            return on
        # the same beat read where the net put it half a beat late: its beat frames start at t + τ // 2
        late = np.minimum(starts + intervals[None, :] // 2, count)
        late_end = np.minimum(late + head, count)
        rest = none_cum[beat_end] - none_cum[starts] - (none_cum[late_end] - none_cum[late])
        # (no beat is read late where its late beat frames would not all lie inside the music)
        penalty = np.where(starts + intervals[None, :] // 2 + head <= count, tempo_prior - OFFBEAT_COST, -np.inf)
        return on + (beat_cum[late_end] - beat_cum[late] + rest + penalty,
                     down_cum[late_end] - down_cum[late] + rest + penalty)

    ratio = intervals[None, :] / intervals[:, None]
    log_transition = -TRANSITION_LAMBDA * np.abs(ratio - 1.0)
    log_transition -= np.log(np.exp(log_transition).sum(axis=1, keepdims=True))      # (from, to)
    # only tempo changes within BAND intervals are kept (farther ones are below exp(-100·0.09) ≈ 1e-4)
    k = len(intervals)
    banded = np.full((2 * BAND + 1, k), -np.inf)
    for offset in range(2 * BAND + 1):
        source = np.arange(k) + offset - BAND
        ok = (source >= 0) & (source < k)
        banded[offset, ok] = log_transition[source[ok], np.arange(k)[ok]]
    best = None
    for meter in meters:
        decoded = _decode_meter(meter, intervals, emissions, none_cum, banded, count)
        prior = (meter_log_prior or {}).get(meter, 0.0)
        if best is None or decoded[0] + prior > best[0]:
            best = (decoded[0] + prior, meter) + tuple(decoded[1:])
    log_probability, meter, frames, beat_in_bar, beat_intervals, late = best
    heads = np.maximum(1, np.ceil(intervals[beat_intervals] / OBSERVATION_LAMBDA)).astype(int)
    shift = np.where(late, intervals[beat_intervals] // 2, 0)
    refined = _refine(frames + shift, heads, activations[:, 0]) - np.where(late, intervals[beat_intervals] / 2.0, 0)
    return DecodedBeats(refined / frame_rate, beat_in_bar, meter, log_probability)


def _decode_meter(meter, intervals, emissions, none_cum, banded, count):
    """Viterbi over beat starts for one meter. Scores are kept only for the frames a beat can still reach back
    to (the longest interval plus one block, in a ring); back-pointers (int16) for every frame. The states are
    (reading, beat in the bar, tempo): reading 1, where OFFBEAT_COST is set, reads the beat half a beat late."""
    k_count = len(intervals)
    shortest, longest = int(intervals[0]), int(intervals[-1])
    modes = 1 if OFFBEAT_COST is None else 2
    states = modes * meter                                 # state m·meter + b: reading m, beat b + 1 of the bar
    ring = longest + shortest
    score = np.full((ring, states, k_count), -np.inf)      # score of frame t at row t % ring
    pointer = np.full((count, states, k_count), -1, np.int16)   # source tempo + k_count · (reading changed)
    state_index = np.arange(states)
    previous_beat = state_index // meter * meter + (state_index % meter - 1) % meter
    other_reading = (previous_beat + meter) % states
    initial = -np.log(states * k_count * intervals[-1]) + none_cum[:count]
    k_index = np.arange(k_count)
    banded_to = np.ascontiguousarray(banded.T)           # (to tempo, offset)
    flat_score = score.reshape(-1)
    from_previous = (previous_beat[:, None] * k_count + k_index[None, :])[None]
    from_other = (other_reading[:, None] * k_count + k_index[None, :])[None]
    best_final, final_at = -np.inf, (0, 0, 0)
    for block in range(0, count, shortest):
        times = np.arange(block, min(count, block + shortest))
        scores = emissions(times)
        emission = np.concatenate([np.concatenate([scores[2 * m + 1][:, None, :],
                                                   np.repeat(scores[2 * m][:, None, :], meter - 1, axis=1)], axis=1)
                                   for m in range(modes)], axis=1)                       # (L, S, K)
        sources = times[:, None] - intervals[None, :]                                   # (L, K_from)
        valid = sources >= 0
        rows = (np.maximum(sources, 0) % ring)[:, None, :] * (states * k_count)
        gathered = flat_score.take(rows + from_previous)      # score[row, previous_beat[s], k]: (L, S, K)
        if modes > 1:
            switched = flat_score.take(rows + from_other) - OFFBEAT_SWITCH
            changed = switched > gathered
            gathered = np.where(changed, switched, gathered)
        padded = np.full(gathered.shape[:2] + (k_count + 2 * BAND,), -np.inf)
        padded[:, :, BAND:BAND + k_count] = np.where(valid[:, None, :], gathered, -np.inf)
        # candidates[l, s, k, w]: from tempo k + w - BAND to tempo k (the window axis last, for a fast argmax)
        candidates = sliding_window_view(padded, 2 * BAND + 1, axis=2) + banded_to        # (L, S, K, 2B+1)
        best = candidates.argmax(axis=3)                                                 # (L, S, K)
        values = np.take_along_axis(candidates, best[..., None], axis=3)[..., 0]
        choice = k_index + best - BAND                                                   # from which tempo
        if modes > 1:
            choice = choice + k_count * np.take_along_axis(changed, np.clip(choice, 0, k_count - 1), axis=2)
        fresh = (times[:, None] < intervals[None, :])[:, None, :]                        # may open the path
        start_value = np.where(fresh, initial[times][:, None, None], -np.inf)
        use_start = start_value > values
        block_score = np.where(use_start, start_value, values) + emission
        score[times % ring] = block_score
        pointer[times] = np.where(use_start, -1, choice)
        # The path ends in a beat whose interval reaches the last frame: the best such (first in C order).
        reaches = (times[:, None] + intervals[None, :] >= count)[:, None, :]
        final = np.where(reaches, block_score, -np.inf)
        index = int(np.argmax(final))
        if final.flat[index] > best_final:
            best_final = float(final.flat[index])
            t, b, k = np.unravel_index(index, final.shape)
            final_at = (int(times[t]), int(b), int(k))
    t, s, k = final_at
    log_probability = best_final
    frames, positions, chosen, late = [], [], [], []
    while True:
        frames.append(t)
        positions.append(s % meter + 1)
        late.append(s >= meter)
        chosen.append(k)
        code = int(pointer[t, s, k])
        if code < 0:
            break
        k_from = code % k_count
        s = other_reading[s] if code >= k_count else previous_beat[s]
        t, k = t - int(intervals[k_from]), k_from
    return (log_probability, np.array(frames[::-1]), np.array(positions[::-1]), np.array(chosen[::-1]),
            np.array(late[::-1], bool))


def _prefix(values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(values)])


def _refine(frames: np.ndarray, heads: np.ndarray, activation: np.ndarray) -> np.ndarray:
    """Each beat moved to the activation's peak in its beat frames (the `head` frames from where it starts, and
    the frame before), with parabolic sub-frame interpolation (madmom corrects its beats so, in the beat region)."""
    refined = frames.astype(np.float64)
    last = len(activation) - 1
    for i, (f, head) in enumerate(zip(frames, heads)):
        lo = min(max(0, f - 1), last)
        hi = max(lo, min(last, f + max(1, int(head) - 1)))
        peak = lo + int(np.argmax(activation[lo:hi + 1]))
        if 0 < peak < last:
            a, b, c = activation[peak - 1:peak + 2]
            denominator = a - 2.0 * b + c
            shift = 0.5 * (a - c) / denominator if denominator < -1e-9 else 0.0
            refined[i] = peak + float(np.clip(shift, -0.5, 0.5))
        else:
            refined[i] = peak
    return refined
