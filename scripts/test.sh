#!/usr/bin/env bash
# Builds everything and runs the whole test suite (unit, contract and integration tests
# with real processes, ffmpeg and a camera simulator on loopback).
# First runs scripts/setup.sh, which prints the missing Debian packages on one line and then
# installs them with apt-get (directly as root, through sudo only otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --build-tests
# Serial: the integration suites run real processes with timing bounds; running them one
# at a time keeps those bounds meaningful on a 2-core machine (about 2 minutes in all).
swift test --skip-build --no-parallel "$@"
