"""Audio (+ optional transcript, in any language) → timed phones: alignment when a transcript fits, recognition
otherwise.

Recognition is the learned phone net (phone_net.py), which hears language-neutral articulatory classes
(articulation.py), with second opinions on lip closures from pocketsphinx's all-phone recogniser, an English net
trained on real speakers and, in English and Auto, the words pocketsphinx's large-vocabulary recogniser hears. English
transcripts are aligned word by word with pocketsphinx and their phones timed with the same net (alignment.py);
transcripts in other languages become phones with eSpeak NG and are aligned by Viterbi over the net's frame
posteriors (espeak_alignment.py).
"""

import os
from dataclasses import dataclass, field

import numpy as np

from ..audio.load import Audio
from ..audio.pitch import PitchTrack, estimate_pitch
from .activity import VoiceActivity, detect_voice_activity, speech_notes
from .alignment import AlignmentFailed, align_transcript
from .closures import LABIALS, labial_dip, tighten_labials
from .decoder import SpeechEngineUnavailable, decode, phone_decoder, word_decoder
from .espeak import EspeakUnavailable
from .espeak_alignment import TranscriptUnusable, align_with_espeak
from .features import FrameFeatures, frame_features
from .pcm import decoder_pcm
from .phone_net import ENGLISH_WEIGHTS_PATH, decode_phones, load_phone_net, normalized_features, phone_posteriors
from .phone_timing import segments_in_word
from .segments import FRAME_SECONDS, SILENCE, PhoneSegment, base_phone

LABIAL_RELEASE_LEAD = 0.01  # seconds
LABIAL_CLOSE_LAG = 0.01     # seconds: audio only, each p/b/m also shuts the lips this much later
SHORTEST_RELEASED_LABIAL = 0.02  # seconds: a shorter p/b/m is not released early (1: never a short one)
MISMATCH_SILENT_SHARE = 0.35  # aligned speech that falls where nobody speaks
MISMATCH_SHORT_SHARE = 0.5    # phones squeezed to the aligner's minimum length: try the transcript without
                              # its leading article, and use the squeezed one only if nothing else fits...
MISMATCH_SQUEEZED_SHARE = 0.8  # ...and never one squeezed this much: a text far longer than what was said (a short
                               # take said fast: 0.5-0.67; another, longer sentence over it: 0.94)
UNEXPLAINED_SECONDS = 0.5     # voice the transcript's words do not cover: accepted up to this, whatever its share
PAUSE_SECONDS = 0.15          # a stretch this long where no voice is heard is a pause, whatever a phone claims
CLOSURE_HOLD_SECONDS = 0.04   # a transcript's p/b/m that falls wholly in silence still shuts the lips this long
SECOND_OPINION_VOICE = 0.05   # seconds of voice on both sides of a closure the all-phone recogniser adds
ENGLISH_SECOND_OPINION = 1.0  # audio only: closures the English real-speech recogniser hears are added (0: off)
ONSET_CLOSURES = 1.0          # ... also a p/b/m it hears released where the voice starts after silence (0: off)
ONSET_CLOSURE_SECONDS = 0.04
ENGLISH_SURE = 0.5            # ... and one it hears this surely (mean p/b/m posterior) needs no dip, voice on one side
                              # (0: off; 0.35 gave the same tuning figures, 0.7 fewer closures)
WORD_SECOND_OPINION = 1.0     # audio only, English/Auto: p/b/m in the words pocketsphinx's word recogniser hears are
                              # added as sure ones (0: off; 2026-12-04, issue #14 sixteenth round)
SECOND_OPINION_PIECE_SECONDS = 30.0  # it hears a piece this long at a time, cut in pauses: small memory for an hour
ENGLISH = ("en", "en-us", "en-gb", "en-029", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-x-rp",
           "en-us-nyc")
ENGLISH_ALIGNER = "pocketsphinx"  # or "espeak": English transcripts aligned like every other language
ESPEAK_SECOND_ALIGNER = True      # an English transcript pocketsphinx cannot fit is aligned as other languages are,
SECOND_ALIGNER_GAP = 1.0          # if the net's best phone beats the aligned one by at most this (mean log-prob per
                                  # voiced frame): a matching sentence 0.15, another sentence's words 2.7


LEADING_ARTICLES = ("a", "an", "the")  # English: a reader may drop the text's "A" ("A bee." said as "bee")
RETRY_WITHOUT_ARTICLE = True


def _without_leading_article(transcript: str, language: str | None) -> list:
    """[the transcript without its first word] when the transcript is English (None: English) and that word is an
    article with more words after it, for a second try when the whole transcript does not fit the audio; []
    otherwise."""
    if not RETRY_WITHOUT_ARTICLE or (language and language.lower() not in ENGLISH):
        return []
    words = transcript.split()
    if len(words) < 2 or words[0].strip("\"'“‘(").lower() not in LEADING_ARTICLES:
        return []
    return [" ".join(words[1:])]


def english_or_auto(language: str | None) -> bool:
    """No language named (Auto), or English."""
    return language is None or language.lower() in ENGLISH


def uses_pocketsphinx(language: str | None, aligner: str | None = None) -> bool:
    """English (the default when no language is named) goes to pocketsphinx unless told otherwise."""
    return english_or_auto(language) and (aligner or ENGLISH_ALIGNER) == "pocketsphinx"


@dataclass
class PhoneTrack:
    phones: list                 # PhoneSegment in time order; SIL where nothing is said
    source: str                  # "alignment", "recognition" or "none"
    activity: VoiceActivity
    features: FrameFeatures
    pitch: PitchTrack            # per 10 ms frame
    notes: list = field(default_factory=list)
    speech_like: bool = True     # False for music, noise, silence: animate cautiously


def find_phones(audio: Audio, transcript: str | None = None, progress=None, language: str | None = None,
                aligner: str | None = None, words: bool = True) -> PhoneTrack:
    """`language`: eSpeak NG code of the transcript's language (None: English); the audio alone needs none.
    `aligner`: "pocketsphinx" or "espeak" for English transcripts (default ENGLISH_ALIGNER). `words`: recognition
    (English or Auto) also takes the closures in the words pocketsphinx's word recogniser hears (about 2.5x slower)."""
    from .transcripts import script_hint, spoken_text

    # Subtitles' cue numbers and timings, "[laughs]", "JOHN:", "(sighs)": not spoken, so not aligned as words.
    transcript, transcript_notes = spoken_text(transcript)
    hint = script_hint(transcript) if transcript and english_or_auto(language) else None
    transcript_notes += [hint] if hint else []  # Cyrillic, kana, Hangul... taken as English cannot be aligned
    report = progress or (lambda fraction, message: None)
    features = frame_features(audio.samples, audio.sample_rate)
    net_input = normalized_features(audio.samples, audio.sample_rate) if np.any(audio.samples) else None
    posteriors = None if net_input is None else phone_posteriors(audio, features=net_input)
    speech = None if posteriors is None else 1.0 - np.exp(posteriors[0][:, posteriors[1].index(SILENCE)])
    activity = detect_voice_activity(features, speech)
    pitch = estimate_pitch(audio, fps=1.0 / FRAME_SECONDS)
    notes = speech_notes(features, activity, pitch.voiced, speech)
    speech_like = not notes
    notes += transcript_notes
    if activity.speech_seconds < 0.15:
        return PhoneTrack([], "none", activity, features, pitch, notes, False)
    report(0.2, "Listening for phonemes")
    regions = [(a * FRAME_SECONDS, b * FRAME_SECONDS) for a, b in activity.regions()]
    if transcript and transcript.strip():
        failure = []  # the notes that say why the transcript (as written) was not used
        # Made once for every attempt: pocketsphinx's input, and the net's phones for spans the transcript misses.
        pcm = decoder_pcm(audio) if uses_pocketsphinx(language, aligner) else None
        recognized = None
        squeezed = None  # (share of squeezed phones, phones, notes) of the least squeezed fitting alignment
        texts = [transcript] + _without_leading_article(transcript, language)
        attempts = [(aligner, text) for text in texts]
        if uses_pocketsphinx(language, aligner) and ESPEAK_SECOND_ALIGNER:
            attempts += [("espeak", text) for text in texts]
        for engine, text in attempts:
            tried = []
            try:
                phones, failed_spans = _aligned(pcm, text, regions, posteriors, language, engine, tried,
                                                lambda done: report(0.2 + 0.2 * done, "Aligning the transcript"))
            except EspeakUnavailable as error:
                failure = failure or [f"{error} Used phoneme recognition instead."]
                break
            except (AlignmentFailed, TranscriptUnusable):
                failure = failure or ["The transcript could not be aligned to the audio; used phoneme recognition "
                                      "instead."]
                continue
            parts = []  # said only where this alignment is taken: given up whole, its parts are moot
            if failed_spans:
                report(0.4, "Recognising the parts the transcript did not fit")
                recognized = _net_phones(posteriors) if recognized is None else recognized
                phones = _fill_spans(phones, failed_spans, recognized)
                parts = [f"{len(failed_spans)} part(s) of the audio did not fit the transcript; phoneme recognition "
                         "was used there."]
            share = _squeezed_share(phones)
            if share < MISMATCH_SQUEEZED_SHARE and _alignment_fits(phones, activity) and (
                    engine == aligner or _posterior_gap(phones, posteriors, activity) <= SECOND_ALIGNER_GAP):
                tried += parts
                if text != transcript:
                    tried.append(f"The transcript's first word ({transcript.split()[0]!r}) was not heard and "
                                 "was left out.")
                if engine != aligner:
                    tried.append("pocketsphinx's alignment of the transcript did not fit the audio; eSpeak NG's "
                                 "pronunciation of it was aligned instead.")
                if share < MISMATCH_SHORT_SHARE:
                    return _aligned_track(phones, notes + tried, activity, features, pitch, posteriors,
                                          speech_like)
                if squeezed is None or share < squeezed[0]:
                    squeezed = (share, phones, tried)
                continue
            failure = failure or tried + ["The transcript did not match the audio; used phoneme recognition "
                                          "instead."]
        if squeezed is not None:  # a short take said fast, or cut off: its words still fit where it was said
            return _aligned_track(squeezed[1], notes + squeezed[2], activity, features, pitch, posteriors,
                                  speech_like)
        notes.extend(failure)
    report(0.45, "Recognising phonemes")
    phones = tighten_labials(_net_phones(posteriors, features), features)
    if speech_like:
        phones = _with_closures_heard_by_pocketsphinx(phones, audio, features, activity)
        if english_or_auto(language):  # not where another language is named
            phones = _with_closures_heard_by_english_net(phones, audio, net_input, features, activity)
            if WORD_SECOND_OPINION and words:
                phones = _with_closures_in_heard_words(phones, audio, posteriors, features, activity,
                                                       lambda done: report(0.5 + 0.15 * done, "Listening for words"))
    phones = _released_early(phones, LABIAL_CLOSE_LAG)
    quiet = _quiet_stretches(features, pitch, activity, phones)
    return PhoneTrack(_silence_outside(phones, VoiceActivity(activity.active & ~quiet, activity.threshold_db)),
                      "recognition", activity, features, pitch, notes, speech_like)


# Audio only, OFF by default (NOISE_REST_DB = 0): an unvoiced stretch of REST_RUN_SECONDS or more within NOISE_REST_DB
# of the take's noise floor (its 10th percentile of frame loudness) is a pause, though voice activity calls it voice:
# room noise as loud as quiet speech, where the net hears fricatives ("F", "S") and the lips move. Activity's own
# level cut is floor + 12 dB (activity.ABOVE_FLOOR_DB), so these are frames only the net took for voice. Chosen on
# tuning material (bench/real_speech_tuning.py `noisy` and `real` splits; bench/lipsync_results.md, issue #14 eighth
# round): 12 dB took the noisy takes' pause frames at rest from 85.2 to 98.7 % with the same closures; 9 dB rested
# fewer, 15 dB as many with lower frame accuracy; the net's silence posterior never dominated in that noise, and every
# unvoiced stretch whatever its level cost frame accuracy. Measured once on the held-out real speakers (every stretch,
# not only those between the take's first and last voiced frame): pause frames at rest 90.8 → 92.2 % (target 95 %),
# closures the same, but frame accuracy 0.660 → 0.605, so it is not on. REST_INTERIOR_ONLY (chosen afterwards, on
# tuning only: the LibriVox lines lost 0.017 of frame accuracy at their first "h" and last word's fade, and no
# longer do) was measured once in session 25 on the fresh held-out speakers (bench/human_speech.py --rows fresh):
# pauses at rest and closures unchanged there, frame accuracy 0.631 → 0.628, and the first set's 0.660 → about 0.606
# again, so it stays off.
REST_RUN_SECONDS = 0.2
NOISE_REST_DB = 0.0            # 0: off; 12: the tuned setting
NOISE_REST_VOICED_SHARE = 0.1  # only takes with some pitch: whispered and creaky ones have next to none (0.00–0.02)
REST_INTERIOR_ONLY = 1.0       # only between the take's first and last voiced frames
LABIAL_KEEP_FRAMES = 2         # a p/b/m the recogniser heard, and this many frames either side, is never a pause


def _quiet_stretches(features: FrameFeatures, pitch: PitchTrack, activity: VoiceActivity,
                     phones: list = ()) -> np.ndarray:
    """Per 10 ms frame: inside a stretch of at least REST_RUN_SECONDS that sounds like no one speaking (unvoiced,
    near the noise floor, no p/b/m heard), though the voice-activity check may call it voice."""
    count = len(activity.active)
    quiet = np.zeros(count, bool)
    if not NOISE_REST_DB:
        return quiet
    voiced = _voiced_frames(pitch, count)
    voiced_share = float(voiced[activity.active].mean()) if activity.active.any() else 0.0
    if voiced_share < NOISE_REST_VOICED_SHARE:
        return quiet
    decibels = features.decibels[:count]
    floor = float(np.percentile(decibels, 10))
    quiet[:len(decibels)] = (decibels < floor + NOISE_REST_DB) & ~voiced[:len(decibels)]
    for phone in phones:
        if phone.phone in LABIALS:
            span = phone.covering_frames()
            quiet[max(0, span.start - LABIAL_KEEP_FRAMES):span.stop + LABIAL_KEEP_FRAMES] = False
    shortest = int(round(REST_RUN_SECONDS / FRAME_SECONDS))
    out = np.zeros(count, bool)
    first, last = (np.flatnonzero(voiced)[[0, -1]] if voiced.any() else (count, -1))
    for a, b in _runs(quiet):
        out[a:b] = b - a >= shortest and (not REST_INTERIOR_ONLY or (a > first and b <= last))
    return out


# With a transcript: speech the transcript lacks (fillers, restarts, repeated words: "um", "the panda ate, the panda
# ate") is voice the aligned words leave uncovered; its p/b/m used to stay open ("no transcript word to close on").
# There the audio-only recogniser's phones (the same decode, valley boost and closure rules as without a transcript)
# fill in, while every word of the transcript keeps its aligned timing: a run of voice of at least GAP_SECONDS that no
# aligned word covers, with pitch in at least GAP_VOICED_SHARE of its frames (room noise that the voice check calls
# voice has none; a filler or a restart has), is recognised from GAP_EDGE_SECONDS before its first pitched frame to as
# long after its last (a "b" shuts before its vowel). 0 switches it off. Chosen on tuning material
# (bench/real_speech_tuning.py long, noisy, real, allison, espeak splits with the transcript; bench/lipsync_results.md,
# issue #14 ninth round): long takes with fillers and restarts 142 → 145 of 149 p/b/m, closed open-vowel frames
# 2.6 → 2.2 %, frame accuracy 0.777 → 0.791, pause frames at rest 1545 → 1546 of 1602; English espeak bench corpus
# 98.0 → 99.2 %. GAP_VOICED_SHARE 0.15 rested fewer noisy pauses, 0.5 found fewer closures; GAP_SECONDS 0.15 and 0.25
# found as many with more closed open vowels or less frame accuracy. Cutting recognised p/b/m into aligned phones over
# 0.25 s (a word stretched over a filler) found 1–2 more closures in the long takes but shut the lips inside real tuning
# speakers' slow words ("duck", "marmot": closed open-vowel frames 1.5 → 2.0 %), so it was not kept.
GAP_SECONDS = 0.1
GAP_VOICED_SHARE = 0.3
GAP_EDGE_SECONDS = 0.06
JOIN_SECONDS = 0.05  # a hole between phones this near a filled stretch joins the silence beside it


def _with_unscripted_speech(phones: list, posteriors: tuple, features: FrameFeatures, activity: VoiceActivity,
                            pitch: PitchTrack) -> list:
    """Aligned `phones` (final timing) with recognised phones in the voice they leave uncovered (see GAP_SECONDS)."""
    if not GAP_SECONDS or posteriors is None:
        return phones
    count = len(activity.active)
    covered = np.zeros(count, bool)
    for phone in phones:
        if phone.phone != SILENCE:
            covered[phone.covering_frames()] = True
    voiced = _voiced_frames(pitch, count)
    gaps = []
    shortest = int(round(GAP_SECONDS / FRAME_SECONDS))
    edge = int(round(GAP_EDGE_SECONDS / FRAME_SECONDS))
    for a, b in _runs(activity.active & ~covered):
        if b - a >= shortest and voiced[a:b].mean() >= GAP_VOICED_SHARE:
            heard = a + np.flatnonzero(voiced[a:b])[[0, -1]]
            a, b = max(a, heard[0] - edge), min(b, heard[1] + 1 + edge)
            gaps.append((a * FRAME_SECONDS, b * FRAME_SECONDS))
    if not gaps:
        return phones
    recognized = _released_early(tighten_labials(_net_phones(posteriors, features), features), LABIAL_CLOSE_LAG)
    recognized = _silence_outside(recognized, activity)
    return _pauses_joined(_fill_spans(_cut_out(phones, gaps), gaps, recognized), gaps)


def _voiced_frames(pitch: PitchTrack, count: int) -> np.ndarray:
    """(count,) whether the pitch track found voice in each 10 ms frame (False past its end)."""
    voiced = np.zeros(count, bool)
    n = min(count, len(pitch.voiced))
    voiced[:n] = pitch.voiced[:n]
    return voiced


def _pauses_joined(phones: list, spans: list) -> list:
    """`phones` with each hole next to a silence that reaches within JOIN_SECONDS of `spans` given to that silence
    (a p/b/m released early, or an aligner's piece edge, leaves one), so that a pause the recogniser hears there
    stays one pause at rest."""
    near = lambda a, b: any(a <= end + JOIN_SECONDS and b >= start - JOIN_SECONDS for start, end in spans)
    out = list(phones[:1])
    for phone in phones[1:]:
        before = out[-1]
        if phone.start > before.end + 1e-9:
            if before.phone == SILENCE and (near(before.start, phone.start) or phone.phone == SILENCE
                                            and near(phone.start, phone.end)):
                out[-1] = before = PhoneSegment(SILENCE, before.start, phone.start, before.word)
            elif phone.phone == SILENCE and near(before.end, phone.end):
                phone = PhoneSegment(SILENCE, before.end, phone.end, phone.word)
        out.append(phone)
    return out


def _cut_out(phones: list, spans: list) -> list:
    """`phones` with the parts inside `spans` ((start, end) seconds, in order, apart) taken out."""
    out = []
    for phone in phones:
        pieces = [(phone.start, phone.end)]
        for start, end in spans:
            pieces = [q for a, b in pieces for q in ((a, min(b, start)), (max(a, end), b)) if q[1] > q[0] + 1e-9]
        out.extend(PhoneSegment(phone.phone, a, b, phone.word) for a, b in pieces)
    return out


def _aligned(pcm: bytes | None, transcript: str, regions: list, posteriors: tuple, language: str | None,
             aligner: str | None, notes: list, progress=None) -> tuple:
    """(phones, spans left for recognition) of the transcript: pocketsphinx for English (`pcm`: the audio as
    pcm.decoder_pcm gives it, `progress(share done)` per piece), eSpeak NG otherwise."""
    if uses_pocketsphinx(language, aligner):
        alignment = align_transcript(pcm, transcript, regions, posteriors, progress)
        if alignment.pronounced_words:
            notes.append(f"Words not in the pronouncing dictionary were pronounced by eSpeak NG: "
                         f"{', '.join(alignment.pronounced_words[:5])}.")
        if alignment.unknown_words:
            notes.append(f"Words not in the pronouncing dictionary were skipped: "
                         f"{', '.join(alignment.unknown_words[:5])}.")
        return alignment.phones, alignment.failed_spans
    log_probs, names = posteriors
    return _unstretched(align_with_espeak(log_probs, names, transcript, language or "en-us", regions))


# eSpeak NG's Viterbi alignment has to put every frame somewhere: where the speaker says words the transcript lacks
# (a transcript of half the line), a phone next to them is stretched over the rest of the speech and the mouth
# freezes there. A spoken phone longer than this keeps its first STRETCH_KEPT_SECONDS, and the rest is recognised.
STRETCHED_PHONE_SECONDS = 0.45
STRETCH_KEPT_SECONDS = 0.15


def _unstretched(phones: list) -> tuple:
    """(phones, spans left for recognition): each stretched phone cut to its first STRETCH_KEPT_SECONDS, the rest
    of it a span for recognition."""
    kept, spans = [], []
    for phone in phones:
        if phone.phone != SILENCE and phone.end - phone.start > STRETCHED_PHONE_SECONDS:
            cut = phone.start + STRETCH_KEPT_SECONDS
            spans.append((cut, phone.end))
            phone = PhoneSegment(phone.phone, phone.start, cut, phone.word)
        kept.append(phone)
    return kept, spans


# Audio only: log-probability added to p/b/m in loudness valleys before decoding (dip_boost). The net gives real
# people's closures some p/b/m probability (the best labial is first or second in 94 % of the real tuning speakers'
# closures) but too little to win; a valley, unlike a flat LABIAL_BIAS, leaves vowels alone. Chosen on tuning
# material (bench/lipsync_results.md, issue #14 fifth round) with LABIAL_CLOSE_LAG: real tuning speakers 60 → 68 %
# of closures, closed open-vowel frames 4.2 → 3.8 %; English espeak bench 95.9 → 97.3 %, 0.6 → 0.5 %.
DIP_BIAS = 3.0
DIP_FROM_DB = 6.0     # valley depth where the boost starts ...
DIP_FULL_DB = 15.0    # ... and where it is whole
DIP_REACH = 8         # frames either side that must both be louder


def dip_boost(features: FrameFeatures) -> np.ndarray:
    """Per frame, DIP_BIAS scaled by how deep the frame lies in a loudness valley: below the quieter of the loudest
    frames within DIP_REACH frames before and after it (0 at DIP_FROM_DB or less, DIP_BIAS at DIP_FULL_DB or more).
    Lips shut between two louder sounds; a weak vowel next to a quiet consonant is no valley."""
    decibels = features.decibels
    count, reach = len(decibels), DIP_REACH
    padded = np.concatenate([np.full(reach, -100.0), decibels, np.full(reach, -100.0)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, reach)
    before, after = windows[:count].max(axis=1), windows[reach + 1:reach + 1 + count].max(axis=1)
    below = np.minimum(before, after) - decibels
    return DIP_BIAS * np.clip((below - DIP_FROM_DB) / max(1e-6, DIP_FULL_DB - DIP_FROM_DB), 0.0, 1.0)


def _net_phones(posteriors: tuple, features: FrameFeatures | None = None) -> list:
    """The phone net's decoded phones (PhoneSegment, seconds; SIL where nothing is said); the caller tightens each
    p/b/m to its loudness dip and releases it early.

    Measured while developing on synthetic speech held out from the net and the bench: tightening p/b/m to their
    loudness dip halves the open-vowel frames shown with closed lips (4.1 % → 2.2 %), releasing them early brings
    that to 0.8 %; adding closures from loudness dips the recogniser did not call p/b/m cost 0.08 frame accuracy."""
    log_probs, names = posteriors
    boost = dip_boost(features) if features is not None and DIP_BIAS else None
    return [PhoneSegment(name, first * FRAME_SECONDS, end * FRAME_SECONDS)
            for name, first, end in decode_phones(log_probs, names, load_phone_net().log_prior,
                                                  labial_boost=boost)]


def _with_closures_heard_by_pocketsphinx(phones: list, audio: Audio, features: FrameFeatures,
                                         activity: VoiceActivity) -> list:
    """The net's phones plus the p/b/m that pocketsphinx's all-phone recogniser hears where the net has none within
    ±30 ms: its acoustic model was trained on real people's speech, the net on synthetic speech, and real closures
    are shorter and softer than a synthesiser's. Only closures with a loudness dip inside them (closures.labial_dip;
    one quiet all through longer than 30 ms is a pause or a weak sound) and voice SECOND_OPINION_VOICE on both sides
    are taken: measured on the tuning material (the LibriVox lines, the long takes of bench/human_speech.py and
    Festival ked and flite slt 8-sentence takes; audio only), closures 78.0 → 82.5 % with closed open-vowel frames
    2.1 → 2.1 %, frame accuracy 0.724 → 0.724; every one it hears: 88.1 %, but 3.1 % and 0.712; with a dip
    anywhere: 84.6 %, 2.6 %, 0.718."""
    try:
        heard_labials = _all_phone_labials(phone_decoder(), audio, activity)
    except (SpeechEngineUnavailable, RuntimeError):  # no pocketsphinx or its model: the net's phones as they are
        return phones
    return _with_closures_heard(phones, heard_labials, features, activity)


def _with_closures_heard_by_english_net(phones: list, audio: Audio, net_input: np.ndarray, features: FrameFeatures,
                                        activity: VoiceActivity) -> list:
    """The phones plus the p/b/m the English real-speech recogniser (phone_net.ENGLISH_WEIGHTS_PATH) decodes where
    there is none within ±30 ms, under the same checks as the all-phone recogniser's. `net_input`: the audio's
    phone_net.normalized_features, as the shared net took them."""
    if not ENGLISH_SECOND_OPINION or not os.path.isfile(ENGLISH_WEIGHTS_PATH):
        return phones
    posteriors = phone_posteriors(audio, ENGLISH_WEIGHTS_PATH, net_input)
    heard = [p for p in _net_phones(posteriors, features) if p.phone in LABIALS]
    log_probs, names = posteriors
    labial = np.exp(log_probs[:, [names.index(name) for name in ("B", "M")]]).sum(axis=1)
    sure = [0 < ENGLISH_SURE <= float(np.mean(labial[p.frames(at_least_one=True)])) for p in heard]
    return _with_closures_heard(phones, heard, features, activity, at_onsets=bool(ONSET_CLOSURES), sure=sure)


def _with_closures_heard(phones: list, heard_labials: list, features: FrameFeatures,
                         activity: VoiceActivity, at_onsets: bool = False, sure: list | None = None) -> list:
    """`phones` plus those of `heard_labials` (p/b/m PhoneSegments a second recogniser heard) that have a loudness
    dip inside them, no p/b/m within ±30 ms and voice SECOND_OPINION_VOICE on both sides. `at_onsets`: also those
    released where the voice starts after silence (a phrase's first "b": its closure is silent, only the release is
    heard), shut for ONSET_CLOSURE_SECONDS from 10 ms before the voice starts. `sure`: per heard p/b/m, whether the
    recogniser is sure of it; a sure one needs no dip (an "m" hums on through closed lips: taken as heard) and voice
    on one side is enough (a phrase's last "m", "time.")."""
    found = [p for p in phones if p.phone in LABIALS]
    margin = int(round(SECOND_OPINION_VOICE / FRAME_SECONDS))
    added = []
    active = activity.active
    for heard, certain in zip(heard_labials, sure or [False] * len(heard_labials)):
        onset = _voice_onset_near(heard, active, margin) if at_onsets else None
        if onset is not None:
            start = onset * FRAME_SECONDS - 0.01
            span = (max(0.0, start), start + ONSET_CLOSURE_SECONDS)
        else:
            span = labial_dip(heard, features)
            no_dip = span is None or (span[1] - span[0] > heard.duration - 1e-6 and heard.duration > 0.03)
            if no_dip and not certain:
                continue  # no dip, or quiet all through: a pause or a weak sound, not a closure between two sounds
            span = (heard.start, heard.end) if no_dip else span
            lo, hi = int(round(span[0] / FRAME_SECONDS)), int(round(span[1] / FRAME_SECONDS))
            both = lo - margin >= 0 and active[lo - margin:hi + margin].all()
            one = active[lo:hi].all() and (active[max(0, lo - margin):lo].all() or active[hi:hi + margin].all())
            if not (both or (certain and one)):
                continue
        if not any(p.start < span[1] + 0.03 and p.end > span[0] - 0.03 for p in found + added):
            added.append(PhoneSegment(heard.phone, *span))
    for closure in added:
        phones = _cut_in(phones, closure)
    return phones


def _with_closures_in_heard_words(phones: list, audio: Audio, posteriors: tuple, features: FrameFeatures,
                                  activity: VoiceActivity, progress=None) -> list:
    """The phones plus the p/b/m in the words pocketsphinx's large-vocabulary English recogniser hears (its
    language model knows that "him", "me" and "money" hold an "m" where the phone nets hear an "n"), timed inside each
    word by the shared net, added where there is none within ±30 ms. They are taken as sure closures (no loudness
    dip needed, voice on one side is enough: an "m" hums on through closed lips). Chosen on tuning material
    (bench/real_speech_tuning.py, audio only, bench/lipsync_results.md sixteenth round; decoder.word_decoder's fast
    settings): real tuning speakers 41 -> 43 of 50 closures (closed open-vowel frames 112 -> 115 of 2289), noisy
    long takes 303 -> 322 of 447 (172 -> 188 of 4935), English espeak bench 655 of 660 and 24 of 3816 closed
    open-vowel frames both, Allison's prompts 51 of 51 both; with pocketsphinx's default settings and under the
    all-phone recogniser's checks (a dip, voice on both sides) 42 of 50 and 312 of 447. `progress(share done)` is
    called before each piece (where Esc can stop a long take)."""
    try:
        decoder = word_decoder()
    except (SpeechEngineUnavailable, RuntimeError):  # no pocketsphinx or no language model: as they are
        return phones
    log_probs, names = posteriors
    heard = []
    for lo, segments in _recognised_pieces(decoder, audio, activity, progress):
        for segment in segments:
            if base_phone(segment.word) == SILENCE or segment.word.startswith("["):
                continue  # silence and filler units
            spelled = [base_phone(p) for p in (decoder.lookup_word(segment.word) or "").split()]
            if not any(p in LABIALS for p in spelled):
                continue
            start = lo + segment.start_frame * FRAME_SECONDS
            stop = lo + (segment.end_frame + 1) * FRAME_SECONDS
            heard += [p for p in segments_in_word(log_probs, names, spelled, start, stop, segment.word)
                      if p.phone in LABIALS]
    return _with_closures_heard(phones, heard, features, activity, sure=[True] * len(heard))


def _recognised_pieces(decoder, audio: Audio, activity: VoiceActivity, progress=None):
    """(start seconds, pocketsphinx segments) of the voiced parts of `audio` as `decoder` recognises them, up to
    SECOND_OPINION_PIECE_SECONDS at a time (small memory for an hour), cut in the middle of pauses; a piece under
    0.1 s is skipped. `progress(share of the pieces done)`, if given, is called before each piece."""
    pieces = []
    for first, end in activity.regions():
        start, stop = first * FRAME_SECONDS, end * FRAME_SECONDS
        if pieces and stop - pieces[-1][0] <= SECOND_OPINION_PIECE_SECONDS:
            pieces[-1][1] = stop
        else:
            pieces.append([start, stop])
    for k, (start, stop) in enumerate(pieces):
        if progress is not None:
            progress(k / len(pieces))
        lo = 0.0 if k == 0 else 0.5 * (pieces[k - 1][1] + start)
        hi = audio.duration if k == len(pieces) - 1 else 0.5 * (stop + pieces[k + 1][0])
        lo, hi = int(round(lo / FRAME_SECONDS)) * FRAME_SECONDS, int(round(hi / FRAME_SECONDS)) * FRAME_SECONDS
        chunk = audio.samples[int(round(lo * audio.sample_rate)):int(round(hi * audio.sample_rate))]
        if len(chunk) >= 0.1 * audio.sample_rate:
            decode(decoder, decoder_pcm(Audio(chunk, audio.sample_rate)))
            yield lo, list(decoder.seg())


def _voice_onset_near(heard: PhoneSegment, active: np.ndarray, margin: int) -> int | None:
    """The frame where voice starts after at least `margin` frames of silence (or at the start of the audio), within
    30 ms of `heard`, with voice for `margin` frames from it; None if there is none."""
    lo = max(0, int(round((heard.start - 0.03) / FRAME_SECONDS)))
    hi = min(len(active), int(round((heard.end + 0.03) / FRAME_SECONDS)) + 1)
    for k in range(lo, hi):
        if (active[k] and (k == 0 or not active[k - 1]) and active[k:k + margin].all()
                and not active[max(0, k - margin):k].any()):
            return k
    return None


def _all_phone_labials(decoder, audio: Audio, activity: VoiceActivity) -> list:
    """The p/b/m PhoneSegments (seconds) pocketsphinx's all-phone recogniser hears in the voiced parts of `audio`,
    recognised a piece at a time (_recognised_pieces)."""
    labials = []
    for lo, segments in _recognised_pieces(decoder, audio, activity):
        for segment in segments:
            name = base_phone(segment.word)
            if name in LABIALS:
                labials.append(PhoneSegment(name, lo + segment.start_frame * FRAME_SECONDS,
                                            lo + (segment.end_frame + 1) * FRAME_SECONDS))
    return labials


def _cut_in(phones: list, segment: PhoneSegment) -> list:
    """`phones` with `segment` in its place, the phones it overlaps cut back to make room."""
    out = []
    for phone in phones:
        if phone.end <= segment.start or phone.start >= segment.end:
            out.append(phone)
            continue
        if phone.start < segment.start:
            out.append(PhoneSegment(phone.phone, phone.start, segment.start, phone.word))
        if phone.end > segment.end:
            out.append(PhoneSegment(phone.phone, segment.end, phone.end, phone.word))
    return sorted(out + [segment], key=lambda p: p.start)


def _released_early(phones: list, lag: float = 0.0) -> list:
    """End each p/b/m LABIAL_RELEASE_LEAD early (and start it `lag` late): the face keeps the lips shut about a
    frame past a closure's edges (its dominance blend), which otherwise shows closed lips in the vowels beside it.
    A closure too short for both still ends early where SHORTEST_RELEASED_LABIAL is left of it: fast speech's
    20–35 ms closures otherwise shut the lips on the first frame of a short vowel after them."""
    out = []
    for phone in phones:
        if phone.phone in LABIALS and phone.duration > LABIAL_RELEASE_LEAD + lag + 0.015:
            phone = PhoneSegment(phone.phone, phone.start + lag, phone.end - LABIAL_RELEASE_LEAD,
                                 phone.word)
        elif phone.phone in LABIALS and phone.duration - LABIAL_RELEASE_LEAD >= SHORTEST_RELEASED_LABIAL - 1e-9:
            phone = PhoneSegment(phone.phone, phone.start, phone.end - LABIAL_RELEASE_LEAD, phone.word)
        out.append(phone)
    return out


def _fill_spans(phones: list, spans: list, recognized: list) -> list:
    """Aligned phones plus, inside each span the alignment left out, the recognised phones cut to it."""
    filled = list(phones)
    for start, end in spans:
        for phone in recognized:
            lo, hi = max(phone.start, start), min(phone.end, end)
            if hi > lo:
                filled.append(PhoneSegment(phone.phone, lo, hi))
    return sorted(filled, key=lambda p: p.start)


def _aligned_track(phones: list, notes: list, activity: VoiceActivity, features: FrameFeatures, pitch: PitchTrack,
                   posteriors: tuple, speech_like: bool) -> PhoneTrack:
    """The PhoneTrack of a transcript's phones that fit the audio (their final timing, and the voice they leave
    uncovered recognised)."""
    phones = _released_early(tighten_labials(_silence_outside(phones, activity, True), features))
    phones = _with_unscripted_speech(phones, posteriors, features, activity, pitch)
    return PhoneTrack(phones, "alignment", activity, features, pitch, notes, speech_like)


def _alignment_fits(phones: list, activity: VoiceActivity) -> bool:
    """Whether aligned phones fall where the voice is and cover most of it."""
    spoken = [p for p in phones if p.phone != SILENCE]
    if not spoken:
        return False
    total = sum(p.duration for p in spoken)
    silent = sum(_inactive_seconds(p, activity) for p in spoken)
    covered = np.zeros(len(activity.active), bool)
    for p in spoken:
        covered[p.covering_frames()] = True
    unexplained = int((activity.active & ~covered).sum())  # a short clip's breath or echo is a large share
    return (silent / max(total, 1e-6) < MISMATCH_SILENT_SHARE
            and (unexplained < MISMATCH_SILENT_SHARE * max(1, int(activity.active.sum()))
                 or unexplained * FRAME_SECONDS <= UNEXPLAINED_SECONDS))


def _posterior_gap(phones: list, posteriors: tuple, activity: VoiceActivity) -> float:
    """How much likelier the net finds its own best phone than the aligned one: the mean log-probability gap over
    the frames where a voice is heard (small where the words match the audio, large where they are other words)."""
    log_probs, names = posteriors
    count = min(len(log_probs), len(activity.active))
    column = {name: k for k, name in enumerate(names)}
    aligned = np.full(count, column[SILENCE])
    for phone in phones:
        aligned[phone.frames(count)] = column.get(phone.phone, column[SILENCE])
    frames = np.flatnonzero(activity.active[:count])
    if not len(frames):
        return 0.0
    return float(np.mean(log_probs[frames].max(axis=1) - log_probs[frames, aligned[frames]]))


def _squeezed_share(phones: list) -> float:
    """The share of spoken phones squeezed to the aligner's minimum length (a word the speaker did not say, or
    said very fast)."""
    spoken = [p for p in phones if p.phone != SILENCE]
    return sum(1 for p in spoken if p.duration <= 0.031) / max(1, len(spoken))


def _inactive_seconds(phone: PhoneSegment, activity: VoiceActivity) -> float:
    return float((~activity.active[phone.covering_frames()]).sum()) * FRAME_SECONDS


def _silence_outside(phones: list, activity: VoiceActivity, keep_closures: bool = False) -> list:
    """No mouthing into pauses: the parts of phones where no voice is heard for PAUSE_SECONDS or more become
    silence (an aligner or recogniser may stretch a word over a pause; stop closures inside a phrase are shorter
    and count as voice, see activity.GAP_FILL_SECONDS).

    `keep_closures` (a transcript's phones): a p/b/m heard nowhere is the silent closure of a stop or a nasal too
    quiet for the voice check, so it keeps CLOSURE_HOLD_SECONDS of closed lips next to the voice it belongs to
    (before the sound that follows it, else after the one before it) instead of vanishing into the pause."""
    quiet = ~activity.active
    pause = np.zeros(len(quiet), bool)  # frames inside a whole quiet run of PAUSE_SECONDS or more
    for a, b in _runs(quiet):
        pause[a:b] = (b - a) * FRAME_SECONDS >= PAUSE_SECONDS - 1e-9
    out = []
    for k, phone in enumerate(phones):
        if phone.phone == SILENCE:
            out.append(phone)
            continue
        if keep_closures and phone.phone in LABIALS:
            held = _closure_hold(phones, k, quiet)
            if held:
                out.extend(held)
                continue
        span = phone.frames(len(quiet))
        lo, hi = span.start, span.stop
        runs = [(a, b) for a, b in _runs(quiet[lo:hi]) if pause[lo + a] or (a == 0 and b == hi - lo)]
        if not runs:
            out.append(phone)
            continue
        cursor = phone.start
        for a, b in runs:
            start, end = (lo + a) * FRAME_SECONDS, (lo + b) * FRAME_SECONDS
            if a == 0:
                start = phone.start
            if b == hi - lo:
                end = phone.end
            if start > cursor + 1e-9:
                out.append(PhoneSegment(phone.phone, cursor, start, phone.word))
            out.append(PhoneSegment(SILENCE, start, end, phone.word))
            cursor = end
        if phone.end > cursor + 1e-9:
            out.append(PhoneSegment(phone.phone, cursor, phone.end, phone.word))
    return out


def _closure_hold(phones: list, k: int, quiet: np.ndarray) -> list:
    """[SIL, p/b/m, SIL] for phones[k] (a p/b/m) when no voice is heard anywhere in it; [] otherwise."""
    phone = phones[k]
    span = phone.frames(len(quiet))
    lo, hi = span.start, span.stop
    if hi > lo and not quiet[lo:hi].all():
        return []
    hold = min(CLOSURE_HOLD_SECONDS, phone.duration)
    spoken = lambda j: 0 <= j < len(phones) and phones[j].phone != SILENCE
    if spoken(k + 1) and abs(phones[k + 1].start - phone.end) < 1e-6:
        start = phone.end - hold          # the release into the next sound
    elif spoken(k - 1) and abs(phones[k - 1].end - phone.start) < 1e-6:
        start = phone.start               # lips shut after the sound before, then rest
    else:
        start = 0.5 * (phone.start + phone.end - hold)
    parts = [PhoneSegment(SILENCE, phone.start, start, phone.word),
             PhoneSegment(phone.phone, start, start + hold, phone.word),
             PhoneSegment(SILENCE, start + hold, phone.end, phone.word)]
    return [p for p in parts if p.duration > 1e-9]


def _runs(mask: np.ndarray) -> list:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


__all__ = ["PhoneTrack", "find_phones"]
