#!/usr/bin/python3
# A minimal SIP responder for the healthd bench: answers every request on UDP ADDR:PORT0…PORT0+N-1
# with "200 OK" (Via, From, To, Call-ID, CSeq echoed) and records arrival times. On SIGTERM it
# writes to OUT: the largest number of requests that arrived within one millisecond, and the total.
#   sip-responder.py ADDR PORT0 N OUT
import select
import signal
import socket
import sys
import time

addr, port0, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
socks = []
for p in range(port0, port0 + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, p))
    socks.append(s)
per_ms = {}
total = 0


def finish(*_):
    with open(out, "w") as f:
        f.write("%d %d\n" % (max(per_ms.values()) if per_ms else 0, total))
    sys.exit(0)


signal.signal(signal.SIGTERM, finish)
print("listening", flush=True)
while True:
    r, _, _ = select.select(socks, [], [], 1.0)
    for s in r:
        data, peer = s.recvfrom(65536)
        ms = int(time.monotonic() * 1000)
        per_ms[ms] = per_ms.get(ms, 0) + 1
        total += 1
        lines = data.decode("latin-1").split("\r\n")
        if not lines or lines[0].startswith("SIP/2.0"):
            continue
        keep = [l for l in lines[1:] if l.split(":", 1)[0].strip().lower() in
                ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")]
        resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
        s.sendto(resp.encode("latin-1"), peer)
