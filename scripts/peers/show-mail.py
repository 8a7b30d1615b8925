#!/usr/bin/python3
"""Print a mail that smtp-sink.py wrote to its maildir: Subject and the first lines of the
text/plain body. Exits 1 when no message matches (so scripts can poll with it).

Examples:
  /usr/bin/python3 scripts/peers/show-mail.py /tmp/mail --subject '^\\[FIRING.*(SegmentStale|RecorderStalled)'
  /usr/bin/python3 scripts/peers/show-mail.py /tmp/mail --subject '^\\[RESOLVED' --subject-only
  /usr/bin/python3 scripts/peers/show-mail.py /tmp/mail --subject NodeOffline --path   # prints the file's path
"""
import argparse
import email
import email.policy
import os
import re
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("maildir")
    parser.add_argument("--subject", default="", help="regular expression the Subject must match (re.search)")
    parser.add_argument("--lines", type=int, default=12, help="body lines to print (default 12)")
    parser.add_argument("--subject-only", action="store_true", help="print the Subject line only")
    parser.add_argument("--path", action="store_true", help="print the matching file's path only")
    parser.add_argument("--skip", type=int, default=0, help="ignore the first N mails (those that arrived earlier)")
    parser.add_argument("--last", action="store_true", help="show the newest matching mail instead of the oldest")
    args = parser.parse_args()

    pattern = re.compile(args.subject)
    try:
        names = sorted(n for n in os.listdir(args.maildir) if n.endswith(".eml"))[args.skip:]
    except FileNotFoundError:
        return 1
    if args.last:
        names.reverse()
    for name in names:  # oldest first (unless --last): files are numbered in arrival order
        path = os.path.join(args.maildir, name)
        with open(path, "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        subject = str(message.get("Subject", ""))
        if not pattern.search(subject):
            continue
        if args.path:
            print(path)
            return 0
        print(f"Subject: {subject}")
        if args.subject_only:
            return 0
        print(f"To: {message.get('To', '')}")
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        lines = text.splitlines()
        # The body repeats the subject as its first line; skip it.
        if lines and lines[0].strip() == subject.strip():
            lines = lines[1:]
        while lines and not lines[0].strip():
            lines = lines[1:]
        for line in lines[: args.lines]:
            print(f"  {line}")
        if len(lines) > args.lines:
            print(f"  … ({len(lines) - args.lines} more lines in {path})")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
