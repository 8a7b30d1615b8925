#!/usr/bin/env bash
# Builds everything and runs the whole test suite (unit, contract and integration tests
# with real processes, ffmpeg and a camera simulator on loopback).
# First runs scripts/setup.sh, which prints the missing Debian packages on one line and then
# installs them with apt-get (directly as root, through sudo only otherwise).
# Starts a throwaway PostgreSQL 15 cluster on 127.0.0.1 for the PostgreSQL store tests
# (FLEET_TEST_POSTGRES_URL, FLEET_REQUIRE_POSTGRES=1) and removes it on every exit path.
# FLEET_REQUIRE_BROWSER=1: the dashboard test in headless Chromium must run, not skip.
# Extra arguments go to `swift test`, e.g. ./scripts/test.sh --filter StoreContract
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --build-tests

# --- Throwaway PostgreSQL cluster (skipped when FLEET_TEST_POSTGRES_URL is already set) ---
. scripts/postgres-cluster.sh
trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${FLEET_TEST_POSTGRES_URL:-}" ]; then
  start_postgres -c fsync=off || exit 1
  export FLEET_TEST_POSTGRES_URL="postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
  export FLEET_TEST_POSTGRES_TLS="$PG_TMP/server.crt"   # the server's certificate, its own CA
  echo "test.sh: PostgreSQL 15 test cluster on 127.0.0.1:$PG_PORT (removed on exit)"
fi
export FLEET_REQUIRE_POSTGRES=1
# The dashboard's browser test fails (instead of noting a skip) when chromium is missing.
export FLEET_REQUIRE_BROWSER=1

# Serial: the integration suites run real processes with timing bounds; running them one
# at a time keeps those bounds meaningful on a 2-core machine (about 2 minutes in all).
# Not exec: the EXIT trap must stop the cluster afterwards.
swift test --skip-build --no-parallel "$@"
