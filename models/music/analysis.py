"""One call from audio to everything the choreography needs: beats, bars, sections, onset and loudness curves."""

from dataclasses import dataclass, field, replace

import numpy as np

from ..audio.load import Audio
from .bar_decoder import MIN_BPM, DecodedBeats, decode, decode_each_meter
from .beat_net import FRAME_RATE, SECOND_LOOK_PATHS, WEIGHTS_PATHS, each_net_activations, mean_activations
from .sections import bar_features, segment
from .spectrum import SAMPLE_RATE, log_mel_spectrum, onset_strength

FALLBACK_BPM = 110.0
# "No steady beat" (steady_beat): the beats found are weak (mean beat probability on them under MIN_CONFIDENCE)
# and do not repeat as music's under noise do (WEAK_BEATS_PERIODICITY, below); or, with beats under STRONG_BEATS,
# the sound is speech-like (the beat activation hardly repeats: median
# autocorrelation peak over 10 s windows under SPEECH_PERIODICITY, while the spectrum's shape changes from
# syllable to syllable: median correlation of log-mel frames 0.25 s apart under SPEECH_CHANGE) or it hardly
# repeats at all (under MIN_PERIODICITY) and is not harmonic (music holds partials: in the median loud frame at
# least HARMONIC_PEAKS of the 80–4000 Hz bins stand out of their neighbourhood; noise, wind and rain have none, a
# bare drone one or two). Chosen on the tuning material of bench/no_steady_beat.py (real speech in five
# languages; drones, hiss, rain and wind; the free-tempo, validation and band splits' music, which must keep its
# beats) and the demo speech: speech
# 0.27–0.56 / 0.11–0.25 / 0.43–0.88 (confidence / periodicity / change), the least steady music (expressive game
# themes) 0.29–0.49 / 0.18–0.34 / 0.94–0.99, music whose spectrum changes like speech 0.67+ / 0.58+.
MIN_CONFIDENCE = 0.25
# Weak beats that still repeat, in a spectrum that holds its shape as music's does, are music under noise or
# distortion, not its absence: the nets' confidence falls under MIN_CONFIDENCE on metal clipped +18 dB or music
# under white noise at 10 dB SNR, whose own beats still score F 0.4-0.97 against madmom's (the fallback grid keeps
# 110 BPM, whatever the song). Kept where the activation's periodicity reaches WEAK_BEATS_PERIODICITY and the
# change WEAK_BEATS_CHANGE. Chosen with
# `bench/no_steady_beat.py --degraded` (the tuning music so degraded, 186 excerpts; the speech takes under noise at
# 10 and 0 dB; synthesized noises, hum, fan, crowd, applause): 22 -> 10 of the degraded excerpts fall back, the
# clean tuning music still 0, and not one more sound that must get the note hears beats (0.25: 5 fall back, one
# more sound with beats; 0.40: 16; a raven's looped caws repeat, 0.46, but change like speech, 0.58).
WEAK_BEATS_PERIODICITY = 0.30
WEAK_BEATS_CHANGE = 0.80
MIN_PERIODICITY = 0.18
STRONG_BEATS = 0.65
SPEECH_PERIODICITY = 0.30
SPEECH_CHANGE = 0.90
HARMONIC_PEAKS = 0.015
MAX_PEAK_FRAMES = 1200     # harmonic_peaks looks at 2 minutes' worth of frames at most
MIN_BEATS = 8
# A recording's silent lead-in and tail get no beats: the nets hear ±10 s, so they put beats into a silent intro
# before the music (beat probability up to 0.9 in the last 2 s of a 20 s digital silence) and the decode counted
# them from the file's start. Silent: a frame's log-mel power (30 Hz up: a constant offset, as the one
# load.conditioned takes out of a whole file puts into its digital silence, is not heard) this far under the
# loudest frame's. Frames up to AUDIBLE_MARGIN seconds before the first audible one (and after the last) keep
# their beats: a first beat may fall on the very onset that ends the silence.
SILENT_DB = -50.0
AUDIBLE_MARGIN = 0.1
# A long silence inside the recording (a hidden track after a gap, a long pause in a live recording, two songs in
# one file) gets no beats either: frames silent by the rule above for at least SILENT_BREAK_SECONDS and longer than
# SILENT_BREAK_BARS bars at the tempo found (the beats outside it) are a silent break. Every silence that long has
# its activations cleared (as a silent lead-in's); in a break the beats the decode still counts through it are
# dropped, but for those within AUDIBLE_MARGIN of its ends, and the bars on either side are counted each on their own
# (count_bars), so the first downbeat after it starts a new bar and the bar numbers go on. A shorter stop keeps its
# beats and the count goes on through it: a band's stop or general pause lasts a bar or two, at most about 4 s at
# the tempos of most songs (two bars of 4/4 at 120 BPM), and the silence this rule measures is shorter than the stop
# itself (the reverb rings on for a second or more before it falls 50 dB); a slow song's two bars last longer (5.3 s
# at 90 BPM), and a long silence is kept as a break only where it is longer than those too.
SILENT_BREAK_SECONDS = 4.0
SILENT_BREAK_BARS = 2.0
METERS = (3, 4)
BASS_ONSET_HZ = 150.0      # bars start where the bass starts its notes (choose_bars)
BASS_REACH = 0.03          # seconds either side of a beat
METER_BASS_WEIGHT = 2.0
# Bars start where bass onset × (net's downbeat probability over its beat probability)^DOWNBEAT_WEIGHT ×
# (spectral change from the beat before)^HARMONY_WEIGHT × (novelty of the 4 beats after over the 4 before)^
# NOVELTY_WEIGHT over (snare-band onset)^SNARE_WEIGHT is highest (choose_bars). Chosen on the tuning splits only
# (bench/music_corpus.py's validation / band / free-tempo splits, madmom's downbeats), see choose_bars.
DOWNBEAT_WEIGHT = 6.0
OFFBEAT_BASS_RATIO = 2.0   # beats half a beat later where the bass is this much stronger between them (onto_the_bass)
# The nets' mean may double the tempo where one net alone hears the faster level (slower_net_reading): the beats
# both nets hear are taken where their tempo is half the mean's within this share (the bench's own "×½" tolerance).
HALF_TEMPO_TOLERANCE = 0.08
# Kick against snare (choose_bars): onsets at 150–600 Hz (snare drum, chords off the beat) count against a bar
# starting there, with this weight.
SNARE_LOW_HZ, SNARE_HIGH_HZ = 150.0, 600.0
SNARE_WEIGHT = 1.5
# Chords and textures change where bars start (choose_bars): the log-mel spectrum averaged over each beat, against
# the beat before (HARMONY_WEIGHT), and the checkerboard novelty of the beats' self-similarity NOVELTY_BEATS
# before against NOVELTY_BEATS after (NOVELTY_WEIGHT: a new phrase or section starts on a downbeat).
HARMONY_WEIGHT = 0.5
NOVELTY_WEIGHT = 1.0
NOVELTY_BEATS = 4
# Odd meters (odd_meter): the beats found are counted in bars of 5 (5/4) or 7 (7/8 in its eighths, where those are
# the beats the nets hear) where the nets' downbeat over beat probability repeats every 5 or 7 beats: its F
# statistic over the bar positions (between-position over within-position variance of its log) is at least
# ODD_METER_MIN_F and ODD_METER_RATIO times that of bars of 3 and of 4, over at least ODD_METER_BARS bars. Chosen on
# the tuning material only: on the 93 excerpts of the validation, band and free-tempo splits (all in 3 or 4) the F
# at 5 or 7 beats is at most 2.2 (at 3 or 4 up to 437); on 16 synthesized pieces in 5/4 and 7/8 with drums
# (bench/odd_meters.py) it is 16.5–147 at their meter and at most 1.1 at 3 or 4 (6 is about the geometric middle of
# 2.2 and 16.5); the bench's 4 pieces without drums, added after the choice, give 9.3–12.2 (at 3 or 4 at most 1.6),
# so real odd-meter music with weaker downbeats may stay in 3 or 4. ODD_METERS = () turns it off.
ODD_METERS = (5, 7)
ODD_METER_MIN_F = 6.0
ODD_METER_RATIO = 4.0
ODD_METER_BARS = 4
HEARD_BEAT = 0.01  # meter_periodicity leaves out beats where the nets' beat probability stays under this
# Where the pair's beats are not sure (confidence under SECOND_LOOK_CONFIDENCE) and yet steady, the third net
# (beat_net.SECOND_LOOK_PATHS) joins the mean and the beats and bars are found again from the three; the "no
# steady beat" decision stays the pair's. Chosen on the tuning splits (bench/degraded_music.py's conditions through
# a scan of both readings per excerpt): clean music as before within 0.01 of beat F and 0.03 of downbeat F per
# split, band music under white noise at 10 dB 0.844 -> 0.907 beat F, at telephone bandwidth 0.710 -> 0.788.
SECOND_LOOK_CONFIDENCE = 0.8
# A long song's bars may change phase (a bar of two beats, a break, a pickup into a new section): count_bars scores
# blocks of PHASE_BLOCK_BARS bars with its cues and lets the phase change between blocks at PHASE_CHANGE_COST (in
# the units of its cue score: a sum of weighted log ratios), then scores each stretch between changes as a whole
# (_phase_per_block); with no change the whole piece's phase stands, so 60 s excerpts hardly ever move. Chosen on
# tuning data only (bench/beats.py --whole-tracks: the validation and band splits' tracks analysed whole, 1–14 min,
# scored in their labelled excerpts against madmom; downbeat F validation / band, excerpt rows unchanged at every
# setting but 3): off 0.603 / 0.783; 3: 0.712 / 0.762 (two validation excerpts move); 5: 0.677 / 0.775; 7: 0.600 /
# 0.775; 10 and 20: 0.603 / 0.801. The validation gain is four long Warzone 2100 tracks (6–11 min) whose bars come
# right after a change (0 → 0.87–1.0), the band loss one track (Battle Tanks' utrennik); against madmom's beats on
# the band tracks whole, 5 takes downbeat F 0.769 → 0.779. A fragile optimum (7 loses the Warzone tracks again).
# Scoring every block and taking the best path without re-scoring the stretches flipped short tracks' bars whole.
PHASE_CHANGE_COST = 5.0
PHASE_BLOCK_BARS = 8
# Where the pair's beats are too faint and irregular to keep (steady_beat says no: metal clipped +18 dB, beat
# confidence 0.13-0.22, periodicity 0.21-0.28), the three nets' mean may still repeat: music under the damage, kept
# where its periodicity reaches SECOND_LOOK_PERIODICITY in a spectrum that holds its shape (faint_music_heard).
# Tuning material (bench/no_steady_beat.py, bench/degraded_music.py): those five clipped band excerpts 0.43-0.53;
# the faint sounds with no beat (a sauna, birdsong, a river, a raven) 0.06-0.15 or a spectrum that changes (raven
# 0.53 at change 0.58); speech is never that faint (0.34 or more). Music clipped +18 dB: 6 -> 1 of 93 falling back;
# speech under noise, synthesized noises and music under noise as before (bench/no_steady_beat.py --degraded).
SECOND_LOOK_PERIODICITY = 0.40
# A spectrum that never changes (a held tone, chord or drone: a test tone, mains hum, an organ pedal) has no beat,
# however the nets read it: a pure tone gives them a flat activation that repeats at 0.3-0.97 periodicity, and a
# chord whose partials beat against the 50 frames a second gives them a pulse (a just A major triad: confidence 0.64,
# periodicity 0.96). Where spectral_change reaches HELD_TONE_CHANGE and the beats are under STRONG_BEATS, there is
# no steady beat. Chosen on the synthesized tones and drones of bench/no_steady_beat.py (sines at 60-3000 Hz, an
# organ's held note, chords held or swelling: change 0.997-1.000) and all its music that must keep its beats, clean,
# under noise and clipped (279 excerpts: change 0.992 at most): 3 -> 10 of the 12 tones and drones get the note,
# no music falls back (a sweep, 0.994, and a vibrato, 0.98, still get beats).
HELD_TONE_CHANGE = 0.995
HELD_TONE_NOTE = "the sound holds one tone, chord or drone throughout"


@dataclass
class Section:
    start: float       # seconds
    end: float
    label: int         # sections with the same label are repeats of one part
    loudness: float    # mean RMS relative to the loudest section (0..1)


@dataclass
class MusicAnalysis:
    duration: float
    tempo: float                   # beats per minute (average over the song)
    beats: np.ndarray              # seconds
    downbeats: np.ndarray          # seconds, a subset of beats
    first_downbeat_index: int      # index into beats of the first downbeat
    sections: list
    envelope_rate: float           # samples per second of the curves below
    onset: np.ndarray              # onset strength, 0..1
    loudness: np.ndarray           # RMS, 0..1 relative to the loudest part
    fallback: bool = False
    notes: list = field(default_factory=list)
    bar_starts: np.ndarray = None  # indices into beats of the downbeats (bars may be cut short at glitches)
    beats_per_bar: int = 4         # the meter found: 3 (3/4, 9/8), 4 (4/4, 12/8), 5 (5/4) or 7 (7/8 in eighths)
    confidence: float = 0.0        # mean beat activation on the beats found (0..1; 0 for a fallback)

    def __post_init__(self):
        if self.bar_starts is None:
            self.bar_starts = np.arange(self.first_downbeat_index, len(self.beats), self.beats_per_bar)

    def beat_position(self, times: np.ndarray) -> np.ndarray:
        """Continuous beat index at each time (beat i at beats[i]); extrapolated at the tempo outside the beats."""
        return beat_position(self.beats, times)

    def curve_at(self, curve: np.ndarray, times: np.ndarray) -> np.ndarray:
        return np.interp(times, np.arange(len(curve)) / self.envelope_rate, curve)


def beat_position(beats: np.ndarray, times: np.ndarray) -> np.ndarray:
    beats = np.asarray(beats, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    index = np.arange(len(beats), dtype=np.float64)
    position = np.interp(times, beats, index)
    first_period = beats[1] - beats[0]
    last_period = beats[-1] - beats[-2]
    position = np.where(times < beats[0], (times - beats[0]) / first_period, position)
    return np.where(times > beats[-1], index[-1] + (times - beats[-1]) / last_period, position)


def analyse_music(audio: Audio, nets: tuple = WEIGHTS_PATHS, second_look: tuple = None) -> MusicAnalysis:
    """Beats, bars, meter, sections and loudness of `audio`; `nets`: the beat-net weight files whose activations
    are averaged (benches compare other sets of nets with it); `second_look`: the nets that join them where their
    beats are unsure (SECOND_LOOK_CONFIDENCE; default beat_net.SECOND_LOOK_PATHS for the shipped nets, none for
    another set)."""
    if second_look is None:
        second_look = SECOND_LOOK_PATHS if tuple(nets) == tuple(WEIGHTS_PATHS) else ()
    samples = audio.samples
    if audio.sample_rate != SAMPLE_RATE:
        from ..audio.load import resample
        samples = resample(samples, audio.sample_rate, SAMPLE_RATE)
    duration = len(samples) / SAMPLE_RATE
    spectrum = log_mel_spectrum(samples, SAMPLE_RATE)
    rate = spectrum.frame_rate
    loudness = _rms(samples, len(spectrum.log_mel))
    peak = float(max(samples.max(), -samples.min())) if len(samples) else 0.0  # no |samples| copy
    if peak < 1e-4:
        return fallback_analysis(duration, "No sound was found in the audio, so the dancer grooves at a steady "
                                           f"{FALLBACK_BPM:.0f} BPM.")
    envelope = onset_strength(spectrum)
    envelope /= max(envelope.max(), 1e-12)
    audible = audible_frames(spectrum.log_mel)
    span = _span(audible, rate)
    quiet = silent_stretches(audible, rate)     # silent breaks, if the tempo found makes them long enough
    each = [_silent_ends_cleared(a, span, quiet)
            for a in each_net_activations(samples, SAMPLE_RATE, paths=tuple(nets))]
    activations = mean_activations(each)
    bass_onsets = onset_strength(spectrum, BASS_ONSET_HZ)
    snare_onsets = onset_strength(spectrum, SNARE_HIGH_HZ, min_hz=SNARE_LOW_HZ)
    decoded = _beats_and_bars(activations, spectrum, bass_onsets, snare_onsets)
    evidence = beat_evidence(activations[:, 0], _outside(decoded.beats, quiet), spectrum.log_mel,
                             spectrum.frame_rate, samples)
    confidence, regularity = evidence["confidence"], evidence["regularity"]
    looked = None      # the three nets' (each, mean), where the pair is unsure (SECOND_LOOK_CONFIDENCE)
    unsure = bool(second_look) and confidence < SECOND_LOOK_CONFIDENCE
    if not steady_beat(evidence):
        if unsure and confidence < MIN_CONFIDENCE:       # faint: does the third net hear music under the damage?
            looked = _with_nets(each, second_look, samples, span, quiet)
        if looked is None or not faint_music_heard(looked[1][:, 0], evidence):
            held = f": {HELD_TONE_NOTE}" if held_tone(evidence) else ""
            fallback = fallback_analysis(duration, f"No steady beat was found (beat confidence {confidence:.2f}, "
                                                   f"regularity {regularity:.2f}{held}), so the dancer grooves at "
                                                   f"a steady {FALLBACK_BPM:.0f} BPM.", loudness, rate)
            fallback.confidence = confidence
            return fallback
    found = len(_outside(decoded.beats, quiet))
    if found < MIN_BEATS:
        return fallback_analysis(duration, f"Too few beats were found ({found}), so the dancer grooves "
                                           f"at a steady {FALLBACK_BPM:.0f} BPM.", loudness, rate)
    if unsure:
        looked = looked or _with_nets(each, second_look, samples, span, quiet)
        again = _beats_and_bars(looked[1], spectrum, bass_onsets, snare_onsets)
        if len(_outside(again.beats, quiet)) >= MIN_BEATS:
            (each, activations), decoded = looked, again
            confidence = beat_confidence(activations[:, 0], _outside(decoded.beats, quiet))
    # (after the "no steady beat" decision, which, like the confidence, is made on the mean's beats)
    decoded = slower_net_reading(decoded, each, bass_onsets, spectrum.frame_rate, activations[:, 1], snare_onsets,
                                 activations[:, 0], spectrum.log_mel)
    decoded = odd_meter(decoded, bass_onsets, spectrum.frame_rate, activations[:, 1], snare_onsets, activations[:, 0],
                        spectrum.log_mel)
    decoded, breaks = without_silent_breaks(decoded, quiet, bass_onsets, spectrum.frame_rate, activations[:, 1],
                                            snare_onsets, activations[:, 0], spectrum.log_mel)
    beats = decoded.beats
    bar_starts = np.flatnonzero(decoded.beat_in_bar == 1)
    if len(bar_starts) == 0:
        bar_starts = np.array([0])
    tempo = 60.0 / float(np.median(np.diff(beats)))
    analysis = MusicAnalysis(duration, tempo, beats, beats[bar_starts], int(bar_starts[0]), [], rate, envelope,
                             loudness, bar_starts=bar_starts, beats_per_bar=decoded.beats_per_bar,
                             confidence=confidence)
    analysis.sections = _sections(analysis, spectrum.log_mel)
    analysis.notes.append(f"Tempo {tempo:.0f} BPM, {decoded.beats_per_bar} beats to the bar, {len(beats)} beats, "
                          f"{len(bar_starts)} bars, beat confidence {confidence:.2f}, {len(analysis.sections)} "
                          f"section{'' if len(analysis.sections) == 1 else 's'}.")
    for start, end in breaks:
        analysis.notes.append(f"Silent {start:.1f}-{end:.1f} s: no beats there.")
    if evidence["confidence"] < MIN_CONFIDENCE:  # the pair's beats were faint: kept as weak beats that repeat
        analysis.notes.append("The beats are faint (a noisy or distorted recording?): check them against the music "
                              "before keying to them.")
    return analysis


def choose_bars(candidates: list, bass_onsets: np.ndarray, frame_rate: float,
                downbeat_activation: np.ndarray = None, snare_onsets: np.ndarray = None,
                beat_activation: np.ndarray = None, log_mel: np.ndarray = None) -> DecodedBeats:
    """The beats, meter and bars from one decode per meter (bar_decoder.decode) and the onset strength below
    BASS_ONSET_HZ per spectrum frame: bars start where the bass starts its notes.

    The beats are those of the likeliest decode. For each meter, its decoded beats are counted in bars, and of the
    ways to start the count the one whose first beats have the most bass onset (summed within BASS_REACH of each
    beat, averaged over the bars) scores; the meter kept has the highest decoder log-probability plus
    METER_BASS_WEIGHT × beats × log(that phase's bass onset over the mean of all phases): a bass that comes back
    every three beats votes for 3/4. Then the likeliest beats are counted in bars of that meter from the phase
    whose cues, each a mean over the beats of that phase over its mean across the phases, score highest in log:
    bass onset (weight 1); the net's downbeat probability (`downbeat_activation`, per beat-net frame), over its
    beat probability where `beat_activation` is given (how sure it is that a beat it hears starts a bar, not how
    loud the beat is), weight DOWNBEAT_WEIGHT; the onset between SNARE_LOW_HZ and SNARE_HIGH_HZ (`snare_onsets`,
    per spectrum frame), weight -SNARE_WEIGHT (kick and bass start the bar, the snare and the off-beat chords come
    after it); with `log_mel` (spectrum frames), the change of the beat's spectrum from the beat before
    (harmony_change_phase_strength, HARMONY_WEIGHT) and the novelty between the NOVELTY_BEATS beats before and
    after it (novelty_phase_strength, NOVELTY_WEIGHT). Without any cue, the bars are the decoder's.

    Chosen on tuning data only (madmom's beats and downbeats on the validation split, 39 game-soundtrack
    excerpts, the band split, 29 rock/metal ones, and the free-tempo split's 25 expressive pieces; packages that
    never trained the nets), downbeat F validation / band / free-tempo: the previous setting (bass, downbeat^4,
    snare^-1.75) 0.688 / 0.741 / 0.614, where each piece's best phase would give 0.913 / 0.884 / 0.768. The
    downbeat over the beat probability alone scores 0.565 / 0.741 (the downbeat probability alone 0.540 / 0.706);
    the spectral cues alone are weak (change 0.442 / 0.411, novelty 0.462 / 0.595) but right on some pieces where
    the net and the bass are not. All five at 1 / 6 / -1.5 / 0.5 / 1 (a grid of downbeat 2–6, snare 0.5–2, change
    0–1, novelty 0–2): 0.688 / 0.826 / 0.661, the grid's best on validation + band; its grid neighbours 0.66–0.71 /
    0.79–0.83 / 0.62–0.66 (one excerpt moves the validation figure by 0.026, the band's by 0.034). Chroma instead
    of log-mel bands, bass-range chroma, change over 2–4 beats, per-bar votes or ranks instead of means and a
    logistic fit of the weights did no better. The meter is madmom's in 39 of 39, 28 of 29 and 22 of 25
    (METER_BASS_WEIGHT 3 would make the band split's 29 of 29 at a lower downbeat F, 0.816); with madmom's meter
    the best phases would give 0.913 / 0.892 / 0.784. Madmom's bars keep one phase against our beats through all
    but 9 of the 68 validation and band excerpts (most of those for a few bars), so a phase per section was not
    tried."""
    candidates = [replace(decoded, beats=onto_the_bass(decoded.beats, bass_onsets, frame_rate))
                  for decoded in candidates]
    likeliest = max(candidates, key=lambda decoded: decoded.log_probability)
    meter, best_score = likeliest.beats_per_bar, -np.inf
    for decoded in candidates:
        strength = bass_phase_strength(decoded.beats, decoded.beats_per_bar, bass_onsets, frame_rate)
        score = decoded.log_probability
        if strength is not None:
            score += METER_BASS_WEIGHT * len(decoded.beats) * np.log(strength.max() / strength.mean())
        if score > best_score:
            meter, best_score = decoded.beats_per_bar, score
    return count_bars(likeliest, meter, bass_onsets, frame_rate, downbeat_activation, snare_onsets, beat_activation,
                      log_mel)


def count_bars(likeliest: DecodedBeats, meter: int, bass_onsets: np.ndarray, frame_rate: float,
               downbeat_activation: np.ndarray = None, snare_onsets: np.ndarray = None,
               beat_activation: np.ndarray = None, log_mel: np.ndarray = None) -> DecodedBeats:
    """The beats of `likeliest` counted in bars of `meter` from the phase whose cues score highest (choose_bars
    says which and how), a phase per stretch where a long song's bars change phase (PHASE_CHANGE_COST); without
    any cue, its own bars (where its meter is `meter`) or its first downbeat's."""
    beats, beat_in_bar = likeliest.beats, likeliest.beat_in_bar
    cues = cue_values(beats, bass_onsets, frame_rate, downbeat_activation, snare_onsets, beat_activation, log_mel)
    score, counted = phase_scores(cues, meter, 0, len(beats))
    cued = "bass" in counted or "downbeat" in counted
    if cued:
        first = int(np.argmax(score))
    elif meter == likeliest.beats_per_bar or not np.any(beat_in_bar == 1):
        return likeliest
    else:
        first = int(np.flatnonzero(beat_in_bar == 1)[0])
    index = np.arange(len(beats))
    phases = _phase_per_block(cues, len(beats), meter, first) if PHASE_CHANGE_COST and cued \
        else np.full(len(beats), first)
    return DecodedBeats(beats, ((index - phases) % meter + 1).astype(int), meter, likeliest.log_probability)


def cue_values(beats: np.ndarray, bass_onsets: np.ndarray, frame_rate: float, downbeat_activation: np.ndarray,
               snare_onsets: np.ndarray, beat_activation: np.ndarray, log_mel: np.ndarray) -> list:
    """[(weight, per-beat value, floor, kind)] of count_bars' cues, before their means over bar positions (the
    beats' spectra made once for both spectral cues). Public for the benches (bench/downbeat_cues.py)."""
    out = []
    if len(bass_onsets):
        out.append((1.0, _near_sum(bass_onsets, beats, frame_rate), 1e-9, "bass"))
    if downbeat_activation is not None and len(downbeat_activation) >= 3:
        out.append((DOWNBEAT_WEIGHT, _downbeat_per_beat(beats, downbeat_activation, beat_activation), 1e-6,
                    "downbeat"))
    if snare_onsets is not None and len(snare_onsets):
        out.append((-SNARE_WEIGHT, _near_sum(snare_onsets, beats, frame_rate), 1e-9, "snare"))
    if log_mel is not None and len(log_mel) and len(beats) >= 2:
        spectra = beat_spectra(log_mel, frame_rate, beats)
        out.append((HARMONY_WEIGHT, _spectral_change_per_beat(spectra), 1e-9, "change"))
        out.append((NOVELTY_WEIGHT, _novelty_per_beat(spectra), 1e-9, "novelty"))
    return out


def _cue_strength(per_beat: np.ndarray, meter: int, kind: str):
    """(meter,) the mean of a cue's per-beat values (cue_values) on the beats counted 1, 2, … of a bar from each
    starting beat, or None where the cue says nothing: under two bars (the spectral change, which has no value on
    its first beat: two bars after it), onsets (bass, snare) on no bar position more than on the others, spectral
    cues (change, novelty) at 0 everywhere."""
    if meter < 2 or len(per_beat) < 2 * meter + (kind == "change"):
        return None
    means = _phase_means(per_beat, meter)
    if np.any(~np.isfinite(means)):
        return None
    if kind in ("bass", "snare") and not means.max() > means.mean() * (1.0 + 1e-6) + 1e-12:
        return None
    if kind in ("change", "novelty") and not means.max() > 0:
        return None
    return means


def phase_scores(cues: list, meter: int, first: int, last: int) -> tuple:
    """((meter,) count_bars' score of each bar phase, indexed by the absolute beat index of the downbeats mod
    meter, from the beats first..last-1 alone: the weighted sum of the log of each cue's strength over its mean
    across the phases; the set of the cue kinds that counted)."""
    score, counted = np.zeros(meter), set()
    for weight, values, floor, kind in cues:
        means = _cue_strength(values[first:last], meter, kind)
        if means is not None:
            score += weight * np.log(np.roll(means, first % meter) / means.mean() + floor)
            counted.add(kind)
    return score, counted


def _phase_per_block(cues: list, count: int, meter: int, first: int) -> np.ndarray:
    """Per beat (of `count`), the bar phase (beat index mod meter of the downbeats): a Viterbi over blocks of
    PHASE_BLOCK_BARS bars whose phase may change from one block to the next at PHASE_CHANGE_COST (a bar of another
    length between them: a song's 2/4 bar, a break, a pickup), each block scored by count_bars' cues (`cues`,
    cue_values) over its own beats. The whole piece's phase (`first`) where it has under two blocks."""
    size = meter * PHASE_BLOCK_BARS
    if count < 2 * size:
        return np.full(count, first)
    starts = np.arange(0, count - size // 2, size)
    emission = np.array([phase_scores(cues, meter, a, min(count, a + size))[0] for a in starts])
    best = emission[0].copy()
    back = np.zeros((len(starts), meter), int)
    for k in range(1, len(starts)):
        switch = best.max() - PHASE_CHANGE_COST
        back[k] = np.where(best >= switch, np.arange(meter), int(np.argmax(best)))
        best = np.maximum(best, switch) + emission[k]
    phase = np.empty(len(starts), int)
    phase[-1] = int(np.argmax(best))
    for k in range(len(starts) - 1, 0, -1):
        phase[k - 1] = back[k, phase[k]]
    if np.all(phase == phase[0]):
        return np.full(count, first)
    out = np.empty(count, int)
    edges = np.concatenate([[0], np.flatnonzero(np.diff(phase)) + 1, [len(starts)]])
    for a, b in zip(edges[:-1], edges[1:]):   # each stretch's phase by the whole-stretch criterion, as count_bars'
        lo, hi = int(starts[a]), (count if b == len(starts) else int(starts[b]))
        out[lo:hi] = int(np.argmax(phase_scores(cues, meter, lo, hi)[0]))
    return out


def odd_meter(decoded: DecodedBeats, bass_onsets: np.ndarray, frame_rate: float, downbeat_activation: np.ndarray,
              snare_onsets: np.ndarray = None, beat_activation: np.ndarray = None,
              log_mel: np.ndarray = None) -> DecodedBeats:
    """`decoded` (bars of 3 or 4), or its beats counted in bars of an odd meter of ODD_METERS (count_bars, from the
    phase choose_bars' cues pick) where the nets' downbeat evidence repeats every that many beats and not every 3 or
    4 (meter_periodicity; ODD_METER_MIN_F says how it was chosen). Works on the beats found, so it costs no decode."""
    if not ODD_METERS or downbeat_activation is None:
        return decoded
    strength = meter_periodicity(decoded.beats, downbeat_activation, beat_activation, (3, 4) + tuple(ODD_METERS))
    regular = max(strength[3], strength[4])
    best = max(ODD_METERS, key=lambda meter: strength[meter])
    if strength[best] < ODD_METER_MIN_F or strength[best] < ODD_METER_RATIO * regular:
        return decoded
    return count_bars(decoded, best, bass_onsets, frame_rate, downbeat_activation, snare_onsets, beat_activation,
                      log_mel)


def meter_periodicity(beats: np.ndarray, downbeat_activation: np.ndarray, beat_activation: np.ndarray = None,
                      meters=(3, 4, 5, 7)) -> dict:
    """{meter: F statistic} of the log of the nets' downbeat probability (over their beat probability where
    `beat_activation` is given; each its peak within a frame of a beat) grouped by the beats' position in bars of
    that meter: how much more it varies from one bar position to the next than within a position (about 1 where
    it does not repeat with that period; 0 for a meter under ODD_METER_BARS bars of beats)."""
    out = {meter: 0.0 for meter in meters}
    if len(beats) == 0 or len(downbeat_activation) < 3:
        return out
    values = np.log(_downbeat_per_beat(beats, downbeat_activation, beat_activation) + 1e-3)
    index = np.arange(len(values))
    # Beats the nets do not hear at all say nothing of the bar (their log ratio, 0 over 0, would be an outlier of -7
    # that swamps the rest): those in a silent lead-in or tail, whose activations are cleared (_silent_ends_cleared),
    # which the decode still counts on to the file's ends.
    if beat_activation is not None:
        heard = peak_near(beat_activation, _beat_frames(beats, len(beat_activation))) >= HEARD_BEAT
        values, index = values[heard], index[heard]
    if len(values) == 0:
        return out
    values = values - values.mean()
    total = float(np.sum(values ** 2))
    for meter in meters:
        if len(values) < ODD_METER_BARS * meter or total <= 1e-12:
            continue
        counts = np.bincount(index % meter, minlength=meter)
        sums = np.bincount(index % meter, weights=values, minlength=meter)
        between = float(np.sum(sums ** 2 / counts))
        within = max(total - between, 1e-12)
        out[meter] = (between / (meter - 1)) / (within / (len(values) - meter))
    return out


def slower_net_reading(decoded: DecodedBeats, each_activations: list, bass_onsets: np.ndarray, frame_rate: float,
                       downbeat_activation: np.ndarray = None, snare_onsets: np.ndarray = None,
                       beat_activation: np.ndarray = None, log_mel: np.ndarray = None) -> DecodedBeats:
    """The beats of the nets' mean (`decoded`, from choose_bars), or, where the beats the nets agree on (the
    frame-wise minimum of their activations, `each_activations` per net) decode at half that tempo (within
    HALF_TEMPO_TOLERANCE), those: the nets disagree on the metrical level, one hearing every other beat of the
    other's, and their mean, which holds the faster net's peaks between the slower's, doubles the tempo. The
    agreed beats are decoded in the meter found, their bars chosen as choose_bars does, with the mean's
    downbeat and beat probabilities and the same spectrum (`beat_activation`, `log_mel`).

    Chosen on tuning data only (madmom's beats; the held-out recordings were measured once afterwards): on the
    free-tempo split three slow themes the mean doubled (Flare's boss, safe-room and town themes) come to
    madmom's tempo (beat F 0.64–0.67 → 0.91–1.00) and a FreeCol piece at 200 BPM drops to half (0.95 → 0.80):
    beat F 0.808 → 0.837, tempo octave errors 9 → 7 of 25, downbeat F 0.614 → 0.621; on the band split one metal
    track's tempo comes right but on the off-beat (beat F 0.66 either way; the split's downbeat F 0.741 → 0.719,
    octave errors 4 → 3 of 29); the validation split is unchanged. Taking a net's own decode where it alone is at
    half (a decode per net) did as well on beats (0.841) but worse on bars (0.586); the nets' geometric mean
    never halves. Costs one decode more where the tempo found is over 102 BPM."""
    if len(each_activations) < 2 or len(decoded.beats) < MIN_BEATS:
        return decoded
    tempo = 60.0 / float(np.median(np.diff(decoded.beats)))
    if 0.5 * tempo * (1.0 + HALF_TEMPO_TOLERANCE) < MIN_BPM:     # half of it is slower than any decode
        return decoded
    agreed = np.minimum.reduce([np.asarray(a) for a in each_activations])
    slower = choose_bars([decode(agreed, FRAME_RATE, (decoded.beats_per_bar,))], bass_onsets, frame_rate,
                         downbeat_activation, snare_onsets, beat_activation, log_mel)
    if len(slower.beats) < MIN_BEATS:
        return decoded
    ratio = 60.0 / float(np.median(np.diff(slower.beats))) / tempo
    return slower if abs(2.0 * ratio - 1.0) < HALF_TEMPO_TOLERANCE else decoded


def onto_the_bass(beats: np.ndarray, bass_onsets: np.ndarray, frame_rate: float) -> np.ndarray:
    """The beats, or, where the bass starts its notes halfway between them (more than OFFBEAT_BASS_RATIO times
    the bass onset on them, over the whole piece), the beats half a beat later: the decode followed off-beat
    accents. On the validation split (tuning data) the ratio was 0.03–1.22 on the 37 excerpts tracked on the
    beat; of the two tracked on the off-beat one had 4.65 and moved (beat F 0.00 → 0.99), the other 0.76."""
    if len(beats) < 8 or len(bass_onsets) == 0:
        return beats
    middle = 0.5 * (beats[1:] + beats[:-1])
    on_beats = _near_sum(bass_onsets, beats[:-1], frame_rate).mean()
    between = _near_sum(bass_onsets, middle, frame_rate).mean()
    if between <= OFFBEAT_BASS_RATIO * on_beats or between <= 1e-12:
        return beats
    return np.append(middle, beats[-1] + 0.5 * (beats[-1] - beats[-2]))


def bass_phase_strength(beats: np.ndarray, meter: int, bass_onsets: np.ndarray, frame_rate: float):
    """(meter,) mean bass onset on the beats counted 1, 2, … of a bar from each starting beat; None if there
    are fewer than two bars or no bar position gets more bass onset than the others (no bass)."""
    if len(bass_onsets) == 0:
        return None
    return _cue_strength(_near_sum(bass_onsets, beats, frame_rate), meter, "bass")


def downbeat_phase_strength(beats: np.ndarray, meter: int, downbeat_activation: np.ndarray,
                            beat_activation: np.ndarray = None):
    """(meter,) mean of the net's downbeat probability (its peak within a frame of each beat), over its beat
    probability there (+ 0.001) where `beat_activation` is given, on the beats counted 1, 2, … of a bar from each
    starting beat; None without an activation or under two bars."""
    if downbeat_activation is None or len(downbeat_activation) < 3:
        return None
    return _cue_strength(_downbeat_per_beat(beats, downbeat_activation, beat_activation), meter, "downbeat")


def _beat_frames(beats: np.ndarray, count: int) -> np.ndarray:
    """The activation frames of `beats` (seconds), kept a frame inside an activation of `count` frames."""
    return np.clip(np.round(np.asarray(beats) * FRAME_RATE).astype(int), 1, count - 2)


def _downbeat_per_beat(beats: np.ndarray, downbeat_activation: np.ndarray, beat_activation: np.ndarray = None):
    """Per beat, the net's downbeat probability (its peak within a frame), over its beat probability (+ 0.001)
    where `beat_activation` is given."""
    frames = _beat_frames(beats, len(downbeat_activation))
    per_beat = peak_near(downbeat_activation, frames)
    if beat_activation is not None:
        per_beat = per_beat / (peak_near(beat_activation, frames) + 1e-3)
    return per_beat


def harmony_change_phase_strength(beats: np.ndarray, meter: int, log_mel: np.ndarray, frame_rate: float):
    """(meter,) mean cosine distance between each beat's log-mel spectrum (beat_spectra) and the previous beat's,
    on the beats counted 1, 2, … of a bar from each starting beat: chords change where bars start. None under two
    bars after the first beat."""
    if len(beats) < 2 or len(log_mel) == 0:
        return None
    return _cue_strength(_spectral_change_per_beat(beat_spectra(log_mel, frame_rate, beats)), meter, "change")


def _spectral_change_per_beat(spectra: np.ndarray) -> np.ndarray:
    """Per beat, the cosine distance of its spectrum (beat_spectra) from the previous beat's (NaN for the first)."""
    change = np.full(len(spectra), np.nan)
    change[1:] = 1.0 - np.sum(spectra[1:] * spectra[:-1], axis=1)
    return change


def novelty_phase_strength(beats: np.ndarray, meter: int, log_mel: np.ndarray, frame_rate: float):
    """(meter,) mean checkerboard novelty (Foote) of the beats' self-similarity (cosine of beat_spectra) at each
    beat: how much the NOVELTY_BEATS beats from it differ from the NOVELTY_BEATS before it (edges repeated), on the
    beats counted 1, 2, … of a bar from each starting beat: phrases and sections start on downbeats. None under two
    bars."""
    if len(beats) < 2 or len(log_mel) == 0:
        return None
    return _cue_strength(_novelty_per_beat(beat_spectra(log_mel, frame_rate, beats)), meter, "novelty")


def _novelty_per_beat(spectra: np.ndarray) -> np.ndarray:
    """Per beat, the checkerboard novelty of the NOVELTY_BEATS beats' spectra from it against the NOVELTY_BEATS
    before it (edges repeated)."""
    half = NOVELTY_BEATS
    padded = np.pad(spectra, ((half, half), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half, axis=0)[:len(spectra)]  # (n, bands, 2h)
    similarity = np.einsum("nbi,nbj->nij", windows, windows)
    sign = np.concatenate([-np.ones(half), np.ones(half)])
    return np.maximum(np.einsum("nij,i,j->n", similarity, sign, sign), 0.0)


def beat_spectra(log_mel: np.ndarray, frame_rate: float, beats: np.ndarray) -> np.ndarray:
    """(beats, bands) the log-mel frames from each beat to the next (the last beat: one beat period) averaged,
    less the mean over the beats, unit-normalised."""
    beats = np.asarray(beats, dtype=np.float64)
    edges = np.append(beats, beats[-1] + (beats[-1] - beats[-2]))
    start = np.searchsorted(np.arange(len(log_mel)) / frame_rate, edges)
    stop = np.minimum(np.maximum(start[1:], start[:-1] + 1), len(log_mel))
    start = np.minimum(start[:-1], stop - 1)
    cumulative = np.concatenate([np.zeros((1, log_mel.shape[1])), np.cumsum(log_mel, axis=0, dtype=np.float64)])
    spectra = (cumulative[stop] - cumulative[start]) / (stop - start)[:, None]
    spectra -= spectra.mean(axis=0)
    return spectra / (np.linalg.norm(spectra, axis=1, keepdims=True) + 1e-9)


def _phase_means(per_beat: np.ndarray, meter: int) -> np.ndarray:
    """(meter,) the mean of a per-beat value over the beats counted 1, 2, … of a bar from each starting beat
    (NaN values left out)."""
    index = np.arange(len(per_beat))
    return np.array([np.nanmean(per_beat[index % meter == phase]) for phase in range(meter)])


def _near_sum(curve: np.ndarray, times: np.ndarray, frame_rate: float) -> np.ndarray:
    """The curve summed over the frames within BASS_REACH of each time."""
    width = max(1, int(round(BASS_REACH * frame_rate)))
    centre = np.clip(np.round(np.asarray(times) * frame_rate).astype(int), 0, len(curve) - 1)
    cumulative = np.concatenate([[0.0], np.cumsum(curve)])
    return cumulative[np.minimum(centre + width + 1, len(curve))] - cumulative[np.maximum(centre - width, 0)]


def beat_evidence(activation: np.ndarray, beats: np.ndarray, log_mel: np.ndarray, frame_rate: float,
                  samples: np.ndarray) -> dict:
    """What the "no steady beat" decision (steady_beat) weighs, from the beat activation (FRAME_RATE frames), the
    beats decoded from it, the log-mel frames (frame_rate per second) and the samples (SAMPLE_RATE): confidence
    (mean beat probability on the beats), regularity (periodicity), change (spectral_change) and, only where
    the decision needs it, peaks (harmonic_peaks)."""
    evidence = {"confidence": beat_confidence(activation, beats),
                "regularity": periodicity(activation, FRAME_RATE),
                "change": spectral_change(log_mel, frame_rate)}
    if evidence["confidence"] < STRONG_BEATS and evidence["regularity"] < MIN_PERIODICITY:
        evidence["peaks"] = harmonic_peaks(samples)
    return evidence


def beat_confidence(activation: np.ndarray, beats: np.ndarray) -> float:
    """The mean beat probability on the beats (the peak within a frame of each; 0 without beats)."""
    frames = np.clip(np.round(np.asarray(beats) * FRAME_RATE).astype(int), 0, len(activation) - 1)
    return float(np.mean(peak_near(activation, frames))) if len(frames) else 0.0


def _beats_and_bars(activations: np.ndarray, spectrum, bass_onsets: np.ndarray,
                    snare_onsets: np.ndarray) -> DecodedBeats:
    """The beats and bars of the nets' mean `activations`: decoded in each meter, bars chosen by choose_bars."""
    return choose_bars(decode_each_meter(activations, FRAME_RATE, METERS), bass_onsets, spectrum.frame_rate,
                       activations[:, 1], snare_onsets, activations[:, 0], spectrum.log_mel)


def _with_nets(each: list, paths: tuple, samples: np.ndarray, span: tuple, quiet: list = ()) -> tuple:
    """(`each` net's activations with those of the nets in `paths` added, silent ends and stretches (`quiet`)
    cleared; their mean)."""
    each = each + [_silent_ends_cleared(a, span, quiet)
                   for a in each_net_activations(samples, SAMPLE_RATE, paths=tuple(paths))]
    return each, mean_activations(each)


def held_tone(evidence: dict) -> bool:
    """Whether the sound is one held tone, chord or drone (HELD_TONE_CHANGE) without strong beats."""
    return evidence["change"] >= HELD_TONE_CHANGE and evidence["confidence"] < STRONG_BEATS


def faint_music_heard(activation: np.ndarray, evidence: dict) -> bool:
    """Whether the pair's faint beats (under MIN_CONFIDENCE, and too irregular for the weak-beat rule) are music
    after all: the three nets' mean beat `activation` repeats (periodicity SECOND_LOOK_PERIODICITY or more) in a
    spectrum that holds its shape (`evidence["change"]` WEAK_BEATS_CHANGE or more)."""
    return (periodicity(activation, FRAME_RATE) >= SECOND_LOOK_PERIODICITY
            and evidence["change"] >= WEAK_BEATS_CHANGE and not held_tone(evidence))


def steady_beat(evidence: dict) -> bool:
    """False where there is no steady beat to dance to (see MIN_CONFIDENCE for the rule and how it was chosen, and
    HELD_TONE_CHANGE)."""
    confidence, regularity = evidence["confidence"], evidence["regularity"]
    if held_tone(evidence):
        return False
    if confidence < MIN_CONFIDENCE:
        return regularity >= WEAK_BEATS_PERIODICITY and evidence["change"] >= WEAK_BEATS_CHANGE
    if confidence >= STRONG_BEATS:
        return True
    if regularity < SPEECH_PERIODICITY and evidence["change"] < SPEECH_CHANGE:
        return False
    return not (regularity < MIN_PERIODICITY and evidence.get("peaks", 1.0) < HARMONIC_PEAKS)


def spectral_change(log_mel: np.ndarray, frame_rate: float, lag_seconds: float = 0.25) -> float:
    """Median correlation between log-mel frames lag_seconds apart (each frame's mean removed): near 1 where the
    spectrum holds its shape (notes, chords, drones, wind), 0.5–0.9 for speech, whose syllables change it."""
    lag = max(1, int(round(lag_seconds * frame_rate)))
    if len(log_mel) <= lag:
        return 1.0
    centred = log_mel - log_mel.mean(axis=1, keepdims=True)
    centred = centred / (np.linalg.norm(centred, axis=1, keepdims=True) + 1e-9)
    return float(np.median(np.sum(centred[:-lag] * centred[lag:], axis=1)))


def harmonic_peaks(samples: np.ndarray, frames_per_second: float = 10.0, size: int = 2048) -> float:
    """Partials: over the loud frames (energy over a tenth of the 95th percentile's) of a 10-per-second STFT at
    SAMPLE_RATE (at most MAX_PEAK_FRAMES frames, spread evenly), the median share of 80–4000 Hz bins 1.5 nats
    above the median of the 15 bins around them (0 for noise, wind and rain; 0.02–0.07 for notes and chords;
    speech 0.005–0.03)."""
    hop = max(1, int(SAMPLE_RATE / frames_per_second))
    if len(samples) < size:
        return 0.0
    starts = np.arange(0, len(samples) - size + 1, hop)
    if len(starts) > MAX_PEAK_FRAMES:          # a long file: MAX_PEAK_FRAMES frames spread over it (bounded memory)
        starts = starts[np.linspace(0, len(starts) - 1, MAX_PEAK_FRAMES).astype(int)]
    magnitude = np.abs(np.fft.rfft(samples[starts[:, None] + np.arange(size)] * np.hanning(size), axis=1))
    frequencies = np.fft.rfftfreq(size, 1.0 / SAMPLE_RATE)
    log_band = np.log(magnitude[:, (frequencies > 80.0) & (frequencies < 4000.0)] + 1e-6)
    energy = magnitude.sum(axis=1)
    loud = energy > 0.1 * np.percentile(energy, 95)
    if not loud.any():
        return 0.0
    log_band = log_band[loud]
    padded = np.pad(log_band, ((0, 0), (7, 7)), mode="edge")
    neighbourhood = np.median(np.lib.stride_tricks.sliding_window_view(padded, 15, axis=1), axis=2)
    return float(np.median(np.mean(log_band - neighbourhood > 1.5, axis=1)))


def periodicity(activation: np.ndarray, frame_rate: float, window_seconds: float = 10.0) -> float:
    """Median over 10 s windows (half overlapping) of the highest normalised autocorrelation of the beat
    activation at a beat period of 0.28–1.1 s (55–215 BPM): near 1 for a steady beat, near 0.1 for speech."""
    window = int(window_seconds * frame_rate)
    if len(activation) < window:
        window = len(activation)
    starts = np.arange(0, max(1, len(activation) - window + 1), max(1, window // 2))
    frames = activation[starts[:, None] + np.arange(window)[None, :]]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(frames, n=2 * window, axis=1)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :window]
    low, high = int(frame_rate * 60.0 / 215.0), min(window - 1, int(frame_rate * 60.0 / 55.0))
    if high <= low:
        return 0.0
    peaks = correlation[:, low:high + 1].max(axis=1) / np.maximum(correlation[:, 0], 1e-12)
    return float(np.median(peaks))


def audible_span(log_mel: np.ndarray, rate: float) -> tuple:
    """(first, last) seconds of the frames (log-mel dB per band, `rate` frames a second) whose power is within
    SILENT_DB of the loudest frame's; None where there are no frames."""
    return _span(audible_frames(log_mel), rate)


def audible_frames(log_mel: np.ndarray) -> np.ndarray:
    """(frames,) bool: the log-mel frames (dB per band) whose power is within SILENT_DB of the loudest frame's."""
    level = np.empty(len(log_mel))
    for first in range(0, len(log_mel), 1 << 16):  # a chunk at a time: an hour's frames in float64 are 100 MB
        level[first:first + (1 << 16)] = np.log10(np.sum(10.0 ** (log_mel[first:first + (1 << 16)] / 10.0), axis=1))
    return level >= level.max() + SILENT_DB / 10.0 if len(level) else np.zeros(0, bool)


def _span(audible: np.ndarray, rate: float) -> tuple:
    """(first, last) seconds of the audible frames (audible_frames); None where there are none."""
    frames = np.flatnonzero(audible)
    return (frames[0] / rate, frames[-1] / rate) if len(frames) else None


def silent_stretches(audible: np.ndarray, rate: float, min_seconds: float = SILENT_BREAK_SECONDS) -> list:
    """[(start, end)] seconds of the silences inside the recording (between audible frames, audible_frames) of
    at least `min_seconds`: from the last audible frame before to the first after."""
    frames = np.flatnonzero(audible)
    if len(frames) < 2:
        return []
    steps = np.diff(frames)
    long = np.flatnonzero(steps >= min_seconds * rate)
    return [(frames[k] / rate, frames[k + 1] / rate) for k in long]


def _outside(beats: np.ndarray, quiet: list) -> np.ndarray:
    """The beats not inside a silent stretch of `quiet` [(start, end) s] (those within AUDIBLE_MARGIN of its
    ends kept: a first beat may fall on the very onset that ends the silence)."""
    beats = np.asarray(beats)
    keep = np.ones(len(beats), bool)
    for start, end in quiet:
        keep &= ~((beats > start + AUDIBLE_MARGIN) & (beats < end - AUDIBLE_MARGIN))
    return beats[keep]


def without_silent_breaks(decoded: DecodedBeats, quiet: list, bass_onsets: np.ndarray, frame_rate: float,
                          downbeat_activation: np.ndarray = None, snare_onsets: np.ndarray = None,
                          beat_activation: np.ndarray = None, log_mel: np.ndarray = None) -> tuple:
    """(`decoded` without its beats in the silent breaks, the breaks [(start, end) s]): the stretches of `quiet`
    (silent_stretches) at least SILENT_BREAK_BARS bars long at the tempo of the beats outside them; the beats
    between breaks are counted in bars on their own (count_bars, with choose_bars' cues), so the first downbeat
    after a break starts a new bar. `decoded` itself where there is no break."""
    if not quiet:
        return decoded, []
    outside = _outside(decoded.beats, quiet)
    if len(outside) < 2:
        return decoded, []
    bar = decoded.beats_per_bar * float(np.median(np.diff(outside)))
    breaks = [(start, end) for start, end in quiet if end - start >= max(SILENT_BREAK_SECONDS, SILENT_BREAK_BARS * bar)]
    if not breaks:
        return decoded, []
    beats = decoded.beats
    keep = np.isin(beats, _outside(beats, breaks))
    beats, beat_in_bar = beats[keep], decoded.beat_in_bar[keep]
    meter = decoded.beats_per_bar
    edges = [0] + [int(np.searchsorted(beats, 0.5 * (start + end))) for start, end in breaks] + [len(beats)]
    counted = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi > lo:
            part = DecodedBeats(beats[lo:hi], beat_in_bar[lo:hi], meter, decoded.log_probability)
            counted.append(count_bars(part, meter, bass_onsets, frame_rate, downbeat_activation, snare_onsets,
                                      beat_activation, log_mel).beat_in_bar)
    return DecodedBeats(beats, np.concatenate(counted).astype(int), meter, decoded.log_probability), breaks


def silent_breaks(beats: np.ndarray) -> np.ndarray:
    """Indices i of the beats after which the analysis found a silent break (without_silent_breaks): no beat
    for longer than SILENT_BREAK_SECONDS less its margins, far longer than any beat the decode finds (its
    slowest tempo, bar_decoder.MIN_BPM, is a beat in about a second)."""
    beats = np.asarray(beats, dtype=np.float64)
    return np.flatnonzero(np.diff(beats) > SILENT_BREAK_SECONDS - 2.0 * AUDIBLE_MARGIN) if len(beats) > 1 \
        else np.zeros(0, int)


def _silent_ends_cleared(activations: np.ndarray, span: tuple, quiet: list = ()) -> np.ndarray:
    """`activations` (FRAME_RATE frames) with no beat or downbeat outside `span` (audible_span) and its margin,
    nor inside the silent stretches of `quiet` (silent_stretches) but for their margins."""
    if span is None:
        return activations
    first = max(0, int(np.floor((span[0] - AUDIBLE_MARGIN) * FRAME_RATE)))
    last = int(np.ceil((span[1] + AUDIBLE_MARGIN) * FRAME_RATE))
    if first == 0 and last >= len(activations) - 1 and not quiet:
        return activations
    activations = activations.copy()
    activations[:first] = 0.0
    activations[last + 1:] = 0.0
    for start, end in quiet:
        activations[int(np.ceil((start + AUDIBLE_MARGIN) * FRAME_RATE)):
                    int(np.floor((end - AUDIBLE_MARGIN) * FRAME_RATE)) + 1] = 0.0
    return activations


def peak_near(curve, frames, reach=1):
    """The highest value of `curve` within `reach` frames of each of `frames`."""
    return np.array([curve[max(0, f - reach):f + reach + 1].max() for f in frames])


def fallback_analysis(duration: float, note: str, loudness: np.ndarray = None, rate: float = 100.0,
                      bpm: float = FALLBACK_BPM) -> MusicAnalysis:
    """A steady grid at a default tempo so the dancer still dances (and the user is told why)."""
    period = 60.0 / bpm
    count = max(2, int(np.ceil(duration / period)) + 1)
    beats = np.arange(count) * period
    if loudness is None or len(loudness) == 0:
        loudness = np.full(max(2, int(duration * rate) + 1), 0.5)
    return MusicAnalysis(duration, bpm, beats, beats[::4], 0,
                         [Section(0.0, max(duration, period), 0, 0.6)], rate,
                         np.zeros_like(loudness), np.full_like(loudness, 0.6), True, [note])


def _rms(samples, frames):
    """RMS over 1024 samples around each spectrum frame, from a running sum of squares taken block by block
    (the same sums as one cumulative sum over the whole signal, without holding it)."""
    from .spectrum import HOP
    window, block = 1024, 1 << 20
    half, count = window // 2, len(samples)
    total = half + count + half + frames * HOP            # the zero-padded signal's length
    wanted = np.concatenate([np.arange(frames) * HOP, np.arange(frames) * HOP + window])  # sums up to these
    order = np.argsort(wanted, kind="stable")
    sums, carry, k = np.empty(len(wanted)), 0.0, 0
    ordered = wanted[order]
    for lo in range(0, total + 1, block):
        hi = min(total, lo + block)
        running = np.zeros(hi - lo + 1)
        running[0] = carry
        a, b = max(lo, half), min(hi, half + count)
        if b > a:
            np.square(samples[a - half:b - half], out=running[1 + a - lo:1 + b - lo], dtype=np.float64)
        np.cumsum(running, out=running)                       # running[j] = sum of the first lo + j
        upto = k + int(np.searchsorted(ordered[k:], hi, side="right"))
        sums[order[k:upto]] = running[ordered[k:upto] - lo]
        k, carry = upto, running[-1]
    rms = np.sqrt((sums[frames:] - sums[:frames]) / window)
    return rms / max(rms.max(), 1e-12)


def _sections(analysis: MusicAnalysis, log_mel: np.ndarray) -> list:
    rate = analysis.envelope_rate
    downbeats = analysis.downbeats
    if len(downbeats) < 3:
        return [Section(0.0, analysis.duration, 0, 1.0)]
    bar_frames = np.round(np.append(downbeats, downbeats[-1] + (downbeats[-1] - downbeats[-2])) * rate).astype(int)
    bar_frames = np.clip(bar_frames, 0, len(log_mel) - 1)
    bar_loudness = np.array([analysis.loudness[a:max(b, a + 1)].mean() for a, b in zip(bar_frames[:-1], bar_frames[1:])])
    bounds, labels = segment(bar_features(log_mel, bar_frames), np.log(bar_loudness + 1e-3))
    bar_times = np.append(downbeats, downbeats[-1] + (downbeats[-1] - downbeats[-2]))
    loudest = max(bar_loudness.max(), 1e-9)
    sections = []
    for (a, b), label in zip(zip(bounds[:-1], bounds[1:]), labels):
        start = 0.0 if a == 0 else float(bar_times[a])
        end = analysis.duration if b == len(bar_loudness) else float(bar_times[b])
        sections.append(Section(start, end, int(label), float(bar_loudness[a:b].mean() / loudest)))
    return sections
