"""Creating pocketsphinx decoders with the settings measured to work (see the shared notes).

A decoder carries state from one utterance to the next (measured: the same audio aligned twice in a
row came out differently), so every analysis makes its own; creating one takes about 0.1 s.
"""

from ...errors import SoundMotionError


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


def phone_decoder():
    """All-phone recognition with the English phone LM. ds=2/topn=2 score every other frame with fewer
    Gaussians: 30 % faster, and the lip closures come from the acoustic dips anyway."""
    ps = _pocketsphinx()
    model = ps.get_model_path()
    return ps.Decoder(allphone=f"{model}/en-us/en-us-phone.lm.bin", lm=None, backtrace=True,
                      beam=1e-20, pbeam=1e-20, lw=1.0, ds=2, topn=2, cmn="batch", loglevel="FATAL")


def alignment_decoder(exhaustive: bool = False):
    """bestpath=False is required for phone-level alignment. Beams must be very wide (at 1e-80 even short
    synthetic sentences failed to align); `exhaustive` turns pruning off, for pieces that still fail
    (about twice as slow)."""
    ps = _pocketsphinx()
    beam, word_beam = (0.0, 0.0) if exhaustive else (1e-200, 1e-150)
    return ps.Decoder(lm=None, bestpath=False, beam=beam, wbeam=word_beam, pbeam=beam, cmn="batch",
                      loglevel="FATAL")
