#!/usr/bin/env python3
"""Drive a baresip user agent through its ctrl_tcp module (netstring-framed JSON).

baresip's ctrl_tcp serves one connection at a time (a new one replaces the old), so one process
holds it for the UA's whole life, logs everything baresip says and takes commands from a FIFO:

  ua-ctl.py daemon HOST:PORT LOG FIFO      keeps the connection; every event and answer goes to
                                           LOG as one JSON line ("t": monotonic seconds added),
                                           after a first {"ready": true} once commands are taken
  ua-ctl.py command LOG FIFO "dial sip:2000@lab.test"
                                           one command through the daemon; prints its answer;
                                           exit 0 when baresip said ok, 1 when it refused, 2
                                           when no answer came within 15 s

Events carry "type" (CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED,
REGISTER_OK, …), "peeruri" and "param"; tests wait for them with grep on LOG."""
import json
import os
import select
import socket
import sys
import time


def connect(addr, timeout):
    host, port = addr.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection((host, int(port)), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def netstrings(buf):
    """Splits complete netstrings off buf; returns (payloads, rest)."""
    out = []
    while True:
        colon = buf.find(b":")
        if colon <= 0:
            return out, buf
        length = int(buf[:colon])
        end = colon + 1 + length
        if len(buf) <= end:
            return out, buf
        if buf[end:end + 1] != b",":
            raise ValueError("bad netstring from baresip")
        out.append(buf[colon + 1:end])
        buf = buf[end + 1:]


def daemon(addr, log_path, fifo_path):
    sock = connect(addr, 10)
    sock.settimeout(None)
    fifo = os.open(fifo_path, os.O_RDWR | os.O_NONBLOCK)  # RDWR: never EOF when writers go
    buf, pending = b"", b""
    with open(log_path, "a", buffering=1) as log:
        log.write(json.dumps({"ready": True, "t": round(time.monotonic(), 3)}) + "\n")
        while True:
            ready, _, _ = select.select([sock, fifo], [], [])
            if sock in ready:
                chunk = sock.recv(65536)
                if not chunk:
                    return 0
                msgs, buf = netstrings(buf + chunk)
                for m in msgs:
                    obj = json.loads(m)
                    obj["t"] = round(time.monotonic(), 3)
                    log.write(json.dumps(obj) + "\n")
            if fifo in ready:
                pending += os.read(fifo, 65536)
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    token, _, text = line.decode().partition(" ")
                    cmd, _, params = text.partition(" ")
                    msg = json.dumps({"command": cmd, "params": params, "token": token}).encode()
                    sock.sendall(b"%d:%s," % (len(msg), msg))


def command(log_path, fifo_path, text):
    token = "c%d.%d" % (os.getpid(), int(time.monotonic() * 1000))
    fd = os.open(fifo_path, os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, ("%s %s\n" % (token, text)).encode())
    os.close(fd)
    deadline = time.monotonic() + 15
    with open(log_path) as log:
        while time.monotonic() < deadline:
            line = log.readline()
            if not line:
                time.sleep(0.05)
                continue
            obj = json.loads(line)
            if obj.get("response") and obj.get("token") == token:
                print(obj.get("data", ""))
                return 0 if obj.get("ok") else 1
    print("no answer from baresip to '%s'" % text, file=sys.stderr)
    return 2


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "daemon":
        return daemon(sys.argv[2], sys.argv[3], sys.argv[4])
    if len(sys.argv) == 5 and sys.argv[1] == "command":
        return command(sys.argv[2], sys.argv[3], sys.argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
