"""English words the pronouncing dictionary lacks (names, made-up and brand words), pronounced by eSpeak NG.

pocketsphinx aligns English transcripts word by word from its dictionary (CMUdict); a word that is neither in it nor
made of words in it ("Zyxomma", "Pompeii") used to be skipped, leaving its sounds, and its p/b/m, to recognition.
eSpeak NG (bundled with the extension) reads any spelling aloud with its English rules; its IPA phones become the
acoustic model's ARPAbet here, so the word can be added to the aligner's dictionary.
"""

from functools import lru_cache

from .articulation import ipa_classes
from .espeak import EspeakUnavailable, UnknownLanguage, runtime_engine
from .segments import SILENCE

# eSpeak NG's en-us phonemes (stress marks removed) → ARPAbet, as CMUdict would write them.
IPA_ARPABET = {
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "ɡ": "G", "g": "G", "f": "F", "v": "V", "θ": "TH",
    "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH", "h": "HH", "m": "M", "n": "N", "ŋ": "NG", "l": "L",
    "ɹ": "R", "r": "R", "w": "W", "j": "Y", "tʃ": "CH", "dʒ": "JH", "ɾ": "T", "ʔ": "T",
    "n̩": "AH N", "əl": "AH L", "l̩": "AH L",
    "ɪ": "IH", "ᵻ": "IH", "ɛ": "EH", "æ": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH", "i": "IY", "iː": "IY",
    "ɑ": "AA", "ɑː": "AA", "ɒ": "AA", "ɔ": "AO", "ɔː": "AO", "ʊ": "UH", "u": "UW", "uː": "UW",
    "ɜ": "ER", "ɜː": "ER", "ɚ": "ER", "eɪ": "EY", "aɪ": "AY", "aʊ": "AW", "oʊ": "OW", "əʊ": "OW", "ɔɪ": "OY",
    "iə": "IY AH", "ɑːɹ": "AA R", "ɔːɹ": "AO R", "ɛɹ": "EH R", "ɪɹ": "IH R", "ʊɹ": "UH R", "ɜːɹ": "ER",
    "aɪɚ": "AY ER", "aɪə": "AY AH", "aʊɚ": "AW ER", "oːɹ": "AO R",
}


@lru_cache(maxsize=512)
def english_pronunciation(word: str) -> str:
    """Space-separated ARPAbet phones of `word` as eSpeak NG (en-us) says it; "" when eSpeak NG is not available or
    says nothing (the word is then skipped, as before eSpeak NG pronounced such words: English alignment never
    depends on it)."""
    try:
        spoken = runtime_engine().speak(word, "en-us")
    except (EspeakUnavailable, UnknownLanguage, OSError):
        return ""
    return " ".join(arpabet_phones([name for name, _, _ in spoken.phones]))


def arpabet_phones(ipa_phones: list) -> list:
    """eSpeak NG's IPA phone names → ARPAbet phones; a name this table lacks goes by its articulatory classes
    (articulation.ipa_classes, which are named by ARPAbet phones)."""
    out = []
    for name in ipa_phones:
        plain = name.replace("ˈ", "").replace("ˌ", "").strip()
        if not plain:
            continue
        arpabet = IPA_ARPABET.get(plain)
        out.extend(arpabet.split() if arpabet else [cls for cls, _ in ipa_classes(plain) if cls != SILENCE])
    return out


__all__ = ["IPA_ARPABET", "arpabet_phones", "english_pronunciation"]
