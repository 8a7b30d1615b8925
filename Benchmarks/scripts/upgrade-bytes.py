#!/usr/bin/python3
"""Bytes on the wire for one agent upgrade of a ~50 MB build, whole and resumed.

Starts a coordinator and one agent on 127.0.0.1 with byte-proxy.py between them (it counts
every byte of TCP payload both ways: HTTP headers included), applies a one-node inventory,
publishes a runnable build (a stripped copy of fleet-agent padded with random bytes to
--size bytes) as a new version, applies `agentVersion:` and measures until the agent reports
the new version. Baseline in the same run: the agent's idle traffic over an equally long
window before the upgrade. Run twice: a clean download, and one whose connection the proxy
cuts after 40% of the build (a flaky link; the agent resumes with Range).

Usage: Benchmarks/scripts/upgrade-bytes.py [--bin .build/debug] [--size 50000000]
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, wait, read, proxy_stats as stats  # noqa: E402


def make_build(binary, size, out):
    shutil.copy(binary, out)
    subprocess.run(["strip", out], check=False)
    have = os.path.getsize(out)
    if have < size:
        with open(out, "ab") as f:
            f.write(os.urandom(size - have))
    os.chmod(out, 0o755)
    return os.path.getsize(out)


def run(bins, size, cut_fraction, work):
    coordinator_log = open(os.path.join(work, "coordinator.log"), "w")
    data = os.path.join(work, "coordinator")
    coordinator = subprocess.Popen([os.path.join(bins, "fleet-coordinator"), "serve", "--listen", "127.0.0.1:0",
                                    "--data-dir", data], stdout=coordinator_log, stderr=subprocess.STDOUT)
    procs = [coordinator]
    try:
        url = wait("coordinator", 60, lambda: next((l.split()[-1] for l in read(coordinator_log.name).splitlines()
                                                    if l.startswith("fleet-coordinator: listening on")), None))
        target = url.split("//")[1].rstrip("/")
        build = make_build(os.path.join(bins, "fleet-agent"), size, os.path.join(work, "fleet-agent-next"))
        port_file, stats_file = os.path.join(work, "proxy.port"), os.path.join(work, "proxy.json")
        proxy_args = [sys.executable, os.path.join(ROOT, "Benchmarks/scripts/byte-proxy.py"), "--target", target,
                      "--port-file", port_file, "--stats-file", stats_file]
        if cut_fraction:
            proxy_args += ["--cut-after", str(int(build * cut_fraction))]
        proxy = subprocess.Popen(proxy_args)
        procs.append(proxy)
        proxy_port = wait("proxy", 20, lambda: read(port_file))
        env = dict(os.environ, FLEET_COORDINATOR=url, FLEET_TOKEN_FILE=os.path.join(data, "admin.token"))
        fleetctl = os.path.join(bins, "fleetctl")
        inventory = os.path.join(work, "inventory.yaml")

        def apply(version):
            extra = f"  agentVersion: {version}\n" if version else ""
            with open(inventory, "w") as f:
                f.write("sites:\n  bench: {}\ndefaults:\n  heartbeatSeconds: 10\n" + extra
                        + "nodes:\n  benchpi: {site: bench}\n")
            subprocess.run([fleetctl, "apply", "-f", inventory], env=env, check=True, capture_output=True)

        apply(None)
        agent_log = open(os.path.join(work, "agent.log"), "w")
        agent = subprocess.Popen([os.path.join(bins, "fleet-agent"), "run", "--coordinator", f"http://127.0.0.1:{proxy_port}",
                                  "--join-token-file", os.path.join(data, "join.token"), "--state-dir",
                                  os.path.join(work, "agent"), "--name", "benchpi", "--status-listen", "127.0.0.1:0"],
                                 stdout=agent_log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(agent)

        def node():
            request = urllib.request.Request(url + "/v1/nodes/benchpi",
                                             headers={"Authorization": "Bearer " + read(os.path.join(data, "admin.token"))})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return json.load(response)
            except Exception:
                return None

        wait("agent online", 60, lambda: (node() or {}).get("state") == "online")
        subprocess.run([fleetctl, "agent", "publish", os.path.join(work, "fleet-agent-next"), "--version", "0.1.1-bench"],
                       env=env, check=True, capture_output=True)
        # Idle baseline: as long a window as the upgrade will take is unknown yet; take 20 s.
        before = stats(stats_file)
        time.sleep(20)  # a measurement window, not synchronisation
        idle = stats(stats_file)
        idle_bytes = idle["upstream"] + idle["downstream"] - before["upstream"] - before["downstream"]
        start = time.time()
        apply("0.1.1-bench")
        wait("agent reports 0.1.1-bench", 300, lambda: (node() or {}).get("agentVersion") == "0.1.1-bench")
        seconds = time.time() - start
        after = stats(stats_file)
        up = after["upstream"] - idle["upstream"]
        down = after["downstream"] - idle["downstream"]
        return {"build": build, "up": up, "down": down, "seconds": seconds, "idle20s": idle_bytes,
                "cuts": after.get("cuts", 0), "connections": after["connections"]}
    finally:
        for p in reversed(procs):
            try:
                if p is procs[-1] and len(procs) == 3:
                    os.killpg(p.pid, signal.SIGTERM)
                else:
                    p.terminate()
                p.wait(timeout=10)
            except Exception:
                p.kill()
        subprocess.run(["pkill", "-f", work], check=False)  # a guardian or an exec'd agent under work/


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/debug"))
    parser.add_argument("--size", type=int, default=50_000_000)
    args = parser.parse_args()
    for label, cut in (("clean", None), ("cut at 40%", 0.4)):
        work = tempfile.mkdtemp(prefix="upgrade-bytes-")
        try:
            r = run(os.path.abspath(args.bin), args.size, cut, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        total = r["up"] + r["down"]
        print(f"{label}: build {r['build']:,} B; on the wire {total:,} B (down {r['down']:,}, up {r['up']:,}) "
              f"= {total / r['build']:.4f} x the build; {r['seconds']:.1f} s; cuts {r['cuts']}; "
              f"idle baseline {r['idle20s']:,} B per 20 s")


if __name__ == "__main__":
    main()
