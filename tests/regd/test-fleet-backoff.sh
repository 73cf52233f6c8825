#!/usr/bin/env bash
# RFC 5626 4.5 back-off between failed rounds (account.X.reg_failed_retry_min_time/_max_time):
# a server that answers every REGISTER with 503 is asked again after a random 50…100 % of
# min(max, min·2ⁿ): with min 1 s and max 4 s the waits are 1–2 s, 2–4 s, then 2–4 s, never the
# fixed reg_fail_retry_interval (600 s here), and each wait is logged.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_sipp_start bad 503 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_cfg "account.1.reg_fail_retry_interval = 600" "account.1.reg_failed_retry_min_time = 1" \
        "account.1.reg_failed_retry_max_time = 4"
regd_start_configd
regd_start
four() { (($(lab_sipp_received bad REGISTER) >= 4)); }
regd_wait 40 "four rounds at the failing server" four
# the waits as logged: "next attempt in N s" (rounded) on each failure
mapfile -t waits < <(grep -o "Account 1: failed: .*next attempt in [0-9]* s" "$LAB_DIR/regd.log" |
        grep -o 'in [0-9]* s' | awk '{ print $2 }')
echo "waits: ${waits[*]}"
((${#waits[@]} >= 3)) || lab_fail "a 'next attempt' line per failed round expected: ${waits[*]}"
lo=(1 2 2) hi=(2 4 4)
for i in 0 1 2; do
        ((waits[i] >= lo[i] && waits[i] <= hi[i])) ||
                lab_fail "wait $((i + 1)) was ${waits[i]} s, expected ${lo[i]}–${hi[i]} s (waits: ${waits[*]})"
done
echo ok
