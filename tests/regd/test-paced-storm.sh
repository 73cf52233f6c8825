#!/usr/bin/env bash
# Registration storms are paced: at most 32 REGISTER transactions are in flight to one next hop,
# the rest wait their turn (services/regd/sip.c, SIP_HOP_INFLIGHT_MAX). 100 accounts start at
# once against a server that never answers: it must see exactly 32 transactions until the first
# ones time out (Timer F = 64·T1 = 12.8 s here), then the next ones, and the state line says how
# many wait. Without pacing it sees all 100 at once.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_sipp_start silent silent 1
regd_cfg "sip.timer_t1 = 0.2"
for x in $(seq 1 100); do
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $((2000 + x))" "account.$x.password = p$x" \
                "account.$x.sip_server.1.address = $(lab_registrar_addr 1)" "account.$x.reg_fail_retry_interval = 30"
done
regd_start_configd
regd_start

received() { lab_sipp_received silent REGISTER; }
at_least() { (($(received) >= $1)); }
regd_wait 20 "the first REGISTERs at the silent server" at_least 32
waiting=$(lab_service_state regd registers_waiting)
inflight=$(lab_service_state regd registers_in_flight)
echo "state: $inflight in flight, $waiting waiting"
sleep 2 # well inside Timer F: nothing has timed out, so nothing more may start
lab_assert_eq 32 "$(received)" "REGISTER transactions the server has seen before any timed out"
lab_assert_eq 32 "$inflight" "registers_in_flight"
((waiting > 0)) || lab_fail "no REGISTER waits for a slot (registers_waiting=$waiting)"
# Slots free up as transactions time out: the queue drains into them.
regd_wait 60 "waiting REGISTERs sent once slots freed" at_least 64
# A queued REGISTER's retry deadline starts when it is sent, not when it was queued: no account
# may give up on a REGISTER that never left (the third batch is still queued now).
sleep 3
for x in $(grep -oE "Account [0-9]+: no answer from .* giving up" "$LAB_DIR/regd.log" | awk '{ print $2 }' | tr -d : | sort -un); do
        grep -q "sip:$((2000 + x))@" "$LAB_DIR/sipp-silent.msg" ||
                lab_fail "account $x gave up on a REGISTER that was never sent (still queued)"
done
echo ok
