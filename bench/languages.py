"""Lip sync in 13 languages besides English: eSpeak NG speech with exact phoneme timings, scored like bench/lipsync.py,
with and without the transcript, through the CLI's contract (`soundmotion face AUDIO --language CODE [--text FILE]
--cues OUT.tsv`) and the face clip.

    .venv/bin/python bench/languages.py            # 13 languages × 6 sentences × 4 voice variants
    .venv/bin/python bench/languages.py --quick    # 2 sentences × 2 variants per language

Speech is made by the eSpeak NG that ships with the extension (1.52, the `espeakng-loader` wheel, as a private copy
of its library, espeak_truth.bench_runtime_engine, so the speech does not depend on what the pipeline said before):
Debian's 1.51, which made the training speech, reads Mandarin's tone numbers aloud as English words ("ma one"). Held
out: these sentences are written for this bench (dense with p/b/m, rounded and open vowels) and never used in
training, which speaks random strings of frequent words (scripts/train_phone_net.py); the voice variants f2, f3,
m3 and m7 are never used in training in any language. The net does train on other voices of these languages.

Scores per 10 ms frame with coarse mouth classes (bench/scoring.py): p/b/m closures hit within ±30 ms, share of
open-vowel frames shown with closed lips, frame accuracy. Rhubarb Lip Sync's phonetic recogniser is scored side by
side when `rhubarb` is on PATH.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.languages", run_name="__main__")
    raise SystemExit

import argparse
import os
import shutil
import tempfile
import unicodedata

import numpy as np

from ..models.face.pipeline import FaceSettings, generate_face
from . import espeak_truth
from .espeak_truth import CLOSED, LABIODENTAL, OPEN, OTHER, REST, ROUNDED
from ..clips.arkit import ARKIT_BLENDSHAPES
from .lipsync import loudness_baseline, run_rhubarb
from .scoring import FRAME_SECONDS, Score, face_classes, rhubarb_classes, score_frames

VARIANTS = ("f2", "f3", "m3", "m7")
RATES = (150, 175, 200)
SENTENCES = {
    "es": ("Pablo compró un mapa bonito en Bogotá.", "Mi madre bebe un poco de café por la mañana.",
           "El barco blanco pasa bajo el puente amarillo.", "Busca la bomba en la playa, por favor.",
           "Mamá abrió la puerta y vio a Pepe.", "Ambos amigos beben vino tinto en la taberna."),
    "de": ("Der Papa baut ein Boot am blauen Bach.", "Meine Mutter backt Brot am Morgen.",
           "Bitte bring mir ein Bier und eine Brezel.", "Am Abend spielt Paul mit dem Ball im Park.",
           "Das Baby schläft im warmen Bett.", "Martin malt ein Bild vom alten Bahnhof."),
    "fr": ("Papa a mis la pomme dans le panier.", "Mon ami Bernard boit un bon café.",
           "Le bateau blanc passe sous le pont.", "Maman parle beaucoup avec Paul au marché.",
           "Ma petite amie habite à Paris depuis mai.", "Le matin, Pierre mange du pain et du beurre."),
    "it": ("Mamma prepara la pasta per il bambino.", "Il babbo beve un bicchiere di vino buono.",
           "Paolo ha comprato una mappa di Bologna.", "La barca bianca passa sotto il ponte.",
           "Ambra porta una borsa blu al mare.", "Mio padre ama parlare al mercato."),
    "pt": ("O pai comprou um mapa bonito em Lisboa.", "A minha mãe bebe café com pão.",
           "O barco branco passa por baixo da ponte.", "Paulo mora perto da praia com a mulher.",
           "Bebemos um copo de vinho ao almoço.", "A menina pôs a bola amarela na mesa."),
    "nl": ("Papa bakt een brood voor de baby.", "Mijn moeder maakt appeltaart met boter.",
           "De boot vaart onder de brug bij Amsterdam.", "Bram praat met Pim over de bal.",
           "Mama pakt de blauwe map van de bank.", "Op maandag eten we patat met mayonaise."),
    "pl": ("Mama ma małego psa i białego kota.", "Paweł pije mleko po obiedzie.",
           "Biały statek płynie pod mostem.", "Babcia piecze pyszne ciasto z jabłkami.",
           "Maciek mieszka blisko parku w Poznaniu.", "Proszę podać mi mapę Polski."),
    "ru": ("Мама мыла раму, а папа пил пиво.", "Борис принёс большую папку бумаг.",
           "Белый пароход плывёт под мостом.", "Моя бабушка печёт пироги по субботам.",
           "Павел купил маленькую машину.", "Мы будем пить чай с мёдом."),
    "cs": ("Máma má malého psa a bílou kočku.", "Petr pije pivo v parku.",
           "Babička peče buchty pro malé děti.", "Bílá loď pluje pod mostem.",
           "Pavel bydlí blízko Prahy s mámou.", "Prosím, podej mi mapu Brna."),
    "tr": ("Babam pazardan bir paket ekmek aldı.", "Annem bana bir bardak ayran verdi.",
           "Mavi bir balık parkın havuzunda yüzüyor.", "Bahar ile Ahmet bahçede oynamayı sever.",
           "Pembe bir balon ağaca takıldı.", "Bu sabah kahvaltıda bal ve peynir yedik."),
    "hi": ("मेरी माँ बाज़ार से आम लाई।", "बाबा ने पानी में पत्थर फेंका।", "बंदर पेड़ पर बैठा है।",
           "पापा ने मुझे एक बड़ी किताब दी।", "हम बस से मुंबई जाएँगे।", "बिल्ली ने मछली का बड़ा टुकड़ा खाया।"),
    "cmn": ("妈妈买了一本书。", "爸爸喜欢喝啤酒。", "明天我们去北京。", "宝宝抱着白色的猫。", "这边有个很大的苹果。",
            "北方的冬天很冷。"),
    "yue": ("媽媽買咗一本書。", "爸爸鍾意飲啤酒。", "聽日我哋去北京。", "寶寶抱住白色嘅貓。", "呢度有個好大嘅蘋果。",
            "北方嘅冬天好凍。"),
}
LANGUAGES = tuple(SENTENCES)

_ROUNDED = set("uʊoɔɒyʏøœɵɞʉwɥ")
_OPEN = set("aɑæɶäɛ")


def phone_class_any(ipa: str) -> str:
    """Coarse mouth class of an eSpeak NG IPA phoneme in any language: as espeak_truth.phone_class for English's
    phonemes, and by the first sound's lips and jaw for the rest (front rounded vowels round the lips, nasal vowels
    keep their vowel's shape, a diphthong counts as its first vowel)."""
    english = espeak_truth.phone_class(ipa)
    if english != OTHER:
        return english
    base = "".join(c for c in unicodedata.normalize("NFD", ipa)
                   if not unicodedata.combining(c) and c not in "ˈˌːˑ-.#0123456789")
    if not base:
        return REST
    first = base[0]
    if first in "pbm":
        return CLOSED
    if first in "fv":
        return LABIODENTAL
    if first in _ROUNDED:
        return ROUNDED
    if first in _OPEN:
        return OPEN
    return OTHER


def truth_frames(utterance, count: int) -> np.ndarray:
    """Classes per 10 ms frame, with espeak_truth's correction of stop closures filed inside vowels."""
    labels = espeak_truth.truth_frames(utterance, FRAME_SECONDS, True, phone_class_any)
    return labels[:count] if len(labels) >= count else np.concatenate(
        [labels, np.full(count - len(labels), REST, dtype=object)])


def corpus(language: str, quick: bool = False) -> list:
    """(text, voice, rate) for every sentence in every held-out variant of `language`, rates rotating."""
    sentences, variants = SENTENCES[language], VARIANTS
    if quick:
        sentences, variants = sentences[:2], variants[1:3]
    return [(text, f"{language}+{variant}", RATES[(s + v) % len(RATES)])
            for v, variant in enumerate(variants) for s, text in enumerate(sentences)]


def score_utterance(utterance, predicted: np.ndarray) -> Score:
    closures = [(p.start, p.end) for p in utterance.phones if phone_class_any(p.ipa) == CLOSED]
    return score_frames(truth_frames(utterance, len(predicted)), closures, predicted)


def run_language(language: str, quick: bool = False, rhubarb: bool = True) -> dict:
    """{method: Score} for `language`: SoundMotion with and without transcript, the loudness-driven jaw (the
    baseline, measured in the same run) and Rhubarb when on PATH."""
    totals = {}
    with tempfile.TemporaryDirectory(prefix=f"languages-{language}-") as folder:
        for index, (text, voice, rate) in enumerate(corpus(language, quick)):
            utterance = espeak_truth.synthesize(text, voice, rate, espeak_truth.bench_runtime_engine())
            wav = os.path.join(folder, f"u{index}.wav")
            utterance.write_wav(wav)
            for name, transcript in (("transcript", text), ("audio only", "")):
                face = generate_face(wav, transcript=transcript, fps=1.0 / FRAME_SECONDS,
                                     settings=FaceSettings(language=language))
                scored = score_utterance(utterance, face_classes(face.clip.weights, face.clip.channel_names))
                totals[name] = scored if name not in totals else totals[name] + scored
            baseline = face_classes(loudness_baseline(wav, 1.0 / FRAME_SECONDS), ARKIT_BLENDSHAPES)
            scored = score_utterance(utterance, baseline)
            totals["baseline"] = scored if "baseline" not in totals else totals["baseline"] + scored
            if rhubarb and shutil.which("rhubarb"):
                cues = run_rhubarb(wav, None)
                count = int(np.ceil(utterance.duration / FRAME_SECONDS))
                scored = score_utterance(utterance, rhubarb_classes(cues, count))
                totals["Rhubarb"] = scored if "Rhubarb" not in totals else totals["Rhubarb"] + scored
    return totals


def format_row(language: str, totals: dict) -> str:
    cells = []
    for name in ("transcript", "audio only", "baseline", "Rhubarb"):
        s = totals.get(name)
        cells.append("—" if s is None else f"{s.closure_rate:.1%} ({s.closures_hit}/{s.closures}) / "
                                           f"{s.closed_in_open_rate:.1%} / {s.frame_accuracy:.3f}")
    return f"| {language} | " + " | ".join(cells) + " |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 sentences × 2 variants per language")
    parser.add_argument("--languages", nargs="*", default=list(LANGUAGES))
    args = parser.parse_args(argv)
    print("Closures hit ±30 ms / closed in open-vowel frames / frame accuracy, per language; voices "
          f"{'+'.join(VARIANTS)} variants (held out), {len(SENTENCES['es'])} bench sentences each (held out).")
    print("")
    print("| language | SoundMotion + transcript | SoundMotion, audio only | loudness jaw (baseline) | "
          "Rhubarb (phonetic) |")
    print("|---|---|---|---|---|")
    overall = {}
    for language in args.languages:
        totals = run_language(language, args.quick)
        print(format_row(language, totals), flush=True)
        for name, scored in totals.items():
            overall[name] = scored if name not in overall else overall[name] + scored
    print(format_row("all", overall))
    print("Targets: closures ≥ 85 % with transcript, ≥ 70 % audio only; closed in open vowels ≤ 5 %.")
    if not shutil.which("rhubarb"):
        print("Rhubarb Lip Sync is not on PATH, so it was not scored.")
    return 0


__all__ = ["LANGUAGES", "SENTENCES", "VARIANTS", "corpus", "phone_class_any", "run_language", "score_utterance"]

if __name__ == "__main__":
    raise SystemExit(main())
