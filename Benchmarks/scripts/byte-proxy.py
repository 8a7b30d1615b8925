#!/usr/bin/env python3
"""A loopback TCP proxy that counts the bytes on the wire in each direction.

    byte-proxy.py --listen 127.0.0.1:0 --target 127.0.0.1:8443 --port-file P --stats-file S
                  [--cut-after BYTES]

Writes the port it listens on to --port-file, and every 200 ms (and on SIGTERM) writes {"connections": N, "upstream": B, "downstream": B} to --stats-file:
upstream = client → target (requests), downstream = target → client (responses), TLS and
HTTP headers included, since it counts the raw TCP payload.

--cut-after BYTES closes the first connection once that many downstream bytes went through,
once: a flaky link dropping a download half-way (for resumable-download benchmarks).
Only 127.0.0.1 / ::1 are accepted as listen and target hosts.
"""
import argparse
import asyncio
import json
import os
import signal
import sys

STATS = {"connections": 0, "upstream": 0, "downstream": 0, "cuts": 0}


def loopback(address):
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"byte-proxy: {host} is not loopback")
    return host, int(port)


def write_stats(path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(STATS, f)
    os.replace(tmp, path)


# BYTE_PROXY_RECORDS=FILE: append each TLS record's direction and length to FILE (where a
# heartbeat's bytes go: one line per record, 5 bytes of header and the sealed payload).
RECORDS = os.environ.get("BYTE_PROXY_RECORDS")


def trace_records(pending, data, key):
    pending += data
    lines = []
    while len(pending) >= 5:
        length = int.from_bytes(pending[3:5], "big")
        if len(pending) < 5 + length:
            break
        lines.append(f"{key} {5 + length}\n")
        del pending[:5 + length]
    if lines:
        with open(RECORDS, "a") as f:
            f.writelines(lines)


async def pump(reader, writer, key, cut):
    pending = bytearray()
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if RECORDS:
                trace_records(pending, data, key)
            STATS[key] += len(data)
            writer.write(data)
            await writer.drain()
            if cut is not None and key == "downstream" and cut["left"] is not None:
                cut["left"] -= len(data)
                if cut["left"] <= 0:
                    cut["left"] = None
                    STATS["cuts"] += 1
                    break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--target", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--stats-file", required=True)
    parser.add_argument("--cut-after", type=int)
    args = parser.parse_args()
    listen_host, listen_port = loopback(args.listen)
    target_host, target_port = loopback(args.target)
    cut = {"left": args.cut_after} if args.cut_after else None

    async def handle(client_reader, client_writer):
        STATS["connections"] += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, up_writer, "upstream", None),
                             pump(up_reader, client_writer, "downstream", cut))
        write_stats(args.stats_file)

    async def flush_every_200ms():
        while True:
            await asyncio.sleep(0.2)
            write_stats(args.stats_file)

    server = await asyncio.start_server(handle, listen_host, listen_port)
    flusher = asyncio.create_task(flush_every_200ms())
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(args.port_file + ".tmp", args.port_file)
    write_stats(args.stats_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    flusher.cancel()
    write_stats(args.stats_file)


if __name__ == "__main__":
    asyncio.run(main())
