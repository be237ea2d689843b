#!/usr/bin/env bash
# Bench-only environment with madmom 0.16.1 (its models are CC BY-NC-SA: a baseline and a teacher, never shipped).
#   bash bench/madmom_env.sh [VENV]   (default .venv-bench)
# madmom's last release predates Python 3.11: its sdist carries C files made by an old Cython (they include
# longintrepr.h, gone in 3.11), so they are deleted and regenerated, and `collections.MutableSequence` moved to
# collections.abc. numpy stays below 1.24, which still has the np.float/np.int aliases madmom uses.
set -euo pipefail
VENV=${1:-.venv-bench}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -f "$VENV/.installed" ] && exit 0
$PYTHON -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "numpy==1.23.5" "cython<3" "scipy==1.10.1" "mido==1.2.10" "librosa==0.10.2.post1" \
    "mir_eval==0.8.2" "soundfile" "wheel" "setuptools<70"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$VENV/bin/pip" download --quiet --no-deps --no-binary :all: --no-build-isolation --dest "$WORK" madmom==0.16.1
tar -xzf "$WORK"/madmom-0.16.1.tar.gz -C "$WORK"
find "$WORK/madmom-0.16.1/madmom" -name "*.c" -delete
sed -i 's/^from collections import MutableSequence/from collections.abc import MutableSequence/' \
    "$WORK/madmom-0.16.1/madmom/processors.py"
"$VENV/bin/pip" install --quiet --no-build-isolation "$WORK/madmom-0.16.1"
"$VENV/bin/python" -c "import madmom.features.downbeats"
touch "$VENV/.installed"
