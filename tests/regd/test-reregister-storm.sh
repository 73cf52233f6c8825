#!/usr/bin/env bash
# A Reregister of many accounts: their removals are paced (32 in flight per next hop), so some
# leave only when earlier ones are answered, and each account's new REGISTER waits for its own
# removal's answer (RFC 3261 10.2). That wait must not count against the new REGISTER's retry
# deadline: a removal leaving the pacing queue is not the REGISTER leaving. Here registrar 1
# holds every removal 2 s (48 workers, so nothing else waits behind them): 32 removals are
# answered 2 s after the Reregister, the other 8 leave then and are answered 2 s later. The first
# address's retry deadline is 1.4 s (retry_counts 1, T1 0.5 s). A deadline restarted when a
# removal leaves the queue times its REGISTER out before it is even sent, and the account fails
# over to registrar 2.
N=40
LAB_USERS=""
for ((u = 1001; u < 1001 + N; u++)); do LAB_USERS+="$u:secret$u "; done
# shellcheck disable=SC2034 # read by lab.sh
LAB_USERS=${LAB_USERS% }
source "$(dirname "$0")/regd-lib.sh"
regd_setup
LAB_REGISTRAR_CHILDREN=48 lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
for ((x = 1; x <= N; x++)); do
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $((1000 + x))" "account.$x.password = secret$((1000 + x))" \
                "account.$x.sip_server.1.address = lab.test" "account.$x.sip_server.1.port = 0" \
                "account.$x.sip_server.1.retry_counts = 1" "account.$x.sip_server.1.register_on_enable = 1"
done
regd_start_configd
regd_start
uri1=$(regd_uri 1)
all_on_1() {
        local x
        for ((x = 1; x <= N; x++)); do regd_working_is "$x" "$uri1" || return 1; done
}
regd_wait 60 "all $N accounts working on registrar 1" all_on_1

lab_registrar_mode 1 slow-remove:2000
mark=$(regd_log_mark)
regd_reregister
# Every account registers again, each after its own removal was answered.
reregistered() {
        local n
        n=$(regd_log_since "$mark" | grep -F "$uri1 200" | grep -vcF "(expires 0)")
        ((n >= N))
}
regd_wait 90 "$N accounts registered again on registrar 1" reregistered
gave_up=$(regd_log_since "$mark" | grep -E "no answer from .* in time, giving up" || true)
[[ -z "$gave_up" ]] || lab_fail "a REGISTER that waited for its removal timed out: $(echo "$gave_up" | head -3)"
sleep 1 # past the registrar's hold
for ((x = 1; x <= N; x++)); do
        lab_assert_eq "$uri1" "$(regd_working "$x")" "account $x WorkingServer after the Reregister"
        lab_assert_eq 1 "$(lab_binding_count 1 $((1000 + x)))" "bindings of $((1000 + x)) on registrar 1"
        lab_has_no_binding 2 $((1000 + x)) || lab_fail "account $x failed over to registrar 2"
done
grep -c "registering once the removal is answered" "$LAB_DIR/regd.log" | grep -qx "$N" ||
        lab_fail "not every REGISTER waited for its removal"
echo ok
