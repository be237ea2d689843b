"""Phone recognition without a transcript (pocketsphinx all-phone decoding with its English phone LM)."""

from .decoder import decoder_lock, phone_decoder
from .segments import FRAME_SECONDS, PhoneSegment, base_phone


def recognize_phones(pcm: bytes) -> list:
    decoder = phone_decoder()
    with decoder_lock():
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        segments = [(base_phone(s.word), s.start_frame, s.end_frame) for s in decoder.seg()]
    return [PhoneSegment(phone, start * FRAME_SECONDS, (end + 1) * FRAME_SECONDS)
            for phone, start, end in segments if end >= start]
