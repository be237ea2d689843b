"""Train the phone recogniser used for lip sync without a transcript → models/speech/phone_net_weights.npz.

The net recognises language-neutral articulatory classes (models/speech/articulation.py: bilabial closure,
labiodental, rounded, open, spread, ...), so it hears any language. Training speech is synthetic, in many
languages: eSpeak NG speaks generated word strings in ~40 languages (words from `wordfreq`'s frequency lists) and
in English, in many voices and rates, and reports the exact time of every phoneme (bench/espeak_truth.py); a share
of the English lines is spoken instead by flite voices made from recordings of real speakers, which report their
phone timings too (bench/flite_festival.py). None of it overlaps the lip-sync benches: their sentences
(espeak_truth.SENTENCES, bench/languages.py) and voices (espeak_truth.VOICES and the variants f2, f3, m3, m7 in every
language; flite's slt, Festival's ked and slt) are never used here, so the benches measure held-out speech.
Augmentation (speed/pitch, EQ tilt, band limits, telephone, reverb, noise, music and babble under the voice, gain)
is there so the net hears more than a synthesiser's clean studio sound.

    .venv/bin/python scripts/train_phone_net.py          (or: make train-phones)

It starts from the English net (INIT below: 40 ARPAbet outputs merged into the 23 classes) and trains 360 steps
on 4 000 lines: what the 2 cores, shared with other jobs, allowed (3–6 s a step). Longer trainings on the same
lines, on a GPU (up to 12 000 steps of 64 windows, from scratch or from INIT), recognised held-back synthetic lines
better but people worse (bench/lipsync_results.md, twenty-first round), so the shipped net stays. To train elsewhere:
`--save-dataset lines.npz` makes the lines and stops (no torch needed); `--load-dataset lines.npz --device cuda
[--batch 64]` trains on them (batches drawn with their own seed, so not the same weights as making and training in
one run).

Needs torch and wordfreq (training only; the add-on runs the net with numpy). Deterministic: fixed seeds, 2 CPU
threads; about 40 minutes on 2 shared cores.
"""

import argparse
import os
import pathlib
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "models" / "speech" / "phone_net_weights.npz"
# The English net this one starts from: trained by this script's earlier version (git 8796d9f: `git checkout 8796d9f
# && make train-phones` reproduces it to the byte) on English espeak-ng and flite speech, 40 ARPAbet classes. Its
# layers are copied and its output rows merged into the articulatory classes, then everything is trained further.
INIT = ROOT / "scripts" / "phone_net_english.npz"

SEED = 20261125
CHANNELS = 96
DILATIONS = (1, 2, 4, 8, 16)
WINDOW_FRAMES = 400
BATCH = 16

# Accent voices crossed with espeak-ng voice variants. The bench's variants (f2, f3, m3, m7) and its plain
# voices are left out entirely; `training_voices` also drops anything espeak-ng does not have.
ACCENTS = ("en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us",
           "en")
VARIANTS = ("m1", "m2", "m4", "m5", "m6", "m8", "f1", "f4", "f5", "klatt", "klatt2", "klatt3", "klatt4",
            "Alex", "Andy", "Annie", "boris", "david", "ed", "john", "linda", "max", "michel", "paul", "steph",
            "Mike", "aunty", "belinda", "caleb", "edward", "grandma", "grandpa", "iven", "norbert", "robert",
            "shelby", "victor", "zac", "Lee", "Jacky", "Michael", "Storm", "Tweaky", "benjamin", "adam", "anika",
            "whisper", "croak")
BENCH_VARIANTS = ("f2", "f3", "m3", "m7")
RATES = (120, 230)
# Half the lines come from flite voices made from recordings of three men (bench/flite_festival.py), so that
# the net hears recorded closures and bursts, not only espeak's formant synthesis. flite's slt and
# Festival's ked and slt are never used here: bench/human_speech.py measures on them.
FLITE_VOICES = ("kal16", "awb", "rms")
FLITE_SHARE = 0.3
ENGLISH_ESPEAK_SHARE = 0.2     # the rest of the lines: eSpeak NG in other languages
NON_SPEECH_SHARE = 0.04        # music, drums, noise and hum alone, all silence to the net
# eSpeak NG language → wordfreq word list. The lip-sync language bench (bench/languages.py) speaks its own
# sentences in the first 13 with variants none of these lines use.
LANGUAGES = {"es": "es", "de": "de", "fr": "fr", "it": "it", "pt": "pt", "nl": "nl", "pl": "pl", "ru": "ru",
             "cs": "cs", "tr": "tr", "hi": "hi", "cmn": "zh", "yue": "zh",
             "pt-br": "pt", "es-419": "es", "sv": "sv", "da": "da", "nb": "nb", "fi": "fi", "hu": "hu", "ro": "ro",
             "el": "el", "uk": "uk", "bg": "bg", "ca": "ca", "sk": "sk", "sl": "sl", "hr": "sh", "id": "id",
             "ms": "ms", "vi": "vi", "ar": "ar", "fa": "fa", "he": "he", "bn": "bn", "ta": "ta", "ur": "ur",
             "lt": "lt", "lv": "lv", "mk": "mk", "is": "is", "ko": "ko"}
LANGUAGE_WORDS = 6000
FLITE_STRETCH = (0.75, 1.35)   # duration_stretch: slower or faster than the voice's own pace
FLITE_PITCH_HZ = (75.0, 230.0)
FLITE_FORMANT_RAISE = (1.1, 1.3)  # a woman's vocal tract is about 15–20 % shorter than a man's

# Common words, for sentences that sound like speech; rare dictionary words add phonetic variety.
COMMON = """the a an and but or of to in on at by for with from up about into over after before under
between through I you he she we they it me him her us them my your his our their this that these those
is are was were be been have has had do does did will would can could should may might must shall
not no yes all some many much more most few every each other another any such only own same so than too
very just now then here there when where why how what which who whom whose again once also still already
time year people way day man woman child world life hand part place case week company system program
question work government number night point home water room mother father area money story fact month lot
right study book eye job word business issue side kind head house service friend power hour game line end
member law car city community name team minute idea kid body back parent face others level office door
health person art war history party result change morning reason research girl guy moment air teacher
force education foot boy age policy music market sense nation plan college interest death experience
effect class control care field development role effort rate heart drug show leader light voice wife
police mind price report decision son view relationship town road arm difference value building action
model season society tax director position player record paper space ground form event official matter
center couple site project activity star table need court oil situation cost industry figure street
image phone data picture practice piece land product doctor wall patient worker news test movie north
love support technology step baby computer type attention film tree source organization hair window
evidence population truth song bed pool bag map boat moon box farm bus cup pot pan bomb lamb tomb robe
mop palm balm bump ramp lump pump plum thumb comb womb broom bloom plume prune spoon food mood roof
move prove group soup shoe blue true new few view two who do through room boot fruit juice truth
go know show slow snow road boat coat goat home phone stone bone rope hope soap note vote old cold gold
all call fall wall ball small saw law jaw draw walk talk chalk thought bought caught taught
father calm psalm car star far art heart park dark arm farm harm march
cat bat hat map man van fan back bag black glad happy apple family
five fine vine fight five life wife knife off of often fifty fever favour vivid valve
have give live love above over never every very even seven eleven twelve
make take bake made paid pay play may day way say buy by my pie bye why high fly sky
get let met bet pet men ten pen when then bed red head bread dead said
big bit pit mitt fit sit it in him hymn swim slim film will fill bill mill pill
one once wonder woman women wood would wool wolf wall war warm wave wide wise
go come run walk talk take give find think tell become leave feel put bring begin keep hold
write stand hear let mean set meet pay sit speak lie lead read grow lose fall send build stay
good new first last long great little own other old big high different small large next early
young important public bad able free sure clear full best better true whole hard open""".split()
NAMES = ("Bobby", "Maria", "Peter", "Fiona", "Victor", "Paula", "Martin", "Olivia", "Ruben", "Walter", "Emma",
         "Omar", "Wendy", "Hugo", "Pablo", "Mabel", "Barbara", "Philip", "Molly", "Ahmed")
TEMPLATES = (
    "{name} {verb} the {adj} {noun}.",
    "Why did {name} {verb} my {noun} {prep} the {noun}?",
    "The {adj} {noun} was {prep} the {adj} {noun}, {name} said.",
    "{name} and {name} {verb} a {noun}, then {verb} {prep} the {noun}.",
    "Please {verb} the {noun} before {name} comes home.",
    "My {noun} {verb} {prep} your {adj} {noun} every {noun}.",
    "Maybe the {noun} will {verb} the {adj} {noun} by {name}.",
    "Oh, {name}! Move the {noun}, and {verb} the {noun} {prep} my {noun}.",
)
VERBS = ("move", "buy", "bring", "wave", "pump", "prove", "open", "bump", "mop", "fold", "follow", "borrow",
         "fix", "pour", "boil", "bake", "grab", "paint", "push", "pull", "carry", "find", "keep", "throw", "wrap",
         "show", "love", "fear", "pay", "swap", "fetch", "stop", "drop", "climb", "form", "warm", "vote", "loop")
ADJECTIVES = ("big", "warm", "blue", "bumpy", "foamy", "brave", "proud", "smooth", "old", "odd", "vivid",
              "happy", "muddy", "round", "awful", "floppy", "hollow", "bold", "pale", "famous", "woolly", "calm")
PREPOSITIONS = ("above", "by", "from", "among", "behind", "beneath", "past", "upon", "over", "with", "before")
LIP_PHONES = frozenset("P B M F V W UW UH OW AO AA AE AW AY OY".split())


def dictionary_words(rng: np.random.Generator) -> tuple:
    """(words, sampling weights) from pocketsphinx's CMU dictionary; words with lip sounds weigh more."""
    import pocketsphinx

    words, weights = [], []
    with open(os.path.join(pocketsphinx.get_model_path(), "en-us", "cmudict-en-us.dict"), encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            word = parts[0] if parts else ""
            if not word.isalpha() or not 2 <= len(word) <= 10:
                continue
            phones = [p.rstrip("012") for p in parts[1:]]
            words.append(word)
            weights.append(1.0 + 1.5 * sum(p in LIP_PHONES for p in phones))
    weights = np.asarray(weights)
    return words, weights / weights.sum()


class SentenceMaker:
    """Endless distinct sentences: templates filled with lip-heavy words, and random word strings."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.words, self.weights = dictionary_words(rng)
        self.nouns = [w for w in COMMON if len(w) > 2]

    def _pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def _dictionary_word(self) -> str:
        return self.words[int(self.rng.choice(len(self.words), p=self.weights))]

    def _template(self) -> str:
        text = self._pick(TEMPLATES)
        while "{" in text:
            slot = text[text.index("{") + 1:text.index("}")]
            choice = {"name": lambda: self._pick(NAMES), "verb": lambda: self._pick(VERBS),
                      "adj": lambda: self._pick(ADJECTIVES), "prep": lambda: self._pick(PREPOSITIONS),
                      "noun": lambda: self._pick(self.nouns) if self.rng.random() < 0.6 else self._dictionary_word()}
            text = text.replace("{" + slot + "}", choice[slot](), 1)
        return text[0].upper() + text[1:]

    def _word_string(self) -> str:
        count = int(self.rng.integers(4, 13))
        words = [self._pick(COMMON) if self.rng.random() < 0.4 else self._dictionary_word() for _ in range(count)]
        for k in range(2, count - 1):
            if self.rng.random() < 0.12:
                words[k] += ","
        ending = self._pick((".", ".", ".", "?", "!"))
        return " ".join(words).capitalize() + ending

    def sentence(self) -> str:
        parts = [self._template() if self.rng.random() < 0.5 else self._word_string()]
        if self.rng.random() < 0.3:
            parts.append(self._template() if self.rng.random() < 0.5 else self._word_string())
        return " ".join(parts)


class WordStrings:
    """Random strings of a language's frequent words (wordfreq), with commas and a full stop, for eSpeak NG."""

    def __init__(self, rng: np.random.Generator):
        self.rng, self.lists = rng, {}

    def _words(self, code: str) -> tuple:
        if code not in self.lists:
            import unicodedata

            import wordfreq

            words = [w for w in wordfreq.top_n_list(code, LANGUAGE_WORDS)
                     if all(unicodedata.category(c)[0] in "LM" for c in w)]
            weights = np.sqrt(1.0 / np.arange(1, len(words) + 1))  # frequent words first, rare ones often too
            self.lists[code] = (words, weights / weights.sum())
        return self.lists[code]

    def sentence(self, code: str) -> str:
        words, weights = self._words(code)
        count = int(self.rng.integers(3, 12))
        picked = [words[int(i)] for i in self.rng.choice(len(words), count, p=weights)]
        joiner = "" if code == "zh" else " "
        parts = []
        for k, word in enumerate(picked):
            parts.append(word + ("，" if code == "zh" else ",") if 1 < k < count - 1 and self.rng.random() < 0.12
                         else word)
        return joiner.join(parts) + ("。" if code == "zh" else ".")


def installed_variants() -> set:
    """Voice variant names espeak-ng has (`espeak-ng --voices=variant`, File column "!v/<name>")."""
    import subprocess

    listing = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True, check=True).stdout
    return {column[3:] for line in listing.splitlines() for column in line.split() if column.startswith("!v/")}


def training_voices(languages=(), base=ACCENTS) -> list:
    """English accents (or `languages`) crossed with the variants; plain voices the benches do not use."""
    from soundmotion.bench import espeak_truth

    installed = installed_variants()
    bases = tuple(languages) or base
    voices = [f"{accent}+{variant}" for accent in bases for variant in VARIANTS if variant in installed]
    voices += [accent for accent in bases if accent not in espeak_truth.VOICES]
    bench = set(espeak_truth.VOICES)
    assert not bench & set(voices) and not any(v.split("+")[-1] in BENCH_VARIANTS for v in voices)
    return voices


def background_music(count: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Chords that change every 0.3–1 s over a bass note, with a drum hit on some beats: music under a voice."""
    t = np.arange(count) / rate
    out = np.zeros(count)
    start = 0
    while start < count:
        length = int(rng.uniform(0.3, 1.0) * rate)
        root = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        part = t[start:start + length] - t[start]
        for ratio in (1.0, 1.26, 1.5, 2.0, 0.5):
            out[start:start + length] += np.sin(2 * np.pi * root * ratio * part) * np.exp(-rng.uniform(0.2, 3) * part)
        if rng.random() < 0.5:
            hit = min(len(part), int(0.08 * rate))
            out[start:start + hit] += rng.normal(0, 1.5, hit) * np.exp(-40 * part[:hit])
        start += length
    return out


def non_speech(rng: np.random.Generator, rate: int = 16000) -> np.ndarray:
    """2–6 s of sound that is not a voice: music, a drum loop, noise or mains hum."""
    count = int(rng.uniform(2.0, 6.0) * rate)
    kind = int(rng.integers(4))
    t = np.arange(count) / rate
    if kind == 0:
        x = background_music(count, rate, rng)
    elif kind == 1:
        x, beat = np.zeros(count), float(rng.uniform(0.2, 0.6))
        for k in range(int(count / rate / beat)):
            start, hit = int(k * beat * rate), int(0.2 * rate)
            part = t[:min(hit, count - start)]
            burst = rng.normal(0, 1, len(part)) if k % 2 else np.sin(2 * np.pi * 60 * part)
            x[start:start + len(part)] += burst * np.exp(-rng.uniform(15, 40) * part)
    elif kind == 2:
        from scipy.signal import lfilter

        x = lfilter([1.0], [1.0, -float(rng.uniform(0, 0.97))], rng.normal(0, 1, count))
    else:
        mains = 50.0 if rng.random() < 0.5 else 60.0
        x = sum(np.sin(2 * np.pi * mains * h * t) / h for h in range(1, 6)) + 0.05 * rng.normal(0, 1, count)
    return (x / (np.max(np.abs(x)) + 1e-9) * rng.uniform(0.05, 0.9)).astype(np.float32)


def augment(samples: np.ndarray, rate: int, rng: np.random.Generator, babble: tuple | None = None,
            noise_db: tuple = (10.0, 40.0), noise_chance: float = 0.8, noise_swell_db: float = 0.0) -> tuple:
    """(samples, speed, lead seconds): a randomly degraded copy, played `speed` times faster (and higher)
    than synthesised, after `lead` seconds of added silence. `babble`: (samples, rate) of another line, which
    may be mixed in quietly as a second voice. With `noise_chance`, noise `noise_db` (low, high) under the voice's
    level; `noise_swell_db` > 0: its level also drifts by up to that many dB either way, as a room's does."""
    from scipy.signal import butter, fftconvolve, lfilter, resample_poly, sosfilt

    x = samples.astype(np.float64)
    speed = 1.0
    if rng.random() < 0.7:  # resampling changes speed and pitch together, like a faster, higher voice
        down = int(round(200 * rng.uniform(0.85, 1.15)))
        x = resample_poly(x, 200, down)
        speed = down / 200
    lead = int(rng.uniform(0.0, 0.4) * rate)
    x = np.concatenate([np.zeros(lead), x, np.zeros(int(rng.uniform(0.0, 0.4) * rate))])
    if rng.random() < 0.6:  # spectral tilt: first-order pre/de-emphasis
        coefficient = float(rng.uniform(-0.8, 0.8))
        x = lfilter([1.0, -coefficient], [1.0], x) if coefficient > 0 else lfilter([1.0], [1.0, coefficient], x)
    if rng.random() < 0.35:  # band limits of cheap microphones and phone lines
        low, high = float(rng.uniform(80, 400)), float(rng.uniform(3400, min(8000, rate / 2 - 200)))
        x = sosfilt(butter(4, [low, high], btype="band", fs=rate, output="sos"), x)
    if rng.random() < 0.12:  # a telephone: 8 kHz, 300–3400 Hz, a little clipping
        x = resample_poly(resample_poly(x, 8000, rate), rate, 8000)[:len(x)]
        x = sosfilt(butter(4, [300, 3400], btype="band", fs=rate, output="sos"), x)
        x = np.clip(x, -0.7 * np.max(np.abs(x)), 0.7 * np.max(np.abs(x)))
    if rng.random() < 0.5:  # a room: exponentially decaying noise tail
        seconds = float(rng.uniform(0.1, 0.8))
        t = np.arange(int(seconds * rate)) / rate
        tail = rng.normal(0.0, 1.0, len(t)) * np.exp(-6.9 * t / seconds)
        tail[0] = 0.0
        wet = fftconvolve(x, tail / np.sqrt(np.sum(tail ** 2)))[:len(x)]
        x = x + float(rng.uniform(0.1, 0.5)) * wet
    if rng.random() < noise_chance:
        noise = rng.normal(0.0, 1.0, len(x))
        colour = rng.integers(3)
        if colour == 1:
            noise = lfilter([1.0], [1.0, -0.95], noise)    # brown-ish (hum, traffic)
        elif colour == 2:
            noise = lfilter([1.0, -0.9], [1.0], noise)     # bright hiss
        snr = float(rng.uniform(*noise_db))
        signal_power = np.mean(x[np.abs(x) > 0.05 * np.max(np.abs(x))] ** 2)
        noise = noise * np.sqrt(signal_power / np.mean(noise ** 2) / 10 ** (snr / 10))
        if noise_swell_db > 0:  # a slow random drift of the level (0.2–2 Hz), as a room's noise swells and fades
            hertz, depth = float(rng.uniform(0.2, 2.0)), float(rng.uniform(0.0, noise_swell_db))
            t = np.arange(len(x)) / rate
            noise = noise * 10 ** (depth * np.sin(2 * np.pi * hertz * t + rng.uniform(0, 2 * np.pi)) / 20)
        x = x + noise
    signal_power = np.mean(x[np.abs(x) > 0.05 * np.max(np.abs(x))] ** 2)
    under = None
    if rng.random() < 0.15:  # music under the voice
        under = background_music(len(x), rate, rng)
        snr = float(rng.uniform(5.0, 20.0))
    elif babble is not None and rng.random() < 0.15:  # another voice, quieter, in the background
        other, other_rate = babble
        other = resample_poly(other.astype(np.float64), rate, other_rate) if other_rate != rate else other
        under = np.resize(other, len(x)).astype(np.float64)
        snr = float(rng.uniform(10.0, 20.0))
    if under is not None and np.any(under):
        x = x + under * np.sqrt(signal_power / np.mean(under ** 2) / 10 ** (snr / 10))
    x = x / (np.max(np.abs(x)) + 1e-9) * float(rng.uniform(0.05, 0.95))
    return x.astype(np.float32), speed, lead / rate


def espeak_line(text: str, voices: list, rng: np.random.Generator):
    """(samples, sample rate, frame labeller) for `text` in a random espeak-ng training voice and rate, or None;
    the labeller gives `count` frames' phone classes for the audio played `speed` times faster."""
    from soundmotion.bench import espeak_truth
    from soundmotion.bench.espeak_arpabet import class_frames

    voice = voices[int(rng.integers(len(voices)))]
    utterance = espeak_truth.synthesize(text, voice, int(rng.integers(RATES[0], RATES[1] + 1)))
    if not utterance.phones:
        return None
    return (utterance.samples, utterance.sample_rate,
            lambda count, speed: class_frames(utterance, count, 0.01, True, speed))


def flite_line(text: str, rng: np.random.Generator):
    """Like espeak_line, in one of flite's voices built from recordings (FLITE_VOICES), at a random pace and
    pitch; half the lines get a shorter vocal tract (formants and pitch raised together, pace kept), since
    those voices are all men's."""
    from scipy.signal import resample_poly

    from soundmotion.bench.espeak_arpabet import arpabet_class_spans, span_frames
    from soundmotion.bench.flite_festival import flite

    voice = FLITE_VOICES[int(rng.integers(len(FLITE_VOICES)))]
    pitch = float(rng.uniform(*FLITE_PITCH_HZ)) if rng.random() < 0.5 else None
    raised = float(rng.uniform(*FLITE_FORMANT_RAISE)) if rng.random() < 0.5 else 1.0
    line = flite(text, voice, float(rng.uniform(*FLITE_STRETCH)) * raised, pitch)
    if not any(name != "SIL" for name, _, _ in line.phones):
        return None
    samples = line.samples
    if raised != 1.0:  # played `raised` times faster: every frequency up, every duration down by that factor
        samples = resample_poly(samples, 100, int(round(100 * raised))).astype(np.float32)
    spans = arpabet_class_spans(line.phones)
    return samples, line.sample_rate, lambda count, speed: span_frames(spans, count, 0.01, speed * raised)[0]


def make_dataset(count: int, rng: np.random.Generator, flite_share: float = FLITE_SHARE,
                 english_share: float = ENGLISH_ESPEAK_SHARE, progress=print) -> tuple:
    """(features list of (T, 40), label-index list of (T,), texts): lines in flite's recorded English voices,
    eSpeak NG's English and eSpeak NG's other languages, in those shares."""
    from soundmotion.bench import espeak_truth
    from soundmotion.models.speech.phone_net import normalized_features
    from soundmotion.models.speech.segments import FRAME_SECONDS

    maker, strings = SentenceMaker(rng), WordStrings(rng)
    english_voices = training_voices()
    language_voices = {code: training_voices((code,)) for code in LANGUAGES}
    bench_sentences = set(espeak_truth.SENTENCES) | set(bench_language_sentences())
    features, labels, texts = [], [], []
    started, babble = time.time(), None
    while len(features) < count:
        draw = rng.random()
        if rng.random() < NON_SPEECH_SHARE:
            samples = non_speech(rng)
            frames = normalized_features(samples, 16000)
            features.append(frames)
            labels.append(np.full(len(frames), "SIL", dtype=object))
            texts.append("")
            continue
        if draw < flite_share + english_share:
            text = maker.sentence()
            line = flite_line(text, rng) if draw < flite_share else espeak_line(text, english_voices, rng)
        else:
            code = list(LANGUAGES)[int(rng.integers(len(LANGUAGES)))]
            text = strings.sentence(LANGUAGES[code])
            line = espeak_line(text, language_voices[code], rng)
        if line is None or text in bench_sentences:
            continue
        clean, sample_rate, labeller = line
        if rng.random() < 0.1:
            samples, speed, lead = clean, 1.0, 0.0
        else:
            samples, speed, lead = augment(clean, sample_rate, rng, babble)
        babble = (clean, sample_rate)
        frames = normalized_features(samples, sample_rate)
        shifted = max(0, int(round(lead / FRAME_SECONDS)))
        names = np.full(len(frames), "SIL", dtype=object)
        inner = labeller(max(0, len(frames) - shifted), speed)
        names[shifted:shifted + len(inner)] = inner
        features.append(frames)
        labels.append(names)
        texts.append(text)
        if progress and len(features) % 500 == 0:
            progress(f"  {len(features)} utterances synthesised ({time.time() - started:.0f} s)")
    return features, labels, texts


def save_dataset(path: str, features: list, labels: list, texts: list):
    """The made lines as one file (features in 1/8 steps as int8, the class of each frame): training can run on
    another machine (a GPU) without making them again; `--load-dataset` reads it."""
    from soundmotion.models.speech.articulation import CLASSES

    index = {p: i for i, p in enumerate(CLASSES)}
    np.savez_compressed(path, lengths=np.array([len(f) for f in features], np.int64),
                        features=np.clip(np.round(np.concatenate(features) * 8), -127, 127).astype(np.int8),
                        labels=np.concatenate([np.array([index[n] for n in names], np.uint8) for names in labels]),
                        texts=np.array(texts), classes=np.array(CLASSES))


def load_dataset(path: str) -> tuple:
    with np.load(path) as data:
        cuts = np.cumsum(data["lengths"])[:-1]
        classes = np.array([str(c) for c in data["classes"]], dtype=object)
        features = np.split(data["features"].astype(np.float32) / 8, cuts)
        labels = np.split(classes[data["labels"]], cuts)
        return features, labels, [str(t) for t in data["texts"]]


def bench_language_sentences() -> list:
    from soundmotion.bench.languages import SENTENCES

    return [sentence for sentences in SENTENCES.values() for sentence in sentences]


def build_model(classes: int, mel_bands: int):
    import torch
    from torch import nn

    class DilatedNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.entry = nn.Conv1d(mel_bands, CHANNELS, 5, padding=2)
            self.dilated = nn.ModuleList(nn.Conv1d(CHANNELS, CHANNELS, 3, padding=d, dilation=d) for d in DILATIONS)
            self.mix = nn.ModuleList(nn.Conv1d(CHANNELS, CHANNELS, 1) for _ in DILATIONS)
            self.exit = nn.Conv1d(CHANNELS, classes, 1)
            self.dropout = nn.Dropout(0.1)

        def forward(self, x):  # (B, mel, T) → (B, classes, T) logits
            x = torch.relu(self.entry(x))
            for dilated, mix in zip(self.dilated, self.mix):
                x = torch.relu(x + mix(self.dropout(torch.relu(dilated(x)))))
            return self.exit(x)

        def export_layers(self):
            """Layers in the order phone_net.net_log_posteriors runs them: (conv, dilation, residual)."""
            layers = [(self.entry, 1, False)]
            for dilated, mix, d in zip(self.dilated, self.mix, DILATIONS):
                layers += [(dilated, d, False), (mix, 1, True)]
            return layers + [(self.exit, 1, False)]

    return DilatedNet()


def initialise_from(model, path, phones):
    """Copy an earlier net's layers into `model`; its output rows for ARPAbet phones are averaged into the rows of
    their articulatory classes (the bias: log of the summed class probabilities' share)."""
    import torch

    from soundmotion.models.speech.articulation import arpabet_class

    with np.load(path, allow_pickle=False) as data:
        old_phones = [str(p) for p in data["phones"]]
        layers = [(data[f"layer{k}_weight"].astype(np.float32), data[f"layer{k}_bias"].astype(np.float32))
                  for k in range(int(data["layer_count"]))]
    convs = [conv for conv, _, _ in model.export_layers()]
    with torch.no_grad():
        for conv, (weight, bias) in zip(convs[:-1], layers[:-1]):
            conv.weight.copy_(torch.from_numpy(weight))
            conv.bias.copy_(torch.from_numpy(bias))
        weight, bias = layers[-1]
        for k, name in enumerate(phones):
            rows = [i for i, old in enumerate(old_phones) if arpabet_class(old) == name]
            convs[-1].weight[k] = torch.from_numpy(weight[rows].mean(axis=0))
            convs[-1].bias[k] = float(np.log(np.sum(np.exp(bias[rows].astype(np.float64)))))


def train(features, labels, phones, steps: int, rng: np.random.Generator, progress=print, init=None,
          max_lr: float = 2e-3, device: str = "cpu", batch_size: int = BATCH):
    import torch

    index = {p: i for i, p in enumerate(phones)}
    stream = np.concatenate(features).astype(np.float32)
    targets = np.concatenate([np.array([index[n] for n in names], np.int64) for names in labels])
    model = build_model(len(phones), stream.shape[1])
    if init:
        initialise_from(model, init, phones)
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=steps, pct_start=0.08)
    loss_function = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    started = time.time()
    model.train()
    for step in range(steps):
        starts = rng.integers(0, len(stream) - WINDOW_FRAMES, batch_size)
        batch = torch.from_numpy(np.stack([stream[s:s + WINDOW_FRAMES] for s in starts]).transpose(0, 2, 1).copy())
        target = torch.from_numpy(np.stack([targets[s:s + WINDOW_FRAMES] for s in starts]))
        loss = loss_function(model(batch.to(device)), target.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if progress and (step + 1) % 40 == 0:
            progress(f"  step {step + 1}/{steps}: loss {loss.item():.3f} ({time.time() - started:.0f} s)")
    model.eval()
    return model.cpu()


def frame_accuracy(model, features, labels, phones) -> float:
    import torch

    index = {p: i for i, p in enumerate(phones)}
    correct = total = 0
    with torch.no_grad():
        for frames, names in zip(features, labels):
            logits = model(torch.from_numpy(frames.astype(np.float32).T.copy())[None])[0].numpy()
            correct += int(np.sum(logits.argmax(axis=0) == np.array([index[n] for n in names])))
            total += len(names)
    return correct / max(total, 1)


def save(model, phones, targets_counts, path):
    from soundmotion.models.speech import phone_net

    arrays = {"phones": np.array(phones), "mel_bands": np.int64(phone_net.MEL_BANDS),
              "feature_rate": np.int64(phone_net.FEATURE_RATE)}
    layers = model.export_layers()
    arrays["layer_count"] = np.int64(len(layers))
    for k, (conv, dilation, residual) in enumerate(layers):
        arrays[f"layer{k}_weight"] = conv.weight.detach().numpy().astype(np.float16)
        arrays[f"layer{k}_bias"] = conv.bias.detach().numpy().astype(np.float16)
        arrays[f"layer{k}_dilation"] = np.int64(dilation)
        arrays[f"layer{k}_residual"] = np.bool_(residual)
    prior = targets_counts / targets_counts.sum()
    arrays["log_prior"] = np.log(np.maximum(prior, 1e-6)).astype(np.float32)
    np.savez_compressed(path, **arrays)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=360)
    parser.add_argument("--init", default=str(INIT), help="earlier net to start from ('' : from scratch)")
    parser.add_argument("--max-lr", type=float, default=1e-3)
    parser.add_argument("--flite-share", type=float, default=FLITE_SHARE,
                        help="share of lines spoken by flite's recorded voices (0: espeak-ng only)")
    parser.add_argument("--english-share", type=float, default=ENGLISH_ESPEAK_SHARE,
                        help="share of lines spoken by eSpeak NG in English (the rest: other languages)")
    parser.add_argument("--out", default=str(OUTPUT))
    parser.add_argument("--save-dataset", help="write the made lines to this .npz and stop (no torch needed)")
    parser.add_argument("--load-dataset", help="train on the lines of a --save-dataset file instead of making them")
    parser.add_argument("--device", default="cpu", help="torch device to train on (cuda: a GPU)")
    parser.add_argument("--batch", type=int, default=BATCH, help="windows per step")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(SEED)
    print(f"{len(LANGUAGES)} languages besides English, voices crossed with {len(VARIANTS)} variants (none of the "
          f"bench's), rates {RATES[0]}–{RATES[1]} wpm")
    if args.load_dataset:
        features, labels, texts = load_dataset(args.load_dataset)
        rng = np.random.default_rng([SEED, 1])  # the training's own draws
    else:
        features, labels, texts = make_dataset(args.utterances, rng, args.flite_share, args.english_share)
    if args.save_dataset:
        save_dataset(args.save_dataset, features, labels, texts)
        print(f"wrote {args.save_dataset} ({os.path.getsize(args.save_dataset) >> 20} MiB, {len(features)} lines)")
        return 0
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    held = max(1, len(features) // 20)
    from soundmotion.models.speech.articulation import CLASSES

    phones = CLASSES
    counts = np.array([sum(int(np.sum(names == p)) for names in labels) for p in phones], np.float64)
    print(f"{len(set(texts))} distinct sentences, {sum(len(f) for f in features) / 100 / 3600:.2f} h of audio, "
          f"{len(phones)} classes")
    model = train(features[held:], labels[held:], phones, args.steps, rng, init=args.init or None,
                  max_lr=args.max_lr, device=args.device, batch_size=args.batch)
    print(f"frame accuracy on {held} held-out training-style utterances: "
          f"{frame_accuracy(model, features[:held], labels[:held], phones):.3f}")
    save(model, phones, counts, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
