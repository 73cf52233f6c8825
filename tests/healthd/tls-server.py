#!/usr/bin/python3
# TLS servers for the healthd tests, on ADDR PORT with CERT/KEY (self-signed):
#   pong — answers every double CRLF with a CRLF (RFC 5626 keep-alive), like a SIP server over TLS;
#   mute — completes the TLS handshake, then never sends a byte.
import socket
import ssl
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


def serve(raw):
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                break
            if mode != "pong":
                continue
            buf += data
            while b"\r\n\r\n" in buf:
                buf = buf.split(b"\r\n\r\n", 1)[1]
                conn.sendall(b"\r\n")
            buf = buf[-4:]
    except (OSError, ssl.SSLError):
        pass
    finally:
        raw.close()


while True:
    c, _ = srv.accept()
    print("accepted", flush=True)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
