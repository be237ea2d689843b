"""Forced alignment of a transcript in any language: eSpeak NG's phones, placed by Viterbi over the phone net's
own frame posteriors.

eSpeak NG turns the transcript into IPA phones with the words they belong to (espeak.py); each phone becomes one or
more articulatory classes (articulation.py), the same classes the phone net hears. A left-to-right Viterbi then
finds where each class sits in the recording: every class lasts at least MIN_FRAMES, a silence may fall between
any two words (free where eSpeak itself pauses, at punctuation; a small price elsewhere) and at both ends.
Recordings longer than MAX_SPAN_SECONDS are aligned piece by piece, cut in pauses, as alignment.py does.
"""

import numpy as np

from .articulation import ipa_classes
from .espeak import EspeakEngine, runtime_engine
from .segments import FRAME_SECONDS, SILENCE, PhoneSegment

MIN_FRAMES = 2
PAUSE_PRICE = 2.0          # log-probability for a silence eSpeak did not expect (between words, mid-clause)
MAX_SPAN_SECONDS = 40.0


class TranscriptUnusable(ValueError):
    """The transcript has no words eSpeak NG can speak in that language."""


def transcript_units(text: str, language: str, engine: EspeakEngine | None = None) -> list:
    """[(class, word, pause_allowed_before, expected seconds)] for `text` as eSpeak NG speaks it in `language`;
    pause_allowed_before is 0 (no), 1 (between words) or 2 (eSpeak pauses there itself)."""
    spoken = (engine or runtime_engine()).speak(text, language)
    units, word_index, previous_end = [], -1, None
    starts = [start for _, _, start in spoken.words]
    for ipa, start, end in spoken.phones:
        index = int(np.searchsorted(starts, start + 1e-6, side="right")) - 1
        new_word = index != word_index
        word_index = index
        offset, length, _ = spoken.words[index] if index >= 0 else (0, 0, 0.0)
        word = text[offset:offset + length].strip(".,;:!?¿¡\"'()«»“”„。，、？！") if length else ""
        gap = previous_end is not None and start > previous_end + 0.02
        pause = 2 if gap or previous_end is None else (1 if new_word else 0)
        previous_end = end
        for k, (name, share) in enumerate(ipa_classes(ipa)):
            units.append((name, word, pause if k == 0 else 0, share * (end - start)))
    if not units:
        raise TranscriptUnusable(f"the transcript has no words eSpeak NG speaks in {language!r}")
    return units


def align_units(log_probs: np.ndarray, names: tuple, units: list, first: int = 0, end: int | None = None) -> list:
    """Frame ranges [(unit index or -1 for silence, first, end)] for `units` spoken in order over frames
    [first, end) of `log_probs` (T, K)."""
    end = len(log_probs) if end is None else end
    column = {name: k for k, name in enumerate(names)}
    silence = column[SILENCE]
    # Tokens: an optional silence before every unit that may follow a pause, the units, a closing silence.
    tokens, optional, price = [], [], []
    for k, (name, _, pause, _) in enumerate(units):
        if pause or k == 0:
            tokens.append(-1)
            optional.append(True)
            price.append(0.0 if pause == 2 else PAUSE_PRICE)
        tokens.append(k)
        optional.append(False)
        price.append(0.0)
    tokens.append(-1)
    optional.append(True)
    price.append(0.0)
    span = end - first
    lengths = np.array([1 if t < 0 else MIN_FRAMES for t in tokens])
    needed = int(sum(lengths[~np.array(optional)]))
    if span < needed:  # too short for every phone's minimum: one frame each
        lengths[:] = 1
    # States: each token is a chain of `lengths` states; its last state repeats.
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    states = int(lengths.sum())
    classes = np.array([silence if t < 0 else column.get(units[t][0], silence) for t in tokens])
    state_class = np.repeat(classes, lengths)
    state_token = np.repeat(np.arange(len(tokens)), lengths)
    last_state = starts + lengths - 1
    is_last = np.zeros(states, bool)
    is_last[last_state] = True
    entry = np.zeros(states, bool)
    entry[starts] = True
    token_price = np.repeat(np.array(price), lengths)
    optional = np.array(optional)
    scores = log_probs[first:end][:, state_class].astype(np.float64)
    best = np.full(states, -np.inf)
    # Start in the first token, or past it when it is an optional silence.
    best[starts[0]] = scores[0, starts[0]] - token_price[starts[0]]
    if optional[0] and len(tokens) > 1:
        best[starts[1]] = scores[0, starts[1]] - token_price[starts[1]]
    back = np.zeros((span, states), np.int8)  # 0 stay, 1 from previous state, 2 skip an optional silence
    skip_from = np.full(states, -1)
    for k in range(2, len(tokens)):
        if optional[k - 1]:
            skip_from[starts[k]] = last_state[k - 2]
    for t in range(1, span):
        stay = np.where(is_last, best, -np.inf)
        advance = np.concatenate([[-np.inf], best[:-1]])
        advance = np.where(entry, advance - token_price, advance)
        skip = np.where(skip_from >= 0, best[np.maximum(skip_from, 0)] - token_price, -np.inf)
        choice = np.argmax(np.stack([stay, advance, skip]), axis=0)
        best = np.choose(choice, [stay, advance, skip]) + scores[t]
        back[t] = choice
    finals = [last_state[-1]] + ([last_state[-2]] if optional[-1] and len(tokens) > 1 else [])
    state = max(finals, key=lambda s: best[s])
    labels = np.empty(span, np.int64)
    for t in range(span - 1, -1, -1):
        labels[t] = state_token[state]
        if t == 0:
            break
        move = back[t, state]
        state = state if move == 0 else (state - 1 if move == 1 else skip_from[state])
    out = []
    change = np.flatnonzero(np.diff(labels)) + 1
    for a, b in zip(np.concatenate([[0], change]), np.concatenate([change, [span]])):
        out.append((int(tokens[labels[a]]), first + int(a), first + int(b)))
    return out


def align_with_espeak(log_probs: np.ndarray, names: tuple, text: str, language: str, pieces: list | None = None,
                      engine: EspeakEngine | None = None) -> list:
    """PhoneSegments (classes named as ARPAbet, silences included, each with its transcript word) for `text` in
    `language` over the whole recording whose net posteriors are `log_probs`. `pieces`: [(start, end)] seconds
    cut in pauses, for recordings longer than MAX_SPAN_SECONDS."""
    units = transcript_units(text, language, engine)
    count = len(log_probs)
    spans = [(0, count, units, 0)]
    if count * FRAME_SECONDS > MAX_SPAN_SECONDS and pieces and len(pieces) > 1:
        spans = _share_units(units, pieces, count)
    segments = []
    for first, end, piece_units, offset in spans:
        if not piece_units:
            segments.append(PhoneSegment(SILENCE, first * FRAME_SECONDS, end * FRAME_SECONDS))
            continue
        for index, a, b in align_units(log_probs, names, piece_units, first, end):
            name, word = (SILENCE, "") if index < 0 else piece_units[index][:2]
            segments.append(PhoneSegment(name, a * FRAME_SECONDS, b * FRAME_SECONDS, word))
    return segments


def _share_units(units: list, pieces: list, count: int) -> list:
    """[(first frame, end frame, units, offset)] for pieces of about MAX_SPAN_SECONDS / 2, cut in pauses, with the
    units shared out by expected duration and each cut moved to the nearest word start."""
    target = MAX_SPAN_SECONDS / 2
    cuts, piece_start = [], pieces[0][0]
    for (_, end), (next_start, _) in zip(pieces[:-1], pieces[1:]):
        if end - piece_start > target:
            cuts.append(0.5 * (end + next_start))
            piece_start = next_start
    bounds = [0] + [int(round(c / FRAME_SECONDS)) for c in cuts] + [count]
    speech = np.array([sum(max(0.0, min(b, e) - max(a, s)) for s, e in pieces)
                       for a, b in zip(np.array(bounds[:-1]) * FRAME_SECONDS, np.array(bounds[1:]) * FRAME_SECONDS)])
    expected = np.cumsum([u[3] for u in units])
    expected = expected / max(expected[-1], 1e-9)
    share = np.cumsum(speech) / max(speech.sum(), 1e-9)
    word_starts = [k for k, u in enumerate(units) if u[2] or k == 0]
    out, first_unit = [], 0
    for k in range(len(bounds) - 1):
        if k == len(bounds) - 2:
            last_unit = len(units)
        else:
            guess = int(np.searchsorted(expected, share[k]))
            last_unit = min((w for w in word_starts if w >= first_unit), key=lambda w: abs(w - guess),
                            default=len(units))
        out.append((bounds[k], bounds[k + 1], units[first_unit:last_unit], first_unit))
        first_unit = last_unit
    return out


__all__ = ["TranscriptUnusable", "align_units", "align_with_espeak", "transcript_units"]
