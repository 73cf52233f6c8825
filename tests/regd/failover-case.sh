#!/usr/bin/env bash
# failover-case.sh TRANSPORT FAULT FAILBACK_MODE [health] — failover mode (one server, lab.test → SRV
# reg1 prio 10, reg2 prio 20) over udp|tcp: registered at registrar 1; FAULT kill (SIGKILL: ICMP
# or RST) or freeze (SIGSTOP: silence) → the binding moves to registrar 2 and WorkingServer
# follows; registrar 1 back → failback as failback_mode says, and the registrar-2 binding is
# removed once registrar 1 holds the new one (make-before-break). With "health", sipr-healthd runs
# too (the default on a device): the failover is proactive and the failback follows healthd's
# "up" as well as the mode (issue 23: mode 1 never returned with healthd running).
source "$(dirname "$0")/regd-lib.sh"
transport=$1 fault=$2 mode=$3 health=${4:-}
regd_setup
tt=0
[[ $transport == tcp ]] && tt=1

lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.transport_type = $tt" \
        "account.1.sip_server.1.expires = 30" "account.1.sip_server.1.register_on_enable = 1" \
        "account.1.sip_server.1.retry_counts = 2" "account.1.sip_server.1.failback_mode = $mode" \
        "account.1.sip_server.1.failback_timeout = 60" "account.1.reg_fail_retry_interval = 2" \
        "sipr.failback.hold_down = 0" "sip.timer_t1 = 0.1" "sip.timer_t2 = 0.4"
[[ $health == health ]] && regd_health_cfg
regd_start_configd
[[ $health == health ]] && regd_start_healthd
regd_start

regd_wait 30 "account 1 registered at registrar 1" regd_working_is 1 "$(regd_uri 1 "$transport")"
regd_wait 10 "registrar 1 holds the binding" lab_has_binding 1 1001
lab_assert_eq failover "$(regd_prop 1 Mode)" "Mode"
lab_assert_eq registered "$(regd_state 1)" "State"
lab_has_no_binding 2 1001 || lab_fail "registrar 2 has a binding before any failure"

case $fault in
kill) lab_registrar_kill 1 ;;
freeze) lab_registrar_freeze 1 ;;
esac
regd_wait 60 "WorkingServer moves to registrar 2" regd_working_is 1 "$(regd_uri 2 "$transport")"
regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
lab_assert_eq registered "$(regd_state 1)" "State after failover"
[[ "$(regd_prop 1 Failovers)" -ge 1 ]] || lab_fail "Failovers not counted"

case $fault in
kill) lab_registrar_start 1 ;;
freeze) lab_registrar_thaw 1 ;;
esac
if [[ $mode == 3 ]]; then
        # duration: not at the refresh (15 s), only failback_timeout (60 s) after failing over
        sleep 20
        lab_assert_eq "$(regd_uri 2 "$transport")" "$(regd_working 1)" "mode 3 stays on registrar 2 past a refresh"
fi
regd_wait 100 "WorkingServer back on registrar 1 (failback mode $mode)" regd_working_is 1 "$(regd_uri 1 "$transport")"
regd_wait 20 "registrar 2 binding removed after failback" lab_has_no_binding 2 1001
lab_has_binding 1 1001 || lab_fail "registrar 1 lost the binding"
lab_assert_eq 1 "$(lab_binding_count 1 1001)" "contacts on registrar 1"
echo "ok: $transport $fault failback $mode${health:+ with healthd}"
