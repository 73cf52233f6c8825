#!/usr/bin/python3
# A hostile SIP registrar on UDP ADDR PORT answering every REGISTER the same malformed or
# contradictory way (MODE); prints "listening", then one line per REGISTER received
# ("register N expires=E") so the test can count them.
#   no-contact       200 OK without any Contact
#   expires0         200 OK listing our Contact with expires=0 (no binding, says the server)
#   huge-expires     200 OK, our Contact expires=99999999999, Expires: 4294967296
#   other-contact    200 OK listing only someone else's Contact
#   contradictory    200 OK, Expires: 1 but our Contact expires=7200, and a second copy of ours
#   wrong-callid     200 OK with a Call-ID and To of another dialog
#   oversized        200 OK padded with a 60 000-byte header
#   bad-challenge    401 with a WWW-Authenticate that is not a valid Digest challenge
#   garbage-then-200 a datagram of binary garbage, then a normal 200 OK
#   1xx-forever      100 Trying, then nothing (every retransmission gets another 100)
import re
import socket
import sys

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
print("listening", flush=True)
n = 0


def header(msg, name, short=None):
    for line in msg.split("\r\n"):
        k, _, v = line.partition(":")
        if k.strip().lower() in (name.lower(), (short or "").lower()):
            return v.strip()
    return ""


def headers(msg, name, short=None):
    out = []
    for line in msg.split("\r\n"):
        k, _, v = line.partition(":")
        if k.strip().lower() in (name.lower(), (short or "").lower()):
            out.append(v.strip())
    return out


def response(req, status, extra, callid=None, to=None):
    vias = "".join(f"Via: {v}\r\n" for v in headers(req, "Via", "v"))
    to = to or header(req, "To", "t")
    if ";tag=" not in to:
        to += ";tag=hostile1"
    return (f"SIP/2.0 {status}\r\n{vias}From: {header(req, 'From', 'f')}\r\nTo: {to}\r\n"
            f"Call-ID: {callid or header(req, 'Call-ID', 'i')}\r\nCSeq: {header(req, 'CSeq')}\r\n"
            f"{extra}Content-Length: 0\r\n\r\n").encode()


while True:
    data, peer = s.recvfrom(65535)
    req = data.decode(errors="replace")
    if not req.startswith("REGISTER "):
        continue
    n += 1
    contact = header(req, "Contact", "m")
    m = re.match(r"\s*(<[^>]*>)", contact)
    ours = m.group(1) if m else "<sip:nobody@192.0.2.1>"
    print(f"register {n} expires={header(req, 'Expires') or '?'}", flush=True)
    if mode == "no-contact":
        out = [response(req, "200 OK", "")]
    elif mode == "expires0":
        out = [response(req, "200 OK", f"Contact: {ours};expires=0\r\n")]
    elif mode == "huge-expires":
        out = [response(req, "200 OK", f"Contact: {ours};expires=99999999999\r\nExpires: 4294967296\r\n")]
    elif mode == "other-contact":
        out = [response(req, "200 OK", "Contact: <sip:someone@192.0.2.7:5060>;expires=3600\r\n")]
    elif mode == "contradictory":
        out = [response(req, "200 OK", f"Expires: 1\r\nContact: {ours};expires=7200\r\nContact: {ours};expires=5\r\n")]
    elif mode == "wrong-callid":
        out = [response(req, "200 OK", f"Contact: {ours};expires=3600\r\n", callid="not-yours@192.0.2.1",
                        to="<sip:other@lab.test>;tag=x")]
    elif mode == "oversized":
        out = [response(req, "200 OK", f"Contact: {ours};expires=3600\r\nX-Pad: {'a' * 60000}\r\n")]
    elif mode == "bad-challenge":
        out = [response(req, "401 Unauthorized", 'WWW-Authenticate: Digest realm=, nonce="\x01", algorithm=ROT13, qop=\r\n')]
    elif mode == "garbage-then-200":
        out = [bytes(range(256)) * 4, response(req, "200 OK", f"Contact: {ours};expires=3600\r\n")]
    elif mode == "1xx-forever":
        out = [response(req, "100 Trying", "")]
    else:
        sys.exit(f"unknown mode {mode}")
    for d in out:
        s.sendto(d, peer)
