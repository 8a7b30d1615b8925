#!/usr/bin/python3
"""Detection latency of central alerting, with the real programs (release builds), on 127.0.0.1.

Starts the camera simulator (one stream), the SMTP sink (scripts/peers/smtp-sink.py), a
coordinator and one agent, applies a one-station inventory whose alerts go to an `email`
receiver at the sink, then measures ROUNDS times each:
  (b) camera paused (SIGSTOP of the simulator) → the first FIRING mail for RecorderStalled
      or SegmentStale written by the sink; SIGCONT, then wait for the RESOLVED mail;
  (a) agent SIGKILLed → the FIRING NodeOffline mail; the agent is started again, then wait for
      the RESOLVED mail.
Latency is from the signal to the mail file's mtime (the sink writes it when DATA ends).
Target: detection threshold + groupWait + 2 s, where the threshold is nodeOfflineAfter for
(a) and the recorder's stallSeconds for RecorderStalled (segmentStaleAfter for SegmentStale).

Usage: Benchmarks/scripts/alert-latency.py [--rounds 3] [--bin .build/release]
"""
import argparse
import email
import email.policy
import os
import signal
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait(what, timeout, cond, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


class Maildir:
    def __init__(self, path):
        self.path = path
        self.seen = set()

    def new_mail(self, pattern):
        """(subject, mtime) of the first unseen mail whose Subject contains all words of pattern."""
        import re
        for name in sorted(os.listdir(self.path)):
            if not name.endswith(".eml") or name in self.seen:
                continue
            full = os.path.join(self.path, name)
            with open(full, "rb") as handle:
                subject = str(email.message_from_binary_file(handle, policy=email.policy.default).get("Subject", ""))
            if re.search(pattern, subject):
                self.seen.add(name)
                return subject, os.stat(full).st_mtime
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    ap.add_argument("--node-offline-after", type=int, default=10)
    ap.add_argument("--segment-stale-after", type=int, default=30)
    ap.add_argument("--stall-seconds", type=int, default=5)
    ap.add_argument("--group-wait", type=int, default=2)
    ap.add_argument("--heartbeat", type=int, default=2)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="alert-latency-")
    procs = {}
    try:
        open(f"{work}/pw", "w").write("bench-password\n")
        os.makedirs(f"{work}/mail")
        cam = subprocess.Popen(["/usr/bin/python3", f"{ROOT}/tools/camera-sim.py", "--port", "0", "--user", "viewer",
                                "--password-file", f"{work}/pw", "--mount", "/CAM1"], stdout=subprocess.PIPE, text=True)
        procs["camera"] = cam
        cam_port = int(cam.stdout.readline().split()[-1])
        sink = subprocess.Popen(["/usr/bin/python3", f"{ROOT}/scripts/peers/smtp-sink.py", "--port", "0",
                                 "--port-file", f"{work}/smtp.port", "--maildir", f"{work}/mail"],
                                stdout=subprocess.DEVNULL, stderr=open(f"{work}/sink.err", "w"))
        procs["sink"] = sink
        wait("the SMTP sink", 20, lambda: os.path.exists(f"{work}/smtp.port") and open(f"{work}/smtp.port").read().strip())
        smtp_port = int(open(f"{work}/smtp.port").read())
        coord = subprocess.Popen([f"{args.bin}/fleet-coordinator", "serve", "--listen", "127.0.0.1:0", "--data-dir",
                                  f"{work}/c", "--log-level", "warning"], stdout=open(f"{work}/coord.out", "w"),
                                 stderr=open(f"{work}/coord.err", "w"))
        procs["coordinator"] = coord
        wait("the coordinator", 20, lambda: "listening on" in open(f"{work}/coord.out").read())
        url = open(f"{work}/coord.out").read().split("listening on ")[1].split()[0]

        def start_agent():
            procs["agent"] = subprocess.Popen(
                [f"{args.bin}/fleet-agent", "run", "--coordinator", url, "--join-token-file", f"{work}/c/join.token",
                 "--name", "benchpi", "--state-dir", f"{work}/a", "--status-listen", "off", "--log-level", "warning"],
                stdout=subprocess.DEVNULL, stderr=open(f"{work}/agent.err", "a"))

        start_agent()
        inventory = f"""sites: {{bench: {{}}}}
defaults:
  heartbeatSeconds: {args.heartbeat}
  recorder: {{segmentSeconds: 10, rtspPort: {cam_port}, username: viewer, passwordFile: {work}/pw,
             outputDir: {work}/recordings, stallSeconds: {args.stall_seconds}}}
nodes: {{benchpi: {{site: bench}}}}
stations:
  CAM1: {{node: benchpi, camera: {{host: 127.0.0.1, rtspPath: /CAM1}}}}
alerts:
  thresholds: {{nodeOfflineAfter: {args.node_offline_after}s, segmentStaleAfter: {args.segment_stale_after}s}}
  receivers:
    mail: {{email: {{to: [ops@example.org], smtp: "smtp://127.0.0.1:{smtp_port}"}}}}
  route: {{receiver: mail, groupBy: [node, alertname], groupWait: {args.group_wait}s, groupInterval: 5s, repeatInterval: 4h}}
"""
        open(f"{work}/inv.yaml", "w").write(inventory)
        env = dict(os.environ, FLEET_COORDINATOR=url, FLEET_TOKEN_FILE=f"{work}/c/admin.token")
        subprocess.run([f"{args.bin}/fleetctl", "apply", "-f", f"{work}/inv.yaml"], env=env, check=True,
                       stdout=subprocess.DEVNULL)

        def recording():
            out = subprocess.run([f"{args.bin}/fleetctl", "get", "stations"], env=env, capture_output=True, text=True).stdout
            return " recording " in out and ".mkv" in out

        def no_firing():
            out = subprocess.run([f"{args.bin}/fleetctl", "get", "alerts", "--state", "firing", "-o", "json"], env=env,
                                 capture_output=True, text=True)
            # RecorderRestartLoop stays firing for its 15-minute window after a pause; it is not measured.
            return out.returncode == 0 and not any(f'"{name}"' in out.stdout
                                                   for name in ("RecorderStalled", "SegmentStale", "NodeOffline"))

        wait("the station to record", 60, recording, step=0.5)
        mail = Maildir(f"{work}/mail")
        camera_rounds, node_rounds = [], []
        for _ in range(args.rounds):
            # (b) camera paused
            wait("a recording station and no firing alert", 120, lambda: recording() and no_firing(), step=0.5)
            time.sleep(args.heartbeat)  # a fresh heartbeat and segment before the pause (a start offset, not synchronisation)
            paused = time.time()
            os.kill(cam.pid, signal.SIGSTOP)
            subject, at = wait("the RecorderStalled/SegmentStale mail", 120,
                               lambda: mail.new_mail(r"^\[FIRING.*(RecorderStalled|SegmentStale)"))
            camera_rounds.append((at - paused, subject))
            os.kill(cam.pid, signal.SIGCONT)
            wait("the resolved mail", 120, lambda: mail.new_mail(r"^\[RESOLVED\].*(RecorderStalled|SegmentStale)"))
            # (a) agent killed
            wait("a recording station and no firing alert", 120, lambda: recording() and no_firing(), step=0.5)
            killed = time.time()
            procs["agent"].send_signal(signal.SIGKILL)
            procs["agent"].wait(timeout=10)
            subject, at = wait("the NodeOffline mail", 120, lambda: mail.new_mail(r"^\[FIRING.*NodeOffline"))
            node_rounds.append((at - killed, subject))
            start_agent()
            wait("the resolved NodeOffline mail", 120, lambda: mail.new_mail(r"^\[RESOLVED\].*NodeOffline"))

        def summary(rows):
            values = sorted(r[0] for r in rows)
            return f"min {values[0]:.2f} s, median {statistics.median(values):.2f} s, max {values[-1]:.2f} s"

        print(f"alert-latency: {args.rounds} rounds, heartbeat {args.heartbeat} s, groupWait {args.group_wait} s")
        print(f"  (a) agent SIGKILL -> NodeOffline mail: {summary(node_rounds)}"
              f" (target nodeOfflineAfter {args.node_offline_after} + groupWait {args.group_wait} + 2 ="
              f" {args.node_offline_after + args.group_wait + 2} s)")
        print(f"  (b) camera SIGSTOP -> alert mail:      {summary(camera_rounds)}"
              f" (target stallSeconds {args.stall_seconds} + groupWait {args.group_wait} + 2 ="
              f" {args.stall_seconds + args.group_wait + 2} s for RecorderStalled;"
              f" segmentStaleAfter {args.segment_stale_after} + {args.group_wait} + 2 = {args.segment_stale_after + args.group_wait + 2} s for SegmentStale)")
        for label, rows in (("a", node_rounds), ("b", camera_rounds)):
            for seconds, subject in rows:
                print(f"    ({label}) {seconds:6.2f} s  {subject}")
    finally:
        for name in ("agent", "coordinator", "sink", "camera"):
            proc = procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            try:
                proc.send_signal(signal.SIGTERM)
                proc.send_signal(signal.SIGCONT)
                proc.wait(timeout=15)
            except Exception:
                proc.kill()
                proc.wait(timeout=5)
        # Recorders an agent killed with SIGKILL may have left behind.
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                cmd = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
            except OSError:
                continue
            if "ffmpeg" in cmd and work in cmd:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
