#!/usr/bin/env bash
# A hostile registrar (hostile-registrar.py) answers every REGISTER from regd with one kind of
# malformed or contradictory response: 200 without Contact, with our Contact at expires=0, huge
# expiries, only someone else's Contact, contradictory Expires, another dialog's Call-ID, a
# 60 kB response, a broken Digest challenge, binary garbage before the 200, 100 Trying forever.
# For each, observed for a bounded number of REGISTERs or seconds: regd stays up and answers,
# never sends a storm of REGISTERs (at most 40 in the window of 4 s), and never calls the account
# registered on a broken challenge, a server that never answers finally, or a 200 that does not
# bind our Contact (none, someone else's, ours at expires=0). The state regd ends
# in for each is printed (docs/reliability.md lists them).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../regd/regd-lib.sh
source "$here/../regd/regd-lib.sh"
[[ -x "$SIPR_BUILD_ROOT/services/regd/sipr-regd" ]] || { echo "SKIP: services/regd/sipr-regd is not built"; exit 77; }
regd_setup
addr=$(lab_registrar_addr 1)
modes=(no-contact expires0 huge-expires other-contact contradictory wrong-callid oversized bad-challenge
        garbage-then-200 1xx-forever)
window=${HOSTILE_WINDOW:-4}
regd_cfg "account.1.enable = 1" "account.1.user_name = 1001" "account.1.password = secret1001" \
        "account.1.sip_server.1.address = $addr" "account.1.sip_server.1.expires = 60" \
        "account.1.reg_fail_retry_interval = 2" "sip.timer_t1 = 0.1" "sip.timer_t2 = 0.4"
regd_start_configd
regd_start
pid=$(lab_pid regd)
registers() { grep -c '^register' "$LAB_DIR/hostile-$1.log"; }
table=()
for m in "${modes[@]}"; do
        lab_spawn "hostile-$m" "$LAB_DIR/hostile-$m.log" "$here/hostile-registrar.py" "$m" "$addr" 5060 >/dev/null
        lab_wait_for 10 "hostile registrar $m" grep -q listening "$LAB_DIR/hostile-$m.log" || lab_fail "registrar $m"
        regd_reregister
        lab_wait_for 30 "a REGISTER reaches the $m registrar" bash -c "(( \$(grep -c '^register' '$LAB_DIR/hostile-$m.log') >= 1 ))" ||
                lab_fail "no REGISTER reached the $m registrar"
        sleep "$window"
        kill -0 "$pid" 2>/dev/null || lab_fail "regd died facing the $m registrar: $(tail -5 "$LAB_DIR/regd.log")"
        lab_siprctl status 1 >/dev/null || lab_fail "regd does not answer after the $m registrar"
        n=$(registers "$m") state=$(regd_state 1) status=$(regd_prop 1 LastStatus)
        table+=("$(printf '%-17s REGISTERs in %ss: %3s  state: %-12s LastStatus: %s' "$m" "$window" "$n" "$state" "$status")")
        ((n <= 40)) || lab_fail "$m: $n REGISTERs in ${window}s: a storm"
        case $m in
        bad-challenge | 1xx-forever | no-contact | expires0 | other-contact)
                # A 200 that does not bind our Contact is no registration (sip-binding.c).
                [[ "$state" != registered ]] || lab_fail "$m: the account is called registered"
                ;;
        esac
        lab_stop_process "hostile-$m"
done
printf '%s\n' "${table[@]}"
echo PASS
