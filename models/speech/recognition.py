"""Phone recognition without a transcript (pocketsphinx all-phone decoding with its English phone LM)."""

from .decoder import phone_decoder
from .segments import FRAME_SECONDS, PhoneSegment, base_phone


def recognize_phones(pcm: bytes, decoder=None) -> list:
    """Timed phones in `pcm`; pass a decoder from `phone_decoder()` to reuse it within one analysis."""
    decoder = decoder or phone_decoder()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    segments = [(base_phone(s.word), s.start_frame, s.end_frame) for s in decoder.seg()]
    return [PhoneSegment(phone, start * FRAME_SECONDS, (end + 1) * FRAME_SECONDS)
            for phone, start, end in segments if end >= start]
