#!/usr/bin/python3
"""Agent cost while supervising 8 recorders, and stall-to-restart time.

Starts the camera simulator (8 mounts), a coordinator and one agent (release builds) on
127.0.0.1, applies an 8-station inventory, then:
  1. samples the agent's own RSS and CPU (not ffmpeg's) over a window, with the 8 ffmpeg
     processes' average as the baseline measured in the same run;
  2. freezes one ffmpeg with SIGSTOP (a hung recorder, as in the field notes) N times and
     measures until the agent has a new recorder for that station.

Usage: Benchmarks/scripts/recorder-bench.py [--window 30] [--stalls 10] [--bin .build/release]
                                           [--agent PATH]
--bin holds fleet-coordinator and fleetctl (a debug build is fine: only the agent is measured);
--agent is the agent binary measured (default: BIN/fleet-agent), e.g. a copy of an earlier build.
"""
import argparse, json, os, signal, subprocess, sys, tempfile, time, statistics

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TICKS = os.sysconf("SC_CLK_TCK")

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])

def rss_mib(pid, field="VmRSS:"):
    """Resident memory in MiB; field RssAnon: is the private part (without shared library pages)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0

def rss_by_file(pid, top=6):
    """The mappings holding most of the agent's RSS, as (MiB, file) pairs, largest first."""
    totals, name = {}, "?"
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                name = head[5] if len(head) > 5 else "[anon]"
            elif head[0] == "Rss:":
                totals[name] = totals.get(name, 0) + int(head[1]) / 1024
    return sorted(((v, k) for k, v in totals.items()), reverse=True)[:top]

def ffmpeg_pids(marker):
    pids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        text = b" ".join(cmd).decode(errors="replace")
        if "ffmpeg" in text and marker in text:
            for part in cmd:
                p = part.decode(errors="replace")
                if p.endswith(".mkv") and "/recordings/" in p:
                    pids[p.split("/recordings/")[1].split("/")[0]] = int(entry)
    return pids

def wait(what, timeout, cond):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=int, default=30)
    ap.add_argument("--stalls", type=int, default=10)
    ap.add_argument("--stall-seconds", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    ap.add_argument("--agent", default=None, help="agent binary (default: BIN/fleet-agent)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="recorder-bench-")
    procs = []
    try:
        open(f"{work}/pw", "w").write("bench-password\n")
        mounts = [f"/CAM{i}" for i in range(1, 9)]
        cam = subprocess.Popen(["/usr/bin/python3", f"{ROOT}/tools/camera-sim.py", "--port", "0", "--user", "viewer",
                                "--password-file", f"{work}/pw"] + sum([["--mount", m] for m in mounts], []),
                               stdout=subprocess.PIPE, text=True)
        procs.append(cam)
        port = int(cam.stdout.readline().split()[-1])
        coord_out = open(f"{work}/coord.out", "w+")
        coord = subprocess.Popen([f"{args.bin}/fleet-coordinator", "serve", "--listen", "127.0.0.1:0", "--data-dir",
                                  f"{work}/c", "--log-level", "warning"], stdout=coord_out, stderr=subprocess.DEVNULL)
        procs.append(coord)
        wait("coordinator", 20, lambda: "listening on" in open(f"{work}/coord.out").read())
        url = open(f"{work}/coord.out").read().split("listening on ")[1].split()[0]
        agent = subprocess.Popen([args.agent or f"{args.bin}/fleet-agent", "run", "--coordinator", url, "--join-token-file",
                                  f"{work}/c/join.token", "--name", "benchpi", "--state-dir", f"{work}/a",
                                  "--status-listen", "off", "--log-level", "warning"],
                                 stdout=subprocess.DEVNULL, stderr=open(f"{work}/agent.err", "w"))
        procs.append(agent)
        stations = "\n".join(f"  CAM{i}: {{node: benchpi, camera: {{host: 127.0.0.1, rtspPath: /CAM{i}}}}}" for i in range(1, 9))
        inventory = f"""sites: {{bench: {{}}}}
defaults:
  heartbeatSeconds: 10
  recorder: {{segmentSeconds: 10, rtspPort: {port}, username: viewer, passwordFile: {work}/pw,
             outputDir: {work}/recordings, stallSeconds: {args.stall_seconds}}}
nodes: {{benchpi: {{site: bench}}}}
stations:
{stations}
"""
        open(f"{work}/inv.yaml", "w").write(inventory)
        env = dict(os.environ, FLEET_COORDINATOR=url, FLEET_TOKEN_FILE=f"{work}/c/admin.token")
        subprocess.run([f"{args.bin}/fleetctl", "apply", "-f", f"{work}/inv.yaml"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        wait("8 recorders", 60, lambda: len(ffmpeg_pids(work)) == 8)
        time.sleep(5)  # settle: let the first segments open before sampling (a measurement window, not synchronisation)

        pids = ffmpeg_pids(work)
        a0, f0, t0 = cpu_ticks(agent.pid), {s: cpu_ticks(p) for s, p in pids.items()}, time.time()
        rss_samples, anon_samples, ff_rss = [], [], []
        while time.time() - t0 < args.window:
            rss_samples.append(rss_mib(agent.pid))
            anon_samples.append(rss_mib(agent.pid, "RssAnon:"))
            ff_rss.append(statistics.mean(rss_mib(p) for p in pids.values()))
            time.sleep(1)
        elapsed = time.time() - t0
        mappings = rss_by_file(agent.pid)
        agent_cpu = (cpu_ticks(agent.pid) - a0) / TICKS / elapsed * 100
        ff_cpu = statistics.mean((cpu_ticks(p) - f0[s]) / TICKS / elapsed * 100 for s, p in pids.items())

        delays = []
        for i in range(args.stalls):
            station = f"CAM{i % 8 + 1}"
            old = ffmpeg_pids(work)[station]
            stopped = time.time()
            os.kill(old, signal.SIGSTOP)
            wait(f"restart of {station}", 60, lambda: ffmpeg_pids(work).get(station, old) != old)
            delays.append(time.time() - stopped)
            wait("8 recorders", 30, lambda: len(ffmpeg_pids(work)) == 8)
        delays.sort()
        print(f"recorder-bench: 8 recorders, window {args.window} s, stallSeconds {args.stall_seconds}")
        print(f"  agent RSS: max {max(rss_samples):.1f} MiB, mean {statistics.mean(rss_samples):.1f} MiB"
              f" (baseline: one ffmpeg {statistics.mean(ff_rss):.1f} MiB; ratio {max(rss_samples)/statistics.mean(ff_rss):.2f})")
        print(f"  agent private (RssAnon): max {max(anon_samples):.1f} MiB; the rest of RSS is shared library pages")
        print("  agent RSS by mapping: " + ", ".join(f"{os.path.basename(k)} {v:.1f}" for v, k in mappings))
        print(f"  agent CPU: {agent_cpu:.2f} % of one core (baseline: one ffmpeg {ff_cpu:.2f} %; ratio {agent_cpu/max(ff_cpu,1e-9):.2f})")
        print(f"  stall-to-restart over {len(delays)} stalls: min {delays[0]:.2f} s, median {statistics.median(delays):.2f} s,"
              f" max {delays[-1]:.2f} s (stallSeconds + 2 = {args.stall_seconds + 2} s)")
    finally:
        for p in reversed(procs):
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=15)
            except Exception:
                p.kill()
        for pid in ffmpeg_pids(work).values():
            os.kill(pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", work])

if __name__ == "__main__":
    main()
