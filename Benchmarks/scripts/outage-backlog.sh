#!/usr/bin/env bash
# "A week cut off": runs Tests/IntegrationTests/OutageBacklogTests.swift (real coordinator,
# agent, camera simulator and ffmpeg with 1-s segments; 20,000 seeded + real queued reports,
# SIGKILL mid-upload) and prints its measured line: reports queued, bytes on disk, drain time,
# agent RSS before the outage / while queued / while draining.
# With FLEET_BIN_DIR=.build/release the test runs release binaries (build fleet-agent,
# fleet-coordinator and fleetctl with -c release first); by default the debug ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --build-tests >/dev/null
swift test --skip-build --filter OutageBacklogTests 2>&1 | grep -E "outage-backlog:|✘|Test run"
