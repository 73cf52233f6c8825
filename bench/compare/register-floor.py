#!/usr/bin/env python3
"""The floor for a failover: one REGISTER exchange (REGISTER, 401, REGISTER with digest, 200)
sent straight to a registrar over loopback, as fast as a client can. Prints the wall time of each
exchange in milliseconds, one per line (TCP: the connect is included, as after a failover).
    register-floor.py ADDR udp|tcp USER PASSWORD COUNT [SRC-ADDR]"""
import hashlib, random, socket, sys, time


def digest(user, password, realm, nonce, uri):
    h = lambda s: hashlib.md5(s.encode()).hexdigest()
    return h(f"{h(f'{user}:{realm}:{password}')}:{nonce}:{h(f'REGISTER:{uri}')}")


def request(addr, transport, src, port, user, callid, cseq, auth=""):
    branch = "z9hG4bK" + "%016x" % random.getrandbits(64)
    t = transport.upper()
    return (f"REGISTER sip:{addr} SIP/2.0\r\nVia: SIP/2.0/{t} {src}:{port};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:{user}@lab.test>;tag=floor{cseq // 2}\r\nTo: <sip:{user}@lab.test>\r\n"
            f"Call-ID: {callid}\r\nCSeq: {cseq} REGISTER\r\n"
            f"Contact: <sip:{user}@{src}:5099;transport={transport}>\r\nExpires: 60\r\n{auth}"
            f"Content-Length: 0\r\n\r\n").encode()


# One Call-ID and contact for every exchange of a run (a refresh, as far as the registrar's
# location table goes), so repeated exchanges do not pile up contacts (the lab allows 10).
CALLID = "floor-%016x" % random.getrandbits(64)
cseq = 0


def exchange(addr, transport, src, user, password):
    global cseq
    callid = CALLID + transport
    t0 = time.monotonic()
    if transport == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((src, 0))
    s.connect((addr, 5060))
    port = s.getsockname()[1]
    buf = b""

    def recv():
        nonlocal buf
        while True:
            if transport == "tcp":
                head, sep, rest = buf.partition(b"\r\n\r\n")
                if sep:  # Content-Length is 0 in every answer of the lab registrar
                    buf = rest
                    return head.decode(errors="replace")
                data = s.recv(65536)
                if not data:
                    raise OSError("connection closed")
                buf += data
            else:
                return s.recv(65536).decode(errors="replace")

    cseq += 2
    s.send(request(addr, transport, src, port, user, callid, cseq - 1))
    ans = recv()
    if not ans.startswith("SIP/2.0 401"):
        raise OSError("expected 401, got " + ans.split("\r\n", 1)[0])
    wa = next(l for l in ans.split("\r\n") if l.lower().startswith("www-authenticate:"))
    params = dict((k.strip(), v.strip('"')) for k, v in
                  (p.split("=", 1) for p in wa.split(" ", 2)[2].split(",") if "=" in p))
    uri = f"sip:{addr}"
    auth = (f'Authorization: Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
            f'uri="{uri}", response="{digest(user, password, params["realm"], params["nonce"], uri)}", algorithm=MD5\r\n')
    s.send(request(addr, transport, src, port, user, callid, cseq, auth))
    ans = recv()
    if not ans.startswith("SIP/2.0 200"):
        raise OSError("expected 200, got " + ans.split("\r\n", 1)[0])
    dt = (time.monotonic() - t0) * 1000
    s.close()
    return dt


def main():
    addr, transport, user, password, count = sys.argv[1:6]
    src = sys.argv[6] if len(sys.argv) > 6 else "127.0.0.1"
    for _ in range(int(count)):
        print("%.3f" % exchange(addr, transport, src, user, password), flush=True)


if __name__ == "__main__":
    main()
