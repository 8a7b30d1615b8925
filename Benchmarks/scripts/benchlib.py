"""Helpers the benchmark scripts share: bounded waits, small file reads, byte-proxy counters.

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from benchlib import ROOT, wait, read, proxy_stats
"""
import json, os, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait(what, timeout, cond, poll=0.1):
    """Polls cond() until it returns something truthy (returned) or timeout seconds pass (exit)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(poll)
    raise SystemExit(f"timed out waiting for {what}")


def read(path):
    """The file's text, stripped; empty when it cannot be read."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def proxy_stats(path):
    """byte-proxy.py's counters from its --stats-file (zeros before the first write)."""
    text = read(path)
    return json.loads(text) if text else {"upstream": 0, "downstream": 0, "connections": 0, "cuts": 0}
