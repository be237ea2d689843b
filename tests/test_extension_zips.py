"""`make extension` on Linux: one zip per platform Blender runs on, built and validated by Blender's own builder,
each with exactly its platform's wheels for Python 3.11 (Blender 4.2-5.0) and 3.13 (5.1+), every import the
add-on makes satisfied by them, under 100 MB. (Installing the Linux zip into Blender: test_extension_install.)"""

import hashlib
import importlib.util
import subprocess
import sys
import zipfile

import pytest

from extension_zips import (PLATFORMS, PYTHONS, ROOT, blender_ext_cli, build_zips, parse_wheel, runs_on,
                            supports_python, unsatisfied_imports, zip_manifest, zip_wheels)

SIZE_LIMIT = 100 * 1000 * 1000


def _fetch_wheels_module():
    spec = importlib.util.spec_from_file_location("fetch_wheels", ROOT / "scripts" / "fetch_wheels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FETCH = _fetch_wheels_module()
RUNTIME = {requirement.split("==")[0].lower().replace("-", "_"): requirement.split("==")[1]
           for requirement in FETCH.RUNTIME}


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    return build_zips(tmp_path_factory.mktemp("dist"))


def test_one_zip_per_platform_each_valid_for_blenders_builder_and_under_100_mb(zips):
    assert sorted(p.name for p in zips[PLATFORMS[0]].parent.glob("*.zip")) == sorted(p.name for p in zips.values())
    for platform, path in zips.items():
        result = subprocess.run([sys.executable, blender_ext_cli(), "validate", str(path)], capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert path.stat().st_size < SIZE_LIMIT, f"{path.name}: {path.stat().st_size / 1e6:.1f} MB"
        generated = zip_manifest(path)["build"]["generated"]
        assert generated["platforms"] == [platform]
        assert sorted("wheels/" + w.split("/")[-1] for w in generated["wheels"]) == zip_wheels(path)


def test_each_zip_has_exactly_one_wheel_per_dependency_and_python_for_its_own_platform(zips):
    for platform, path in zips.items():
        wheels = [parse_wheel(name) for name in zip_wheels(path)]
        assert {w["name"] for w in wheels} == set(RUNTIME), platform
        for wheel in wheels:
            assert runs_on(wheel, platform), f"{platform}: {wheel}"
            assert wheel["version"] == RUNTIME[wheel["name"]]
            assert any(supports_python(wheel, python) for python in PYTHONS), f"{platform}: {wheel}"
        for name in RUNTIME:
            for python in PYTHONS:
                matching = [w for w in wheels if w["name"] == name and supports_python(w, python)]
                assert len(matching) == 1, f"{platform}, Python {python}, {name}: {matching}"


def test_every_import_the_add_on_makes_is_satisfied_by_its_zip_for_both_pythons(zips):
    for platform, path in zips.items():
        for python in PYTHONS:
            assert unsatisfied_imports(path, python) == [], f"{platform}, Python {python}"


def test_the_import_check_catches_a_missing_wheel(zips, tmp_path):
    """Without typing_extensions (soundfile imports it; Blender lacks it) the check above must fail."""
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(zips["linux-x64"]) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            if "typing_extensions" not in item.filename:
                target.writestr(item, source.read(item.filename))
    assert any(p.startswith("typing_extensions") for p in unsatisfied_imports(broken, "3.11"))


def test_no_scipy_and_no_file_of_the_add_on_shipped_twice(zips):
    path = zips["linux-x64"]
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        own = [n for n in names if not n.startswith("wheels/") and not n.endswith("/")]
        digests = {}
        for name in own:
            digests.setdefault(hashlib.sha256(archive.read(name)).hexdigest(), []).append(name)
    assert [group for group in digests.values() if len(group) > 1] == []
    assert not any("scipy" in n or n.startswith(("wheels/numpy", "tests/", "bench/", "scripts/", ".venv"))
                   or ".egg-info/" in n for n in names)  # the editable install's metadata was shipped
    assert "assets/demo_character.blend" in names and "models/dance/prior_weights.npz" in names
    assert "models/dance/dance_library.npz" in names   # the captured dance ships; the mocap it came from does not
    # the word recogniser's language model, taken out of every pocketsphinx wheel, ships once beside the decoders
    assert [n for n in names if n.endswith("en-us.lm.bin")] == ["models/speech/word_lm/en-us.lm.bin"]


def test_the_lock_covers_every_platform_and_python_and_matches_the_manifest():
    rows = FETCH.read_lock()
    assert sorted((r[0], r[1], r[2]) for r in rows) == sorted(
        (platform, python, requirement) for requirement in FETCH.RUNTIME for platform in PLATFORMS for python in PYTHONS)
    for platform, python, requirement, name, digest in rows:
        wheel = parse_wheel(name)
        assert runs_on(wheel, platform) and supports_python(wheel, python), name
        assert f"{wheel['name']}=={wheel['version']}" == requirement.lower().replace("-", "_") and len(digest) == 64
    manifest = zip_manifest_source()
    files = FETCH.locked_files(rows)
    shipped = {copy for name in files for copy in FETCH.shipped_names(name)}
    assert sorted(w.split("/")[-1] for w in manifest["wheels"]) == sorted(shipped)
    assert manifest["platforms"] == list(PLATFORMS)
    for name, (_requirement, _python, digest) in files.items():
        assert FETCH.sha256(ROOT / "wheels" / name) == digest, f"wheels/{name} differs from the lock: make wheels"


def test_shipped_copies_are_the_locked_wheels_less_only_the_trimmed_files():
    files = FETCH.locked_files(FETCH.read_lock())
    copies = {copy: name for name in files for copy in FETCH.shipped_names(name) if copy != name}
    assert any("trimmed" in copy for copy in copies)
    for copy, original in copies.items():
        drop = FETCH.trim_files(original)
        with zipfile.ZipFile(ROOT / "wheels" / original) as source, zipfile.ZipFile(ROOT / "wheels" / copy) as target:
            assert set(target.namelist()) == set(source.namelist()) - drop, copy
            record_name = next(n for n in target.namelist() if n.endswith(".dist-info/RECORD"))
            record = {line.split(",")[0] for line in target.read(record_name).decode().splitlines()}
            assert record == {n for n in target.namelist() if not n.endswith("/")}
            for name in target.namelist():
                if name != record_name:
                    assert target.read(name) == source.read(name), f"{copy}: {name}"


def _blender_420_installs(wheel_names: list, platform: str) -> dict:
    """What Blender 4.2.0's installer picks from an extension's wheels: those whose platform tag it accepts
    (no Python check, no universal2), then per distribution and version the file name that sorts last."""
    arch = {"windows-x64": None, "linux-x64": "_x86_64", "macos-x64": "_x86_64", "macos-arm64": "_arm64"}[platform]
    chosen = {}
    for name in wheel_names:
        tag = name[:-len(".whl")].split("-")[-1]
        accepted = (tag == "any" or (platform == "windows-x64" and tag == "win_amd64")
                    or (platform == "linux-x64" and tag.startswith("manylinux") and tag.endswith(arch))
                    or (platform.startswith("macos") and tag.startswith("macosx_") and tag.endswith(arch)))
        if accepted:
            dist = name.split("/")[-1].split("-")[0]
            chosen[dist] = max(chosen.get(dist, ""), name.split("/")[-1])
    return chosen


def test_blender_420_which_ignores_python_tags_and_universal2_still_gets_the_cp311_wheels(zips):
    for platform, path in zips.items():
        installed = _blender_420_installs(zip_wheels(path), platform)
        assert set(installed) == set(RUNTIME), platform
        for name in installed.values():
            assert supports_python(parse_wheel(name), "3.11"), f"{platform}: 4.2.0 would install {name}"


def zip_manifest_source() -> dict:
    import tomllib

    with open(ROOT / "blender_manifest.toml", "rb") as handle:
        return tomllib.load(handle)


def test_every_zip_reads_wav_flac_ogg_and_mp3_with_the_same_libsndfile(zips):
    """soundfile loads the libsndfile inside its own wheel on each platform; each copy is 1.2.2 with the codecs
    compiled in (decoding itself is tested on Linux in test_audio_load; the format tables prove it elsewhere)."""
    formats = [b"WAV (Microsoft)", b"FLAC (Free Lossless Audio Codec)", b"OGG (OGG Container format)",
               b"MPEG-1/2 Audio", b"MPEG Layer III"]
    library = {"windows-x64": "libsndfile_x64.dll", "macos-arm64": "libsndfile_arm64.dylib",
               "macos-x64": "libsndfile_x86_64.dylib", "linux-x64": "libsndfile_x86_64.so"}
    for platform, path in zips.items():
        with zipfile.ZipFile(path) as archive:
            (wheel_name,) = [n for n in zip_wheels(path) if parse_wheel(n)["name"] == "soundfile"]
            with zipfile.ZipFile(archive.open(wheel_name)) as wheel:
                binary = wheel.read(f"_soundfile_data/{library[platform]}")   # the name soundfile.py looks for
        assert b"libsndfile-1.2.2" in binary, platform
        assert all(fmt in binary for fmt in formats), platform
