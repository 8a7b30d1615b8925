#!/usr/bin/env bash
# Installs the Debian 12 packages StationFleet needs to build, test and demo.
# Idempotent: installs only what is missing, and first prints one line naming those packages.
# Runs apt-get directly as root; otherwise through sudo (only if sudo is installed).
set -euo pipefail

PACKAGES=(
  libsqlite3-dev libcurl4-openssl-dev pkg-config      # build: GRDB, libcurl SMTP
  ffmpeg zstd rsync sqlite3 openssl                   # recorders, backups, tests
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp \
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly  # camera simulator
  python3-aiosmtpd                                    # test SMTP server
  procps curl tzdata                                  # pgrep/ps, curl in scripts; DST zones in LocalTime tests
  prometheus                                          # promtool: metrics lint test
  prometheus-alertmanager                             # test peer: alert forwarding
  postgresql-15 postgresql-client-15                  # PostgreSQL store tests (a throwaway cluster)
  chromium chromium-driver                            # dashboard test in a real headless browser
  groff-base                                          # man page test (fleetctl manual)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  # As root, apt-get runs directly; otherwise through sudo, and only when sudo exists.
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      echo "setup: missing Debian packages: ${missing[*]}" >&2
      echo "setup: not root and sudo is not installed; as root run: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "setup: installing Debian packages with apt-get${SUDO[*]:+ (via sudo)}: ${missing[*]}"
  ${SUDO[@]+"${SUDO[@]}"} apt-get update -qq
  ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (install Swift 6.1+ first)" >&2; exit 1; }
