#!/usr/bin/env bash
# Helpers for the edge tests (docs/edge.md): the regd lab plus a real UA on the device side
# (baresip, registered with sipr-regd's edge and using it as its outbound proxy), the lab
# registrars as the PBX (they route calls: lookup for registered users, the far side otherwise),
# a sipp UAS as the far side and sipp UACs as callers. Tests judge from the far side (which
# registrar an INVITE came through), from the UA's events and from D-Bus.
# shellcheck source=../regd/regd-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../regd/regd-lib.sh"

edge_setup() {
        regd_setup
        EDGE_UA=$LAB_NET.11      # baresip
        EDGE_FAR=$LAB_NET.100    # sipp UAS: the far side of outgoing calls
        EDGE_CALLER=$LAB_NET.101 # sipp UACs: callers of the device
        EDGE_ADDR=$REGD_SIP_ADDR # the edge: regd's lab address, port 5060
        export EDGE_UA EDGE_FAR EDGE_CALLER EDGE_ADDR
}

# edge_lab N… — registrars N… and the far side they send calls to.
edge_lab() {
        local n
        lab_uas_start far "$EDGE_FAR"
        for n in "$@"; do
                lab_registrar_start "$n"
                lab_registrar_callee "$n" "sip:$EDGE_FAR:5060" || lab_fail "registrar $n: no callee"
        done
}

# edge_mode MODE TRANSPORT — account 1 (user 1001) in failover (lab.test: SRV reg1, reg2),
# concurrent or successive (registrars 1 and 2 as servers 1 and 2) over udp|tcp.
edge_mode() {
        local mode=$1 tt=0
        [[ $2 == tcp ]] && tt=1
        case $mode in
        failover)
                regd_start_dns
                regd_account 1 1001 lab.test
                regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.register_on_enable = 1"
                ;;
        concurrent | successive)
                regd_account 1 1001 "$(lab_registrar_addr 1)" "$(lab_registrar_addr 2)"
                regd_cfg "account.1.sip_server.2.transport_type = $tt"
                [[ $mode == successive ]] && regd_cfg "account.1.fallback.redundancy_type = 1"
                ;;
        *) lab_die "edge_mode: unknown mode $mode" ;;
        esac
        regd_cfg "account.1.sip_server.1.transport_type = $tt"
}

# edge_ua_start [TRANSPORT [EXTRA ACCOUNT PARAMS]] — baresip as user 1001 through the edge;
# waits until regd lists its local contact.
edge_ua_start() {
        local t=${1:-udp} pass
        pass=$(lab_user_password 1001)
        lab_ua_start a "$EDGE_UA" "<sip:1001@lab.test;transport=$t>;auth_pass=$pass;outbound=\"sip:$EDGE_ADDR:5060;transport=$t;lr\";regint=600;answermode=auto${2:-}"
        regd_wait 20 "baresip registered with the edge" edge_has_contacts 1
}

edge_contacts() { # X → its local contacts, one a line
        busctl --system --no-pager --json=short get-property org.sipr.Registration1 \
                "/org/sipr/Registration1/account/$1" org.sipr.Registration1.Account EdgeContacts | jq -r '.data[]'
}
edge_has_contacts() { [[ -n "$(edge_contacts "$1" 2>/dev/null)" ]]; }
edge_contacts_are() { [[ "$(edge_contacts "$1" 2>/dev/null)" == "$2" ]]; } # X EXPECTED (for regd_wait)

# edge_far_invites N — INVITE transactions (Call-ID + CSeq) the far side got through registrar N
# (its top Via); with N = all, every one.
edge_far_invites() {
        local want=all
        [[ $1 != all ]] && want=$(lab_registrar_addr "$1")
        awk -v want="$want" '
                /message received/ { inmsg = 1; req = 0; via = ""; cid = ""; cseq = ""; next }
                /message sent/ { inmsg = 0; next }
                inmsg && req == 0 && NF > 0 { req = ($1 == "INVITE") ? 1 : -1; next }
                inmsg && req == 1 && via == "" && tolower($1) ~ /^(via|v):$/ { split($3, h, /[:;]/); via = h[1] }
                inmsg && req == 1 && tolower($1) ~ /^(call-id|i):$/ { cid = $2 }
                inmsg && req == 1 && tolower($1) == "cseq:" { cseq = $2 }
                inmsg && req == 1 && cid != "" && cseq != "" && via != "" {
                        if (want == "all" || via == want) seen[cid " " cseq] = 1
                        req = 2
                }
                END { n = 0; for (k in seen) n++; print n }
        ' "$LAB_DIR/sipp-far.msg"
}

edge_events() { lab_ua_events a "$1"; } # TYPE → how many the UA reported
edge_events_at_least() { [[ "$(edge_events "$1")" -ge $2 ]]; } # TYPE N (for regd_wait)
sipp_received_at_least() { [[ "$(lab_sipp_received "$1" "$2")" -ge $3 ]]; } # NAME METHOD N

# edge_dial NUMBER — the UA dials NUMBER@lab.test.
edge_dial() { lab_ua a dial "sip:$1@lab.test" >/dev/null || lab_fail "baresip refused to dial $1"; }

# edge_wait_established N WHAT — until the UA has had N established calls in all.
edge_wait_established() {
        regd_wait "${3:-40}" "$2 (call $1 established at the UA)" edge_events_at_least CALL_ESTABLISHED "$1"
}

# edge_hangup_all — the UA hangs up every call it has.
edge_hangup_all() {
        local i
        for ((i = 0; i < 8; i++)); do
                lab_ua a hangup >/dev/null 2>&1 || break
        done
        return 0
}

# edge_call_in REGISTRAR_N WHAT — a sipp caller calls 1001 through registrar N; the UA answers.
edge_call_in() {
        local before
        before=$(edge_events CALL_ESTABLISHED)
        lab_uac_call "caller$1-$RANDOM" "$EDGE_CALLER" "$1" 1001 ||
                lab_fail "$2: the call through registrar $1 was not answered ($(tail -3 "$LAB_DIR"/sipp-caller*.err 2>/dev/null))"
        [[ "$(edge_events CALL_ESTABLISHED)" -gt $before ]] || lab_fail "$2: the UA saw no call established"
}

# edge_send FROM_IP [sip-send.py options] < REQUEST — a hand-made request to the edge.
edge_send() {
        local from=$1
        shift
        python3 "$LAB_SRC/sip-send.py" "$@" "$from" "$EDGE_ADDR:5060"
}
