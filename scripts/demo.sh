#!/usr/bin/env bash
# The main job on embedded defaults, all on 127.0.0.1: two simulated RTSP cameras, an SMTP
# sink as the alert mail receiver, the coordinator (SQLite), three agents, and
# inventory/demo.yaml applied with fleetctl. Then central alerting: ROST2's camera is paused
# (SIGSTOP) until the coordinator raises RecorderStalled/SegmentStale and the mail arrives,
# then resumed (SIGCONT) until the resolved mail arrives.
# Runs until Ctrl-C, or for DEMO_SECONDS seconds when that is set (DEMO_ALERTS=0 skips the
# alerting part).
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
CAMERA_PORT=8554     # ROST1's camera
CAMERA2_PORT=8555    # ROST2's camera, its own process so the demo can pause it alone
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"/{logs,inventory,mail,atmosbird/ruwe_foto,birdnet,sd}
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
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    kill -TERM "${PIDS[$i]}" 2>/dev/null || true
    kill -CONT "${PIDS[$i]}" 2>/dev/null || true   # a paused camera must see its SIGTERM
  done
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

/usr/bin/python3 tools/camera-sim.py --port "$CAMERA_PORT" --mount /ROST1 \
  --user viewer --password-file "$DEMO_DIR/camera-password" \
  > "$DEMO_DIR/logs/camera.log" 2>&1 &
PIDS+=($!)
/usr/bin/python3 tools/camera-sim.py --port "$CAMERA2_PORT" --mount /ROST2 \
  --user viewer --password-file "$DEMO_DIR/camera-password" \
  > "$DEMO_DIR/logs/camera2.log" 2>&1 &
CAMERA2_PID=$!
PIDS+=($CAMERA2_PID)
wait_for 15 "the camera simulator" grep -q ready "$DEMO_DIR/logs/camera.log"
wait_for 15 "the second camera simulator" grep -q ready "$DEMO_DIR/logs/camera2.log"

# The alert mail receiver: a real SMTP server (python3-aiosmtpd) writing each mail to a maildir.
/usr/bin/python3 scripts/peers/smtp-sink.py --port 0 --port-file "$DEMO_DIR/smtp.port" \
  --maildir "$DEMO_DIR/mail" > "$DEMO_DIR/logs/smtp-sink.log" 2>&1 &
PIDS+=($!)
wait_for 15 "the SMTP sink" test -s "$DEMO_DIR/smtp.port"
SMTP_PORT=$(cat "$DEMO_DIR/smtp.port")

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
echo "\$ DEMO_DIR=$DEMO_DIR SMTP_PORT=$SMTP_PORT fleetctl apply -f inventory/demo.yaml"
DEMO_DIR="$DEMO_DIR" SMTP_PORT="$SMTP_PORT" "$BIN/fleetctl" apply -f inventory/demo.yaml

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

if [ "${DEMO_ALERTS:-1}" != 0 ]; then
  # Central alerting: pause ROST2's camera, watch the coordinator raise an alert and mail it.
  show_mail() { /usr/bin/python3 scripts/peers/show-mail.py "$DEMO_DIR/mail" "$@"; }
  stale_alert() {
    "$BIN/fleetctl" get alerts --station ROST2 --state firing -o json \
      | grep -Eq '"alertname" *: *"(SegmentStale|RecorderStalled)"'
  }
  rost2_bytes() { find "$DEMO_DIR/recordings/ROST2" -name '*.mkv' -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
  echo
  echo "demo: pausing ROST2's camera (SIGSTOP pid $CAMERA2_PID); alert mail goes to smtp://127.0.0.1:$SMTP_PORT"
  kill -STOP "$CAMERA2_PID"
  if wait_for 120 "a RecorderStalled or SegmentStale alert of ROST2" stale_alert; then
    echo
    echo "\$ fleetctl get alerts"
    "$BIN/fleetctl" get alerts || true
    echo
    echo "\$ fleetctl get stations"
    "$BIN/fleetctl" get stations || true
    before=$(rost2_bytes); sleep 3
    echo "demo: ROST2's recordings: $before bytes at the alert, $(rost2_bytes) bytes 3 s later (no data while paused)"
    if wait_for 60 "the alert mail" show_mail --subject '^\[FIRING.*(SegmentStale|RecorderStalled)'; then
      echo
      echo "demo: the mail in $DEMO_DIR/mail:"
      show_mail --subject '^\[FIRING.*(SegmentStale|RecorderStalled)' --lines 10 || true
    fi
  fi
  echo
  echo "demo: resuming ROST2's camera (SIGCONT)"
  kill -CONT "$CAMERA2_PID"
  # Recovered once nothing of ROST2's fires and its newest alert mail is a resolution (the
  # recorder's restarts against a paused camera can make RecorderStalled flap meanwhile).
  recovered() {
    ! stale_alert && show_mail --last --subject '(SegmentStale|RecorderStalled)' --subject-only | grep -q RESOLVED
  }
  if wait_for 120 "the resolved mail" recovered; then
    echo "demo: resolved mail received:"
    show_mail --last --subject '^\[RESOLVED\].*(SegmentStale|RecorderStalled)' --subject-only || true
  fi
  echo
  echo "\$ fleetctl get notifications"
  "$BIN/fleetctl" get notifications || true
fi

echo
echo "demo: dashboard at $FLEET_COORDINATOR/ — sign in with the admin token:"
echo "  cat $FLEET_TOKEN_FILE"
echo "  (or a read-only one: $BIN/fleetctl token create --role viewer)"
echo
echo "demo: running. In another shell:"
echo "  export FLEET_COORDINATOR=$FLEET_COORDINATOR FLEET_TOKEN_FILE=$FLEET_TOKEN_FILE"
echo "  $BIN/fleetctl get stations"
echo "  $BIN/fleetctl run archive video-to-nas --wait"
echo "  $BIN/fleetctl recordings ROST1"
echo "  $BIN/fleetctl get alerts; $BIN/fleetctl get notifications   # alert mail lands in $DEMO_DIR/mail"
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  echo "Press Ctrl-C to stop."
  while true; do sleep 3600; done
fi
