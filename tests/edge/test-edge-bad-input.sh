#!/usr/bin/env bash
# Everything a UA or a server sends to the edge is untrusted: a source outside sipr.edge.allow
# gets 403, a REGISTER for an unknown user 404, a local contact outside the allow list or beyond
# the limit 403, malformed SIP 400 (garbage is dropped), a request from a user that is no account
# 403; from the network, a call for an account without local contact gets 480 and one for nobody
# 404. After all of it the registration and a real call work as before. A taken edge port leaves
# the registrations alone.
source "$(dirname "$0")/edge-lib.sh"
edge_setup
edge_lab 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_account 2 1002 "$(lab_registrar_addr 1)" # no local UA: calls to it get 480
# only the UA's own address (and regd's, for nobody) may use the edge
regd_cfg "sipr.edge.allow = $EDGE_UA/32, $LAB_NET.13"
regd_start_configd
regd_start
regd_wait 30 "account 1 registered" regd_is 1 registered
regd_wait 30 "account 2 registered" regd_is 2 registered

req() { # FROM_IP TEXT… — a request to the edge; prints its final status
        printf '%s\n' "${@:2}" | edge_send "$1" --timeout 3 | head -1 || true
}
register() { # FROM_IP USER CONTACT [EXPIRES]
        req "$1" "REGISTER sip:lab.test SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch};rport" \
                "Max-Forwards: 70" "From: <sip:$2@lab.test>;tag={tag}" "To: <sip:$2@lab.test>" \
                "Call-ID: {callid}" "CSeq: 1 REGISTER" "Contact: <$3>" "Expires: ${4:-600}" ""
}

# the allow list
lab_assert_eq 403 "$(register "$LAB_NET.12" 1001 "sip:1001@$LAB_NET.12:5060")" "REGISTER from outside sipr.edge.allow"
lab_assert_eq 200 "$(register "$LAB_NET.13" 1001 "sip:1001@$LAB_NET.13:5062")" "REGISTER from a listed host"
lab_assert_eq 200 "$(register "$LAB_NET.13" 1001 "sip:1001@$LAB_NET.13:5062" 0)" "removal of that contact"
# users and contacts
lab_assert_eq 404 "$(register "$EDGE_UA" 4242 "sip:4242@$EDGE_UA:5060")" "REGISTER for a user of no account"
lab_assert_eq 403 "$(register "$EDGE_UA" 1001 "sip:1001@192.0.2.7:5060")" "a local contact outside the allow list"
lab_assert_eq 400 "$(register "$EDGE_UA" 1001 "tel:+15551234")" "a contact that is not a sip: URI"
for i in 1 2 3 4 5 6 7 8; do
        lab_assert_eq 200 "$(register "$EDGE_UA" 1001 "sip:1001@$EDGE_UA:$((6000 + i))")" "local contact $i"
done
lab_assert_eq 403 "$(register "$EDGE_UA" 1001 "sip:1001@$EDGE_UA:6009")" "a ninth local contact"
lab_assert_eq 8 "$(edge_contacts 1 | wc -l)" "EdgeContacts after the refused ninth"
lab_assert_eq 400 "$(req "$EDGE_UA" "REGISTER sip:lab.test SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch}" \
        "From: <sip:1001@lab.test>;tag={tag}" "To: <sip:1001@lab.test>" "Call-ID: {callid}" "CSeq: 1 REGISTER" \
        "Contact: *" "Expires: 600" "")" "Contact: * without Expires: 0"
lab_assert_eq 200 "$(req "$EDGE_UA" "REGISTER sip:lab.test SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch}" \
        "From: <sip:1001@lab.test>;tag={tag}" "To: <sip:1001@lab.test>" "Call-ID: {callid}" "CSeq: 1 REGISTER" \
        "Contact: *" "Expires: 0" "")" "Contact: * with Expires: 0"
lab_assert_eq "" "$(edge_contacts 1)" "EdgeContacts after Contact: *"

# malformed: 400 naming what is wrong; garbage dropped; regd goes on
lab_assert_eq 400 "$(req "$EDGE_UA" "OPTIONS sip:2000@lab.test SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch}" \
        "From: <sip:1001@lab.test>;tag={tag}" "To: <sip:2000@lab.test>" "CSeq: 1 OPTIONS" "")" "a request without Call-ID"
lab_assert_eq 400 "$(req "$EDGE_UA" "OPTIONS sip:2000@lab.test SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch}" \
        "From: <sip:1001@lab.test>;tag={tag}" "To: <sip:2000@lab.test>" "Call-ID: {callid}" "CSeq: 1 INVITE" "")" \
        "a CSeq of another method"
python3 - "$EDGE_UA" "$EDGE_ADDR" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for blob in (b"\x00\xff" * 700, b"INVITE\r\n\r\n", b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n", os.urandom(1400),
             b"INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n"):
    s.sendto(blob, (sys.argv[2], 5060))
PY

# a request from a user that is no account of the device
lab_assert_eq 403 "$(req "$EDGE_UA" "MESSAGE sip:2000@lab.test SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch};rport" \
        "Max-Forwards: 70" "From: <sip:4242@lab.test>;tag={tag}" "To: <sip:2000@lab.test>" "Call-ID: {callid}" \
        "CSeq: 1 MESSAGE" "Content-Type: text/plain" "" "hello")" "MESSAGE from a user of no account"
grep -q "Edge: MESSAGE from 4242@lab.test refused: not the user of an enabled account" "$LAB_DIR/regd.log" ||
        lab_fail "the log does not say why the MESSAGE was refused"

# from the network: account 2 has no local UA (480); nobody has user 4242 (404)
lab_uac_call nocontact "$EDGE_CALLER" 1 1002 && lab_fail "a call to an account without local contact was answered"
grep -q "SIP/2.0 480" "$LAB_DIR/sipp-nocontact.msg" || lab_fail "the caller did not get 480"
port=$(cat "$REGD_STATE/regd-port")
out=$(printf '%s\n' "INVITE sip:4242@$REGD_SIP_ADDR:$port SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch};rport" \
        "Max-Forwards: 70" "From: <sip:caller@lab.test>;tag={tag}" "To: <sip:4242@lab.test>" "Call-ID: {callid}" \
        "CSeq: 1 INVITE" "Contact: <sip:caller@{ip}:{port}>" "" |
        python3 "$LAB_SRC/sip-send.py" --timeout 3 "$(lab_registrar_addr 1)" "$REGD_SIP_ADDR:$port" | head -1) || true
lab_assert_eq 404 "$out" "an INVITE from the network for nobody"

# after all that: still registered, and a real UA calls and is called as before
lab_assert_eq registered "$(regd_state 1)" "State of account 1"
lab_has_binding 1 1001 || lab_fail "registrar 1 lost the binding"
edge_ua_start udp
edge_dial 2000
edge_wait_established 1 "a call after the bad input"
edge_hangup_all
edge_call_in 1 "a call to the UA after the bad input"

# a taken edge port: logged, and the registrations do not mind (sofia-sip's failed bind used to
# close regd's D-Bus socket)
python3 -c "import socket,time; u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); u.bind(('$LAB_NET.14',5060)); time.sleep(120)" &
taker=$!
trap 'kill $taker 2>/dev/null; lab_cleanup' EXIT
lab_wait_for 10 "the port taken" _lab_listening udp "$LAB_NET.14" 5060
regd_set "sipr.edge.address=$LAB_NET.14"
regd_wait 10 "regd says the edge port is taken" grep -q "Edge: cannot listen on sip:$LAB_NET.14:5060 (UDP)" "$LAB_DIR/regd.log"
regd_reregister
regd_wait 30 "account 1 registered again with the edge port taken" lab_has_binding 1 1001
lab_assert_eq registered "$(regd_state 1)" "State with the edge port taken"
lab_siprctl status 1 >/dev/null || lab_fail "siprctl status with the edge port taken"
echo "ok: bad input refused, nothing else changed"
