"""Transcripts with names and numbers: English lines whose names and made-up words the pronouncing dictionary lacks
(a character's name, a place in a story, a brand), and lines with numbers written as digits ("1987"), spoken by
eSpeak NG with exact phoneme timings, scored as bench/lipsync.py scores (p/b/m closed ±30 ms, closed open-vowel
frames, frame accuracy) with the transcript, and how many transcripts were not used (the take fell back to
recognition).

    .venv/bin/python bench/names.py [--skip-espeak-words]

Written for this bench (never trained or tuned on); voices and rates as bench/lipsync.py. `--skip-espeak-words`
runs the aligner as before eSpeak NG pronounced such words (names were skipped, numbers read digit by digit), for
the side-by-side rows.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.names", run_name="__main__")
    raise SystemExit

import argparse
import os
import tempfile

from ..models.face.pipeline import FaceSettings, generate_face
from . import espeak_truth
from .scoring import FRAME_SECONDS, face_classes, score

SENTENCES = (
    "Zyxomma met Bambi in Pompeii by the amber lamp.",
    "Grimbold and Thorwyn ate plump blimbers at noon.",
    "Captain Mbeki parked the Zamboni by Bramblemoor.",
    "Quibbo the robot beeped at Amorak and Pemberton.",
    "Meet Zorblax, the Bilbump from planet Pomeroon.",
    "Xanthippe bought Kaboomix batteries for the Ombrelux.",
    "Tembo and Obadiah mapped the Ambrovian marshes.",
    "Mirabelle Oompah played the bombardon in Pumbleton.",
)
NUMBERS = (
    "My brother was born in 1987 and has 42 maps.",
    "Chapter 12: the 300 bombers came back in 1944.",
    "Room 101 opens at 7 and the 15 members meet by 9.",
    "Bob paid 250 pounds for 16 maple boards in 2019.",
)


def run(sentences: tuple, skip_espeak_words: bool = False):
    """(Score, transcripts not used, utterances) over `sentences` × espeak_truth.VOICES."""
    from ..models.speech import alignment

    if skip_espeak_words:
        alignment.english_pronunciation = lambda word: ""
    total, fallbacks, count = None, 0, 0
    with tempfile.TemporaryDirectory(prefix="names-") as folder:
        for v, voice in enumerate(espeak_truth.VOICES):
            for s, text in enumerate(sentences):
                rate = espeak_truth.RATES[(s + v) % len(espeak_truth.RATES)]
                utterance = espeak_truth.synthesize(text, voice, rate)
                wav = os.path.join(folder, "u.wav")
                utterance.write_wav(wav)
                face = generate_face(wav, transcript=text, fps=1.0 / FRAME_SECONDS, settings=FaceSettings())
                scored = score(utterance, face_classes(face.clip.weights, face.clip.channel_names))
                total = scored if total is None else total + scored
                fallbacks += face.phone_source != "alignment"
                count += 1
    return total, fallbacks, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-espeak-words", action="store_true",
                        help="skip the words the dictionary lacks, as the aligner did before")
    args = parser.parse_args(argv)
    mode = "before: skipped / digit by digit" if args.skip_espeak_words else "pronounced by eSpeak NG"
    print("| lines | aligner | p/b/m closed ±30 ms | closed in open vowels | frame accuracy | transcript not used |")
    print("|---|---|---|---|---|---|")
    for name, sentences in (("names", SENTENCES), ("numbers", NUMBERS)):
        scored, fallbacks, count = run(sentences, args.skip_espeak_words)
        print(f"| {name} | {mode} | {scored.closure_rate:.1%} ({scored.closures_hit}/{scored.closures}) | "
              f"{scored.closed_in_open_rate:.1%} ({scored.closed_in_open}/{scored.open_frames}) | "
              f"{scored.frame_accuracy:.3f} | {fallbacks} of {count} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
