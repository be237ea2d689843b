"""Real music recordings for the beat bench and the beat tracker's training, fetched reproducibly from Debian.

    python3 bench/music_corpus.py [--out DIR] [--train-out DIR] [--validation-out DIR] [--rock-validation-out DIR]
                                  [--free-tempo-validation-out DIR] [--cache DIR] [--only-rock-validation]
                                  [--only-free-tempo-validation] [--teacher]

Nothing here is made by SoundMotion's synthesizer: these are recordings by bands, fiddlers, singers and game
composers, taken from pinned Debian packages (`apt-get download NAME=VERSION`, unpacked with `dpkg -x`), whose
copyright files give free licences (listed per track). Five splits:

* **held out** (`--out`, default `/work/coord/music`): scored by `bench/beats.py`, never trained or tuned on.
  Frets on Fire songs come with people's annotations: the game chart's tempo map and time signature, written by
  the song's authors so that the notes fall on the recording (`<id>.beats`, "seconds<TAB>beat-in-bar"), shifted
  by the chart's constant audio delay (chart_offset).
  The rest have no human annotation; `--teacher` writes madmom's beats and downbeats (`<id>.madmom.beats`) as an
  indicative reference, and the bench says which truth it used.
* **training** (`--train-out`, default in the cache): game music used only to train the beat net (with madmom's
  beats as teacher labels) and never scored as held out.
* **validation** (`--validation-out`, default in the cache): the soundtracks of four whole packages that train
  nothing; with `--teacher`, 60 s from the middle of each gets madmom's beats (`<id>.teacher.<start>-<end>.beats`).
  `bench/beats.py` scores them as tuning rows, and the decoder's settings are chosen on them.
* **band validation** (`--rock-validation-out`, default `validation_band` in the cache): a second tuning split of
  band music (metal, rock: drums, bass, guitars) from six more packages that train nothing (ROCK_VALIDATION_SOURCES,
  only the tracks in ROCK_VALIDATION_TRACKS), the same way: mono FLAC, madmom's beats on 60 s from the middle of
  each with `--teacher` (tracks madmom gives fewer than 8 beats, or shorter than 30 s, are dropped).
  `--only-rock-validation` builds just this split.
* **free-tempo validation** (`--free-tempo-validation-out`, default `validation_free_tempo` in the cache): tunes
  the "no steady beat" decision only (FREE_TEMPO_SOURCES, five more packages that train nothing): acoustic and
  orchestral game themes, several free in tempo (madmom's beats on 60 s from the middle of each with
  `--teacher`), which must keep their beats, and drones, hiss, rain and wind as shipped (kind "none" in
  tracks.json), which should get the note. `--only-free-tempo-validation` builds just this split (it is not
  part of a plain run); `bench/no_steady_beat.py` and `bench/beats.py` score it.

Needs ffmpeg, apt-get, dpkg, numpy and soundfile (run it with .venv/bin/python). `--teacher` imports madmom
and needs the bench-only environment (`bash bench/madmom_env.sh`).
"""

import argparse
import hashlib
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib

CACHE = pathlib.Path(os.environ.get("SOUNDMOTION_CACHE", pathlib.Path.home() / ".cache" / "soundmotion")) / "music"
HELD_OUT = pathlib.Path("/work/coord/music")
SAMPLE_RATE = 44100

PACKAGES = {  # Debian bookworm, pinned: the same bytes on every machine
    "fretsonfire-songs-muldjord": "2.dfsg-2.1",
    "fretsonfire-songs-sectoid": "1.dfsg-3.1",
    "gcompris-qt-data": "3.1-2",
    "wesnoth-1.16-music": "1:1.16.9-1",
    "hedgewars-data": "1.0.2-6",
    "singularity-music": "007-2",
    "pushover-data": "0.0.5+git20180909-4",
    "nexuiz-music": "2.5.2-12",
    # more training soundtracks (only their music folders are unpacked)
    "supertuxkart-data": "1.4+dfsg-2",
    "supertux-data": "0.6.3-2",
    "naev-data": "0.8.2-1",
    "widelands-data": "2:1.1-3",
    "freedroidrpg-data": "1.0-1",
    "hyperrogue-music": "12.0q-1",
    "planetblupi-music-ogg": "1.14.2-3",
    "ufoai-music": "2.5-2",
    "megaglest-data": "3.13.0-3",
    "frozen-bubble-data": "2.212-11",
    # the third net's further training soundtracks (EXTRA_TRAIN_SOURCES; only their music folders are unpacked)
    "amoebax-data": "0.2.1+dfsg-6",
    "ardentryst": "1.71-9",
    "berusky2-data": "0.12-2",
    "colobot-common-sounds": "0.2.0-2",
    "lordsawar-data": "0.3.2+frogknows-1",
    "redeclipse-data": "1.6.0-1",
    "seahorse-adventures": "1.1+dfsg-6",
    "starfighter-data": "2.4-1",
    "unknown-horizons": "2019.1-6",
    "wizznic-data": "0.9.9+dfsg-1",
    # the validation split (whole packages: never trained on, used to choose settings)
    "warzone2100-music": "4.3.3-3",
    "openarena-data": "0.8.5split-14",
    "extremetuxracer-data": "0.8.2-1",
    "asc-music": "1.3-6",
    # the band validation split (a second tuning split of band music: metal, rock; never trained on)
    "marsshooter-data": "0.7.6-7",
    "warmux-data": "1:11.04.1+repack2-4",
    "btanks-data": "0.9.8083-9",
    "openarena-088-data": "0.8.8-12",
    "plee-the-bear-data": "0.6.0-8",
    "drascula-music": "1.0+ds4-2",
    # the free-tempo split (expressive acoustic and orchestral music, and sounds with no beat; tunes "no steady beat")
    "freecol": "1.0.0-1",
    "flare-game": "1.14-1",
    "openclonk-data": "8.1-3",
    "sonic-pi-samples": "3.2.2~repack-8",
    "lugaru-data": "1.2-6",
}
FOF = "usr/share/games/fretsonfire/data/songs/"
WORLD = "gcompris/src/activities/explore_world_music/resource/music/"
MULDJORD = "CC BY-SA 3.0, El Senator (Muldjord)"
SECTOID = "MIT-style (Expat), Carlos Viola Iborra (Sectoid)"

# id, package, source (stems are mixed), genre, meter, tempo (BPM, None = unknown), licence, truth, note
HELD_OUT_TRACKS = [
    ("fof_armygeddon", "fretsonfire-songs-muldjord", FOF + "muldjord/armygeddon/{song,guitar}.ogg",
     "death metal (band)", "4/4", 170, MULDJORD, "chart", ""),
    ("fof_chaos_god", "fretsonfire-songs-muldjord", FOF + "muldjord/chaos_god/{song,guitar}.ogg",
     "death metal (band)", "4/4", 170, MULDJORD, "chart", ""),
    ("fof_internal_degeneration", "fretsonfire-songs-muldjord", FOF + "muldjord/internal_degeneration/{song,guitar}.ogg",
     "death metal (band)", "4/4", 190, MULDJORD, "chart", ""),
    ("fof_mutilated_mime", "fretsonfire-songs-muldjord", FOF + "muldjord/mutilated_mime/{song,guitar}.ogg",
     "death metal (band)", "4/4", 180, MULDJORD, "chart", ""),
    ("fof_escape_from_chaosland", "fretsonfire-songs-sectoid", FOF + "sectoid/Escape from chaosland/{song,guitar}.ogg",
     "heavy metal (guitar, bass, drums)", "4/4", 135, SECTOID, "chart", ""),
    ("fof_feelings", "fretsonfire-songs-sectoid", FOF + "sectoid/Feelings/{song,guitar}.ogg",
     "rock ballad", "4/4", 95, SECTOID, "chart", ""),
    ("fof_metal_madness", "fretsonfire-songs-sectoid", FOF + "sectoid/Metal madness/{song,guitar}.ogg",
     "heavy metal", "4/4", 150, SECTOID, "chart", ""),
    ("fof_war_of_freedom", "fretsonfire-songs-sectoid", FOF + "sectoid/War of freedom/{song,guitar}.ogg",
     "power metal", "4/4", 140, SECTOID, "chart", ""),
    ("world_rock_n_roll", "gcompris-qt-data", WORLD + "america.ogg", "rock 'n' roll (band)", "4/4", None,
     "CC BY 3.0, Karel Schmiedberger (Wikimedia Commons 08-rock-n-roll.ogg)", "madmom", ""),
    ("world_irish_reel", "gcompris-qt-data", WORLD + "ireland.ogg", "Irish fiddle reel (solo fiddle)", "4/4", None,
     "CC BY 3.0, peakfiddler (Wikimedia Commons The_Wind_that_Shakes_the_Barley.ogg)", "madmom", ""),
    ("world_mariachi", "gcompris-qt-data", WORLD + "mexico.ogg", "mariachi (Mexican anthem)", "4/4", None,
     "public domain, Mariachi Mexico de Pepe Villa (Wikimedia Commons)", "madmom", ""),
    ("world_turkish_song", "gcompris-qt-data", WORLD + "middleeast.ogg", "Turkish song (Safiye Ayla, Katibim)", None,
     None, "public domain (archive.org KatibimuskudaraGiderIken-SafiyeAyla)", "madmom", "old 78 rpm recording"),
    ("world_caruso_ombra_mai_fu", "gcompris-qt-data", WORLD + "italy.ogg",
     "opera aria, rubato (Caruso, Handel's Ombra mai fu)", "3/4", None,
     "public domain, Adam Cuerden's restoration (Wikimedia Commons)", "madmom", "1920 recording, very free tempo"),
    ("world_beethoven_scherzo", "gcompris-qt-data", WORLD + "beethoven.ogg",
     "orchestra (Beethoven, Symphony 9, scherzo)", "3/4", None, "CC0, Drummyfish (Wikimedia Commons)", "madmom",
     "fast 3/4: often felt one beat to the bar"),
    ("world_taiko", "gcompris-qt-data", WORLD + "japan.ogg", "Japanese taiko drumming", None, None,
     "CC0, Scott Harding (Wikimedia Commons 02_Taiko2_(short).oga)", "madmom", ""),
    ("world_djembe", "gcompris-qt-data", WORLD + "africa.ogg", "West African djembe accompaniment", None, None,
     "CC0, Michi Henning (Wikimedia Commons Djembe_accompaniment.ogg)", "madmom", "12.6 s"),
    ("world_didgeridoo", "gcompris-qt-data", WORLD + "australia.ogg", "didgeridoo drone (relaxation)", None, None,
     "public domain, Jouke Kooistra and Rob Tol (archive.org didgeridoorelax)", "none",
     "little or no steady beat: a test of the 'no steady beat' note"),
]

ORIGINAL_TRAIN_PACKAGES = ("wesnoth-1.16-music", "hedgewars-data", "singularity-music", "pushover-data", "nexuiz-music")
TRAIN_SOURCES = [  # (package, glob inside the package or the pk3, licence)
    ("wesnoth-1.16-music", "usr/share/games/wesnoth/1.16/data/core/music/*.ogg", "GPL-2+, Wesnoth composers"),
    ("hedgewars-data", "usr/share/games/hedgewars/Data/Music/*.ogg", "GPL-2, Hedgewars"),
    ("singularity-music", "usr/share/games/singularity/music/**/*.ogg", "CC BY-SA 3.0, Max McCracken"),
    ("pushover-data", "usr/share/pushover/themes/*.ogg", "GPL-3+, Pushover"),
    ("nexuiz-music", "usr/share/games/nexuiz/data/music.pk3:sound/cdtracks/*.ogg", "GPL-2+, Alientrap (Nexuiz)"),
    ("supertuxkart-data", "usr/share/games/supertuxkart/data/music/*.ogg", "CC BY-SA 3.0/4.0, CC BY 3.0, SuperTuxKart"),
    ("supertux-data", "usr/share/games/supertux2/music/**/*.ogg", "GPL-2+, CC BY-SA 3.0/4.0, CC0, SuperTux"),
    ("naev-data", "usr/share/naev/dat/snd/music/*.ogg", "CC BY 3.0, CC BY-SA 3.0, GPL, public domain, Naev"),
    ("widelands-data", "usr/share/games/widelands/data/music/*.ogg", "GPL-2+, Widelands"),
    ("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/music/*.ogg", "GPL-2+, FreedroidRPG"),
    ("hyperrogue-music", "usr/share/hyperrogue/music/*.ogg", "CC BY 3.0, CC BY-SA 3.0/4.0, HyperRogue"),
    ("planetblupi-music-ogg", "usr/share/planetblupi/music/*.ogg", "GPL-3+, Planet Blupi"),
    ("ufoai-music", "usr/share/games/ufoai/base/0music.pk3:music/*.ogg", "GPL-2+, CC BY(-SA) 3.0, UFO: AI"),
    ("megaglest-data", "usr/share/games/megaglest/**/music/*.ogg", "CC BY-SA 3.0, GPL-2+, MegaGlest"),
    ("frozen-bubble-data", "usr/share/games/frozen-bubble/snd/*.ogg", "GPL-2, Frozen Bubble"),
]

# More training soundtracks, in a split of their own (`--extra-train-out`, default `train_extra` in the cache) so that
# the first two nets' training split stays as it was: only the third net (`scripts/train_beat_net.py
# --extra-teacher`) learns from them. Debian main (free licences, per package's copyright file).
EXTRA_TRAIN_SOURCES = [
    ("amoebax-data", "usr/share/games/amoebax/music/*.ogg", "Free Art License 1.2, Àlex Almarza (Amoebax)"),
    ("ardentryst", "usr/share/games/ardentryst/Music/*.ogg", "CC BY-SA 3.0, Jordan Trudgett (Ardentryst)"),
    ("berusky2-data", "usr/share/games/berusky2/music/*.ogg", "GPL-2+, AnakreoN (Berusky 2)"),
    ("colobot-common-sounds", "usr/share/games/colobot/music/*.ogg", "GPL-3+, EPSITEC SA & TerranovaTeam (Colobot)"),
    ("lordsawar-data", "usr/share/games/lordsawar/music/*.ogg", "GPL-3+, LordsAWar developers"),
    ("redeclipse-data", "usr/share/games/redeclipse/data/sounds/music/*.ogg", "CC BY-SA 3.0+, Red Eclipse Team"),
    ("seahorse-adventures", "usr/share/games/seahorse-adventures/data/music/*.ogg", "GPL-2, Seahorse Adventures"),
    ("starfighter-data", "usr/share/starfighter/music/*.ogg", "GPL-2+, Parallel Realities and contributors (Starfighter)"),
    ("unknown-horizons", "usr/share/unknown-horizons/content/audio/music/**/*.ogg", "GPL-2+, Unknown Horizons Team"),
    ("wizznic-data", "usr/share/games/wizznic/packs/*/music/*.ogg", "GPL-3, Adam Scotney and Sean Hawk (Wizznic)"),
]

# Whole packages kept apart from training: madmom's beats on them say how close the net comes to its teacher on
# music it never heard, and settings (decoder, thresholds, training length) are chosen on them, never on the
# held-out bench recordings.
VALIDATION_SOURCES = [
    ("warzone2100-music", "usr/share/games/warzone2100/music/**/*.opus", "CC BY-SA 3.0, CC0, Warzone 2100"),
    ("openarena-data", "usr/share/games/openarena/baseoa/pak0.pk3:music/*.ogg", "GPL-2+, OpenArena"),
    ("extremetuxracer-data", "usr/share/games/etr/music/*.ogg", "GPL-2+, CC0, Extreme Tux Racer"),
    ("asc-music", "usr/share/games/asc/music/*.mp3", "GPL-2+, Advanced Strategic Command"),
]

# The band validation split: a second tuning split of band-like music (drums, bass, guitars: mostly metal and
# rock), from packages that neither train the net nor hold out anything. The validation split above is mostly
# electronic and orchestral and nearly saturated; this one tells settings apart where the held-out rock and metal
# songs fail (off-beat riffs, tempo octaves). Only the tracks in ROCK_VALIDATION_TRACKS are kept (the rest of
# these soundtracks are jingles, ambiences or have no drums); madmom's beats on 60 s from the middle of each are the
# reference (a teacher, not people).
ROCK_VALIDATION_SOURCES = [  # (package, glob inside the package or the pk3, licence)
    ("marsshooter-data", "usr/share/games/marsshooter/audio/music/*.ogg",
     "CC BY-SA 3.0, Obsidian Shell (M.A.R.S.)"),
    ("warmux-data", "usr/share/games/warmux/music/ingame/*.ogg", "GPL-2+, WarMUX"),
    ("btanks-data", "usr/share/games/btanks/data/tunes/*.ogg", "GPL-2 with the Battle Tanks exception, Battle Tanks Team"),
    ("openarena-088-data", "usr/share/games/openarena/baseoa/pak6-patch088.pk3:music/*.ogg",
     "GPL-2+, jute gyte (OpenArena 0.8.8, OA##.ogg)"),
    ("plee-the-bear-data", "usr/share/games/plee-the-bear/music/*.ogg", "CC BY-SA 3.0, Plee the Bear"),
    ("drascula-music", "usr/share/scummvm/drascula/audio/*.ogg",
     "Drascula licence (free redistribution, BASS-like), Alcachofa Soft"),
]
METAL = "metal (Obsidian Shell: drums, bass, distorted guitars)"
ROCK_VALIDATION_TRACKS = {  # id: genre (a guess from the file names, the docs and the spectrum; not people's label)
    "marsshooter_01_ezer_ev": METAL,
    "marsshooter_02_orphanage": METAL,
    "marsshooter_03_fear": METAL,
    "marsshooter_06_elveszett_lelkek": METAL,
    "marsshooter_06_starfall": METAL,
    "marsshooter_07_vermocsar": METAL,
    "marsshooter_08_second_birth": METAL,
    "marsshooter_09_wings_of_cruelty": METAL,
    "marsshooter_10_farewell": METAL,
    "marsshooter_12_misanthropia": METAL,
    "warmux_mike_errecart_monkey_bubble": "rock (drums, distorted guitar; guess)",
    "warmux_diabolicux": "rock / metal (drums, bass, distorted guitar; guess)",
    "btanks_batterie": "drums and bass, synth lead (electronic rock; guess)",
    "btanks_karbofos": "drums and bass, synth lead (electronic rock; guess)",
    "btanks_nostalgy": "drums and bass, synth lead (electronic rock; guess)",
    "btanks_utrennik": "drums and bass, synth lead (electronic rock; guess)",
    "openarena_oa01": "metal (jute gyte: drums, distorted guitars)",
    "openarena_oa02": "metal (jute gyte: drums, distorted guitars)",
    "openarena_oa06": "metal (jute gyte: drums, distorted guitars)",
    "openarena_oa07": "metal (jute gyte: drums, distorted guitars)",
    "openarena_oa08": "metal (jute gyte: drums, distorted guitars)",
    "openarena_oa13": "metal (jute gyte: drums, distorted guitars)",
    "openarena_oa14": "metal (jute gyte: drums, distorted guitars)",
    "plee_boss": "rock (drums, bass, guitar; the package ships guitar and bass stems)",
    "plee_quick_end": "rock (drums, distorted guitar; guess)",
    "drascula_track1": "band music (drums, bass, guitar; guess)",
    "drascula_track2": "band music (drums, bass, guitar; guess)",
    "drascula_track5": "band music (drums, bass, guitar; guess)",
    "drascula_track30": "band music (drums, bass, guitar; guess)",
}

# The free-tempo split: tunes the "no steady beat" decision (models/music/analysis.py) where the other splits say
# nothing, on real recordings from five more Debian packages that train nothing and hold nothing out. Music
# ("music"): the acoustic and orchestral soundtracks of FreeCol (folk-like, fiddles, flutes, guitars), Flare
# (orchestral, slow themes) and OpenClonk (slow, ambient, guitar and piano pieces): madmom's beats on 60 s from the
# middle of each are the reference, and none of them may fall back. Sounds with no beat ("none"): Sonic Pi's
# freesound drones, hums and vinyl hiss, Flare's and Lugaru's rain, wind and desert ambiences (a few seconds each,
# as shipped, never looped): every one should get the note. Real speech in five languages is the third kind; the
# tuning script (bench/no_steady_beat.py) strings it from the Asterisk prompts and Tux Paint's descriptions.
FREE_TEMPO_SOURCES = [  # (package, glob inside the package, licence, kind)
    ("freecol", "usr/share/games/freecol/default/resources/music/default/*.ogg",
     "CC BY 4.0, Alexander Zhelanov and Stian Grenborgen (FreeCol)", "music"),
    ("flare-game", "usr/share/games/flare/mods/fantasycore/music/*.ogg", "CC BY-SA 3.0+, Flare", "music"),
    ("openclonk-data", "usr/share/games/openclonk/Music.ocg/*.ogg", "CC BY 3.0 / CC0, OpenClonk content", "music"),
    ("sonic-pi-samples", "usr/share/sonic-pi/samples/ambi_*.flac", "CC0, freesound.org authors (Sonic Pi)", "none"),
    ("sonic-pi-samples", "usr/share/sonic-pi/samples/vinyl_hiss.flac", "CC0, freesound.org authors (Sonic Pi)", "none"),
    ("flare-game", "usr/share/games/flare/mods/*/soundfx/environment/*.ogg", "CC BY-SA 3.0+, Flare", "none"),
    ("lugaru-data", "usr/share/games/lugaru/Sounds/DesertAmbient.ogg", "CC BY-SA 3.0, Wolfire Games", "none"),
    ("lugaru-data", "usr/share/games/lugaru/Sounds/Wind.ogg", "CC BY-SA 3.0, Wolfire Games", "none"),
]
FREE_TEMPO_MEMBERS = {  # what is unpacked of each package (tar wildcards): every pattern above lies inside
    "freecol": "usr/share/games/freecol/default/resources/music/*",
    "flare-game": "usr/share/games/flare/mods/*",
    "openclonk-data": "usr/share/games/openclonk/Music.ocg/*",
    "sonic-pi-samples": "usr/share/sonic-pi/samples/*",
    "lugaru-data": "usr/share/games/lugaru/Sounds/*",
}
FREE_TEMPO_MIN_SECONDS = {"music": 30.0, "none": 3.0}
FREE_TEMPO_LEFT_OUT = {"flare_anvil_loop"}   # a smith hammering in time: neither music nor a sound without a beat
FREE_TEMPO_KIND = {"flare_wind_ambient": "none"}   # a wind ambience that Flare keeps with its music


def track_id_of(package: str, source: pathlib.Path) -> str:
    """`<package-prefix>_<track>`, lower case, with only letters, digits and underscores."""
    return f"{package.split('-')[0]}_{re.sub(r'[^a-z0-9]+', '_', source.stem.lower()).strip('_')}"


def package_sources(root: pathlib.Path, package: str, pattern: str, cache: pathlib.Path) -> list:
    """The audio files of an unpacked package that match `pattern` (a glob; "ARCHIVE:GLOB" for files inside a
    zip/pk3, which are staged into the cache first), sorted."""
    if ":" not in pattern:
        return sorted(root.glob(pattern))
    archive, inner = pattern.split(":")
    staged_dir = cache / "staged" / package
    staged_dir.mkdir(parents=True, exist_ok=True)
    sources = []
    with zipfile.ZipFile(root / archive) as pk3:
        for name in sorted(n for n in pk3.namelist() if pathlib.PurePath(n).match(inner)):
            staged = staged_dir / pathlib.Path(name).name
            if not staged.exists():
                staged.write_bytes(pk3.read(name))
            sources.append(staged)
    return sources


def build_band_validation(out: pathlib.Path, cache: pathlib.Path) -> list:
    """Decode the band validation split (ROCK_VALIDATION_SOURCES, only ROCK_VALIDATION_TRACKS) to mono 44.1 kHz
    FLAC in `out`, as the validation split is; tracks.json lists id, genre guess, licence and source."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for package, pattern, licence in ROCK_VALIDATION_SOURCES:
        root = fetch(package, cache, pattern.split(":")[0].replace("**/", "*"))
        for source in package_sources(root, package, pattern, cache):
            track_id = track_id_of(package, source)
            if track_id not in ROCK_VALIDATION_TRACKS:
                continue
            target = out / f"{track_id}.flac"
            if not target.exists():
                decode_mix([source], target, mono=True)
            duration = duration_of(target)
            if duration < 30.0:
                continue
            rows.append(dict(id=track_id, file=target.name, genre=ROCK_VALIDATION_TRACKS[track_id], licence=licence,
                             source=f"Debian {package} {PACKAGES[package]}", duration=round(duration, 1)))
    missing = set(ROCK_VALIDATION_TRACKS) - {r["id"] for r in rows}
    assert not missing, f"band validation tracks not found: {sorted(missing)}"
    (out / "tracks.json").write_text(json.dumps(rows, indent=1))
    print(f"{out.name}: {len(rows)} tracks, {sum(r['duration'] for r in rows) / 60:.0f} min "
          f"({len(rows)} min in 60 s excerpts)", flush=True)
    return rows


def build_free_tempo_validation(out: pathlib.Path, cache: pathlib.Path) -> list:
    """Decode the free-tempo split (FREE_TEMPO_SOURCES) to mono 44.1 kHz FLAC in `out`: music of 30 s or more and
    sounds with no beat of 3 s or more; tracks.json lists id, kind ("music" or "none"), licence and source."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for package, pattern, licence, kind in FREE_TEMPO_SOURCES:
        root = fetch(package, cache, FREE_TEMPO_MEMBERS[package])
        sources = sorted(root.glob(pattern))
        for source in sources:
            track_id = track_id_of(package, source)
            if track_id in FREE_TEMPO_LEFT_OUT:
                continue
            target = out / f"{track_id}.flac"
            if not target.exists():
                decode_mix([source], target, mono=True)
            duration = duration_of(target)
            kind_here = FREE_TEMPO_KIND.get(track_id, kind)
            if duration < FREE_TEMPO_MIN_SECONDS[kind_here]:
                target.unlink()
                continue
            rows.append(dict(id=track_id, file=target.name, kind=kind_here, licence=licence,
                             source=f"Debian {package} {PACKAGES[package]}", duration=round(duration, 1)))
    (out / "tracks.json").write_text(json.dumps(rows, indent=1))
    music = [r for r in rows if r["kind"] == "music"]
    print(f"{out.name}: {len(music)} pieces of music ({sum(r['duration'] for r in music) / 60:.0f} min), "
          f"{len(rows) - len(music)} sounds with no beat", flush=True)
    return rows


def prune_teacher(folder: pathlib.Path, min_beats: int = 8, min_seconds: float = 30.0) -> list:
    """Drop the tracks madmom gives fewer than `min_beats` beats or whose excerpt is shorter than `min_seconds`
    (their audio, labels and tracks.json row); return the dropped ids."""
    dropped = []
    for beats_file in sorted(folder.glob("*.teacher.*.beats")):
        stem, span = beats_file.name[:-len(".beats")].split(".teacher.")
        start, end = (float(x) for x in span.split("-"))
        if len(beats_file.read_text().split()) // 2 < min_beats or end - start < min_seconds:
            dropped.append(stem)
            for path in folder.glob(f"{stem}.*"):
                path.unlink()
    if dropped and (folder / "tracks.json").exists():
        rows = [r for r in json.loads((folder / "tracks.json").read_text()) if r["id"] not in dropped]
        (folder / "tracks.json").write_text(json.dumps(rows, indent=1))
    for stem in dropped:
        print(f"dropped {stem}: madmom found fewer than {min_beats} beats or the excerpt is under {min_seconds:.0f} s")
    return dropped


def fetch(package: str, cache: pathlib.Path, members: str = None) -> pathlib.Path:
    """Unpack the pinned Debian package into the cache (once; only `members`, a tar wildcard, if given); return
    the unpacked root."""
    root = cache / "packages" / package
    if (root / ".done").exists():
        return root
    version = PACKAGES[package]
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = [p for p in debs.glob(f"{package}_*.deb")]
    if not found:
        subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=debs, check=True)
        found = [p for p in debs.glob(f"{package}_*.deb")]
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    if members is None:
        subprocess.run(["dpkg", "-x", str(found[0]), str(root)], check=True)
    else:
        tar = subprocess.Popen(["dpkg", "--fsys-tarfile", str(found[0])], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(root), "--wildcards", f"./{members}"], stdin=tar.stdout, check=True)
        tar.wait()
    (root / ".done").touch()
    return root


def rcc_members(path: pathlib.Path) -> dict:
    """{path: bytes} of a Qt binary resource file (GCompris packs its activities' data in them)."""
    data = path.read_bytes()
    assert data[:4] == b"qres", f"{path} is not a Qt resource file"
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    node_size = 14 if version == 1 else 22
    out = {}

    def name_at(offset):
        length = struct.unpack(">H", data[names + offset:names + offset + 2])[0]
        return data[names + offset + 6:names + offset + 6 + 2 * length].decode("utf-16-be")

    def walk(index, prefix):
        base = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", data[base:base + 6])
        full = f"{prefix}/{name_at(name_offset)}" if index else ""
        if flags & 2:
            count, first = struct.unpack(">II", data[base + 6:base + 14])
            for child in range(first, first + count):
                walk(child, full)
            return
        offset = payload + struct.unpack(">I", data[base + 10:base + 14])[0]
        size = struct.unpack(">I", data[offset:offset + 4])[0]
        blob = data[offset + 4:offset + 4 + size]
        out[full.lstrip("/")] = zlib.decompress(blob[4:]) if flags & 1 else blob

    walk(0, "")
    return out


def decode_mix(sources: list, target: pathlib.Path, mono: bool = False):
    """Mix the sources (stems of one song, or a single file) into one 44.1 kHz FLAC."""
    command = ["ffmpeg", "-loglevel", "error", "-y"]
    for source in sources:
        command += ["-i", str(source)]
    if len(sources) > 1:
        command += ["-filter_complex", f"amix=inputs={len(sources)}:duration=longest:normalize=0"]
    command += ["-ar", str(SAMPLE_RATE)] + (["-ac", "1"] if mono else []) + ["-c:a", "flac", str(target)]
    subprocess.run(command, check=True)


def read_midi_tempo_map(path: pathlib.Path):
    """(ticks per beat, [(tick, microseconds per beat)], [(tick, numerator)]) from a standard MIDI file."""
    data = path.read_bytes()
    assert data[:4] == b"MThd"
    _, _, division = struct.unpack(">HHH", data[8:14])
    tempos, meters, position = [], [], 8 + struct.unpack(">I", data[4:8])[0]
    while position < len(data):
        kind, length = data[position:position + 4], struct.unpack(">I", data[position + 4:position + 8])[0]
        chunk, position = data[position + 8:position + 8 + length], position + 8 + length
        if kind != b"MTrk":
            continue
        tick, i, status = 0, 0, 0
        while i < len(chunk):
            delta = 0
            while True:
                byte = chunk[i]; i += 1
                delta = (delta << 7) | (byte & 0x7F)
                if byte < 0x80:
                    break
            tick += delta
            if chunk[i] >= 0x80:
                status = chunk[i]; i += 1
            if status == 0xFF:
                meta, length = chunk[i], 0
                i += 1
                while True:
                    byte = chunk[i]; i += 1
                    length = (length << 7) | (byte & 0x7F)
                    if byte < 0x80:
                        break
                body = chunk[i:i + length]; i += length
                if meta == 0x51:
                    tempos.append((tick, int.from_bytes(body, "big")))
                elif meta == 0x58:
                    meters.append((tick, body[0]))
            elif status in (0xF0, 0xF7):
                length = 0
                while True:
                    byte = chunk[i]; i += 1
                    length = (length << 7) | (byte & 0x7F)
                    if byte < 0x80:
                        break
                i += length
            else:
                i += 1 if (status & 0xF0) in (0xC0, 0xD0) else 2
    return division, sorted(tempos) or [(0, 500000)], sorted(meters) or [(0, 4)]


def chart_beats(midi: pathlib.Path, duration: float) -> list:
    """[(seconds, beat in bar)] of a Frets on Fire chart's tempo map, up to the recording's end."""
    division, tempos, meters = read_midi_tempo_map(midi)
    beats, tick, seconds, bar_beat = [], 0, 0.0, 1
    while seconds < duration:
        numerator = [n for t, n in meters if t <= tick][-1]
        if any(t == tick for t, _ in meters):
            bar_beat = 1
        beats.append((seconds, bar_beat))
        tempo = [us for t, us in tempos if t <= tick][-1]
        seconds += tempo / 1e6  # tempo changes are assumed on beats (true for these charts)
        tick += division
        bar_beat = bar_beat % numerator + 1
    return beats


def chart_offset(audio: pathlib.Path, beats: list) -> float:
    """The constant delay (-30–100 ms) between a chart's beats and the recording, from the onsets at the beats.

    Frets on Fire charts are written against the game's audio latency: their beats fall 20–70 ms before the
    recorded hits, the same all through a song (measured in 30 s windows). Only this one constant per song is
    taken from the audio (where the spectral flux at the beats peaks); the tempo map and the bars stay the chart
    author's. Lags are searched from -30 to 100 ms only: a lag near half a beat would put the beats on the
    off-beats of busy eighth-note riffs.
    """
    import numpy
    import soundfile
    samples, rate = soundfile.read(str(audio), dtype="float32", always_2d=True)
    samples = samples.mean(axis=1)
    hop, window = int(rate * 0.005), 512     # a short window: a long one finds onsets early
    count = (len(samples) - window) // hop
    frames = samples[(numpy.arange(count) * hop)[:, None] + numpy.arange(window)[None, :]] * numpy.hanning(window)
    log_magnitude = numpy.log1p(100.0 * numpy.abs(numpy.fft.rfft(frames, axis=1)))
    flux = numpy.maximum(0.0, numpy.diff(log_magnitude, axis=0)).sum(axis=1)
    centres = (numpy.arange(1, count) * hop + window / 2) / rate           # time of each flux value
    beat_times = numpy.asarray(beats)
    lags = numpy.arange(-0.03, 0.101, 0.005)
    strength = [numpy.interp(beat_times + lag, centres, flux).mean() for lag in lags]
    return float(lags[int(numpy.argmax(strength))])


def duration_of(path: pathlib.Path) -> float:
    result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                             str(path)], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def write_beats(path: pathlib.Path, beats: list):
    path.write_text("".join(f"{t:.4f}\t{b}\n" for t, b in beats))


def build_held_out(out: pathlib.Path, cache: pathlib.Path) -> list:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    gcompris = None
    for track_id, package, source, genre, meter, tempo, licence, truth, note in HELD_OUT_TRACKS:
        target = out / f"{track_id}.flac"
        root = fetch(package, cache)
        if package == "gcompris-qt-data":
            if gcompris is None:
                gcompris = rcc_members(root / "usr/share/gcompris-qt/rcc/explore_world_music.rcc")
            staged = cache / "gcompris" / pathlib.Path(source).name
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(gcompris[source])
            sources = [staged]
        elif "{" in source:
            head, stems = source.split("{")
            sources = [root / head / f"{stem}" for stem in stems.rstrip("}.ogg").split(",")]
            sources = [s.with_suffix(".ogg") for s in sources]
        else:
            sources = [root / source]
        if not target.exists():
            decode_mix(sources, target)
        duration = duration_of(target)
        offset = None
        if truth == "chart":
            beats = chart_beats(sources[0].parent / "notes.mid", duration)
            offset = chart_offset(target, [t for t, _ in beats])
            write_beats(out / f"{track_id}.beats", [(t + offset, b) for t, b in beats])
        rows.append(dict(id=track_id, file=target.name, genre=genre, meter=meter, tempo=tempo, licence=licence,
                         source=f"Debian {package} {PACKAGES[package]}", truth=truth, note=note,
                         duration=round(duration, 1), chart_offset_ms=None if offset is None else round(offset * 1000)))
        print(f"{track_id}: {duration:.0f} s", flush=True)
    (out / "tracks.json").write_text(json.dumps(rows, indent=1))
    write_readme(out, rows)
    return rows


README = """# Real music recordings for benches (held out: never train or tune on these)

Made by `bench/music_corpus.py` (branch `beats`): `.venv/bin/python bench/music_corpus.py --skip-training
--out DIR`. Pinned Debian packages (`apt-get download NAME=VERSION`, `dpkg -x`), decoded (and the Frets on Fire
stems mixed: song.ogg + guitar.ogg) with ffmpeg to 44.1 kHz FLAC. None of it is made by SoundMotion's synthesizer.

**Truth.** `<id>.beats` ("seconds<TAB>beat in bar", 1 = downbeat) exists for the Frets on Fire songs: the game
chart's tempo map and time signature, written by the songs' authors so that the notes fall on the recording
(people, not a tracker; constant tempo, the bands played to a click). The charts run 0–40 ms ahead of the
recordings (the game's audio latency): one constant per song ("chart offset") is measured from the audio's
onsets and added; tempo and bars stay the authors'. Chart beats also cover silent intros/outros: drop beats
outside the audible part (bench/beats.py does). The other tracks have no human annotation:
`<id>.madmom.beats` are madmom's RNN + DBN beats and downbeats (a teacher and baseline, CC BY-NC-SA models,
not people) — good for "close to madmom", not for "right". madmom calls every one of them 4 beats to the bar,
also the two 3/4 pieces (the Beethoven scherzo it tracks one beat per bar): its downbeats there are not truth.

For dance checks: 4/4 band songs with people's beats: fof_feelings (rock ballad, 95 BPM), fof_war_of_freedom
(140), fof_escape_from_chaosland (135); world_rock_n_roll (143, madmom's beats). 3/4: world_beethoven_scherzo
(fast, felt one to the bar), world_caruso_ombra_mai_fu (slow, rubato). No steady ballroom waltz was found in
Debian's free music yet.

| file | genre | meter | tempo (BPM) | s | licence | source | truth |
|---|---|---|---|---|---|---|---|
"""


def write_readme(out: pathlib.Path, rows: list):
    lines = [README]
    for r in rows:
        truth = {"chart": f"people (chart, offset {r['chart_offset_ms']} ms)", "madmom": "madmom (not people)",
                 "none": "none"}[r["truth"]]
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"| {r['file']} | {r['genre']}{note} | {r['meter'] or '?'} | {r['tempo'] or '?'} | "
                     f"{r['duration']:.0f} | {r['licence']} | {r['source']} | {truth} |\n")
    lines.append("\nThe training split (game soundtracks: Wesnoth, Hedgewars, Endgame: Singularity, Pushover, Nexuiz)\n"
                 "goes to the cache (~/.cache/soundmotion/music/train), not here.\n")
    (out / "README.md").write_text("".join(lines))


def build_training(out: pathlib.Path, cache: pathlib.Path, sources: list = None) -> list:
    """Decode the soundtracks of `sources` (default TRAIN_SOURCES) into `out` (tracks of 20 s or more)."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for package, pattern, licence in sources or TRAIN_SOURCES:
        members = None if package in ORIGINAL_TRAIN_PACKAGES else pattern.split(":")[0].replace("**/", "*")
        root = fetch(package, cache, members)
        for source in package_sources(root, package, pattern, cache):
            track_id = f"{package.split('-')[0]}_{source.stem.replace(' ', '_').lower()}"
            if package in ("supertux-data", "megaglest-data"):    # the same names in several folders
                track_id = f"{package.split('-')[0]}_{source.parent.name.lower()}_{source.stem.replace(' ', '_').lower()}"
            target = out / f"{track_id}.flac"
            if not target.exists():
                try:
                    decode_mix([source], target, mono=True)
                except subprocess.CalledProcessError:     # e.g. hyperrogue's hr-savino-caribbean.ogg is damaged
                    target.unlink(missing_ok=True)
                    print(f"{source.name}: could not be decoded, left out", flush=True)
                    continue
            rows.append(dict(id=track_id, file=target.name, licence=licence,
                             source=f"Debian {package} {PACKAGES[package]}", duration=round(duration_of(target), 1)))
    rows = [r for r in rows if r["duration"] >= 20.0]   # jingles teach nothing about beats
    (out / "tracks.json").write_text(json.dumps(rows, indent=1))
    print(f"{out.name}: {len(rows)} tracks, {sum(r['duration'] for r in rows) / 3600:.2f} h", flush=True)
    return rows


def _madmom_downbeats(networks: int):
    """madmom's downbeat RNN (the first `networks` of its eight BLSTMs) and its DBN for bars of 3 or 4 (100 fps)."""
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    rnn = RNNDownBeatProcessor()
    if networks < 8:
        from madmom.ml.nn import NeuralNetworkEnsemble
        from madmom.models import DOWNBEATS_BLSTM
        rnn.processors[1] = NeuralNetworkEnsemble.load(DOWNBEATS_BLSTM[:networks])
    return rnn, DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)


def teacher_annotations(folder: pathlib.Path, pattern: str = "*.flac", max_seconds: float = None,
                        networks: int = 8):
    """madmom's RNN + DBN beats and downbeats (bars of 3 or 4) for the tracks of a folder: `<id>.madmom.beats`.

    With max_seconds only the middle max_seconds of each track are annotated (training excerpts) and the
    annotation says so in its name (`<id>.madmom.<start>-<end>.beats`). `networks` < 8 uses only the first
    `networks` of madmom's eight BLSTMs (faster; the training labels use two).
    """
    import soundfile
    from madmom.audio.signal import Signal

    rnn, dbn = _madmom_downbeats(networks)
    # in a fixed pseudo-random order, so that a partial run covers every soundtrack
    for audio in sorted(folder.glob(pattern), key=lambda p: hashlib.md5(p.name.encode()).hexdigest()):
        if list(folder.glob(f"{audio.stem}.madmom*.beats")):
            continue
        samples, rate = soundfile.read(str(audio), dtype="float32", always_2d=True)
        samples = samples.mean(axis=1)
        start, name = 0, f"{audio.stem}.madmom.beats"
        if max_seconds and len(samples) > max_seconds * rate:
            start = int((len(samples) - max_seconds * rate) // 2)
            samples = samples[start:start + int(max_seconds * rate)]
            name = f"{audio.stem}.madmom.{start / rate:.2f}-{(start + len(samples)) / rate:.2f}.beats"
        activations = rnn(Signal(samples, sample_rate=rate))
        beats = dbn(activations)
        write_beats(folder / name, [(float(t) + start / rate, int(b)) for t, b in beats])
        print(f"madmom: {name}: {len(beats)} beats", flush=True)


def teacher_labels(folder: pathlib.Path, excerpt_seconds: float = 60.0, networks: int = 2, only: set = None):
    """Distillation labels for every track of a folder, from madmom (a teacher, never shipped): the middle
    `excerpt_seconds` of each track, madmom's frame-wise beat and downbeat activations (100 fps, the mean of the
    first `networks` of its eight BLSTMs) in `<id>.teacher.<start>-<end>.npy` (float16, columns: beat that is
    not a downbeat, downbeat) and its DBN's beats and downbeats (bars of 3 or 4) in `<id>.teacher.<start>-<end>.beats`.
    Tracks are visited in a fixed pseudo-random order, so a partial run covers every soundtrack."""
    import numpy
    import soundfile
    from madmom.audio.signal import Signal

    rnn, dbn = _madmom_downbeats(networks)
    for audio in sorted(folder.glob("*.flac"), key=lambda p: hashlib.md5(p.name.encode()).hexdigest()):
        if (only is not None and audio.stem not in only) or list(folder.glob(f"{audio.stem}.teacher.*.beats")):
            continue
        info = soundfile.info(str(audio))
        rate = info.samplerate
        start = max(0, int((info.frames - excerpt_seconds * rate) // 2))
        samples, _ = soundfile.read(str(audio), dtype="float32", always_2d=True, start=start,
                                    stop=start + int(excerpt_seconds * rate))
        samples = samples.mean(axis=1)
        name = f"{audio.stem}.teacher.{start / rate:.2f}-{(start + len(samples)) / rate:.2f}"
        activations = rnn(Signal(samples, sample_rate=rate))
        beats = numpy.asarray(dbn(activations)).reshape(-1, 2)
        numpy.save(folder / f"{name}.npy", activations.astype(numpy.float16))
        write_beats(folder / f"{name}.beats", [(float(t) + start / rate, int(b)) for t, b in beats])
        print(f"teacher: {name}: {len(beats)} beats", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=HELD_OUT, help="held-out recordings (the bench's)")
    parser.add_argument("--train-out", type=pathlib.Path, default=CACHE / "train", help="training recordings")
    parser.add_argument("--validation-out", type=pathlib.Path, default=CACHE / "validation",
                        help="validation recordings (whole packages apart from training; tuning data)")
    parser.add_argument("--rock-validation-out", type=pathlib.Path, default=CACHE / "validation_band",
                        help="band validation recordings (metal/rock soundtracks apart from training; tuning data)")
    parser.add_argument("--extra-train-out", type=pathlib.Path, default=CACHE / "train_extra",
                        help="the third net's further training recordings")
    parser.add_argument("--only-extra-training", action="store_true",
                        help="build only the further training split (and its teacher labels with --teacher)")
    parser.add_argument("--cache", type=pathlib.Path, default=CACHE)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--only-rock-validation", action="store_true",
                        help="build only the band validation split (and its teacher labels with --teacher)")
    parser.add_argument("--free-tempo-validation-out", type=pathlib.Path, default=CACHE / "validation_free_tempo",
                        help="free-tempo validation recordings (expressive music and sounds with no beat; tuning)")
    parser.add_argument("--only-free-tempo-validation", action="store_true",
                        help="build only the free-tempo validation split (and madmom's beats on its music with "
                             "--teacher)")
    parser.add_argument("--teacher", action="store_true", help="write madmom annotations (bench environment)")
    args = parser.parse_args(argv)
    if args.only_free_tempo_validation:
        rows = build_free_tempo_validation(args.free_tempo_validation_out, args.cache)
        if args.teacher:
            music = {r["id"] for r in rows if r["kind"] == "music"}
            teacher_labels(args.free_tempo_validation_out, only=music)
        return 0
    if args.only_extra_training:
        if not args.teacher:    # decoding needs ffmpeg and apt, not madmom; labelling the other way round
            build_training(args.extra_train_out, args.cache, EXTRA_TRAIN_SOURCES)
        else:
            teacher_labels(args.extra_train_out)
        return 0
    if args.only_rock_validation:
        build_band_validation(args.rock_validation_out, args.cache)
        if args.teacher:
            teacher_labels(args.rock_validation_out)
            prune_teacher(args.rock_validation_out)
        return 0
    build_held_out(args.out, args.cache)
    if not args.skip_training:
        build_training(args.train_out, args.cache)
        build_training(args.validation_out, args.cache, VALIDATION_SOURCES)
        build_band_validation(args.rock_validation_out, args.cache)
    if args.teacher:
        teacher_annotations(args.out, "world_*.flac")
        if not args.skip_training:
            teacher_annotations(args.train_out, max_seconds=60.0, networks=2)    # the first net's labels
            teacher_labels(args.validation_out)
            teacher_labels(args.train_out)                                      # the second net's
            teacher_labels(args.rock_validation_out)
            prune_teacher(args.rock_validation_out)


if __name__ == "__main__":
    sys.exit(main())
