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
decoded (all in one pass) and the most likely one is kept.

The net sometimes hears the off-beat as the beat for a section (guitar riffs accented between the beats), where
the beat itself goes on: people's beats do not jump half a beat and back. So each beat may also be read half a
beat late (its beat frames at t + τ // 2, for OFFBEAT_COST per beat and OFFBEAT_SWITCH per change of reading):
the decode then keeps its phase through such a section instead of following the net onto the off-beat and back
(two tempo bumps of a few frames cost less than the section's evidence). A whole piece on the off-beat stays on
it (reading it late costs more): analysis.onto_the_bass moves whole pieces.
"""

from dataclasses import dataclass, replace

import numpy as np

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
    """The most likely beats and bars for (T, 2) beat/downbeat probabilities (a beat's includes downbeats): the
    likeliest of decode_each_meter's (plus `meter_log_prior`'s log-prior for its meter; the first on a tie)."""
    if not np.any(np.asarray(activations)[:, 0] >= ACTIVE):
        return DecodedBeats(np.zeros(0), np.zeros(0, int), max(meters), -np.inf)
    best = None
    for decoded in decode_each_meter(activations, frame_rate, meters, min_bpm, max_bpm):
        score = decoded.log_probability + (meter_log_prior or {}).get(decoded.beats_per_bar, 0.0)
        if best is None or score > best.log_probability:
            best = replace(decoded, log_probability=score)
    return best


def decode_each_meter(activations: np.ndarray, frame_rate: float, meters=(3, 4), min_bpm: float = MIN_BPM,
                      max_bpm: float = MAX_BPM) -> list:
    """[DecodedBeats per meter in `meters`]: the most likely beats and bars in bars of that meter (the same as a
    decode with that meter alone; the meters are decoded in one pass, so they share its work).

    Only the stretch from the first to the last frame whose beat probability reaches ACTIVE is decoded (as
    madmom does), so silent lead-ins and tails get no beats."""
    activations = np.asarray(activations, np.float64)
    active = np.flatnonzero(activations[:, 0] >= ACTIVE)
    if len(active) == 0:
        return [DecodedBeats(np.zeros(0), np.zeros(0, int), meter, -np.inf) for meter in meters]
    margin = int(round(frame_rate))    # a second of quiet either side, so the first beat is not the first frame
    first, last = max(0, int(active[0]) - margin), min(len(activations), int(active[-1]) + 1 + margin)
    if first > 0 or last < len(activations):
        out = []
        for decoded in decode_each_meter(activations[first:last], frame_rate, meters, min_bpm, max_bpm):
            beats = decoded.beats + first / frame_rate
            keep = (beats >= (active[0] - 2) / frame_rate) & (beats <= (active[-1] + 2) / frame_rate)
            out.append(replace(decoded, beats=beats[keep], beat_in_bar=decoded.beat_in_bar[keep]))
        return out
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
        """(beat, downbeat) log-scores (K, len(times)) of beats starting at `times` with each interval: made
        for a block of frames at a time, so an hour of music never holds (frames × intervals) arrays."""
        starts = times[None, :]
        span, first = intervals[:, None], head.T
        prior = np.reshape(tempo_prior, (-1, 1))
        head_end = np.minimum(starts + first, count)
        beat_end = np.minimum(starts + span, count)
        rest = none_cum[beat_end] - none_cum[head_end]
        on = (beat_cum[head_end] - beat_cum[starts] + rest + prior,
              down_cum[head_end] - down_cum[starts] + rest + prior)
        if OFFBEAT_COST is None:
            return on
        # the same beat read where the net put it half a beat late: its beat frames start at t + τ // 2
        late = np.minimum(starts + span // 2, count)
        late_end = np.minimum(late + first, count)
        rest = none_cum[beat_end] - none_cum[starts] - (none_cum[late_end] - none_cum[late])
        # (no beat is read late where its late beat frames would not all lie inside the music)
        penalty = np.where(starts + span // 2 + first <= count, prior - OFFBEAT_COST, -np.inf)
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
    out = []
    for meter, decoded in zip(meters, _decode_meters(tuple(meters), intervals, emissions, none_cum, banded, count)):
        log_probability, frames, beat_in_bar, beat_intervals, late = decoded
        heads = np.maximum(1, np.ceil(intervals[beat_intervals] / OBSERVATION_LAMBDA)).astype(int)
        shift = np.where(late, intervals[beat_intervals] // 2, 0)
        refined = _refine(frames + shift, heads, activations[:, 0]) - np.where(late, intervals[beat_intervals] / 2.0, 0)
        out.append(DecodedBeats(refined / frame_rate, beat_in_bar, meter, log_probability))
    return out


def _decode_meters(meters, intervals, emissions, none_cum, banded, count) -> list:
    """Viterbi over beat starts for each meter, all in one pass: [(log-probability, beat frames, beat in bar,
    interval index, read late) per meter]. The states are (meter, reading, beat in the bar, tempo): reading 1,
    where OFFBEAT_COST is set, reads the beat half a beat late.

    A block of frames as long as the shortest interval is decoded at once (no beat in it can start from another
    in it), its arrays laid out (tempo, frame, state). What each beat offers the beat after it (the better of its
    two readings' scores less OFFBEAT_SWITCH for a change, per reader state) is kept only for the frames a beat
    can still reach back to (a ring of whole blocks). The best of the 2·BAND + 1 tempi a beat may come from is
    found one band offset at a time, the first on a tie (as an argmax over them). Back-pointers (int8, the same
    memory as a meter's int16 pointers were) for every frame, tempo and state: the band offset the beat came from
    (START where the path starts with it), plus CHANGED where the beat after it, in that state, changes reading.
    The emissions are made a few hundred frames at a time."""
    START, CHANGED = 15, 16
    k_count = len(intervals)
    shortest, longest = int(intervals[0]), int(intervals[-1])
    modes = 1 if OFFBEAT_COST is None else 2
    width = 2 * BAND + 1
    assert width <= START, "the band offsets must fit below the START code in the int8 back-pointers"
    sizes = [modes * meter for meter in meters]            # state o + m·meter + b: reading m, beat b + 1 of the bar
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    states = int(offsets[-1])
    previous_beat, other_reading, kind, initial = [], [], [], []
    for meter, size, offset in zip(meters, sizes, offsets):
        local = np.arange(size)
        previous = local // meter * meter + (local % meter - 1) % meter
        previous_beat.append(offset + previous)
        other_reading.append(offset + (previous + meter) % size)
        kind.append(2 * (local // meter) + (local % meter == 0))   # emissions()' beat, downbeat (per reading)
        initial.append(-np.log(size * k_count * intervals[-1]) + none_cum[:min(count, longest + shortest)])
    previous_beat, other_reading = np.concatenate(previous_beat), np.concatenate(other_reading)
    kind = np.concatenate(kind)
    initial = np.stack(initial, axis=1)[:, np.repeat(np.arange(len(meters)), sizes)]   # (first frames, states)
    ring = shortest * -(-(longest + shortest) // shortest)  # whole blocks, a block and the longest interval
    padded_tempi = k_count + 2 * BAND
    # offer_ring[k, t % ring, s]: what a beat at tempo k starting at frame t offers a beat of state s after it;
    # row `ring` of each tempo stays -inf (beats before the first frame; it also stands for tempi outside the band)
    offer_ring = np.full((k_count, ring + 1, states), -np.inf)
    offer_rows = offer_ring.reshape(-1, states)            # row k·(ring + 1) + r
    pointer = np.empty((k_count, count, states), np.int8)

    def source_rows(times: np.ndarray) -> np.ndarray:
        """(K + 2·BAND, L) offer rows of the beats before `times` at each tempo of the band's padding."""
        sources = intervals[:, None] - times[None, :]          # minus the source frame
        rows = np.full((padded_tempi, len(times)), ring)
        rows[BAND:BAND + k_count] = np.where(sources <= 0, (-sources) % ring, ring) \
            + (ring + 1) * np.arange(k_count)[:, None]
        return rows

    phase_rows = {}                                        # source rows of a full block, by its place in the ring
    # transition[w][k]: from tempo k + w - BAND to tempo k, for a block's (frame, state)
    transition = [np.ascontiguousarray(np.broadcast_to(banded[w][:, None, None], (k_count, shortest, states)))
                  for w in range(width)]
    steps = [np.full((k_count, shortest, states), w, np.int8) for w in range(width)]
    candidate = np.empty((k_count, shortest, states))
    better = np.empty((k_count, shortest, states), bool)
    step = np.empty((k_count, shortest, states), np.int8)
    best_final = [-np.inf] * len(meters)
    final_at = [(0, 0, 0)] * len(meters)
    chunk = shortest * max(1, 512 // shortest)
    for chunk_start in range(0, count, chunk):
        # (blocks, K, L, S): each block's emissions in one piece (frames past the end repeat the last frame's)
        times = np.minimum(np.arange(chunk_start, chunk_start + chunk), count - 1)
        scores = np.stack(emissions(times), axis=2).reshape(k_count, chunk // shortest, shortest, -1)
        emission = scores.transpose(1, 0, 2, 3).take(kind, axis=3)
        for block in range(chunk_start, min(count, chunk_start + chunk), shortest):
            end = min(count, block + shortest)
            size = end - block
            here = block % ring
            if size < shortest:
                transition = [t[:, :size] for t in transition]
                steps = [t[:, :size] for t in steps]
                candidate, better, step = candidate[:, :size], better[:, :size], step[:, :size]
            if block < longest or size < shortest:
                rows = source_rows(np.arange(block, end))
            else:
                rows = phase_rows.get(here)
                if rows is None:
                    rows = phase_rows[here] = source_rows(np.arange(block, end))
            # window[BAND + k_from, l, s]: the offer of the beat at tempo k_from that ends at frame block + l
            window = offer_rows.take(rows, axis=0)                                       # (K + 2·BAND, L, S)
            values = window[0:k_count] + transition[0]
            best = np.zeros((k_count, size, states), np.int8)
            for w in range(1, width):
                np.add(window[w:w + k_count], transition[w], out=candidate)
                np.greater(candidate, values, out=better)
                np.maximum(values, candidate, out=values)
                # the offsets rise, so the last that improved is the first that reaches the best
                np.multiply(better.view(np.int8), steps[w], out=step)
                np.maximum(best, step, out=best)
            code = best
            if block < longest:                          # a path may start with a beat within its first interval
                times = np.arange(block, end)
                fresh = (times[None, :] < intervals[:, None])[:, :, None]
                start_value = np.where(fresh, initial[times][None], -np.inf)
                use_start = start_value > values
                values = np.where(use_start, start_value, values)
                code = np.where(use_start, np.int8(START), code)
            values += emission[(block - chunk_start) // shortest, :, :size]
            offer = values.take(previous_beat, axis=2)
            if modes > 1:
                switched = values.take(other_reading, axis=2)
                switched -= OFFBEAT_SWITCH
                changed = switched > offer
                np.maximum(offer, switched, out=offer)
                code += np.int8(CHANGED) * changed.view(np.int8)
            offer_ring[:, here:here + size] = offer
            pointer[:, block:end] = code
            if end - 1 + longest >= count:
                # The path ends in a beat whose interval reaches the last frame: the best such (the first in
                # (frame, state, tempo) order).
                reaches = (np.arange(block, end)[:, None] + intervals[None, :] >= count)[:, None, :]
                ordered = values.transpose(1, 2, 0)
                for g, (lo, hi) in enumerate(zip(offsets[:-1], offsets[1:])):
                    final = np.where(reaches, ordered[:, lo:hi], -np.inf)
                    index = int(np.argmax(final))
                    if final.flat[index] > best_final[g]:
                        best_final[g] = float(final.flat[index])
                        t, b, k = np.unravel_index(index, final.shape)
                        final_at[g] = (block + int(t), int(b) + int(lo), int(k))
    out = []
    for g, meter in enumerate(meters):
        t, s, k = final_at[g]
        frames, positions, chosen, late = [], [], [], []
        while True:
            frames.append(t)
            local = s - int(offsets[g])
            positions.append(local % meter + 1)
            late.append(local >= meter)
            chosen.append(k)
            offset = int(pointer[k, t, s]) % CHANGED
            if offset == START:
                break
            k_from = k + offset - BAND
            t = t - int(intervals[k_from])
            s = int(other_reading[s]) if pointer[k_from, t, s] >= CHANGED else int(previous_beat[s])
            k = k_from
        out.append((best_final[g], np.array(frames[::-1]), np.array(positions[::-1]), np.array(chosen[::-1]),
                    np.array(late[::-1], bool)))
    return out


def _prefix(values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(values)])


def _refine(frames: np.ndarray, heads: np.ndarray, activation: np.ndarray) -> np.ndarray:
    """Each beat moved to the activation's peak in its beat frames (the `head` frames from where it starts, and
    the frame before), with parabolic sub-frame interpolation (madmom corrects its beats so, in the beat region)."""
    frames = np.asarray(frames, np.int64)
    last = len(activation) - 1
    if len(frames) == 0:
        return frames.astype(np.float64)
    lo = np.clip(frames - 1, 0, last)
    hi = np.maximum(lo, np.minimum(last, frames + np.maximum(1, np.asarray(heads, np.int64) - 1)))
    index = lo[:, None] + np.arange(int((hi - lo).max()) + 1)[None, :]
    window = np.where(index <= hi[:, None], activation[np.minimum(index, last)], -np.inf)
    peak = lo + np.argmax(window, axis=1)                   # the first highest, as in a loop over the beats
    inside = (peak > 0) & (peak < last)
    a, b, c = (activation[np.clip(peak + d, 0, last)] for d in (-1, 0, 1))
    denominator = a - 2.0 * b + c
    curved = inside & (denominator < -1e-9)
    shift = np.zeros(len(frames))
    shift[curved] = 0.5 * (a[curved] - c[curved]) / denominator[curved]
    return peak + np.clip(shift, -0.5, 0.5)
