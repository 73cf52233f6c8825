#!/usr/bin/env python3
"""sip-send.py [--tcp] [--timeout S] [--header NAME]... FROM_IP TO_IP:PORT < REQUEST

Sends one SIP request read from stdin (LF line ends are made CRLF; a Content-Length is filled in
when the text has none) from FROM_IP (an ephemeral port) and prints the status code of the final
answer, then for each --header the values of that header in it (one line each, all occurrences
joined by ", "). Placeholders in the request: {ip} {port} (our address), {branch} {tag}
{callid} (fresh random values).

Exit 0: a final answer; 1: none before the timeout; 2: refused (ICMP port unreachable or RST)."""
import argparse
import random
import socket
import sys
import time


def parse_headers(head):
    lines = head.split("\r\n")
    out = {}
    for h in lines[1:]:
        name, _, value = h.partition(":")
        out.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("src")
    ap.add_argument("dst")
    a = ap.parse_args()
    host, port = a.dst.rsplit(":", 1)

    if a.tcp:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((a.src, 0))
        try:
            s.connect((host, int(port)))
        except ConnectionRefusedError:
            print("refused")
            return 2
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a.src, 0))
        s.connect((host, int(port)))
    ip, lport = s.getsockname()[:2]
    text = sys.stdin.read().format(ip=ip, port=lport, branch="z9hG4bK-send-%08x" % random.getrandbits(32),
                                   tag="%08x" % random.getrandbits(32),
                                   callid="send-%016x@%s" % (random.getrandbits(64), ip))
    head, sep, body = text.partition("\n\n")
    head = head.strip("\n").replace("\r\n", "\n").replace("\n", "\r\n")
    if "\ncontent-length:" not in ("\n" + head.lower().replace("\r\n", "\n")):
        head += "\r\nContent-Length: %d" % len(body.encode())
    s.sendall((head + "\r\n\r\n" + body).encode())

    deadline = time.monotonic() + a.timeout
    buf = b""
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionRefusedError:
            print("refused")
            return 2
        if not data:
            break
        buf = buf + data if a.tcp else data
        while b"\r\n\r\n" in buf:
            msg_head, _, rest = buf.partition(b"\r\n\r\n")
            first, headers = parse_headers(msg_head.decode("latin-1"))
            length = int((headers.get("content-length") or headers.get("l") or ["0"])[0])
            buf = rest[length:] if a.tcp else b""
            parts = first.split(" ", 2)
            if len(parts) < 2 or not parts[1].isdigit() or int(parts[1]) < 200:
                continue
            print(parts[1])
            for h in a.header:
                print(", ".join(headers.get(h.lower(), [])))
            return 0
    print("timeout")
    return 1


if __name__ == "__main__":
    sys.exit(main())
