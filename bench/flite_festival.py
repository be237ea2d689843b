"""Speech with exact phone timings from flite and Festival, whose voices are built from human recordings.

espeak-ng (espeak_truth.py) is a formant synthesiser: every sound it makes is computed, none recorded. flite's
and Festival's English voices are made from recordings of real speakers, either cut into diphones and joined
(kal, ked: the closures and bursts are a person's) or learned from them by a statistical model (awb, rms, slt;
Festival's slt is an HTS voice). Both report the end time of every phone they synthesise, so their speech
comes with ground truth like espeak's, and sounds more like a person. Debian packages: flite, festival,
festvox-kdlpc16k, festvox-us-slt-hts (scripts/install_system_packages.sh --bench installs them).

Phones come in the CMU "radio" set (lower-case ARPAbet plus ax, pau and a few allophones): mapped to ARPAbet.
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np
import soundfile

from ..models.speech.segments import SILENCE

# Festival's kal is flite's kal16, a training voice: only voices the phone net never heard are listed.
FESTIVAL_VOICES = {"ked": "voice_ked_diphone", "slt_hts": "voice_cmu_us_slt_arctic_hts"}
RADIO_TO_ARPABET = {"ax": "AH", "axr": "ER", "dx": "D", "el": "L", "em": "M", "en": "N", "nx": "N", "hv": "HH",
                    "pau": SILENCE, "h#": SILENCE, "brth": SILENCE, "sil": SILENCE}


class SynthesiserUnavailable(RuntimeError):
    """flite or Festival (or the voice) is not installed."""


@dataclass
class SpokenLine:
    samples: np.ndarray   # float32 mono
    sample_rate: int
    phones: list          # [(ARPAbet or SIL, start, end)] seconds, in time order, covering the whole line
    text: str
    voice: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def to_arpabet(name: str) -> str:
    return RADIO_TO_ARPABET.get(name, name.upper())


def _spans(ends: list) -> list:
    """[(phone, end)] → [(ARPAbet, start, end)], each phone starting where the one before it ended."""
    spans, start = [], 0.0
    for name, end in ends:
        if end > start:
            spans.append((to_arpabet(name), start, end))
            start = end
    return spans


def flite(text: str, voice: str = "kal16", duration_stretch: float = 1.0, pitch_mean: float | None = None) -> SpokenLine:
    """`text` spoken by flite's `voice`, `duration_stretch` times slower than its default; `pitch_mean` in Hz
    (the voice's own when None)."""
    binary = shutil.which("flite")
    if binary is None:
        raise SynthesiserUnavailable("flite is not installed (apt install flite)")
    with tempfile.TemporaryDirectory(prefix="flite-") as folder:
        wav = os.path.join(folder, "line.wav")
        command = [binary, "-voice", voice, "--setf", f"duration_stretch={duration_stretch:.3f}"]
        if pitch_mean is not None:
            command += ["--setf", f"int_f0_target_mean={pitch_mean:.1f}"]
        output = subprocess.run(command + ["-psdur", "-t", text, "-o", wav], capture_output=True, text=True,
                                check=True).stdout
        samples, rate = soundfile.read(wav, dtype="float32")
    ends = [(item.rsplit(":", 1)[0], float(item.rsplit(":", 1)[1])) for item in output.split() if ":" in item]
    return SpokenLine(samples, rate, _spans(ends), text, f"flite {voice}")


def festival(text: str, voice: str = "ked") -> SpokenLine:
    """`text` spoken by one of Festival's FESTIVAL_VOICES."""
    binary = shutil.which("festival")
    if binary is None:
        raise SynthesiserUnavailable("Festival is not installed (apt install festival festvox-kdlpc16k)")
    quoted = text.replace("\\", " ").replace('"', " ")
    with tempfile.TemporaryDirectory(prefix="festival-") as folder:
        wav, segments = os.path.join(folder, "line.wav"), os.path.join(folder, "line.segs")
        script = os.path.join(folder, "say.scm")
        with open(script, "w", encoding="utf-8") as handle:
            # Each voice paces itself at 1.0 (ked's own setup slows it down): the bench's figures are at 1.0.
            handle.write(f"({FESTIVAL_VOICES[voice]})\n"
                         "(Parameter.set 'Duration_Stretch 1.0)\n"
                         f'(set! line (utt.synth (Utterance Text "{quoted}")))\n'
                         f'(utt.save.wave line "{wav}" \'riff)\n'
                         f'(utt.save.segs line "{segments}")\n')
        run = subprocess.run([binary, "-b", script], capture_output=True, text=True)
        if run.returncode != 0 or not os.path.isfile(wav):
            raise SynthesiserUnavailable(f"Festival could not speak with {voice}: {run.stderr.strip()[:200]}")
        samples, rate = soundfile.read(wav, dtype="float32")
        with open(segments, encoding="utf-8") as handle:
            rows = [line.split() for line in handle if line.strip() and not line.startswith("#")]
    ends = [(row[2], float(row[0])) for row in rows if len(row) == 3]
    return SpokenLine(samples, rate, _spans(ends), text, f"festival {voice}")


__all__ = ["FESTIVAL_VOICES", "SpokenLine", "SynthesiserUnavailable", "festival", "flite",
           "to_arpabet"]
