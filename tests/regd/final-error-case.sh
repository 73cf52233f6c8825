#!/usr/bin/env bash
# final-error-case.sh SCENARIO [listed] — lab.test → SRV reg1 (sipp answering SCENARIO), reg2
# (Kamailio).
# 503 and 503 with Retry-After: next address (binding on registrar 2); garbage answers are
# dropped, so it is a silent server: next address after retry_counts. 403, and 401-loop (wrong
# credentials: challenged again after answering): failed with that LastStatus and no hop
# (registrar 2 never gets a binding), and the next attempt only after reg_rejected_retry_interval
# (not every reg_fail_retry_interval). 500: the server's final word by default (failed, no hop);
# "listed" puts 500 in failover_response_codes: next address, as an SBC whose back end died.
# Retry-After: registrar 1 is not asked again before it is over, even at the refresh that failback
# mode 2 would use to go back.
source "$(dirname "$0")/regd-lib.sh"
scenario=$1 listed=${2:-}
regd_setup
LAB_SIPP_RETRY_AFTER=600
lab_sipp_start bad "$scenario" 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.register_on_enable = 1" \
        "account.1.sip_server.1.failback_mode = 2" "account.1.reg_fail_retry_interval = 2" \
        "account.1.sip_server.1.expires = 30" "sip.timer_t1 = 0.1"
[[ $listed == listed ]] && regd_cfg "account.1.sip_server.1.failover_response_codes = 408,503,500"
regd_start_configd
regd_start

refreshed_at_2() { # the binding on registrar 2 was refreshed at least once (a second 200)
        (($(grep -c "$(regd_uri 2) 200 OK (expires" "$LAB_DIR/regd.log") >= 2))
}

case $scenario$listed in
403 | 401-loop | 500)
        regd_wait 30 "account 1 failed" regd_is 1 failed
        lab_assert_eq "${scenario%-loop}" "$(regd_prop 1 LastStatus)" "LastStatus"
        lab_has_no_binding 2 1001 || lab_fail "regd hopped to registrar 2 after a $scenario"
        lab_assert_eq "" "$(regd_working 1)" "WorkingServer"
        if [[ $scenario == 500 ]]; then
                grep -q "Account 1: failed: .*next attempt in [0-9] s" "$LAB_DIR/regd.log" ||
                        lab_fail "a 500 is not a refusal: next attempt after reg_fail_retry_interval ($(grep 'failed:' "$LAB_DIR/regd.log"))"
        else
                # a refusal: not every 2 s, but after reg_rejected_retry_interval (1800 s)
                grep -q "Account 1: failed: .*next attempt in 1800 s" "$LAB_DIR/regd.log" ||
                        lab_fail "no 'next attempt in 1800 s' after a refusal: $(grep 'failed:' "$LAB_DIR/regd.log")"
                sleep 5 # reg_fail_retry_interval (2 s) twice over: the old behaviour would retry
                n=$(lab_sipp_received bad REGISTER)
                [[ $scenario == 401-loop ]] && n=$((n / 2)) # the challenge, then the answer
                lab_assert_eq 1 "$n" "REGISTER attempts at the server that refused"
        fi
        ;;
*)
        regd_wait 30 "registered at registrar 2" regd_working_is 1 "$(regd_uri 2)"
        regd_wait 10 "registrar 2 holds the binding" lab_has_binding 2 1001
        lab_assert_eq 1 "$(lab_sipp_received bad REGISTER)" "REGISTERs answered $scenario"
        if [[ $scenario == 503-retry-after ]]; then
                # at the refresh (15 s) mode 2 goes back to the primary, unless it asked for 600 s
                regd_wait 40 "a refresh at registrar 2" refreshed_at_2
                lab_assert_eq 1 "$(lab_sipp_received bad REGISTER)" "REGISTERs before Retry-After ran out"
                grep -q "asks for 600 s before it is tried again (Retry-After)" "$LAB_DIR/regd.log" ||
                        lab_fail "Retry-After not logged"
        fi
        ;;
esac
echo "ok: $scenario${listed:+ (listed)}"
