#!/usr/bin/env python3
"""sip-probe ADDR PORT udp|tcp [TIMEOUT [METHOD [HEADER]]] — sends one SIP request (OPTIONS by
default) and prints the status code of the first final answer, and with HEADER a second line with
that header's value (empty when absent).

Exit 0: answered; 1: no answer before TIMEOUT; 2: refused (UDP: ICMP port unreachable, TCP: RST);
3: the answer is not a SIP status line (printed as 'garbage')."""
import random
import socket
import sys


def request(method, addr, port, transport, local):
    branch = "z9hG4bK-probe-%08x" % random.getrandbits(32)
    tag = "%08x" % random.getrandbits(32)
    callid = "probe-%016x@%s" % (random.getrandbits(64), local[0])
    via_t = "UDP" if transport == "udp" else "TCP"
    return (
        f"{method} sip:{addr}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/{via_t} {local[0]}:{local[1]};branch={branch};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:probe@lab.test>;tag={tag}\r\n"
        f"To: <sip:{addr}:{port}>\r\n"
        f"Call-ID: {callid}\r\n"
        f"CSeq: 1 {method}\r\n"
        f"Contact: <sip:probe@{local[0]}:{local[1]};transport={transport}>\r\n"
        f"Accept: application/sdp\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def header(data, name):
    for h in data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]:
        n, _, value = h.partition(":")
        if n.strip().lower() == name.lower():
            return value.strip()
    return ""


def status(data):
    """The status code of a well-formed response (status line, Call-ID, CSeq 'N METHOD'),
    else None."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = head[0].split(" ", 2)
    if not (len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit() and len(parts[1]) == 3):
        return None
    headers = {}
    for h in head[1:]:
        name, _, value = h.partition(":")
        headers[name.strip().lower()] = value.strip()
    cseq = headers.get("cseq", "").split()
    if not (headers.get("call-id") or headers.get("i")):
        return None
    if len(cseq) != 2 or not cseq[0].isdigit():
        return None
    return parts[1]


def main():
    addr, port, transport = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    method = sys.argv[5] if len(sys.argv) > 5 else "OPTIONS"
    want = sys.argv[6] if len(sys.argv) > 6 else None
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        if transport == "udp":
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.settimeout(timeout)
            s.connect((addr, port))
            s.send(request(method, addr, port, transport, s.getsockname()))
            while True:
                data = s.recv(65535)
                code = status(data)
                # Skip provisional answers; a final one ends the probe.
                if code is None or code[0] != "1":
                    break
        else:
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect((addr, port))
            s.sendall(request(method, addr, port, transport, s.getsockname()))
            data = b""
            code = None
            while True:
                chunk = s.recv(65535)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data:
                    code = status(data)
                    if code is None or code[0] != "1":
                        break
                    data = data.split(b"\r\n\r\n", 1)[1]
            if not data:
                print("closed")
                return 1
    except ConnectionRefusedError:
        print("refused")
        return 2
    except (socket.timeout, TimeoutError):
        print("timeout")
        return 1
    if code is None:
        print("garbage")
        return 3
    print(code)
    if want:
        print(header(data, want))
    return 0


if __name__ == "__main__":
    sys.exit(main())
