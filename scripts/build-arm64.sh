#!/usr/bin/env bash
# Builds fleet-agent for the stations' Raspberry Pis (aarch64-unknown-linux-gnu, a 64-bit OS),
# stripped, into dist/fleet-agent-arm64, ready for `fleetctl agent publish … --arch arm64`.
#
#   scripts/build-arm64.sh                     # on a Pi (or any aarch64 Linux): a native build
#   scripts/build-arm64.sh --swift-sdk ID      # elsewhere: a cross build with an installed Swift SDK
#   scripts/build-arm64.sh --dry-run [...]     # print the commands, run nothing
#
# A cross build needs a Swift SDK for aarch64 Debian 12 whose sysroot has libsqlite3-dev (the
# agent copies BirdNET's database with SQLite's online backup API). Make one once with
# swiftlang/swift-sdk-generator (see README "Building the agent for the Raspberry Pi"), then
# `swift sdk list` shows its ID. Only 64-bit builds exist: a 32-bit (armv7) OS is not supported.
set -euo pipefail
cd "$(dirname "$0")/.."

sdk=""
dry=0
while (($#)); do
  case "$1" in
    --swift-sdk) sdk="${2:?--swift-sdk needs an SDK id (see: swift sdk list)}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-arm64: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

run() {
  echo "+ $*"
  if ((dry == 0)); then "$@"; fi
}

host=$(uname -m)
if [[ -z "$sdk" ]]; then
  if [[ "$host" != "aarch64" && "$host" != "arm64" ]]; then
    installed=$(swift sdk list 2>/dev/null | grep -i -E 'aarch64|arm64' | head -1 || true)
    if [[ -n "$installed" ]]; then
      echo "build-arm64: this is $host; a Swift SDK for aarch64 is installed: run again with --swift-sdk $installed" >&2
    else
      echo "build-arm64: this is $host and no Swift SDK for aarch64 is installed; build on the Pi, or make an SDK (README: Building the agent for the Raspberry Pi)" >&2
    fi
    exit 1
  fi
  # Native: the Swift runtime linked in, so the Pi needs no Swift toolchain to run the agent.
  run swift build -c release --product fleet-agent --static-swift-stdlib
  bin=$(swift build -c release --show-bin-path)
else
  run swift build -c release --product fleet-agent --static-swift-stdlib --swift-sdk "$sdk"
  bin=$( ((dry)) && echo ".build/aarch64-unknown-linux-gnu/release" || swift build -c release --swift-sdk "$sdk" --show-bin-path)
fi

run mkdir -p dist
run cp "$bin/fleet-agent" dist/fleet-agent-arm64
strip_tool=strip
if [[ "$host" != "aarch64" && "$host" != "arm64" ]]; then
  strip_tool=$(command -v aarch64-linux-gnu-strip || command -v llvm-strip || echo strip)
fi
run "$strip_tool" dist/fleet-agent-arm64
if ((dry == 0)); then
  if command -v file >/dev/null; then file dist/fleet-agent-arm64; fi
  echo "build-arm64: dist/fleet-agent-arm64 ($(stat -c %s dist/fleet-agent-arm64) bytes); publish with:"
  echo "  fleetctl agent publish dist/fleet-agent-arm64 --version VERSION --arch arm64 --signing-key KEY"
fi
