#!/usr/bin/env bash
# Heartbeats and convergence on SQLite (one coordinator) vs PostgreSQL (one and two
# coordinators sharing a database), all in one run on this machine: the rows for
# BENCHMARKS.md "Several coordinators on PostgreSQL". Starts a throwaway PostgreSQL 15
# cluster on 127.0.0.1 (default durability: fsync on) and removes it on exit.
# Heartbeats in the steady state agents actually send (bodiless "unchanged" heartbeats, one in
# ten a delta), then with full reports every time (the worst case), from fleet-bench's plain
# SwiftNIO load generator; last the steady load on two coordinators from AsyncHTTPClient.
#   Benchmarks/scripts/postgres-bench.sh [agents for heartbeats, default 10000] [agents for converge, default 1000]
set -euo pipefail
cd "$(dirname "$0")/../.."
HEARTBEAT_AGENTS=${1:-10000}
CONVERGE_AGENTS=${2:-1000}
swift build -c release --product fleet-bench >/dev/null
swift build -c release --product fleet-coordinator >/dev/null
. scripts/postgres-cluster.sh
trap stop_postgres EXIT
start_postgres
PG="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
PW="$PG_TMP/pwfile"
BENCH=.build/release/fleet-bench
echo "== heartbeats in steady state (bodiless, 1 in 10 a delta), $HEARTBEAT_AGENTS agents"
$BENCH heartbeats --agents "$HEARTBEAT_AGENTS" --seconds 10 --mode steady
$BENCH heartbeats --agents "$HEARTBEAT_AGENTS" --seconds 10 --mode steady --database "$PG" --database-password-file "$PW"
$BENCH heartbeats --agents "$HEARTBEAT_AGENTS" --seconds 10 --mode steady --database "$PG" --database-password-file "$PW" --instances 2
echo "== heartbeats with a full report every time (the worst case), $HEARTBEAT_AGENTS agents"
$BENCH heartbeats --agents "$HEARTBEAT_AGENTS" --seconds 10
$BENCH heartbeats --agents "$HEARTBEAT_AGENTS" --seconds 10 --database "$PG" --database-password-file "$PW"
$BENCH heartbeats --agents "$HEARTBEAT_AGENTS" --seconds 10 --database "$PG" --database-password-file "$PW" --instances 2
echo "== the same steady load from AsyncHTTPClient (the client agents use; costs the shared cores more)"
$BENCH heartbeats --agents "$HEARTBEAT_AGENTS" --seconds 10 --mode steady --database "$PG" --database-password-file "$PW" --instances 2 --client async-http-client
echo "== converge, $CONVERGE_AGENTS agents"
$BENCH converge --agents "$CONVERGE_AGENTS"
$BENCH converge --agents "$CONVERGE_AGENTS" --database "$PG" --database-password-file "$PW" --instances 2
