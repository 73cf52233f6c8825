#!/usr/bin/env bash
# How a UA's request moves down the account's next hops (EDGE.md "Outgoing", the seed's rules),
# judged at the hops themselves: lab.test → SRV reg1 (prio 10), reg2 (prio 20), failover mode,
# failback mode 0 (the primary first for every new request), no healthd (so no hop is known to
# be down in advance). What answers at registrar 1's address changes from case to case.
source "$(dirname "$0")/edge-lib.sh"
edge_setup
lab_uas_start far "$EDGE_FAR"
lab_registrar_start 2
lab_registrar_callee 2 "sip:$EDGE_FAR:5060"
lab_sipp_start hop silent 1
edge_mode failover udp
regd_cfg "account.1.sip_server.1.invite_retry_counts = 2" "account.1.sip_server.1.retry_counts = 1" \
        "sip.timer_t1 = 0.1" "sip.timer_t2 = 0.4"
regd_start_configd
regd_start
regd_wait 30 "account 1 registered at registrar 2 (1 is silent)" regd_working_is 1 "$(regd_uri 2)"
edge_ua_start udp
# siprctl follows: a line per request that moved, plain and JSON
lab_spawn monitor "$LAB_DIR/monitor.out" "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" monitor >/dev/null
lab_spawn monitor-json "$LAB_DIR/monitor.json" "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" --json monitor >/dev/null
regd_wait 10 "siprctl monitor running" grep -q "account 1" "$LAB_DIR/monitor.out"

failovers() { regd_prop 1 RequestFailovers; }
last_move() { grep "moves on from" "$LAB_DIR/regd.log" | tail -1; }
options_to() { # NUMBER — an OPTIONS of user 1001 through the edge; prints the final status
        edge_send "$EDGE_UA" --timeout 10 <<REQ
OPTIONS sip:$1@lab.test SIP/2.0
Via: SIP/2.0/UDP {ip}:{port};branch={branch};rport
Route: <sip:$EDGE_ADDR:5060;lr>
Max-Forwards: 70
From: <sip:1001@lab.test>;tag={tag}
To: <sip:$1@lab.test>
Call-ID: {callid}
CSeq: 1 OPTIONS

REQ
}
calls=0
call_via_2() { # WHAT — the UA's call is answered at the far side through registrar 2
        local before
        before=$(edge_far_invites 2)
        edge_dial 2000
        calls=$((calls + 1))
        edge_wait_established "$calls" "$1"
        [[ "$(edge_far_invites 2)" -gt $before ]] || lab_fail "$1: not through registrar 2"
        edge_hangup_all
}

# 1. silence, INVITE: exactly 1 + invite_retry_counts copies at the first hop, then the next
call_via_2 "silent first hop"
lab_assert_eq 3 "$(lab_sipp_messages hop INVITE)" "INVITE copies at the silent first hop (1 + invite_retry_counts)"
lab_assert_eq 1 "$(lab_sipp_received hop INVITE)" "INVITE transactions at the silent first hop"
lab_assert_eq 1 "$(failovers)" "RequestFailovers"
last_move | grep -q "no answer after 2 retransmissions" || lab_fail "reason of the move: $(last_move)"
# the UA's second INVITE (with the 407's credentials) went straight to the hop that challenged it
lab_assert_eq 1 "$(lab_sipp_received hop INVITE)" "the authenticated INVITE skipped the silent hop"

# siprctl: the move as a line of its own, the local contact and the counters in status
regd_wait 10 "siprctl monitor shows the move" grep -q "account 1   INVITE moved: $(regd_uri 1) (no answer after 2 retransmissions) -> $(regd_uri 2)" "$LAB_DIR/monitor.out"
regd_wait 10 "siprctl --json monitor shows the move" grep -q '"event":"request-failover","account_index":1,"method":"INVITE"' "$LAB_DIR/monitor.json"
status=$(lab_siprctl status 1)
grep -q "local contacts:   sip:1001" <<<"$status" || lab_fail "siprctl status shows no local contact: $status"
grep -q "requests:         2   moved to another server: 1" <<<"$status" || lab_fail "siprctl status counters: $status"
lab_assert_eq 1 "$(lab_siprctl --json status 1 | jq '.edge_contacts | length')" "edge_contacts in siprctl --json status"

# 2. silence, another method: 1 + retry_counts copies, then the next hop answers
lab_assert_eq 200 "$(options_to 2000 | head -1)" "OPTIONS through the edge"
lab_assert_eq 2 "$(lab_sipp_messages hop OPTIONS)" "OPTIONS copies at the silent first hop (1 + retry_counts)"
lab_assert_eq 2 "$(failovers)" "RequestFailovers"

# 3. nobody there: ICMP port unreachable moves on at once
lab_sipp_stop hop
call_via_2 "ICMP from the first hop"
lab_assert_eq 3 "$(failovers)" "RequestFailovers"
last_move | grep -q "(local)" || lab_fail "reason of the move: $(last_move)"

# 4, 5. a 503 or a 408 from the first hop: the next one
for code in 503 408; do
        lab_sipp_start "hop$code" "$code" 1
        call_via_2 "$code from the first hop"
        [[ "$(lab_sipp_received "hop$code" INVITE)" -ge 1 ]] || lab_fail "$code: the first hop saw no INVITE"
        last_move | grep -q "$code" || lab_fail "reason of the move: $(last_move)"
        lab_sipp_stop "hop$code"
done
lab_assert_eq 5 "$(failovers)" "RequestFailovers"

# 6. a provisional above 100 pins the request: the 503 that follows goes back to the UA
lab_sipp_start hopring 180-503 1
before=$(edge_far_invites all)
closed=$(edge_events CALL_CLOSED)
edge_dial 2000
regd_wait 20 "the UA saw its call fail" edge_events_at_least CALL_CLOSED $((closed + 1))
grep '"type": "CALL_CLOSED"' "$LAB_DIR/ua-a.events" | tail -1 | grep -q "503" ||
        lab_fail "the UA did not get the 503: $(grep CALL_CLOSED "$LAB_DIR/ua-a.events" | tail -1)"
lab_assert_eq "$before" "$(edge_far_invites all)" "INVITEs at the far side after a 180 and a 503"
lab_assert_eq 5 "$(failovers)" "RequestFailovers after a 180 and a 503"
lab_sipp_stop hopring

# 7. the last hop gets the full timer: first hop silent, registrar 2 frozen. An INVITE ends with
# 408 after timer B (64·T1); another request gets no answer at all (RFC 4320: no 408 to a
# non-INVITE), the UA's own timer F ends it.
lab_sipp_start hop2 silent 1
lab_registrar_freeze 2
closed=$(edge_events CALL_CLOSED)
edge_dial 2000
regd_wait 30 "the UA's call ends when every hop is silent" edge_events_at_least CALL_CLOSED $((closed + 1))
grep '"type": "CALL_CLOSED"' "$LAB_DIR/ua-a.events" | tail -1 | grep -q "408" ||
        lab_fail "the UA did not get 408: $(grep CALL_CLOSED "$LAB_DIR/ua-a.events" | tail -1)"
lab_assert_eq 3 "$(lab_sipp_messages hop2 INVITE)" "INVITE copies at the silent first hop"
out=$(options_to 2000 | head -1) || true
lab_assert_eq timeout "$out" "an OPTIONS when every hop is silent (RFC 4320)"
lab_registrar_thaw 2
lab_sipp_stop hop2

# 8. CANCEL follows its INVITE: the far side rings, the UA hangs up, the far side sees the CANCEL
lab_uas_start ring "$LAB_NET.102" uas-ring
lab_registrar_callee 2 "sip:$LAB_NET.102:5060"
rings=$(edge_events CALL_RINGING)
edge_dial 2000
regd_wait 20 "the far side rings" sipp_received_at_least ring INVITE 1
regd_wait 10 "the UA hears it ring" edge_events_at_least CALL_RINGING $((rings + 1))
edge_hangup_all
regd_wait 20 "the far side got the CANCEL" sipp_received_at_least ring CANCEL 1
regd_wait 20 "the far side got the ACK of its 487" sipp_received_at_least ring ACK 1
echo "ok: next hops, moving on, CANCEL"
