"""Creating pocketsphinx decoders with the settings measured to work (see shared notes), cached per process."""

import functools
import threading

_LOCK = threading.Lock()


class SpeechEngineUnavailable(ValueError):
    """pocketsphinx (with its bundled English model) could not be loaded."""


def _pocketsphinx():
    try:
        import pocketsphinx
    except ImportError:
        raise SpeechEngineUnavailable(
            "The speech recogniser (pocketsphinx) is not installed. Reinstall the SoundMotion extension, "
            "which bundles it.") from None
    return pocketsphinx


@functools.lru_cache(maxsize=1)
def phone_decoder():
    ps = _pocketsphinx()
    model = ps.get_model_path()
    return ps.Decoder(allphone=f"{model}/en-us/en-us-phone.lm.bin", lm=None, backtrace=True,
                      beam=1e-20, pbeam=1e-20, lw=1.0, ds=2, topn=2, loglevel="FATAL")


@functools.lru_cache(maxsize=2)
def alignment_decoder(exhaustive: bool = False):
    """bestpath=False is required for phone-level alignment. Beams must be very wide (at 1e-80 even short
    synthetic sentences failed to align); `exhaustive` turns pruning off, for pieces that still fail
    (about twice as slow)."""
    ps = _pocketsphinx()
    beam, word_beam = (0.0, 0.0) if exhaustive else (1e-200, 1e-150)
    return ps.Decoder(lm=None, bestpath=False, beam=beam, wbeam=word_beam, pbeam=beam, loglevel="FATAL")


def decoder_lock():
    """Decoders are stateful C objects: one utterance at a time per process."""
    return _LOCK
