#!/usr/bin/python3
"""Bytes on the wire per node per day: an idle station with 2 recorders, over TLS.

Starts the camera simulator (2 mounts), a coordinator serving TLS (a throwaway self-signed
certificate for 127.0.0.1) and two agents, each behind its own byte-proxy.py (which counts
every byte of TCP payload both ways: TLS records and HTTP headers included):
  - `benchpi`: 2 recorders at the default 10-second heartbeat (the station measured);
  - `emptypi`: no stations at all (the baseline in the same run: heartbeats and watches only).
After both are online and recording, counts the bytes over --window seconds and scales them
to a day. --segment-seconds (default 600, the inventory's default) sets how many catalog
entries the window carries; with a short window and 600-second segments, few or none
complete, so the default run also reports a 60-second-segment variant's share if asked.

Usage: Benchmarks/scripts/data-budget.py [--window 300] [--segment-seconds 600] [--bin .build/release]
"""
import argparse, json, os, signal, subprocess, sys, tempfile, time, urllib.request, ssl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, wait, read, proxy_stats as stats  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=int, default=300)
    ap.add_argument("--segment-seconds", type=int, default=600)
    ap.add_argument("--heartbeat-seconds", type=int, default=10)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    args = ap.parse_args()
    bins = os.path.abspath(args.bin)
    work = tempfile.mkdtemp(prefix="data-budget-")
    procs = []
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", f"{work}/tls.key", "-out", f"{work}/tls.crt", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        open(f"{work}/pw", "w").write("bench-password\n")
        cam = subprocess.Popen(["/usr/bin/python3", f"{ROOT}/tools/camera-sim.py", "--port", "0", "--user", "viewer",
                                "--password-file", f"{work}/pw", "--mount", "/CAM1", "--mount", "/CAM2"],
                               stdout=subprocess.PIPE, text=True)
        procs.append(cam)
        cam_port = int(cam.stdout.readline().split()[-1])
        coord_out = open(f"{work}/coord.out", "w+")
        coord = subprocess.Popen([f"{bins}/fleet-coordinator", "serve", "--listen", "127.0.0.1:0", "--data-dir",
                                  f"{work}/c", "--tls-cert", f"{work}/tls.crt", "--tls-key", f"{work}/tls.key",
                                  "--log-level", "warning"], stdout=coord_out, stderr=subprocess.STDOUT)
        procs.append(coord)
        url = wait("coordinator", 30, lambda: next((l.split()[-1] for l in read(f"{work}/coord.out").splitlines()
                                                   if l.startswith("fleet-coordinator: listening on")), None))
        target = url.split("//")[1].rstrip("/")
        stations = "\n".join(f"  CAM{i}: {{node: benchpi, camera: {{host: 127.0.0.1, rtspPath: /CAM{i}}}}}" for i in (1, 2))
        open(f"{work}/inv.yaml", "w").write(f"""sites: {{bench: {{}}}}
defaults:
  heartbeatSeconds: {args.heartbeat_seconds}
  recorder: {{segmentSeconds: {args.segment_seconds}, rtspPort: {cam_port}, username: viewer, passwordFile: {work}/pw,
             outputDir: {work}/recordings}}
nodes: {{benchpi: {{site: bench}}, emptypi: {{site: bench}}}}
stations:
{stations}
""")
        env = dict(os.environ, FLEET_COORDINATOR=url, FLEET_TOKEN_FILE=f"{work}/c/admin.token", FLEET_CA_FILE=f"{work}/tls.crt")
        subprocess.run([f"{bins}/fleetctl", "apply", "-f", f"{work}/inv.yaml", "--ca-file", f"{work}/tls.crt"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        proxies = {}
        for name in ("benchpi", "emptypi"):
            port_file, stats_file = f"{work}/{name}.port", f"{work}/{name}.json"
            procs.append(subprocess.Popen([sys.executable, f"{ROOT}/Benchmarks/scripts/byte-proxy.py", "--target", target,
                                           "--port-file", port_file, "--stats-file", stats_file]))
            port = wait(f"proxy for {name}", 20, lambda: read(port_file))
            proxies[name] = stats_file
            procs.append(subprocess.Popen([f"{bins}/fleet-agent", "run", "--coordinator", f"https://127.0.0.1:{port}",
                                           "--ca-file", f"{work}/tls.crt", "--join-token-file", f"{work}/c/join.token",
                                           "--name", name, "--state-dir", f"{work}/{name}", "--status-listen", "off",
                                           "--log-level", "warning"],
                                          stdout=subprocess.DEVNULL, stderr=open(f"{work}/{name}.err", "w")))
        context = ssl.create_default_context(cafile=f"{work}/tls.crt")
        token = read(f"{work}/c/admin.token")

        def get(path):
            request = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
            try:
                with urllib.request.urlopen(request, timeout=5, context=context) as response:
                    return json.load(response)
            except Exception:
                return None

        def ready():
            nodes = {n["name"]: n for n in get("/v1/nodes") or []}
            stations = get("/v1/stations") or []
            return (all(nodes.get(n, {}).get("state") == "online" for n in ("benchpi", "emptypi"))
                    and len(stations) == 2 and all(s["state"] == "recording" for s in stations))

        wait("both agents online, 2 recorders recording", 90, ready)
        # Each proxy's counters must already show its agent's connection: a reading taken before
        # the proxy's first flush is zeros and would put the whole start-up into the window.
        wait("both proxies counting", 20, lambda: all(stats(f)["connections"] >= 1 for f in proxies.values()))
        before = {n: stats(f) for n, f in proxies.items()}
        time.sleep(args.window)  # the measurement window, not synchronisation
        after = {n: stats(f) for n, f in proxies.items()}
        segments = sum(len((get(f"/v1/stations/CAM{i}/recordings") or {}).get("segments", [])) for i in (1, 2))
        day = 86_400 / args.window
        print(f"data-budget: window {args.window} s, heartbeat {args.heartbeat_seconds} s, segments {args.segment_seconds} s,"
              f" TLS on, catalog holds {segments} segments")
        results = {}
        for name in ("benchpi", "emptypi"):
            up = after[name]["upstream"] - before[name]["upstream"]
            down = after[name]["downstream"] - before[name]["downstream"]
            results[name] = (up + down) * day
            print(f"  {name}: up {up:,} B, down {down:,} B in the window -> {results[name] / 1e6:.2f} MB/day"
                  f" (up {up * day / 1e6:.2f}, down {down * day / 1e6:.2f}); connections opened {after[name]['connections']}")
        print(f"  ratio station / empty node: {results['benchpi'] / max(results['emptypi'], 1):.2f}")
    finally:
        for p in reversed(procs):
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=15)
            except Exception:
                p.kill()
        subprocess.run(["pkill", "-f", work], check=False)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
