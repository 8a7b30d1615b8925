#!/usr/bin/python3
"""A real SMTP server for tests and the demo (python3-aiosmtpd, Debian 12).

Every accepted message is written atomically to its own file in --maildir
(NNNNNN-<random>.eml: the raw message after two envelope headers, Return-Path and
X-Original-To). The server listens on 127.0.0.1 only.

Examples:
  /usr/bin/python3 scripts/peers/smtp-sink.py --port 2525 --maildir /tmp/mail
  /usr/bin/python3 scripts/peers/smtp-sink.py --port 0 --port-file /tmp/p --maildir /tmp/mail \\
      --starttls-cert server.pem --starttls-key server.key --auth-user alerts --auth-pass s3cret
  /usr/bin/python3 scripts/peers/smtp-sink.py --port 0 --port-file /tmp/p --maildir /tmp/mail \\
      --starttls-cert server.pem --starttls-key server.key --implicit-tls     # smtps://
  /usr/bin/python3 scripts/peers/smtp-sink.py --port 0 --port-file /tmp/p --maildir /tmp/mail \\
      --fail-first 2 --reject-code 451
"""
import argparse
import asyncio
import itertools
import os
import signal
import ssl
import sys
import uuid

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="listen port; 0 picks a free one (default 0)")
    parser.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    parser.add_argument("--maildir", required=True, help="directory receiving one .eml file per message")
    parser.add_argument("--starttls-cert", help="PEM certificate: offer STARTTLS and require it before MAIL")
    parser.add_argument("--starttls-key", help="PEM private key for --starttls-cert")
    parser.add_argument("--implicit-tls", action="store_true",
                        help="with --starttls-cert/--starttls-key: TLS from the first byte (smtps://) instead of STARTTLS")
    parser.add_argument("--auth-user", help="require AUTH (LOGIN/PLAIN) with this user name")
    parser.add_argument("--auth-pass", help="password for --auth-user")
    parser.add_argument("--fail-first", type=int, default=0, help="reject the first N messages at DATA")
    parser.add_argument("--reject-code", type=int, default=451,
                        help="SMTP code for --fail-first rejections (4xx temporary, 5xx permanent; default 451)")
    args = parser.parse_args()
    if bool(args.starttls_cert) != bool(args.starttls_key):
        parser.error("--starttls-cert and --starttls-key go together")
    if args.implicit_tls and not args.starttls_cert:
        parser.error("--implicit-tls needs --starttls-cert and --starttls-key")
    if bool(args.auth_user) != bool(args.auth_pass):
        parser.error("--auth-user and --auth-pass go together")
    return args


class MaildirHandler:
    def __init__(self, maildir, fail_first, reject_code):
        self.maildir = maildir
        self.remaining_failures = fail_first
        self.reject_code = reject_code
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.remaining_failures > 0:
            self.remaining_failures -= 1
            kind = "4.3.0 Temporary failure" if self.reject_code < 500 else "5.7.1 Rejected"
            return f"{self.reject_code} {kind} (smtp-sink --fail-first)"
        name = f"{next(self.counter):06d}-{uuid.uuid4().hex[:8]}.eml"
        header = (f"Return-Path: <{envelope.mail_from}>\r\n"
                  f"X-Original-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        tmp = os.path.join(self.maildir, "." + name + ".tmp")
        with open(tmp, "wb") as handle:
            handle.write(header + content)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, os.path.join(self.maildir, name))
        return "250 2.0.0 OK queued as " + name


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)
    return authenticate


async def main():
    args = parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    handler = MaildirHandler(args.maildir, args.fail_first, args.reject_code)
    tls_context = None
    if args.starttls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.starttls_cert, args.starttls_key)
    options = dict(decode_data=False, enable_SMTPUTF8=True, hostname="smtp-sink.test")
    if tls_context and not args.implicit_tls:
        options.update(tls_context=tls_context, require_starttls=True)
    if args.auth_user:
        options.update(authenticator=make_authenticator(args.auth_user, args.auth_pass), auth_required=True,
                       auth_require_tls=tls_context is not None)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **options), host=args.host, port=args.port,
                                    ssl=tls_context if args.implicit_tls else None)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(f"{port}\n")
        os.rename(tmp, args.port_file)
    print(f"smtp-sink listening on {args.host}:{port}, maildir {args.maildir}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
