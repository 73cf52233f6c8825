#!/usr/bin/env python3
"""sip-replay TRACE ADDR [SRC-ADDR] — re-sends the last REGISTER carrying credentials found in a
sipp -trace_msg file to ADDR:5060 over UDP, as a new transaction (CSeq + 10, new branch), and
prints the status code and the WWW-Authenticate value of the answer (2 s timeout).

Used to show what a registrar does with credentials for a nonce it did not issue (a restart)."""
import random
import re
import socket
import sys


def main():
    trace, addr = sys.argv[1], sys.argv[2]
    src = sys.argv[3] if len(sys.argv) > 3 else "0.0.0.0"
    blocks = open(trace, encoding="latin-1").read().split("-" * 47)
    sent = [b for b in blocks if "message sent" in b and "\nAuthorization:" in b and "\nREGISTER " in b]
    if not sent:
        print("no authenticated REGISTER in " + trace, file=sys.stderr)
        return 2
    msg = sent[-1].split("\n\n", 1)[1].lstrip("\n")
    head = msg.split("\n\n", 1)[0].rstrip("\n").split("\n")
    out = []
    for line in head:
        if line.lower().startswith("cseq:"):
            n, method = line.split(":", 1)[1].split()
            line = "CSeq: %d %s" % (int(n) + 10, method)
        elif line.lower().startswith("via:"):
            line = re.sub(r"branch=[^;\s]+", "branch=z9hG4bK-replay-%08x" % random.getrandbits(32), line)
        out.append(line)
    data = ("\r\n".join(out) + "\r\n\r\n").encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(2)
    s.sendto(data, (addr, 5060))
    try:
        answer = s.recv(65535).decode("latin-1")
    except (socket.timeout, TimeoutError):
        print("timeout")
        return 1
    except ConnectionRefusedError:
        print("refused")
        return 2
    print(answer.split(" ", 2)[1])
    for line in answer.split("\r\n"):
        if line.lower().startswith("www-authenticate:"):
            print(line.split(":", 1)[1].strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
