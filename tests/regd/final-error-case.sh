#!/usr/bin/env bash
# final-error-case.sh SCENARIO — lab.test → SRV reg1 (sipp answering SCENARIO), reg2 (Kamailio).
# 503 and 503 with Retry-After: next address (binding on registrar 2); garbage answers are
# dropped, so it is a silent server: next address after retry_counts. 403, and 401-loop (wrong
# credentials: challenged again after answering): failed with that LastStatus and no hop
# (registrar 2 never gets a binding).
source "$(dirname "$0")/regd-lib.sh"
scenario=$1
regd_setup
LAB_SIPP_RETRY_AFTER=600
lab_sipp_start bad "$scenario" 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.register_on_enable = 1" \
        "account.1.sip_server.1.failback_mode = 2" "account.1.reg_fail_retry_interval = 600" \
        "sip.timer_t1 = 0.1"
regd_start_configd
regd_start

case $scenario in
403 | 401-loop)
        regd_wait 30 "account 1 failed" regd_is 1 failed
        lab_assert_eq "${scenario%-loop}" "$(regd_prop 1 LastStatus)" "LastStatus"
        sleep 2
        lab_has_no_binding 2 1001 || lab_fail "regd hopped to registrar 2 after a 403"
        lab_assert_eq "" "$(regd_working 1)" "WorkingServer"
        ;;
*)
        regd_wait 30 "registered at registrar 2" regd_working_is 1 "$(regd_uri 2)"
        regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
        lab_assert_eq 1 "$(lab_sipp_received bad REGISTER)" "REGISTERs answered $scenario"
        ;;
esac
echo "ok: $scenario"
