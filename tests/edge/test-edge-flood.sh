#!/usr/bin/env bash
# A UA that floods the edge does not starve the registrations: for 20 s a local client sends
# OPTIONS through the edge as fast as it can (to registrar 1 itself, which answers each one)
# while 8 accounts refresh their 30 s registrations with registrar 1. Every refresh must be
# answered in time (no REGISTER given up, every account still registered, every binding renewed);
# the edge takes what it can (at most EDGE_TX_MAX forwarded at once, the rest 503 + Retry-After)
# and the kernel's socket buffer bounds the queue. Runs alone (it fills both cores).
source "$(dirname "$0")/edge-lib.sh"
edge_setup
lab_registrar_start 1
for x in 1 2 3 4 5 6 7 8; do
        regd_account "$x" "100$x" "$(lab_registrar_addr 1)"
        regd_cfg "account.$x.sip_server.1.expires = 30" "account.$x.nat.udp_update_enable = 0"
done
# account 9's only server never answers (sipp "silent"): it is never registered, but its UA's
# requests go there and wait for timer F
lab_sipp_start silent silent 2
regd_account 9 1009 "$(lab_registrar_addr 2)"
regd_start_configd
regd_start --log-level=info
for x in 1 2 3 4 5 6 7 8; do regd_wait 30 "account $x registered" regd_is "$x" registered; done
mark=$(regd_log_mark)

flood() { # USER SECONDS OUTFILE
        python3 - "$EDGE_UA" "$EDGE_ADDR" "$2" "$1" >"$3" <<'PY'
import random, select, socket, sys, time
src, dst, secs, user = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.setblocking(False)
port = s.getsockname()[1]
sent, answers = 0, {}
end = time.monotonic() + secs
while time.monotonic() < end:
    for _ in range(50):
        cid = "flood-%d-%x" % (sent, random.getrandbits(32))
        msg = ("OPTIONS sip:lab.test SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-f%d;rport\r\n"
               "Route: <sip:%s:5060;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:%s@lab.test>;tag=f%d\r\n"
               "To: <sip:lab.test>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
               % (src, port, sent, dst, user, sent, cid)).encode()
        try:
            s.sendto(msg, (dst, 5060))
            sent += 1
        except BlockingIOError:
            break
    while select.select([s], [], [], 0)[0]:
        data = s.recv(65536)
        code = data[8:11].decode("latin-1", "replace")
        answers[code] = answers.get(code, 0) + 1
time.sleep(2)
while select.select([s], [], [], 0.2)[0]:
    data = s.recv(65536)
    code = data[8:11].decode("latin-1", "replace")
    answers[code] = answers.get(code, 0) + 1
print("sent %d answers %s" % (sent, " ".join("%s=%d" % kv for kv in sorted(answers.items()))))
PY
}
flood 1001 20 "$LAB_DIR/flood.out"
echo "flood: $(cat "$LAB_DIR/flood.out")"
grep -q "answers.*200=" "$LAB_DIR/flood.out" || lab_fail "the edge forwarded nothing during the flood: $(cat "$LAB_DIR/flood.out")"

# every account refreshed at least once during the 20 s, none gave a REGISTER up
for x in 1 2 3 4 5 6 7 8; do
        lab_assert_eq registered "$(regd_state "$x")" "State of account $x after the flood"
done
regd_log_since "$mark" | grep -E "no answer|timed out|gave up|Account [0-9]+: (registering|failed)" &&
        lab_fail "a registration suffered during the flood"
refreshed=$(regd_log_since "$mark" | grep -c "transport=udp 200 OK (expires 30," || true)
[[ $refreshed -ge 8 ]] || lab_fail "only $refreshed refreshes answered during the flood (8 accounts, 30 s)"

# requests to a server that never answers: at most EDGE_TX_MAX (256) under way, the rest 503
mark=$(regd_log_mark)
flood 1009 10 "$LAB_DIR/flood2.out"
echo "flood to a silent server: $(cat "$LAB_DIR/flood2.out")"
grep -qE "answers.* 503=[0-9]+" "$LAB_DIR/flood2.out" || lab_fail "no 503 when the edge was full: $(cat "$LAB_DIR/flood2.out")"
regd_log_since "$mark" | grep -q "Edge: 256 requests under way; [0-9]* refused with 503" ||
        lab_fail "regd does not say the edge was full"
for x in 1 2 3 4 5 6 7 8; do
        lab_assert_eq registered "$(regd_state "$x")" "State of account $x after the second flood"
done
regd_log_since "$mark" | grep -E "Account [1-8]: .*(no answer|timed out|gave up)" &&
        lab_fail "a registration suffered during the second flood"
echo "ok: $refreshed refreshes answered during the flood, none lost; a full edge answers 503"
