"""A language-neutral, articulatory phone set: what the lips, jaw and tongue do, not which language says it.

The phone net recognises these classes, and transcripts in any language (eSpeak NG's IPA, models/speech/espeak.py)
and English dictionary phones (CMU ARPAbet, pocketsphinx) are mapped onto them. Each class is named by a CMU
ARPAbet symbol that stands for it, so every later step (visemes, the face, edited phone tracks) keeps reading
ARPAbet names:

| class | articulation | IPA (examples) |
|---|---|---|
| B, M | bilabial closure: oral stop / nasal | p b ɓ / m |
| F | labiodental (and bilabial fricatives) | f v ɸ β ʋ ɱ |
| TH | dental fricative | θ ð |
| D | tongue-tip stop or tap or trill | t d ʈ ɖ ɾ r |
| N | tongue-tip or palatal nasal | n ɳ ɲ |
| S | alveolar sibilant (and its affricates) | s z ts dz |
| SH | post-alveolar / retroflex / alveolo-palatal sibilant | ʃ ʒ tʃ dʒ ɕ ʑ ʂ ʐ |
| K, NG | back-of-tongue stop / nasal | k g q c ɟ / ŋ ɴ |
| HH | throat: glottal, velar, uvular, pharyngeal fricatives and uvular r | h ɦ x ɣ χ ʁ ʀ ħ ʔ |
| L | lateral | l ɫ ɭ ʎ ɬ |
| R | approximant r (lips slightly rounded) | ɹ ɻ |
| Y | palatal glide | j ʝ |
| W | labial glide (lips rounded) | w ɥ ʍ |
| IY | close front, spread lips | i ɪ ɨ ɯ |
| EH | mid front, spread | e ɛ ɘ |
| AA | open | a ɑ æ ɶ |
| AH | central, neutral lips | ə ɐ ʌ ɜ ɤ |
| OW | mid rounded (back or front) | o ɔ ɒ ø œ ɵ |
| UW | close rounded (back or front) | u ʊ y ʏ ʉ |
| ER | r-coloured vowel | ɚ ɝ |
"""

import unicodedata

from .segments import SILENCE

CLASSES = ("AA", "AH", "B", "D", "EH", "ER", "F", "HH", "IY", "K", "L", "M", "N", "NG", "OW", "R", "S", "SH",
           SILENCE, "TH", "UW", "W", "Y")
VOWEL_CLASSES = frozenset(("AA", "AH", "EH", "ER", "IY", "OW", "UW"))

_SYMBOLS = {
    **dict.fromkeys("pbɓ", "B"), "m": "M",
    **dict.fromkeys("fvɸβʋɱ", "F"), **dict.fromkeys("θð", "TH"),
    **dict.fromkeys("tdʈɖɾrⱱ", "D"), **dict.fromkeys("nɳɲ", "N"),
    **dict.fromkeys("sz", "S"), **dict.fromkeys("ʃʒɕʑʂʐ", "SH"),
    **dict.fromkeys("kgɡqɢcɟ", "K"), **dict.fromkeys("ŋɴ", "NG"),
    **dict.fromkeys("hɦxɣχʁʀħʕʔçʜʢ", "HH"), **dict.fromkeys("lɫɭʎɬɮʟɺ", "L"),
    **dict.fromkeys("ɹɻ", "R"), **dict.fromkeys("jʝ", "Y"), **dict.fromkeys("wɥʍ", "W"), "ɰ": "Y",
    **dict.fromkeys("iɪɨɯᵻ", "IY"), **dict.fromkeys("eɛɘ", "EH"), **dict.fromkeys("aɑæɶä", "AA"),
    **dict.fromkeys("əɐʌɜɤ", "AH"), **dict.fromkeys("oɔɒøœɵɞ", "OW"), **dict.fromkeys("uʊyʏʉ", "UW"),
    **dict.fromkeys("ɚɝ", "ER"),
}
# Two symbols that are one sound (affricates); the rest of a multi-symbol name is split in time.
_AFFRICATES = {"ts": "S", "dz": "S", "tʃ": "SH", "dʒ": "SH", "tɕ": "SH", "dʑ": "SH", "tʂ": "SH", "dʐ": "SH",
               "ʈʂ": "SH", "ɖʐ": "SH"}
FIRST_VOWEL_SHARE = 0.6  # of a diphthong's span, the part before the glide to the second vowel

# CMU ARPAbet (English dictionary phones) → class: the phone whose net output times it inside a word.
ARPABET_CLASS = {
    "P": "B", "B": "B", "M": "M", "F": "F", "V": "F", "TH": "TH", "DH": "TH", "T": "D", "D": "D", "N": "N",
    "S": "S", "Z": "S", "SH": "SH", "ZH": "SH", "CH": "SH", "JH": "SH", "K": "K", "G": "K", "NG": "NG",
    "HH": "HH", "L": "L", "R": "R", "Y": "Y", "W": "W", "IY": "IY", "IH": "IY", "EH": "EH", "EY": "EH",
    "AE": "AA", "AA": "AA", "AY": "AA", "AW": "AA", "AH": "AH", "AO": "OW", "OW": "OW", "OY": "OW", "UH": "UW",
    "UW": "UW", "ER": "ER", SILENCE: SILENCE,
}


def _plain(ipa: str) -> str:
    """The IPA name without stress, length, tone digits, tie bars and combining marks (nasal, voiceless, …)."""
    out = []
    for char in unicodedata.normalize("NFD", ipa):
        if unicodedata.combining(char) or char in "ˈˌːˑ|_-.#'0123456789()^͡‿" or char.isspace():
            continue
        out.append(char)
    return "".join(out)


def ipa_classes(ipa: str) -> list:
    """[(class, share of the phone's span)] for one eSpeak NG IPA phoneme name; [] for pauses and unknown names.

    A name that holds several sounds (diphthongs "aɪ", r-coloured "ɑːɹ", German "pf") is split in time: the
    first vowel of a diphthong keeps FIRST_VOWEL_SHARE, other parts share the span equally.
    """
    plain = _plain(ipa)
    parts, k = [], 0
    while k < len(plain):
        pair = plain[k:k + 2]
        if pair in _AFFRICATES:
            parts.append(_AFFRICATES[pair])
            k += 2
            continue
        name = _SYMBOLS.get(plain[k]) or _SYMBOLS.get(plain[k].lower())
        if name and not (parts and parts[-1] == name):
            parts.append(name)
        k += 1
    if len(parts) <= 1:
        return [(p, 1.0) for p in parts]
    if parts[0] in VOWEL_CLASSES and all(p in VOWEL_CLASSES for p in parts[1:]):
        rest = (1.0 - FIRST_VOWEL_SHARE) / (len(parts) - 1)
        return [(parts[0], FIRST_VOWEL_SHARE)] + [(p, rest) for p in parts[1:]]
    return [(p, 1.0 / len(parts)) for p in parts]


def arpabet_class(phone: str) -> str:
    """The class of a CMU ARPAbet phone (or of a class name, which maps to itself)."""
    return ARPABET_CLASS.get(phone, phone if phone in CLASSES else "AH")


__all__ = ["ARPABET_CLASS", "CLASSES", "VOWEL_CLASSES", "arpabet_class", "ipa_classes"]
