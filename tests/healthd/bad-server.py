#!/usr/bin/python3
# Misbehaving TCP servers for the healthd tests, on ADDR PORT:
#   mute  — accepts every connection and never sends a byte (nor closes);
#   flood — accepts and sends garbage without end, as fast as the client reads.
import select
import socket
import sys

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(64)
print("listening", flush=True)
conns = []
junk = (b"SIP/2.0 200 \x00\xff garbage without end " * 64)[:4096]
while True:
    wr = conns if mode == "flood" else []
    r, w, _ = select.select([srv] + conns, wr, [], 1.0)
    for s in r:
        if s is srv:
            c, _ = srv.accept()
            c.setblocking(False)
            conns.append(c)
        else:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                conns.remove(s)
                s.close()
    for s in w:
        try:
            s.send(junk)
        except OSError:
            if s in conns:
                conns.remove(s)
            s.close()
