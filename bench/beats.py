"""Beat bench: beats, downbeats, meter and tempo on real recordings, next to librosa and madmom in the same run.

    .venv/bin/python bench/beats.py [--music DIR] [--no-madmom] [--no-dance] [--whole-tracks]
                                    [--set analysis.NAME=VALUE ...]

Recordings: the held-out split of bench/music_corpus.py (default /work/coord/music; run that script first).
None of them trains or tunes the tracker. Truth per track, said in every row:

* "people": Frets on Fire charts (tempo map and bars written by the songs' authors to fit the recording);
  beats in silent intros and outros are dropped.
* "madmom": no human annotation exists; madmom's RNN + DBN (the best published classical tracker, CC BY-NC-SA,
  a baseline here) stands in. These rows say how close we come to madmom, not to people, and madmom's own
  score on them is 1 by construction (shown as "=").
* none: scored only for the "no steady beat" decision.

Figures (mir_eval, ±70 ms, beats in the first 5 s ignored): beat F-measure, CMLt, AMLt, downbeat F-measure; the
tempo (median beat period) against the truth's: "ok" within 8 %, else "×2", "×½", "×3"… an octave error; the meter.
Tuning rows: songs from SoundMotion's own synthesizer (models/music/synth.py), which the net never trained on but
which say little about real music; the validation split of bench/music_corpus.py (game soundtracks, mostly
electronic and orchestral) and its band validation split (rock and metal soundtracks), both against madmom's
beats, whole packages that train nothing, on which settings are chosen; and its free-tempo validation split
(expressive acoustic and orchestral soundtracks against madmom's beats, where any "no steady beat" fallback is a
failure, and drones, hiss, rain and wind, which should all get that note). Speed: analysis time (decoded audio in,
beats out) against the audio's length. `--whole-tracks` adds two tuning rows: the validation and band splits'
tracks analysed whole (1–14 min, as users bring songs, not as 60 s excerpts), their beats and bars inside the
labelled excerpt scored against the same madmom labels: what a whole song's context changes (a bar's phase chosen
over the whole song, tempo levels, sections). `--set analysis.NAME=VALUE` overrides a constant of
soundmotion.models.music.analysis for the run (a float), so that two settings are printed by the same code.
Dance: Dance to Music on three held-out songs with people's beats, Beat Align Score (k→m) against the true beats
and against the tracker's own beats.
"""

if __name__ == "__main__" and not __package__:  # run as a file: run it as part of the installed package
    import runpy

    runpy.run_module("soundmotion.bench.beats", run_name="__main__")
    raise SystemExit

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile

from ..models.audio.load import Audio, load_audio
from ..models.music.analysis import analyse_music
from ..models.music.spectrum import SAMPLE_RATE
from ..models.music.synth import SongPart, standard_song, synthesize
from .overrides import apply_overrides

HELD_OUT = pathlib.Path(os.environ.get("SOUNDMOTION_MUSIC", "/work/coord/music"))
ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
CACHE = pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion"))
SKIP_SECONDS = 5.0
DANCE_SONGS = ("fof_feelings", "fof_war_of_freedom", "fof_escape_from_chaosland")
DANCE_EXCERPT = (30.0, 90.0)


def truth_for(folder: pathlib.Path, row: dict):
    """(beats, downbeats, source) for a held-out track; source is 'people', 'madmom' or None."""
    if (folder / f"{row['id']}.beats").exists():
        table = np.loadtxt(folder / f"{row['id']}.beats", ndmin=2)
        samples, rate = soundfile.read(str(folder / row["file"]), dtype="float32", always_2d=True)
        first, last = audible_span(samples.mean(axis=1), rate)
        keep = (table[:, 0] >= first - 0.1) & (table[:, 0] <= last + 0.1)
        table = table[keep]
        return table[:, 0], table[table[:, 1] == 1, 0], "people"
    if row.get("truth") != "none" and (folder / f"{row['id']}.madmom.beats").exists():
        table = np.loadtxt(folder / f"{row['id']}.madmom.beats", ndmin=2)
        return table[:, 0], table[table[:, 1] == 1, 0], "madmom"
    return None, None, None


def audible_span(samples: np.ndarray, rate: int, floor_db: float = -45.0):
    """First and last time the 50 ms RMS comes within floor_db of the loudest."""
    hop = int(0.05 * rate)
    frames = len(samples) // hop
    rms = np.sqrt(np.mean(samples[:frames * hop].reshape(frames, hop) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms / rms.max()) > floor_db)
    return loud[0] * hop / rate, (loud[-1] + 1) * hop / rate


def scores(beats, downbeats, true_beats, true_downbeats) -> dict:
    import mir_eval
    reference = mir_eval.beat.trim_beats(np.asarray(true_beats, float), SKIP_SECONDS)
    estimated = mir_eval.beat.trim_beats(np.asarray(beats, float), SKIP_SECONDS)
    cmlc, cmlt, amlc, amlt = mir_eval.beat.continuity(reference, estimated)
    row = {"F": mir_eval.beat.f_measure(reference, estimated), "CMLt": cmlt, "AMLt": amlt, "downF": float("nan")}
    if downbeats is not None and true_downbeats is not None and len(true_downbeats) > 1:
        row["downF"] = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(np.asarray(true_downbeats, float), SKIP_SECONDS),
                                               mir_eval.beat.trim_beats(np.asarray(downbeats, float), SKIP_SECONDS))
    row["tempo"] = tempo_relation(beats, true_beats)
    return row


def tempo_relation(beats, true_beats) -> str:
    if len(beats) < 2 or len(true_beats) < 2:
        return "-"
    ratio = float(np.median(np.diff(true_beats)) / np.median(np.diff(beats)))   # estimated BPM / true BPM
    for value, name in ((1.0, "ok"), (2.0, "×2"), (0.5, "×½"), (3.0, "×3"), (1 / 3, "×⅓"), (1.5, "×3/2"),
                        (2 / 3, "×2/3")):
        if abs(ratio / value - 1.0) < 0.08:
            return name
    return f"×{ratio:.2f}"


def soundmotion_beats(path):
    audio = load_audio(path, SAMPLE_RATE, allow_silence=True)
    start = time.perf_counter()
    analysis = analyse_music(audio)
    seconds = time.perf_counter() - start
    return analysis, seconds, audio


def librosa_beats(audio: Audio):
    import librosa
    start = time.perf_counter()
    _, frames = librosa.beat.beat_track(y=audio.samples, sr=audio.sample_rate, hop_length=512)
    seconds = time.perf_counter() - start
    return librosa.frames_to_time(frames, sr=audio.sample_rate, hop_length=512), seconds


def madmom_beats(paths: list) -> dict:
    """{path: {beats, downbeats, seconds, duration}} from the bench environment; cached by file size and time."""
    if not BENCH_PYTHON.exists():
        print("madmom: not installed (bash bench/madmom_env.sh makes .venv-bench); its column is left out")
        return {}
    cache_file = CACHE / "madmom_baseline.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    key = lambda p: f"{p}:{os.path.getsize(p)}:{int(os.path.getmtime(p))}"
    missing = [p for p in paths if key(p) not in cache]
    timed = paths[:1] if paths else []      # one track is always run again: the speed figure is today's
    todo = sorted(set(missing) | set(timed))
    if todo:
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "madmom.json")
            subprocess.run([str(BENCH_PYTHON), str(ROOT / "bench" / "madmom_baseline.py"), out, *todo], check=True)
            fresh = json.loads(pathlib.Path(out).read_text())
        for path, result in fresh.items():
            cache[key(path)] = result
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(cache))
    results = {p: cache[key(p)] for p in paths if key(p) in cache}
    for p in timed:
        results[p]["timed_today"] = True
    return results


def held_out_rows(folder: pathlib.Path, use_madmom: bool):
    tracks = json.loads((folder / "tracks.json").read_text())
    paths = [str(folder / row["file"]) for row in tracks]
    madmom = madmom_beats(paths) if use_madmom else {}
    rows, speed = [], {"soundmotion": [0.0, 0.0], "librosa": [0.0, 0.0], "madmom": [0.0, 0.0]}
    for row, path in zip(tracks, paths):
        true_beats, true_downbeats, source = truth_for(folder, row)
        analysis, seconds, audio = soundmotion_beats(path)
        speed["soundmotion"][0] += seconds
        speed["soundmotion"][1] += audio.duration
        lib_beats, lib_seconds = librosa_beats(audio)
        speed["librosa"][0] += lib_seconds
        speed["librosa"][1] += audio.duration
        entry = {"id": row["id"], "genre": row["genre"], "truth": source, "fallback": analysis.fallback,
                 "meter": analysis.beats_per_bar, "true_meter": row.get("meter"), "tempo": analysis.tempo,
                 "confidence": analysis.confidence}
        if source:
            entry["ours"] = scores(analysis.beats, analysis.downbeats, true_beats, true_downbeats)
            entry["librosa"] = scores(lib_beats, None, true_beats, None)
            if path in madmom:
                entry["madmom"] = scores(madmom[path]["beats"], madmom[path]["downbeats"], true_beats, true_downbeats)
        if path in madmom and madmom[path].get("timed_today"):
            speed["madmom"] = [madmom[path]["seconds"], madmom[path]["duration"]]
        rows.append(entry)
        print(_line(entry), flush=True)
    return rows, speed


def tuning_rows():
    songs = (("synth 120 steady", standard_song(seed=11, bpm=120)),
             ("synth 84 slow", standard_song(seed=12, bpm=84)),
             ("synth 100→128 change", standard_song(seed=14, bpm=100, bpm_after=128)),
             ("synth 150 no break", standard_song(seed=16, bpm=150, quiet=False)),
             ("synth 80→84 drift", synthesize([SongPart(8, 80, "A"), SongPart(8, 82, "B"), SongPart(8, 84, "A")],
                                               seed=15, lead_in=0.4)))
    rows = []
    for name, song in songs:
        analysis = analyse_music(Audio(song.samples, song.sample_rate))
        entry = {"id": name, "genre": "synthesized", "truth": "synth", "fallback": analysis.fallback,
                 "meter": analysis.beats_per_bar, "true_meter": "4/4", "tempo": analysis.tempo,
                 "confidence": analysis.confidence,
                 "ours": scores(analysis.beats, analysis.downbeats, song.beats, song.downbeats)}
        lib_beats, _ = librosa_beats(Audio(song.samples, song.sample_rate))
        entry["librosa"] = scores(lib_beats, None, song.beats, None)
        rows.append(entry)
        print(_line(entry), flush=True)
    return rows


def labelled_excerpts(folder: pathlib.Path):
    """[(id, start, end, beats table)] of a split of bench/music_corpus.py: each labelled excerpt (`<id>.teacher.
    <start>-<end>.beats`, at least 30 s and 8 beats) with madmom's beats (seconds in the track) and beat-in-bar counts."""
    out = []
    for beats_file in sorted(folder.glob("*.teacher.*.beats")):
        stem, span = beats_file.name[:-len(".beats")].split(".teacher.")
        start, end = (float(x) for x in span.split("-"))
        table = np.loadtxt(beats_file, ndmin=2)
        if len(table) >= 8 and end - start >= 30.0:
            out.append((stem, start, end, table))
    return out


def teacher_excerpts(folder: pathlib.Path):
    """[(id, Audio, beats table)]: each labelled excerpt (labelled_excerpts) with its beats in seconds from its
    start."""
    out = []
    for stem, start, end, table in labelled_excerpts(folder):
        info = soundfile.info(str(folder / f"{stem}.flac"))
        samples, rate = soundfile.read(str(folder / f"{stem}.flac"), dtype="float32", always_2d=True,
                                       start=int(round(start * info.samplerate)), stop=int(round(end * info.samplerate)))
        out.append((stem, Audio(samples.mean(axis=1), rate), table - [start, 0.0]))
    return out


def _excerpt_entry(stem: str, genre: str, analysis, beats, downbeats, table) -> dict:
    """A bench row for our `beats` and `downbeats` against an excerpt's madmom `table` (same time origin)."""
    return {"id": stem, "genre": genre, "truth": "madmom", "fallback": analysis.fallback,
            "meter": analysis.beats_per_bar, "true_meter": str(int(table[:, 1].max())), "tempo": analysis.tempo,
            "confidence": analysis.confidence,
            "ours": scores(beats, downbeats, table[:, 0], table[table[:, 1] == 1, 0])}


def validation_rows(folder: pathlib.Path, genre: str = "game soundtrack"):
    """A validation split of bench/music_corpus.py (whole game-soundtrack packages that never trained the net,
    on which its settings are chosen: tuning data, not held out): 60 s excerpts against madmom's beats. The genre
    of a row is its tracks.json guess where the split has one (the band split), else `genre`."""
    rows = []
    listed = folder / "tracks.json"
    genres = {r["id"]: r["genre"] for r in json.loads(listed.read_text()) if "genre" in r} if listed.exists() else {}
    for stem, audio, table in teacher_excerpts(folder):
        analysis = analyse_music(audio)
        entry = _excerpt_entry(stem, genres.get(stem, genre), analysis, analysis.beats, analysis.downbeats, table)
        entry["librosa"] = scores(librosa_beats(audio)[0], None, table[:, 0], None)
        rows.append(entry)
        print(_line(entry) + (f" | {entry['genre']}" if genres else ""), flush=True)
    return rows


def whole_track_rows(folder: pathlib.Path, genre: str):
    """Like validation_rows, but each track analysed whole and scored inside its labelled excerpt only."""
    rows = []
    for stem, start, end, table in labelled_excerpts(folder):
        analysis = analyse_music(load_audio(str(folder / f"{stem}.flac"), SAMPLE_RATE, allow_silence=True))
        inside = lambda times: np.asarray([t - start for t in times if start <= t < end])
        entry = _excerpt_entry(stem, genre, analysis, inside(analysis.beats), inside(analysis.downbeats),
                               table - [start, 0.0])
        rows.append(entry)
        print(_line(entry) + f" | whole track {analysis.duration:.0f} s", flush=True)
    return rows


def no_beat_sounds(folder: pathlib.Path) -> list:
    """[(id, Audio)] of the free-tempo split's sounds with no beat (drones, hiss, rain, wind; tracks.json kind
    "none"), whole."""
    listed = folder / "tracks.json"
    out = []
    for row in json.loads(listed.read_text()) if listed.exists() else []:
        if row.get("kind") == "none":
            samples, rate = soundfile.read(str(folder / row["file"]), dtype="float32", always_2d=True)
            out.append((row["id"], Audio(samples.mean(axis=1), rate)))
    return out


def no_beat_rows(folder: pathlib.Path):
    """The free-tempo split's sounds with no beat, each of which should get the "no steady beat" note."""
    rows = []
    for sound_id, audio in no_beat_sounds(folder):
        analysis = analyse_music(audio)
        rows.append({"id": sound_id, "fallback": analysis.fallback, "confidence": analysis.confidence,
                     "duration": len(audio.samples) / audio.sample_rate})
        print(f"{sound_id:<28} none    {rows[-1]['duration']:5.1f} s "
              f"{'no steady beat (note)' if analysis.fallback else 'BEATS HEARD'} conf {analysis.confidence:.2f}",
              flush=True)
    return rows


def dance_rows(folder: pathlib.Path):
    """Beat Align Score (k→m) of Dance to Music on held-out songs: against people's beats and the tracker's own."""
    from ..clips.kinematics import joint_positions
    from ..models.dance import generate_dance
    from ..models.dance.metrics import beat_align_score, kinematic_beats
    rows = []
    for track_id in DANCE_SONGS:
        path = folder / f"{track_id}.flac"
        if not path.exists():
            continue
        true_beats, _, source = truth_for(folder, {"id": track_id, "file": path.name})
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        a, b = (int(t * rate) for t in DANCE_EXCERPT)
        with tempfile.TemporaryDirectory() as tmp:
            excerpt = os.path.join(tmp, f"{track_id}.wav")
            soundfile.write(excerpt, samples[a:b].mean(axis=1), rate)
            result = generate_dance(excerpt, fps=60.0, seed=0)
        kinematic = kinematic_beats(joint_positions(result.clip), 60.0)
        truth = true_beats[(true_beats >= DANCE_EXCERPT[0]) & (true_beats < DANCE_EXCERPT[1])] - DANCE_EXCERPT[0]
        rows.append({"id": track_id, "truth": source, "own": beat_align_score(kinematic, result.beats),
                     "true": beat_align_score(kinematic, truth)})
        print(f"dance {track_id}: BAS against its own beats {rows[-1]['own']:.3f}, against {source}'s "
              f"{rows[-1]['true']:.3f}", flush=True)
    return rows


def _line(entry):
    parts = [f"{entry['id']:<28} {entry['truth'] or 'none':<7} meter {entry['meter']} ({entry['true_meter'] or '?'})"
             f" {entry['tempo']:6.1f} BPM conf {entry['confidence']:.2f}{' FALLBACK' if entry['fallback'] else ''}"]
    for method in ("ours", "librosa", "madmom"):
        if method in entry:
            s = entry[method]
            parts.append(f"{method} F {s['F']:.2f} CMLt {s['CMLt']:.2f} AMLt {s['AMLt']:.2f} "
                         f"dF {s['downF']:.2f} {s['tempo']}")
    return " | ".join(parts)


def summary(rows, label):
    print(f"\n{label}")
    print("| method | tracks | beat F | CMLt | AMLt | downbeat F | tempo octave errors | fallbacks |")
    print("|---|---|---|---|---|---|---|---|")
    for method in ("ours", "librosa", "madmom"):
        scored = [r for r in rows if method in r]
        if not scored:
            continue
        mean = lambda k: float(np.nanmean([r[method][k] for r in scored])) if scored else float("nan")
        octave = sum(r[method]["tempo"] != "ok" for r in scored)
        identical = all(r["truth"] == "madmom" for r in scored) and method == "madmom"
        fallbacks = sum(r["fallback"] for r in scored) if method == "ours" else "-"
        down = "-" if method == "librosa" else f"{mean('downF'):.3f}"
        if identical:
            print(f"| {method} | {len(scored)} | = | = | = | = | = | - |")
        else:
            print(f"| {method} | {len(scored)} | {mean('F'):.3f} | {mean('CMLt'):.3f} | {mean('AMLt'):.3f} | {down} | "
                  f"{octave} of {len(scored)} | {fallbacks} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--music", type=pathlib.Path, default=HELD_OUT)
    parser.add_argument("--no-madmom", action="store_true")
    parser.add_argument("--no-dance", action="store_true")
    parser.add_argument("--validation", type=pathlib.Path, default=CACHE / "music" / "validation",
                        help="bench/music_corpus.py's validation split (tuning data), scored if present")
    parser.add_argument("--band-validation", type=pathlib.Path, default=CACHE / "music" / "validation_band",
                        help="bench/music_corpus.py's band validation split (rock/metal soundtracks; tuning data), "
                             "scored if present")
    parser.add_argument("--free-tempo-validation", type=pathlib.Path,
                        default=CACHE / "music" / "validation_free_tempo",
                        help="bench/music_corpus.py's free-tempo validation split (expressive acoustic/orchestral "
                             "music that must keep its beats, sounds with no beat that must get the note; tuning "
                             "data), scored if present")
    parser.add_argument("--whole-tracks", action="store_true",
                        help="also score the validation and band splits' tracks analysed whole (tuning rows)")
    parser.add_argument("--set", action="append", default=[], help="analysis.NAME=VALUE (a float) for this run")
    args = parser.parse_args(argv)
    apply_overrides(args.set, "soundmotion.models.music")
    if not (args.music / "tracks.json").exists():
        print(f"No recordings in {args.music}: run `python3 bench/music_corpus.py --out {args.music}` first.")
        return 2
    analyse_music(Audio(np.zeros(SAMPLE_RATE * 3, np.float32), SAMPLE_RATE))   # first-use costs out of the timing
    print("== tuning: SoundMotion's synthesized songs")
    tuning = tuning_rows()
    validation = []
    if args.validation.exists():
        print("\n== tuning: validation split (game soundtracks never trained on; madmom's beats)")
        validation = validation_rows(args.validation)
    band = []
    if args.band_validation.exists():
        print("\n== tuning: band validation split (madmom's beats)")
        band = validation_rows(args.band_validation, "band music")
    free_tempo, no_beat = [], []
    if (args.free_tempo_validation / "tracks.json").exists():
        print("\n== tuning: free-tempo validation split (expressive acoustic/orchestral music, madmom's beats; "
              "sounds with no beat)")
        free_tempo = validation_rows(args.free_tempo_validation, "acoustic/orchestral soundtrack")
        no_beat = no_beat_rows(args.free_tempo_validation)
    whole = {}
    if args.whole_tracks:
        for label, folder, genre in (("validation", args.validation, "game soundtrack"),
                                     ("band validation", args.band_validation, "band music")):
            if folder.exists():
                print(f"\n== tuning: {label} split, whole tracks scored in their labelled excerpts")
                whole[label] = whole_track_rows(folder, genre)
    print("\n== held out: real recordings (bench/music_corpus.py)")
    held, speed = held_out_rows(args.music, not args.no_madmom)
    summary(tuning, "Tuning (synthesized songs)")
    if validation:
        summary(validation, "Tuning: validation split (whole game-soundtrack packages never trained on, madmom's beats)")
    if band:
        summary(band, "Tuning: band validation split (rock/metal soundtracks never trained on, madmom's beats)")
    if free_tempo:
        summary(free_tempo, "Tuning: free-tempo validation split, music (FreeCol, Flare, OpenClonk soundtracks "
                            "never trained on, madmom's beats): any fallback is a failure")
    if no_beat:
        print(f"Tuning: free-tempo validation split, sounds with no beat: {sum(r['fallback'] for r in no_beat)} of "
              f"{len(no_beat)} get the 'no steady beat' note")
    for label, rows in whole.items():
        summary(rows, f"Tuning: {label} split, whole tracks analysed, scored in the labelled excerpts")
    people = [r for r in held if r["truth"] == "people"]
    teacher = [r for r in held if r["truth"] == "madmom"]
    summary(people, "Held out, people's annotations (Frets on Fire charts)")
    summary(teacher, "Held out, madmom's beats as truth (no human annotation)")
    summary(people + teacher, "Held out, all annotated")
    unannotated = [r for r in held if r["truth"] is None]
    for r in unannotated:
        print(f"{r['id']}: {'no steady beat (fallback)' if r['fallback'] else 'beats found'}, "
              f"confidence {r['confidence']:.2f}")
    print("\nspeed (× real time, analysis of decoded audio):")
    for method, (seconds, duration) in speed.items():
        if seconds > 0:
            print(f"  {method}: {duration / seconds:.0f}× ({duration:.0f} s of audio in {seconds:.1f} s)")
    if not args.no_dance:
        rows = dance_rows(args.music)
        if rows:
            own = np.mean([r["own"] for r in rows])
            true = np.mean([r["true"] for r in rows])
            print(f"\nDance to Music on {len(rows)} held-out songs: Beat Align Score against its own beats {own:.3f}, "
                  f"against people's beats {true:.3f} (difference {own - true:+.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
