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
                      beam=1e-30, pbeam=1e-30, lw=1.0, loglevel="FATAL")


@functools.lru_cache(maxsize=1)
def alignment_decoder():
    ps = _pocketsphinx()
    # bestpath=False is required for phone-level alignment; very wide beams: at 1e-80 even short synthetic sentences failed to align.
    return ps.Decoder(lm=None, bestpath=False, beam=1e-200, wbeam=1e-150, pbeam=1e-200, loglevel="FATAL")


def decoder_lock():
    """Decoders are stateful C objects: one utterance at a time per process."""
    return _LOCK
