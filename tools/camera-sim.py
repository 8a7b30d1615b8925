#!/usr/bin/python3
"""Camera simulator: a GStreamer RTSP server on 127.0.0.1 serving a live test pattern.

Run with /usr/bin/python3 (the interpreter that has python3-gi and the GStreamer RTSP
server bindings):

    /usr/bin/python3 tools/camera-sim.py --port 8554 --mount /ROST1 --mount /ROST2 \
        [--user viewer --password-file /path/to/pw] [--auth basic|digest]

`--port 0` picks a free port. Once listening it prints `ready PORT` on stdout (one line,
flushed). Each client gets its own pipeline (videotestsrc 320x240 @ 10 fps, H.264 with
a keyframe every 10 frames, so segment cuts land within a second of each boundary).

Tests pause the whole camera with SIGSTOP and resume it with SIGCONT. SIGTERM/SIGINT
stop it; it also quits within a second when its parent process goes away (it polls
getppid; PR_SET_PDEATHSIG would fire when the spawning *thread* exits, which thread pools
do), so a crashed test leaves nothing behind.
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PIPELINE = (
    "( videotestsrc is-live=true pattern={pattern} "
    "! video/x-raw,width={width},height={height},framerate={fps}/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={keyint} bitrate={bitrate} "
    "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)


def main():
    parser = argparse.ArgumentParser(description="RTSP camera simulator")
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--mount", action="append", default=[], help="mount path such as /ROST1 (repeatable)")
    parser.add_argument("--user", default=None)
    parser.add_argument("--password-file", default=None)
    parser.add_argument("--auth", choices=["basic", "digest"], default="basic")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--keyint", type=int, default=10)
    parser.add_argument("--bitrate", type=int, default=300, help="kbit/s")
    parser.add_argument("--pattern", default="ball")
    args = parser.parse_args()
    mounts = args.mount or ["/stream1"]

    parent = os.getppid()
    Gst.init(None)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    permissions = None
    if args.user:
        if not args.password_file:
            print("--user needs --password-file", file=sys.stderr)
            return 2
        with open(args.password_file, encoding="utf-8") as handle:
            password = handle.read().strip("\r\n")
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", args.user)
        if args.auth == "digest":
            auth.add_digest(args.user, password, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, password), token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role_from_structure(
            Gst.Structure.new_from_string(
                f"{args.user}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )
        )

    launch = PIPELINE.format(
        pattern=args.pattern, width=args.width, height=args.height, fps=args.fps,
        keyint=args.keyint, bitrate=args.bitrate,
    )
    mount_points = server.get_mount_points()
    for mount in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(False)
        factory.set_latency(0)
        if permissions is not None:
            factory.set_permissions(permissions)
        mount_points.add_factory(mount if mount.startswith("/") else "/" + mount, factory)

    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)

    def parent_alive():
        if os.getppid() != parent:
            loop.quit()
            return False
        return True

    GLib.timeout_add(500, parent_alive)
    print(f"ready {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
