#!/usr/bin/python3
"""text-owners.py PID BINARY: which modules own the resident pages of BINARY's .text (for a statically
linked agent, see BENCHMARKS.md, agent RSS). Reads /proc/PID/pagemap: run as root."""
import sys, struct, subprocess, bisect, re, collections
pid, B = sys.argv[1], sys.argv[2]
base = None
for l in open(f"/proc/{pid}/maps"):
    if l.rstrip().endswith(B) and int(l.split()[2], 16) == 0:
        base = int(l.split()[0].split("-")[0], 16); break
syms = []
for l in subprocess.run(["nm", "-n", "--defined-only", B], capture_output=True, text=True).stdout.splitlines():
    p = l.split()
    if len(p) == 3 and p[1] in "tTwW":
        syms.append((int(p[0], 16), p[2]))
addrs = [a for a, _ in syms]
def module(name):
    m = re.match(r"\$s(\d+)([A-Za-z_]\w*)", name)
    if m: return m.group(2)[:int(m.group(1))]
    if name.startswith("$s"): return "Swift (stdlib / generic specializations)"
    if "BoringSSL" in name: return "BoringSSL"
    if name.startswith(("_ZN", "_Z")): return "C++ (ICU/runtime)"
    if "sqlite" in name: return "sqlite"
    if name.startswith(("swift_", "_swift")): return "swift runtime"
    return "C (other)"
out = subprocess.run(["readelf", "-SW", B], capture_output=True, text=True).stdout
for l in out.splitlines():
    if " .text " in l:
        p = l.replace("[ ", "[").split(); tstart, tsize = int(p[3], 16), int(p[5], 16)
pm = open(f"/proc/{pid}/pagemap", "rb")
count = collections.Counter(); total = 0
for pg in range(tstart // 4096, (tstart + tsize) // 4096 + 1):
    pm.seek((base + pg * 4096) // 4096 * 8)
    if struct.unpack("Q", pm.read(8))[0] >> 63:
        total += 1
        i = bisect.bisect_right(addrs, pg * 4096) - 1
        count[module(syms[i][1]) if i >= 0 else "?"] += 1
print(f".text resident {total*4/1024:.1f} MiB")
for k, v in count.most_common(22): print(f"{v*4/1024:6.1f} MiB  {k}")
