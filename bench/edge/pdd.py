#!/usr/bin/env python3
"""The UA, the far side and the caller of bench/edge, in one process with one clock.

  pdd.py --ua IP --far IP --caller IP --edge IP:PORT [--user 1001 --password P --domain lab.test]

Sockets (UDP): the UA at --ua:5060 (sends its calls to the edge, answers requests the edge sends
it), the far side at --far:5060 (where the registrars send calls for other numbers), a caller at
--caller:<ephemeral>. Every arrival is timestamped with time.monotonic() when it is read.

Commands, one a line on stdin; one JSON answer a line on stdout (progress on stderr):
  dial NUMBER DEADLINE_S
      the UA sends INVITE sip:NUMBER@DOMAIN through the edge (From the UA's user, Route to the
      edge), answers a 401/407 with digest credentials as a UA does (ACK, then the INVITE again
      with CSeq + 1), and waits for that Call-ID's INVITE at the far side. Answer:
      {"ok": true, "ms": first INVITE sent -> INVITE at the far side, "via": registrar address}
      or {"ok": false, "why": "timeout" | "final CODE"}. The far side answers 486; the UA ACKs.
  baresip-connect HOST:PORT
      holds baresip's ctrl_tcp connection (netstring JSON, one connection for the whole run)
  baresip-dial URI FROM_USER DEADLINE_S
      t0 = the dial command written to ctrl_tcp; the first new INVITE from FROM_USER at the far
      side ends the measure (same answer as dial). On timeout baresip hangs up.
  register USER EXPIRES
      the UA registers sip:USER@UA:5060 with the edge (absorbed there as a local contact)
  incoming REGISTRAR_IP USER DEADLINE_S INTERVAL_S [KILL_PGID]
      t0 = SIGKILL to process group KILL_PGID (when given, sent here so t0 is exact), then the
      caller sends INVITE sip:USER@DOMAIN to REGISTRAR_IP:5060, a new call every INTERVAL_S until
      one reaches the UA. Answer: {"ok": true, "ms_kill": t0 -> first INVITE at the UA,
      "ms_call": that call's INVITE sent -> at the UA, "lost": calls answered without reaching
      the UA before it, "codes": their final codes} or {"ok": false, ...}
  quit
"""
import argparse
import hashlib
import json
import os
import random
import re
import select
import signal
import socket
import sys
import time

T1 = 0.5
COMPACT = {"v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject"}


def now():
    return time.monotonic()


def log(*a):
    print("pdd:", *a, file=sys.stderr, flush=True)


def rnd(bits=32):
    return "%0*x" % (bits // 4, random.getrandbits(bits))


class Msg:
    def __init__(self, data):
        text = data.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers = []
        for ln in lines[1:]:
            if ln[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + ln.strip())
                continue
            n, _, v = ln.partition(":")
            n = n.strip().lower()
            self.headers.append((COMPACT.get(n, n), v.strip()))
        p = self.first.split(" ", 2)
        self.is_response = p[0].startswith("SIP/")
        self.code = int(p[1]) if self.is_response and len(p) > 1 and p[1].isdigit() else 0
        self.method = None if self.is_response else p[0]
        self.ruri = None if self.is_response else (p[1] if len(p) > 1 else "")
        cseq = self.get("cseq").split()
        self.cseq_num = int(cseq[0]) if cseq and cseq[0].isdigit() else 0
        self.cseq_method = cseq[1] if len(cseq) > 1 else ""

    def get(self, name):
        for n, v in self.headers:
            if n == name:
                return v
        return ""

    def all(self, name):
        out = []
        for n, v in self.headers:
            if n == name:
                out += [x.strip() for x in split_commas(v)]
        return out

    def branch(self):
        m = re.search(r";\s*branch=([^;,\s]+)", self.get("via"))
        return m.group(1) if m else ""

    def call_id(self):
        return self.get("call-id")


def split_commas(v):
    out, cur, q, ang = [], "", False, 0
    for ch in v:
        if ch == '"':
            q = not q
        elif not q and ch == "<":
            ang += 1
        elif not q and ch == ">":
            ang -= 1
        if ch == "," and not q and ang == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def uri_user(h):
    m = re.search(r"sips?:([^@;>]+)@", h)
    return m.group(1) if m else ""


def build(first, headers, body=""):
    lines = [first] + ["%s: %s" % (n, v) for n, v in headers]
    lines.append("Content-Length: %d" % len(body.encode()))
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def reply(req, code, reason, to_tag, extra=()):
    hs = [("Via", v) for v in req.all("via")]
    to = req.get("to")
    if ";tag=" not in to:
        to += ";tag=" + to_tag
    hs += [("From", req.get("from")), ("To", to), ("Call-ID", req.call_id()), ("CSeq", req.get("cseq"))]
    hs += list(extra)
    return build("SIP/2.0 %d %s" % (code, reason), hs)


def digest(chal, method, uri, user, password):
    params = dict((k, v.strip('"')) for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', chal))
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    ha1 = hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()
    ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
    out = 'Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5' % (user, realm, nonce, uri)
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    if "auth" in qops:
        cnonce, nc = rnd(), "00000001"
        resp = hashlib.md5(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)).encode()).hexdigest()
        out += ', qop=auth, nc=%s, cnonce="%s"' % (nc, cnonce)
    else:
        resp = hashlib.md5(("%s:%s:%s" % (ha1, nonce, ha2)).encode()).hexdigest()
    out += ', response="%s"' % resp
    if "opaque" in params:
        out += ', opaque="%s"' % params["opaque"]
    return out


class Lab:
    def __init__(self, a):
        self.a = a
        self.edge = (a.edge.rsplit(":", 1)[0], int(a.edge.rsplit(":", 1)[1]))
        self.ua = self.udp(a.ua, 5060)
        self.far = self.udp(a.far, 5060)
        self.caller = self.udp(a.caller, 0)
        self.socks = {self.ua: "ua", self.far: "far", self.caller: "caller"}
        self.tags = {}           # (role, call-id) → our To tag
        self.arrivals = {"far": [], "ua": []}  # (t, call-id, from-user, source ip, ruri user)
        self.seen = {"far": set(), "ua": set()}
        self.responses = {}      # branch → [(t, Msg)]
        self.ctl = None
        self.ctl_buf = b""
        self.ctl_events = []

    @staticmethod
    def udp(ip, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, port))
        s.setblocking(False)
        return s

    # -- the loop: every socket is read as soon as something arrives
    def pump(self, until, stop=None):
        """Serves every socket until the monotonic time `until`, or until stop() is true after a
        batch of arrivals (returns at once when past `until`)."""
        while True:
            left = until - now()
            rl = list(self.socks) + ([self.ctl] if self.ctl else [])
            r, _, _ = select.select(rl, [], [], max(0.0, left))
            t = now()
            for s in r:
                if s is self.ctl:
                    self.ctl_read(t)
                    continue
                while True:
                    try:
                        data, src = s.recvfrom(65535)
                    except (BlockingIOError, InterruptedError):
                        break
                    except ConnectionRefusedError:
                        continue
                    if data.strip():
                        self.handle(self.socks[s], s, Msg(data), src, t)
            if not r or now() >= until or (stop and stop()):
                return

    def handle(self, role, sock, m, src, t):
        if m.is_response:
            self.responses.setdefault(m.branch(), []).append((t, m))
            return
        cid = m.call_id()
        if m.method == "INVITE" and role in ("far", "ua"):
            key = (cid, m.cseq_num)
            if key not in self.seen[role]:
                self.seen[role].add(key)
                self.arrivals[role].append((t, cid, uri_user(m.get("from")), src[0], uri_user(m.ruri)))
        if m.method == "ACK":
            return
        tag = self.tags.setdefault((role, cid), rnd())
        if m.method == "INVITE":
            out = reply(m, 486, "Busy Here", tag)
        else:
            out = reply(m, 200, "OK", tag)
        dest = src
        sock.sendto(out, dest)

    # -- a client transaction over UDP: retransmits (timer A) until a provisional, returns the final
    def transaction(self, sock, dest, data, branch, deadline):
        interval = T1
        nxt = now() + interval
        prov = False
        while now() < deadline:
            self.pump(deadline if prov else min(nxt, deadline), lambda: branch in self.responses)
            for t, m in self.responses.pop(branch, []):
                if m.code >= 200:
                    return t, m
                prov = True
            if not prov and now() >= nxt:
                sock.sendto(data, dest)
                interval *= 2
                nxt = now() + interval
        return None, None

    def ack(self, sock, dest, ruri, inv_headers, final, cseq):
        hs = []
        for n, v in inv_headers:
            if n in ("Via", "From", "Call-ID", "Route", "Max-Forwards"):
                hs.append((n, v))
        hs.insert(2, ("To", final.get("to")))
        hs.append(("CSeq", "%d ACK" % cseq))
        sock.sendto(build("ACK %s SIP/2.0" % ruri, hs), dest)

    def invite(self, sock, dest, ruri, from_uri, to_uri, cid, cseq, ftag, route=None, auth=None, contact=None):
        me = sock.getsockname()
        branch = "z9hG4bK-pdd-" + rnd(64)
        sdp = ("v=0\r\no=pdd 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
               "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (me[0], me[0]))
        hs = [("Via", "SIP/2.0/UDP %s:%d;branch=%s;rport" % (me[0], me[1], branch))]
        if route:
            hs.append(("Route", route))
        hs += [("Max-Forwards", "70"), ("From", "<%s>;tag=%s" % (from_uri, ftag)), ("To", "<%s>" % to_uri),
               ("Call-ID", cid), ("CSeq", "%d INVITE" % cseq),
               ("Contact", "<%s>" % (contact or "sip:%s@%s:%d" % (uri_user(from_uri), me[0], me[1])))]
        if auth:
            hs.append(auth)
        hs += [("User-Agent", "sipr-bench-pdd"), ("Content-Type", "application/sdp")]
        return branch, hs, build("INVITE %s SIP/2.0" % ruri, hs, sdp)

    # -- commands
    def far_arrival(self, pred, since):
        for a in self.arrivals["far"]:
            if a[0] >= since and pred(a):
                return a
        return None

    def dial(self, number, deadline_s):
        a = self.a
        ruri = "sip:%s@%s" % (number, a.domain)
        from_uri = "sip:%s@%s" % (a.user, a.domain)
        cid = "pdd-%s@%s" % (rnd(64), a.ua)
        ftag = rnd()
        route = "<sip:%s:%d;lr>" % self.edge
        branch, hs, data = self.invite(self.ua, self.edge, ruri, from_uri, ruri, cid, 1, ftag, route)
        t0 = now()
        self.ua.sendto(data, self.edge)
        deadline = t0 + deadline_s
        tf, final = self.transaction(self.ua, self.edge, data, branch, deadline)
        cseq = 1
        if final is not None and final.code in (401, 407):
            self.ack(self.ua, self.edge, ruri, hs, final, 1)
            hname = "proxy-authenticate" if final.code == 407 else "www-authenticate"
            aname = "Proxy-Authorization" if final.code == 407 else "Authorization"
            cred = (aname, digest(final.get(hname), "INVITE", ruri, a.user, a.password))
            cseq = 2
            branch, hs, data = self.invite(self.ua, self.edge, ruri, from_uri, ruri, cid, 2, ftag, route, cred)
            self.ua.sendto(data, self.edge)
            tf, final = self.transaction(self.ua, self.edge, data, branch, deadline)
        arr = self.far_arrival(lambda x: x[1] == cid, t0)
        if final is not None and final.code >= 300:
            self.ack(self.ua, self.edge, ruri, hs, final, cseq)
        if arr:
            return {"ok": True, "ms": round((arr[0] - t0) * 1000, 3), "via": arr[3],
                    "final": final.code if final is not None else None}
        return {"ok": False, "why": "final %d" % final.code if final is not None else "timeout"}

    def register(self, user, expires):
        me = self.ua.getsockname()
        branch = "z9hG4bK-pdd-" + rnd(64)
        aor = "sip:%s@%s" % (user, self.a.domain)
        hs = [("Via", "SIP/2.0/UDP %s:%d;branch=%s;rport" % (me[0], me[1], branch)),
              ("Max-Forwards", "70"), ("From", "<%s>;tag=%s" % (aor, rnd())), ("To", "<%s>" % aor),
              ("Call-ID", "pdd-reg-%s@%s" % (rnd(64), me[0])), ("CSeq", "1 REGISTER"),
              ("Contact", "<sip:%s@%s:%d>" % (user, me[0], me[1])), ("Expires", str(expires))]
        data = build("REGISTER sip:%s SIP/2.0" % self.a.domain, hs)
        self.ua.sendto(data, self.edge)
        t, final = self.transaction(self.ua, self.edge, data, branch, now() + 10)
        return {"ok": final is not None and final.code == 200, "code": final.code if final else None}

    def incoming(self, reg_ip, user, deadline_s, interval_s, pgid=None):
        t0 = now()
        if pgid:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = t0 + deadline_s
        dest = (reg_ip, 5060)
        ruri = "sip:%s@%s" % (user, self.a.domain)
        calls = []   # [cid, sent_t, branch, hs, data, next_retrans, interval, final_code]
        nxt = now()
        n_ua0 = len(self.arrivals["ua"])
        while now() < deadline:
            if now() >= nxt:
                cid = "pdd-in-%s@%s" % (rnd(64), self.a.caller)
                branch, hs, data = self.invite(self.caller, dest, ruri, "sip:caller@%s" % self.a.caller, ruri,
                                               cid, 1, rnd(), None, None, "sip:caller@%s:%d" % self.caller.getsockname())
                ts = now()
                self.caller.sendto(data, dest)
                calls.append([cid, ts, branch, hs, data, ts + T1, T1, None])
                nxt = ts + interval_s
            self.pump(min(nxt, deadline, min(c[5] for c in calls)), lambda: len(self.arrivals["ua"]) > n_ua0)
            for c in calls:
                for t, m in self.responses.pop(c[2], []):
                    if m.code >= 100:
                        c[5] = float("inf")  # no more retransmissions
                    if m.code >= 200 and c[7] is None:
                        c[7] = m.code
                    if m.code >= 300:
                        self.ack(self.caller, dest, ruri, c[3], m, 1)
                if now() >= c[5]:
                    self.caller.sendto(c[4], dest)
                    c[6] *= 2
                    c[5] = now() + c[6]
            got = {a[1]: a[0] for a in self.arrivals["ua"] if a[0] >= t0}
            for i, c in enumerate(calls):
                if c[0] in got:
                    # let the caller see the final answer (486 from the UA) and ACK it
                    end = now() + 2
                    while now() < end and c[7] is None:
                        self.pump(min(end, now() + 0.05))
                        for t, m in self.responses.pop(c[2], []):
                            if m.code >= 200 and c[7] is None:
                                c[7] = m.code
                                self.ack(self.caller, dest, ruri, c[3], m, 1)
                    before = calls[:i]
                    return {"ok": True, "ms_kill": round((got[c[0]] - t0) * 1000, 3),
                            "ms_call": round((got[c[0]] - c[1]) * 1000, 3), "lost": len(before),
                            "codes": sorted(set(str(b[7]) for b in before)), "final": c[7]}
        return {"ok": False, "why": "timeout", "lost": len(calls),
                "codes": sorted(set(str(b[7]) for b in calls))}

    # -- baresip's ctrl_tcp
    def ctl_read(self, t):
        data = self.ctl.recv(65536)
        if not data:
            self.ctl.close()
            self.ctl = None
            return
        self.ctl_buf += data
        while True:
            colon = self.ctl_buf.find(b":")
            if colon <= 0:
                break
            n = int(self.ctl_buf[:colon])
            end = colon + 1 + n
            if len(self.ctl_buf) <= end:
                break
            obj = json.loads(self.ctl_buf[colon + 1:end])
            obj["t"] = t
            self.ctl_events.append(obj)
            self.ctl_buf = self.ctl_buf[end + 1:]

    def ctl_send(self, cmd, params=""):
        token = "pdd" + rnd()
        msg = json.dumps({"command": cmd, "params": params, "token": token}).encode()
        t = now()
        self.ctl.sendall(b"%d:%s," % (len(msg), msg))
        return t, token

    def ctl_wait(self, pred, until):
        while now() < until:
            for e in self.ctl_events:
                if pred(e):
                    return e
            self.pump(min(until, now() + 0.05))
        return None

    def baresip_connect(self, addr):
        host, port = addr.rsplit(":", 1)
        end = now() + 10
        while True:
            try:
                self.ctl = socket.create_connection((host, int(port)), timeout=5)
                break
            except OSError:
                if now() > end:
                    raise
                time.sleep(0.1)
        return {"ok": True}

    def baresip_dial(self, uri, from_user, deadline_s):
        known = set(a[1] for a in self.arrivals["far"])
        closed0 = sum(1 for e in self.ctl_events if e.get("type") == "CALL_CLOSED")
        t0, token = self.ctl_send("dial", uri)
        deadline = t0 + deadline_s
        arr = None
        while now() < deadline and arr is None:
            self.pump(min(deadline, now() + 0.05))
            arr = self.far_arrival(lambda x: x[2] == from_user and x[1] not in known, t0)
        resp = next((e for e in self.ctl_events if e.get("response") and e.get("token") == token), None)
        if arr is None:
            self.ctl_send("hangup")
        # the call ends (486 from the far side, or the hangup): wait for it, bounded
        self.ctl_wait(lambda e: sum(1 for x in self.ctl_events if x.get("type") == "CALL_CLOSED") > closed0,
                      now() + 5)
        if arr:
            return {"ok": True, "ms": round((arr[0] - t0) * 1000, 3), "via": arr[3]}
        return {"ok": False, "why": "timeout", "dial_answer": resp.get("data") if resp else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ua", required=True)
    ap.add_argument("--far", required=True)
    ap.add_argument("--caller", required=True)
    ap.add_argument("--edge", required=True)
    ap.add_argument("--user", default="1001")
    ap.add_argument("--password", default="secret1001")
    ap.add_argument("--domain", default="lab.test")
    a = ap.parse_args()
    lab = Lab(a)
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    inbuf = b""
    while True:
        # serve the sockets while waiting for a command (late INVITEs are answered, not refused)
        while b"\n" not in inbuf:
            r, _, _ = select.select([0], [], [], 0)
            if r:
                chunk = os.read(0, 4096)
                if not chunk:
                    return 0
                inbuf += chunk
                continue
            lab.pump(now() + 0.05, lambda: bool(select.select([0], [], [], 0)[0]))
        line, _, inbuf = inbuf.partition(b"\n")
        line = line.decode()
        w = line.split()
        if not w:
            continue
        try:
            if w[0] == "dial":
                out = lab.dial(w[1], float(w[2]))
            elif w[0] == "baresip-connect":
                out = lab.baresip_connect(w[1])
            elif w[0] == "baresip-dial":
                out = lab.baresip_dial(w[1], w[2], float(w[3]))
            elif w[0] == "register":
                out = lab.register(w[1], int(w[2]))
            elif w[0] == "incoming":
                out = lab.incoming(w[1], w[2], float(w[3]), float(w[4]), int(w[5]) if len(w) > 5 else None)
            elif w[0] == "quit":
                return 0
            else:
                out = {"ok": False, "why": "unknown command %s" % w[0]}
        except Exception as e:  # noqa: BLE001 - a failed command is an answer, not the end
            out = {"ok": False, "why": "error: %r" % e}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
