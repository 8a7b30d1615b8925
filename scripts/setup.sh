#!/usr/bin/env bash
# Installs the Debian 12 packages StationFleet needs to build, test and demo.
# Idempotent: installs only what is missing. Needs root (or sudo) when something is missing.
set -euo pipefail

PACKAGES=(
  libsqlite3-dev libcurl4-openssl-dev pkg-config      # build: GRDB, libcurl SMTP
  ffmpeg zstd rsync sqlite3 openssl                   # recorders, backups, tests
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp \
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly  # camera simulator
  python3-aiosmtpd                                    # test SMTP server
  procps curl                                         # pgrep/ps, curl in scripts
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (install Swift 6.1+ first)" >&2; exit 1; }
