"""Creating pocketsphinx decoders with the settings measured to work (see the shared notes).

A decoder carries state from one utterance to the next (measured: the same audio aligned twice in a
row came out differently), so every analysis makes its own; creating one takes about 0.1 s.

pocketsphinx's C library opens its model files through narrow (char *) paths, which on Windows are read in the
ANSI code page (its former bindings failed on a non-ASCII folder, cmusphinx/pocketsphinx-python#55), so the model
folder is handed to it explicitly (hmm, dict, allphone, lm), through a short ASCII alias where its path is not plain
ASCII or too long for the narrow Windows API (ascii_path.ascii_alias, as for eSpeak NG's data).
"""

import os

from ...errors import SoundMotionError
from .ascii_path import AliasUnavailable, ascii_alias

# The language model of the word recogniser, as the extension ships it (once, not in each pocketsphinx wheel).
WORD_LM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "word_lm", "en-us.lm.bin")
# The model files the decoders read, inside the model folder (a Windows copy of last resort holds only these).
MODEL_FILES = (os.path.join("en-us", "en-us"), os.path.join("en-us", "cmudict-en-us.dict"),
               os.path.join("en-us", "en-us-phone.lm.bin"))
# Windows' narrow file API takes at most MAX_PATH (260) characters with the terminator; the longest model file
# name is "/en-us/en-us/transition_matrices" (32). Elsewhere paths are bytes with no such limit.
MAX_MODEL_FOLDER = 260 - 1 - len("/en-us/en-us/transition_matrices") - 20 if os.name == "nt" else None


class SpeechEngineUnavailable(SoundMotionError):
    """pocketsphinx (with its bundled English model) could not be loaded."""


def _pocketsphinx():
    try:
        import pocketsphinx
    except ImportError:
        raise SpeechEngineUnavailable(
            "The speech recogniser (pocketsphinx) is not installed. Reinstall the SoundMotion extension, "
            "which bundles it.") from None
    return pocketsphinx


def model_folder() -> str:
    """The folder of pocketsphinx's bundled model (it holds en-us/): inside the pocketsphinx wheel, which in
    Blender lies under the user's extensions folder."""
    return _pocketsphinx().get_model_path()


def model_paths() -> dict:
    """hmm, dict and allphone for pocketsphinx: in the model folder itself when its path is plain ASCII (and short
    enough on Windows), otherwise in a short ASCII alias of it in the temp folder."""
    folder = model_folder()
    try:
        folder = ascii_alias(folder, MAX_MODEL_FOLDER, prefix="soundmotion-sphinx", copy=MODEL_FILES,
                             version_file=os.path.join(MODEL_FILES[0], "mdef"))
    except AliasUnavailable:
        raise SpeechEngineUnavailable(
            f"The speech recogniser cannot read its model at {folder}: the path is too long or not plain ASCII for "
            "it, and no short alias could be made in the temp folder. Move Blender's user folder to a shorter "
            "ASCII path (or point BLENDER_USER_RESOURCES at one) and reinstall the extension.") from None
    hmm, dictionary, allphone = (os.path.join(folder, name) for name in MODEL_FILES)
    return {"hmm": hmm, "dict": dictionary, "allphone": allphone}


def phone_decoder():
    """All-phone recognition with the English phone LM. ds=2/topn=2 score every other frame with fewer
    Gaussians: 30 % faster, and the lip closures come from the acoustic dips anyway."""
    ps = _pocketsphinx()
    return ps.Decoder(**model_paths(), lm=None, backtrace=True,
                      beam=1e-20, pbeam=1e-20, lw=1.0, ds=2, topn=2, cmn="batch", loglevel="FATAL")


def word_language_model() -> str | None:
    """pocketsphinx's generic English language model (en-us.lm.bin, 27 MB): the extension ships it once, beside
    this file (WORD_LM, put there by scripts/fetch_wheels.py from the locked wheel, which ships without it); a
    pocketsphinx installed from PyPI holds it in its model folder. None where neither has it."""
    for path in (WORD_LM, os.path.join(model_folder(), "en-us", "en-us.lm.bin")):
        if os.path.isfile(path):
            return path
    return None


def word_decoder():
    """Large-vocabulary English recognition: the acoustic model and dictionary of the aligner with the generic
    language model. SpeechEngineUnavailable where there is no language model or no short ASCII path to it.
    One tree pass (no flat-lexicon pass, no lattice), every other frame scored with the two best Gaussians, beams
    1e-40 / 1e-24: 3x faster than pocketsphinx's defaults (7x -> 21x real time on the LibriVox lines, CPU), with
    closures within one of theirs on the tuning splits (bench/lipsync_results.md, sixteenth round)."""
    ps = _pocketsphinx()
    lm = word_language_model()
    if lm is None:
        raise SpeechEngineUnavailable("pocketsphinx's English language model is not installed.")
    paths = model_paths()
    try:
        folder = ascii_alias(os.path.dirname(lm), MAX_MODEL_FOLDER, prefix="soundmotion-words",
                             copy=(os.path.basename(lm),))
    except AliasUnavailable:
        raise SpeechEngineUnavailable(f"The word recogniser cannot read its language model at {lm}.") from None
    return ps.Decoder(hmm=paths["hmm"], dict=paths["dict"], lm=os.path.join(folder, os.path.basename(lm)),
                      fwdflat=False, bestpath=False, ds=2, topn=2, beam=1e-40, wbeam=1e-24, pbeam=1e-40,
                      cmn="batch", loglevel="FATAL")


def decode(decoder, pcm: bytes):
    """One utterance through `decoder`: 16 kHz 16-bit mono PCM, whole (batch cepstral mean)."""
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def alignment_decoder(exhaustive: bool = False):
    """bestpath=False is required for phone-level alignment. Beams must be very wide (at 1e-80 even short
    synthetic sentences failed to align); `exhaustive` turns pruning off, for pieces that still fail
    (about twice as slow)."""
    ps = _pocketsphinx()
    beam, word_beam = (0.0, 0.0) if exhaustive else (1e-200, 1e-150)
    paths = model_paths()
    return ps.Decoder(hmm=paths["hmm"], dict=paths["dict"], lm=None, bestpath=False, beam=beam, wbeam=word_beam,
                      pbeam=beam, cmn="batch", loglevel="FATAL")
