#!/usr/bin/python3
"""Remote logs and snapshots (issue 15): bytes on the agent's wire, `-f` latency, and the
coordinator's memory with 100 concurrent `logs -f` followers.

Starts on 127.0.0.1: a camera simulator (1280x720, one mount, with a password), a coordinator,
byte-proxy.py between the recording agent and the coordinator (it counts TCP payload both ways,
HTTP headers included), the recording agent `benchpi` (station ROST1, 3 s segments) and four
agents without stations (`follow1`..`follow4`). Heartbeats every 30 s keep the measurement
windows quiet.

1. 200-line log request: restarts ROST1's recorder until its log has 200 lines, then measures
   the proxy's counters around `fleetctl logs station ROST1 --tail 200` until the command's
   result is stored (the upload, the result heartbeat, the watch that carried the command).
2. Snapshot: the same around `fleetctl snapshot ROST1`.
3. `-f` latency: a real `fleetctl logs station ROST1 -f` while the bench restarts the recorder
   10 times; latency = when the `recorder.restarted` line reached fleetctl's stdout minus the
   time stamped on it when the supervisor wrote it.
4. 100 followers: 25 per `follow` agent (`POST /v1/nodes/NAME/logs` with follow, then long
   polls with a cursor, as fleetctl does) for 30 s; the coordinator's VmRSS before, during and
   after, and its CPU over the 30 s.

Usage: Benchmarks/scripts/remote-output-bench.py [--bin .build/debug]
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, tempfile, threading, time
import urllib.request
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, wait, read, proxy_stats as stats  # noqa: E402


def rss_kib(pid):
    for line in read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    fields = read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(self, bins, work):
        self.bins, self.work, self.procs = bins, work, []

    def start(self, args, log, **kw):
        proc = subprocess.Popen(args, stdout=open(os.path.join(self.work, log), "w"), stderr=subprocess.STDOUT, **kw)
        self.procs.append(proc)
        return proc

    def api(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
            return json.loads(text) if text else None

    def fleetctl(self, *args, check=True):
        return subprocess.run([os.path.join(self.bins, "fleetctl"), *args], env=self.env, check=check,
                              capture_output=True, text=True)

    def command_done(self, command_id):
        return lambda: self.api("GET", f"/v1/commands/{command_id}")["state"] in ("succeeded", "failed", "expired")

    def setup(self):
        password = os.path.join(self.work, "camera-password")
        with open(password, "w") as f:
            f.write("bench-secret-Pa55word\n")
        camera = self.start(["/usr/bin/python3", os.path.join(ROOT, "tools/camera-sim.py"), "--port", "0", "--user", "viewer",
                             "--password-file", password, "--mount", "/ROST1", "--width", "1280", "--height", "720"], "camera.log")
        camera_port = wait("camera", 30, lambda: next((l.split()[-1] for l in read(os.path.join(self.work, "camera.log")).splitlines()
                                                       if "ready" in l), None))
        data = os.path.join(self.work, "coordinator")
        self.coordinator = self.start([os.path.join(self.bins, "fleet-coordinator"), "serve", "--listen", "127.0.0.1:0",
                                       "--data-dir", data], "coordinator.log")
        self.url = wait("coordinator", 60, lambda: next((l.split()[-1] for l in read(os.path.join(self.work, "coordinator.log")).splitlines()
                                                         if l.startswith("fleet-coordinator: listening on")), None))
        self.token = read(os.path.join(data, "admin.token"))
        self.env = dict(os.environ, FLEET_COORDINATOR=self.url, FLEET_TOKEN_FILE=os.path.join(data, "admin.token"))
        port_file, self.stats_file = os.path.join(self.work, "proxy.port"), os.path.join(self.work, "proxy.json")
        self.start([sys.executable, os.path.join(ROOT, "Benchmarks/scripts/byte-proxy.py"), "--target",
                    self.url.split("//")[1].rstrip("/"), "--port-file", port_file, "--stats-file", self.stats_file], "proxy.log")
        proxy_port = wait("proxy", 20, lambda: read(port_file))
        inventory = os.path.join(self.work, "inventory.yaml")
        with open(inventory, "w") as f:
            f.write(f"""sites:
  bench: {{}}
defaults:
  heartbeatSeconds: 30
  recorder: {{segmentSeconds: 3, rtspPort: {camera_port}, username: viewer, passwordFile: {password},
             outputDir: {self.work}/recordings, stallSeconds: 5}}
nodes:
  benchpi: {{site: bench}}
  follow1: {{site: bench}}
  follow2: {{site: bench}}
  follow3: {{site: bench}}
  follow4: {{site: bench}}
stations:
  ROST1: {{node: benchpi, camera: {{host: 127.0.0.1, rtspPath: /ROST1}}}}
""")
        self.fleetctl("apply", "-f", inventory)
        for name, url in [("benchpi", f"http://127.0.0.1:{proxy_port}")] + [(f"follow{i}", self.url) for i in range(1, 5)]:
            self.start([os.path.join(self.bins, "fleet-agent"), "run", "--coordinator", url, "--join-token-file",
                        os.path.join(data, "join.token"), "--state-dir", os.path.join(self.work, "agents", name),
                        "--name", name, "--status-listen", "127.0.0.1:0"], f"agent-{name}.log")
        wait("agents online", 60, lambda: sum(n["state"] == "online" for n in self.api("GET", "/v1/nodes")) == 5)
        wait("ROST1 recording", 60, lambda: self.api("GET", "/v1/stations/ROST1").get("newestSegment"))

    def measured(self, run):
        """Proxy bytes (up = agent → coordinator, down) around `run`, which returns a command id it waits for."""
        time.sleep(1)  # let a heartbeat of an earlier step pass: a quiet window, not synchronisation
        before = stats(self.stats_file)
        command = run()
        wait("command done", 60, self.command_done(command))
        time.sleep(0.5)  # the proxy writes its counters every 200 ms
        after = stats(self.stats_file)
        return after["upstream"] - before["upstream"], after["downstream"] - before["downstream"]

    def log_request(self):
        for _ in range(200):
            out = self.fleetctl("logs", "station", "ROST1", "--tail", "200").stdout
            if len(out.splitlines()) >= 200:
                break
            self.fleetctl("restart", "recorder", "ROST1", "--wait", check=False)
        result = {}

        def run():
            out = self.fleetctl("logs", "station", "ROST1", "--tail", "200", "-o", "json").stdout
            body = json.loads(out)
            result["lines"], result["bytes"] = len(body["lines"]), sum(len(l.encode()) + 1 for l in body["lines"])
            return body["command"]
        up, down = self.measured(run)
        return {"lines": result["lines"], "text": result["bytes"], "up": up, "down": down}

    def snapshot(self):
        result = {}

        def run():
            out = self.fleetctl("snapshot", "ROST1", "-f", os.path.join(self.work, "snap.jpg"), "-o", "json").stdout
            body = json.loads(out)
            result.update(body)
            return body["command"]
        up, down = self.measured(run)
        return {"jpeg": result["bytes"], "size": f"{result.get('width')}x{result.get('height')}", "up": up, "down": down}

    def follow_latency(self, rounds=10):
        proc = subprocess.Popen([os.path.join(self.bins, "fleetctl"), "logs", "station", "ROST1", "-f", "--tail", "1"],
                                env=self.env, stdout=subprocess.PIPE, text=True)
        latencies = []

        def reader():
            for line in proc.stdout:
                if "recorder.restarted" in line:
                    stamp = datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00")).timestamp()
                    latencies.append(time.time() - stamp)
        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        time.sleep(2)  # the follow is set up: a pause before the first provoked line, not synchronisation
        for i in range(rounds):
            self.fleetctl("restart", "recorder", "ROST1", "--wait", check=False)
            wait("restart line", 20, lambda: len(latencies) > i)
        start = time.time()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        exit_seconds = time.time() - start
        return {"median": statistics.median(latencies), "max": max(latencies), "n": len(latencies), "exit": exit_seconds}

    def followers(self, count=100, seconds=30):
        stop = threading.Event()
        errors, polls = [], [0]

        def follower(node):
            try:
                command = self.api("POST", f"/v1/nodes/{node}/logs", {"tail": 10, "follow": True})["id"]
                cursor = 0
                while not stop.is_set():
                    chunk = self.api("POST", f"/v1/commands/{command}/logs?cursor={cursor}&wait=20", timeout=40)
                    cursor = chunk["cursor"]
                    polls[0] += 1
                    if chunk["done"]:
                        errors.append(chunk.get("error") or "ended")
                        return
            except Exception as error:  # counted and reported
                errors.append(str(error))
        idle = rss_kib(self.coordinator.pid)
        threads = [threading.Thread(target=follower, args=(f"follow{i % 4 + 1}",), daemon=True) for i in range(count)]
        for thread in threads:
            thread.start()
        time.sleep(5)  # the followers are set up
        cpu0, rss = cpu_seconds(self.coordinator.pid), []
        end = time.time() + seconds
        while time.time() < end:
            rss.append(rss_kib(self.coordinator.pid))
            time.sleep(1)  # sampling period
        cpu = cpu_seconds(self.coordinator.pid) - cpu0
        parked = self.coordinator_metric("stationfleet_remote_output_bytes_total")
        stop.set()
        time.sleep(8)  # followers stop asking; the agents learn it within seconds
        return {"idle": idle, "peak": max(rss), "mean": int(statistics.mean(rss)), "after": rss_kib(self.coordinator.pid),
                "cpu": cpu / seconds, "errors": len(errors), "polls": polls[0], "upload_bytes": parked,
                "first_error": errors[0] if errors else ""}

    def coordinator_metric(self, name):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as response:
            lines = response.read().decode().splitlines()
        return sum(float(l.split()[-1]) for l in lines if l.startswith(name + "{"))

    def stop(self):
        for proc in reversed(self.procs):
            try:
                proc.terminate()
                proc.wait(timeout=10)
            except Exception:
                proc.kill()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/debug"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="remote-output-bench-")
    bench = Bench(os.path.abspath(args.bin), work)
    try:
        bench.setup()
        logs = bench.log_request()
        print(f"log request --tail 200: {logs['lines']} lines ({logs['text']:,} B of text); agent sent {logs['up']:,} B, "
              f"received {logs['down']:,} B (HTTP headers, the result heartbeat and the watch included)")
        snap = bench.snapshot()
        print(f"snapshot {snap['size']}: JPEG {snap['jpeg']:,} B; agent sent {snap['up']:,} B, received {snap['down']:,} B")
        latency = bench.follow_latency()
        print(f"-f latency over {latency['n']} provoked lines: median {latency['median'] * 1000:.0f} ms, "
              f"max {latency['max'] * 1000:.0f} ms; fleetctl exited {latency['exit'] * 1000:.0f} ms after SIGINT")
        crowd = bench.followers()
        print(f"100 followers for 30 s: coordinator VmRSS idle {crowd['idle'] / 1024:.1f} MiB, mean {crowd['mean'] / 1024:.1f} MiB, "
              f"peak {crowd['peak'] / 1024:.1f} MiB, after {crowd['after'] / 1024:.1f} MiB; CPU {crowd['cpu'] * 100:.1f}% of a core; "
              f"{crowd['polls']} polls answered; errors {crowd['errors']} {crowd['first_error']}")
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
