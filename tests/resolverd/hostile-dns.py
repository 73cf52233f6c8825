#!/usr/bin/env python3
"""A deliberately misbehaving DNS server for the resolverd tests (loopback only).

Usage: hostile-dns.py ADDRESS PORT LOGFILE

Answers over UDP and TCP. What it does depends on the name asked (zone hostile.test):
  ok.             A 127.0.0.1 (TTL 60), AAAA: no data
  hugettl.        A 127.0.0.1 with TTL 0xffffffff (RFC 2181: treat as 0)
  cname-loop.     CNAME loop (cname-loop → loop2 → cname-loop), no address
  cname-chain.    30 CNAMEs, no address
  _sip._udp.many. 500 SRV records (UDP: TC bit, full answer over TCP); tN. A 127.0.0.x
  _sip._udp.bigudp. 60 SRV records over UDP without TC, longer than any EDNS size asked for (about
                  2.2 kB, under 4 kB); the best one (priority 10, t200 port 5071) is the last
  _sip._udp.badsrv. SRV targets with invalid names and "."
  _sip._udp.port0.  SRV t1 port 0 (priority 10) and t2 port 5070 (priority 20)
  _sip._udp.onlyport0. one SRV record, port 0
  servfail. / nxdomain. / refused.  that RCODE
  silent.         no answer at all
  wrongid.        an answer with another ID (must be ignored)
  truncated.      an answer cut in the middle of its record, no TC bit
  malformed.      an answer whose owner name is a compression pointer to itself
  tc-notcp.       TC bit over UDP; TCP connections are closed at once
Every query is logged as "TYPE NAME" to LOGFILE.
"""
import socket
import struct
import sys
import threading

ADDR, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
T_A, T_CNAME, T_AAAA, T_SRV, T_NAPTR, T_OPT = 1, 5, 28, 33, 35, 41
TYPES = {1: "A", 5: "CNAME", 28: "AAAA", 33: "SRV", 35: "NAPTR"}
log_lock = threading.Lock()


def log(line):
    with log_lock, open(LOG, "a") as f:
        f.write(line + "\n")


def enc_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def parse_query(data):
    if len(data) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", data[:12])
    off, labels = 12, []
    while off < len(data) and data[off] != 0 and len(labels) < 128:
        ln = data[off]
        labels.append(data[off + 1:off + 1 + ln].decode("ascii", "replace"))
        off += 1 + ln
    off += 1
    if off + 4 > len(data):
        return None
    qtype, qclass = struct.unpack(">HH", data[off:off + 4])
    question = data[12:off + 4]
    udp_size = 512
    # An OPT record in the additional section announces a larger UDP size (EDNS).
    rest = data[off + 4:]
    if ar and len(rest) >= 11 and rest[0] == 0 and struct.unpack(">H", rest[1:3])[0] == T_OPT:
        udp_size = max(512, struct.unpack(">H", rest[3:5])[0])
    return qid, flags, ".".join(labels).lower(), qtype, question, udp_size


def message(qid, question, answers, rcode=0, tc=False, ancount=None):
    flags = 0x8000 | 0x0400 | 0x0100 | 0x0080 | rcode  # QR AA RD RA
    if tc:
        flags |= 0x0200
    n = len(answers) if ancount is None else ancount
    return struct.pack(">HHHHHH", qid, flags, 1, n, 0, 0) + question + b"".join(answers)


def answer(q, tcp):
    """Returns the reply bytes, or None for no reply."""
    qid, flags, name, qtype, question, udp_size = q
    own = b"\xc0\x0c"  # pointer to the question name
    host = name[:-len(".hostile.test")] if name.endswith(".hostile.test") else None
    if host is None:
        return message(qid, question, [], rcode=5)
    if host == "ok":
        ans = [rr(own, T_A, 60, socket.inet_aton("127.0.0.1"))] if qtype == T_A else []
        return message(qid, question, ans)
    if host == "hugettl":
        ans = [rr(own, T_A, 0xFFFFFFFF, socket.inet_aton("127.0.0.1"))] if qtype == T_A else []
        return message(qid, question, ans)
    if host in ("cname-loop", "loop2"):
        other = "loop2.hostile.test" if host == "cname-loop" else "cname-loop.hostile.test"
        return message(qid, question, [rr(own, T_CNAME, 60, enc_name(other)),
                                       rr(enc_name(other), T_CNAME, 60, enc_name(name))])
    if host == "cname-chain":
        ans, prev = [], own
        for i in range(30):
            nxt = enc_name("c%d.hostile.test" % i)
            ans.append(rr(prev, T_CNAME, 60, nxt))
            prev = nxt
        return message(qid, question, ans)
    if host == "_sip._udp.many" and qtype == T_SRV:
        ans = [rr(own, T_SRV, 60, struct.pack(">HHH", i % 7, i % 13, 5060) + enc_name("t%d.hostile.test" % i))
               for i in range(500)]
        msg = message(qid, question, ans)
        if not tcp and len(msg) > udp_size:
            return message(qid, question, [], tc=True)
        return msg
    if host == "_sip._udp.bigudp" and qtype == T_SRV:
        ans = [rr(own, T_SRV, 60, struct.pack(">HHH", 20, 0, 5060) + enc_name("t%d.hostile.test" % i))
               for i in range(1, 60)]
        ans.append(rr(own, T_SRV, 60, struct.pack(">HHH", 10, 0, 5071) + enc_name("t200.hostile.test")))
        return message(qid, question, ans)
    if host.startswith("t") and host[1:].isdigit():
        ans = [rr(own, T_A, 60, socket.inet_aton("127.0.0.%d" % (int(host[1:]) % 250 + 1)))] if qtype == T_A else []
        return message(qid, question, ans)
    if host == "_sip._udp.badsrv" and qtype == T_SRV:
        ans = [rr(own, T_SRV, 60, struct.pack(">HHH", 10, 0, 5060) + b"\x0abad_name!x\x07hostile\x04test\x00"),
               rr(own, T_SRV, 60, struct.pack(">HHH", 20, 0, 5060) + b"\x00")]
        return message(qid, question, ans)
    if host == "_sip._udp.port0" and qtype == T_SRV:
        ans = [rr(own, T_SRV, 60, struct.pack(">HHH", 10, 0, 0) + enc_name("t1.hostile.test")),
               rr(own, T_SRV, 60, struct.pack(">HHH", 20, 0, 5070) + enc_name("t2.hostile.test"))]
        return message(qid, question, ans)
    if host == "_sip._udp.onlyport0" and qtype == T_SRV:
        return message(qid, question, [rr(own, T_SRV, 60, struct.pack(">HHH", 10, 0, 0) + enc_name("t1.hostile.test"))])
    if host == "servfail":
        return message(qid, question, [], rcode=2)
    if host == "nxdomain":
        return message(qid, question, [], rcode=3)
    if host == "refused":
        return message(qid, question, [], rcode=5)
    if host == "silent":
        return None
    if host == "wrongid":
        return message((qid + 1) & 0xFFFF, question, [rr(own, T_A, 60, socket.inet_aton("127.0.0.1"))])
    if host == "truncated":
        full = message(qid, question, [rr(own, qtype if qtype in (T_A, T_AAAA, T_SRV, T_NAPTR) else T_A, 60,
                                          b"\x7f\x00\x00\x01" * 8)])
        return full[:len(full) - 20]
    if host == "malformed":
        start = 12 + len(question)
        loop = struct.pack(">H", 0xC000 | start)  # the owner name points at itself
        return message(qid, question, [loop + struct.pack(">HHIH", T_A, 1, 60, 4) + b"\x7f\0\0\1"], ancount=5)
    if host == "tc-notcp":
        return "close" if tcp else message(qid, question, [], tc=True)
    return message(qid, question, [], rcode=3)


def serve_udp(sock):
    while True:
        data, peer = sock.recvfrom(4096)
        q = parse_query(data)
        if not q:
            continue
        log("%s %s" % (TYPES.get(q[3], str(q[3])), q[2]))
        reply = answer(q, False)
        if isinstance(reply, bytes):
            sock.sendto(reply, peer)


def serve_tcp_conn(conn):
    with conn:
        while True:
            head = conn.recv(2)
            if len(head) < 2:
                return
            ln = struct.unpack(">H", head)[0]
            data = b""
            while len(data) < ln:
                chunk = conn.recv(ln - len(data))
                if not chunk:
                    return
                data += chunk
            q = parse_query(data)
            if not q:
                return
            log("%s %s tcp" % (TYPES.get(q[3], str(q[3])), q[2]))
            reply = answer(q, True)
            if not isinstance(reply, bytes):
                return
            conn.sendall(struct.pack(">H", len(reply)) + reply)


def serve_tcp(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn,), daemon=True).start()


udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((ADDR, PORT))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((ADDR, PORT))
tcp.listen(16)
threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
log("ready")
serve_udp(udp)
