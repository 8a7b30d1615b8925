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
PG_BIN=/usr/lib/postgresql/15/bin
PG_TMP=""
as_postgres() {
  # initdb and the server refuse to run as root: as root run them as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_postgres() {
  if [ -n "$PG_TMP" ] && [ -d "$PG_TMP" ]; then
    if [ -f "$PG_TMP/data/postmaster.pid" ]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_TMP"
  fi
}
trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${FLEET_TEST_POSTGRES_URL:-}" ]; then
  PG_TMP=$(mktemp -d /tmp/fleet-test-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TMP"; fi
  PG_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  printf '%s\n' "$PG_PASSWORD" > "$PG_TMP/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TMP/pwfile"; fi
  chmod 600 "$PG_TMP/pwfile"
  # Password (SCRAM) for TCP, so a wrong password is really refused; no network beyond loopback.
  as_postgres "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres --pwfile="$PG_TMP/pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-sync >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; exit 1; }
  # A self-signed certificate, so the sslmode tests see TLS used (require), an untrusted
  # certificate refused (verify-full) and accepted with sslrootcert.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$PG_TMP/server.key" -out "$PG_TMP/server.crt" >/dev/null 2>&1
  chmod 600 "$PG_TMP/server.key"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TMP/server.key" "$PG_TMP/server.crt"; fi
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_TMP -c fsync=off -c max_connections=200 -c ssl=on -c ssl_cert_file=$PG_TMP/server.crt -c ssl_key_file=$PG_TMP/server.key" start >/dev/null \
    || { cat "$PG_TMP/server.log" >&2; exit 1; }
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
