#!/usr/bin/env bash
# Debian packages SoundMotion's demo and tests need, installed only when missing:
# espeak-ng and flite (test speech with exact phoneme timings), ffmpeg (ffprobe checks of rendered video), sox,
# and the X/GL/EGL libraries the PyPI `bpy` module links against (Workbench renders through Mesa's EGL).
# With --bench also Festival and two of its voices made from recordings, which bench/human_speech.py speaks with.
set -euo pipefail
packages=(espeak-ng libespeak-ng1 flite ffmpeg sox
          libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libglx0 libx11-6 libxext6 libxfixes3 libxi6
          libxkbcommon0 libxrender1 libsm6 libxxf86vm1)
if [ "${1:-}" = "--bench" ]; then
  packages+=(festival festvox-kdlpc16k festvox-us-slt-hts)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
