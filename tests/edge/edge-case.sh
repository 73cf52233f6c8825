#!/usr/bin/env bash
# edge-case.sh MODE TRANSPORT FAULT — calls through the edge while registrar 1 (the working
# server) dies, in failover (lab.test SRV: reg1, reg2), concurrent or successive mode, over udp
# or tcp; FAULT kill (SIGKILL: ICMP or RST) or freeze (SIGSTOP: silence).
#  A. before a call: the UA's next call reaches the far side through registrar 2, and a call to
#     the account reaches the UA through registrar 2's binding; registrar 1 comes back and the
#     account returns to it.
#  B. during a call: a call set up through registrar 1 is up when registrar 1 dies; sipr does
#     not end it, a second call goes out through registrar 2 and a call to the account comes in
#     through registrar 2 while the first is still up.
source "$(dirname "$0")/edge-lib.sh"
mode=$1 transport=$2 fault=$3
edge_setup
edge_lab 1 2
edge_mode "$mode" "$transport"
regd_cfg "account.1.sip_server.1.invite_retry_counts = 2" "account.1.sip_server.1.retry_counts = 2" \
        "account.1.sip_server.1.expires = 60" "account.1.reg_fail_retry_interval = 2" \
        "account.1.fallback.timeout = 10" "sipr.failback.hold_down = 0" \
        "sipr.health.interval = 500" "sipr.health.down_after = 2" "sipr.health.up_after = 1"
regd_start_configd
regd_start_healthd
regd_start
regd_wait 30 "account 1 registered at registrar 1" regd_working_is 1 "$(regd_uri 1 "$transport")"
edge_ua_start "$transport"

fault() {
        case $fault in
        kill) lab_registrar_kill 1 ;;
        freeze) lab_registrar_freeze 1 ;;
        esac
}
restore() {
        case $fault in
        kill)
                lab_registrar_start 1
                lab_registrar_callee 1 "sip:$EDGE_FAR:5060"
                ;;
        freeze) lab_registrar_thaw 1 ;;
        esac
}
established=0
# outgoing calls (to 2000) that ended at the UA; the callers' own calls end after 1 s by design
edge_closed_out() { grep '"type": "CALL_CLOSED"' "$LAB_DIR/ua-a.events" | grep -c '"peeruri": "sip:2000@' || true; }
calls_out() { # WHAT — one call from the UA, answered at the far side through registrar 2
        local via2 all
        via2=$(edge_far_invites 2)
        all=$(edge_far_invites all)
        edge_dial 2000
        established=$((established + 1))
        edge_wait_established "$established" "$1"
        [[ "$(edge_far_invites 2)" -gt $via2 ]] || lab_fail "$1: the far side got no INVITE through registrar 2"
        # a frozen registrar 1 answers nothing now; what it holds comes out once thawed
        [[ "$(edge_far_invites all)" -eq $((all + 1)) ]] || lab_fail "$1: the far side got $(($(edge_far_invites all) - all)) INVITEs"
}
calls_in() { # WHAT — a caller through registrar 2 reaches the UA
        regd_wait 40 "$1: registrar 2 holds a binding of 1001" lab_has_binding 2 1001
        edge_call_in 2 "$1"
        established=$((established + 1))
}

# ---- A: before a call
fault
calls_out "A: outgoing call with registrar 1 $fault"
calls_in "A: incoming call with registrar 1 $fault"
edge_hangup_all
restore
regd_wait 90 "A: account 1 back on registrar 1" regd_working_is 1 "$(regd_uri 1 "$transport")"
regd_wait 20 "A: every call closed at the UA" edge_events_at_least CALL_CLOSED "$established"

# ---- B: during a call
via1=$(edge_far_invites 1)
edge_dial 2000
established=$((established + 1))
edge_wait_established "$established" "B: call through registrar 1"
[[ "$(edge_far_invites 1)" -gt $via1 ]] || lab_fail "B: the first call did not go through registrar 1"
closed=$(edge_closed_out)
fault
calls_out "B: second call with registrar 1 $fault during the first"
calls_in "B: incoming call with registrar 1 $fault during the first"
lab_assert_eq "$closed" "$(edge_closed_out)" "B: outgoing calls closed while the first was up"
[[ "$(regd_prop 1 RequestFailovers)" -ge 0 ]] || lab_fail "RequestFailovers unreadable"
edge_hangup_all
restore
echo "ok: $mode $transport $fault: calls before and during the fault"
