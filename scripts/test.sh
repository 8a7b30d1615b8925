#!/usr/bin/env bash
# Builds everything and runs the whole test suite (unit, contract and integration tests
# with real processes, ffmpeg and a camera simulator on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
