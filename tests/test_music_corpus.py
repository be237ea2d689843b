"""bench/music_corpus.py's band and free-tempo validation splits and the third net's further training split:
packages kept apart from every other split, ids, pruning."""

import fnmatch
import json
import pathlib

from soundmotion.bench import music_corpus as corpus


def test_band_validation_packages_are_pinned_and_used_nowhere_else():
    band = {package for package, _, _ in corpus.ROCK_VALIDATION_SOURCES}
    others = ({p for p, _, _ in corpus.TRAIN_SOURCES} | {p for p, _, _ in corpus.VALIDATION_SOURCES}
              | {row[1] for row in corpus.HELD_OUT_TRACKS} | {"lincity-ng-data", "chromium-bsu-data"})
    assert band <= set(corpus.PACKAGES)
    assert len(band) >= 3
    assert not band & others
    assert {track.split("_")[0] for track in corpus.ROCK_VALIDATION_TRACKS} == {p.split("-")[0] for p in band}


def test_free_tempo_packages_are_pinned_unpacked_and_used_nowhere_else():
    free = {package for package, *_ in corpus.FREE_TEMPO_SOURCES}
    others = ({p for p, _, _ in corpus.TRAIN_SOURCES} | {p for p, _, _ in corpus.VALIDATION_SOURCES}
              | {p for p, _, _ in corpus.ROCK_VALIDATION_SOURCES} | {row[1] for row in corpus.HELD_OUT_TRACKS})
    assert free <= set(corpus.PACKAGES)
    assert not free & others
    assert "gcompris-qt-data" not in free and not any(p.startswith("fretsonfire") for p in free)
    assert {kind for *_, kind in corpus.FREE_TEMPO_SOURCES} == {"music", "none"}
    for package, pattern, _, _ in corpus.FREE_TEMPO_SOURCES:   # what is unpacked holds every pattern
        assert fnmatch.fnmatch(pattern, corpus.FREE_TEMPO_MEMBERS[package])   # tar wildcards: * spans folders


def test_extra_training_packages_are_pinned_and_train_nothing_else():
    extra = {package for package, _, _ in corpus.EXTRA_TRAIN_SOURCES}
    others = ({p for p, _, _ in corpus.TRAIN_SOURCES} | {p for p, _, _ in corpus.VALIDATION_SOURCES}
              | {p for p, _, _ in corpus.ROCK_VALIDATION_SOURCES} | {p for p, *_ in corpus.FREE_TEMPO_SOURCES}
              | {row[1] for row in corpus.HELD_OUT_TRACKS})
    assert extra <= set(corpus.PACKAGES)
    assert len(extra) == 10
    assert not extra & others
    assert not extra & set(corpus.ORIGINAL_TRAIN_PACKAGES)   # so only their music folders are unpacked


def test_track_ids_keep_only_letters_digits_and_underscores():
    source = pathlib.Path("music/Olivier_Militon.-.Like a rock.ogg")
    assert corpus.track_id_of("warmux-data", source) == "warmux_olivier_militon_like_a_rock"
    assert corpus.track_id_of("marsshooter-data", pathlib.Path("01_-_Ezer_Ev.ogg")) == "marsshooter_01_ezer_ev"


def test_prune_teacher_drops_tracks_with_few_beats_or_short_excerpts(tmp_path):
    beats = lambda count: "".join(f"{10 + 0.5 * i:.4f}\t{i % 4 + 1}\n" for i in range(count))
    (tmp_path / "a_good.teacher.10.00-70.00.beats").write_text(beats(120))
    (tmp_path / "a_few.teacher.10.00-70.00.beats").write_text(beats(7))
    (tmp_path / "a_short.teacher.0.00-25.00.beats").write_text(beats(40))
    for stem in ("a_good", "a_few", "a_short"):
        (tmp_path / f"{stem}.flac").write_bytes(b"")
    (tmp_path / "tracks.json").write_text(json.dumps([{"id": s} for s in ("a_good", "a_few", "a_short")]))

    assert sorted(corpus.prune_teacher(tmp_path)) == ["a_few", "a_short"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_good.flac", "a_good.teacher.10.00-70.00.beats",
                                                          "tracks.json"]
    assert json.loads((tmp_path / "tracks.json").read_text()) == [{"id": "a_good"}]
