#!/usr/bin/python3
# Hostile TLS servers for the reliability tests, on ADDR PORT with CERT/KEY (self-signed), each
# connection treated the same way, counted on stdout ("accepted N"):
#   rst-handshake   reads the ClientHello, then resets the connection (no ServerHello)
#   rst-after       completes the handshake, then resets the connection (SO_LINGER 0)
#   fin-after       completes the handshake, then closes without close_notify
#   rst-after-ping  completes the handshake, reads the first bytes (the CRLF ping), then resets
import socket
import ssl
import struct
import sys
import threading

mode, addr, port, cert, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(64)
print("listening", flush=True)


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def serve(raw):
    try:
        if mode == "rst-handshake":
            raw.recv(4096)
            reset(raw)
            return
        conn = ctx.wrap_socket(raw, server_side=True)
        if mode == "rst-after-ping":
            conn.recv(64)
        if mode == "fin-after":
            raw.shutdown(socket.SHUT_RDWR)
            raw.close()
        else:
            reset(raw)
    except (OSError, ssl.SSLError):
        try:
            raw.close()
        except OSError:
            pass


n = 0
while True:
    c, _ = srv.accept()
    n += 1
    print(f"accepted {n}", flush=True)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
