#!/usr/bin/env bash
# The main job on embedded defaults, all on 127.0.0.1: a simulated RTSP camera, the
# coordinator (SQLite), three agents, and inventory/demo.yaml applied with fleetctl.
# Runs until Ctrl-C, or for DEMO_SECONDS seconds when that is set.
# First runs scripts/setup.sh, which prints the missing Debian packages on one line and then
# installs them with apt-get (directly as root, through sudo only otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
./scripts/setup.sh

echo "demo: building (first build takes a few minutes)"
swift build 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | grep -v "^\[" || true
BIN=$(swift build --show-bin-path)

DEMO_DIR="$ROOT/demo-run"
PORT=${DEMO_PORT:-8420}
CAMERA_PORT=8554
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"/{logs,inventory,atmosbird/ruwe_foto,birdnet,sd}
mkdir -p "$DEMO_DIR"/nas/{video_archive,atmosbird/ruwe_foto,atmosbird/thumbnails,db-backups,sd-backups}
echo "demo-camera-password" > "$DEMO_DIR/camera-password"
chmod 600 "$DEMO_DIR/camera-password"
# The NAS stand-in is "mounted": each archive/backup target root carries the marker file.
for target in video_archive atmosbird/ruwe_foto atmosbird/thumbnails db-backups sd-backups; do
  : > "$DEMO_DIR/nas/$target/.stationfleet-target"
done
head -c 8388608 /dev/urandom > "$DEMO_DIR/sd/mmcblk0.img"   # a small stand-in for /dev/mmcblk0
sqlite3 "$DEMO_DIR/birdnet/birds.db" "CREATE TABLE IF NOT EXISTS detections(id INTEGER PRIMARY KEY, species TEXT, t TEXT);
  INSERT INTO detections(species, t) VALUES ('Uria aalge', datetime('now'));"

PIDS=()
cleanup() {
  echo
  echo "demo: stopping"
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "demo: timed out waiting for $what (logs in $DEMO_DIR/logs)" >&2
  return 1
}

/usr/bin/python3 tools/camera-sim.py --port "$CAMERA_PORT" --mount /ROST1 --mount /ROST2 \
  --user viewer --password-file "$DEMO_DIR/camera-password" \
  > "$DEMO_DIR/logs/camera.log" 2>&1 &
PIDS+=($!)
wait_for 15 "the camera simulator" grep -q ready "$DEMO_DIR/logs/camera.log"

"$BIN/fleet-coordinator" serve --listen "127.0.0.1:$PORT" --data-dir "$DEMO_DIR/coordinator" \
  > "$DEMO_DIR/logs/coordinator.out" 2> "$DEMO_DIR/logs/coordinator.log" &
PIDS+=($!)
wait_for 15 "the coordinator" grep -q "listening on" "$DEMO_DIR/logs/coordinator.out"

export FLEET_COORDINATOR="http://127.0.0.1:$PORT" FLEET_TOKEN_FILE="$DEMO_DIR/coordinator/admin.token"
status_port=8421
for node in recordingpi emsn-zolder emsn-berging; do
  "$BIN/fleet-agent" run --coordinator "$FLEET_COORDINATOR" --join-token-file "$DEMO_DIR/coordinator/join.token" \
    --name "$node" --state-dir "$DEMO_DIR/agents/$node" --status-listen "127.0.0.1:$status_port" \
    > "$DEMO_DIR/logs/agent-$node.out" 2> "$DEMO_DIR/logs/agent-$node.log" &
  PIDS+=($!)
  status_port=$((status_port + 1))
done

echo
echo "\$ DEMO_DIR=$DEMO_DIR fleetctl apply -f inventory/demo.yaml"
DEMO_DIR="$DEMO_DIR" "$BIN/fleetctl" apply -f inventory/demo.yaml

all_applied() { [ "$("$BIN/fleetctl" get nodes -o json | grep -o '"appliedRevision" *: *1' | wc -l)" = 3 ]; }
wait_for 30 "all agents to apply revision 1" all_applied
echo
echo "\$ fleetctl get nodes"
"$BIN/fleetctl" get nodes

recording() { [ "$("$BIN/fleetctl" get stations | grep -c 'recording .*\.mkv')" = 2 ]; }
wait_for 60 "both stations to record" recording || true
echo
echo "\$ fleetctl get stations"
"$BIN/fleetctl" get stations
echo
echo "\$ fleetctl restart recorder ROST2 --wait"
"$BIN/fleetctl" restart recorder ROST2 --wait || true

has_segments() { "$BIN/fleetctl" recordings ROST1 -o json | grep -q '"valid" *: *true'; }
wait_for 60 "the first closed segment of ROST1" has_segments || true
echo
echo "\$ fleetctl run archive video-to-nas --wait"
"$BIN/fleetctl" run archive video-to-nas --wait || true
echo
echo "\$ fleetctl recordings ROST1"
"$BIN/fleetctl" recordings ROST1 || true

echo
echo "demo: running. In another shell:"
echo "  export FLEET_COORDINATOR=$FLEET_COORDINATOR FLEET_TOKEN_FILE=$FLEET_TOKEN_FILE"
echo "  $BIN/fleetctl get stations"
echo "  $BIN/fleetctl run archive video-to-nas --wait"
echo "  $BIN/fleetctl recordings ROST1"
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  echo "Press Ctrl-C to stop."
  while true; do sleep 3600; done
fi
