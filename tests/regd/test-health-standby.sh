#!/usr/bin/env bash
# Fleet load (issue 23): regd tells healthd which server addresses it uses, so the others are
# probed every sipr.health.standby_interval instead of every sipr.health.interval. Failover over
# lab.test (SRV: registrar 1, then 2; register_on_enable = 0): registrar 1 holds the binding and
# is probed, registrar 2 (no binding, no new requests) is standby and probed at most once while
# registrar 1 gets ten probes. Registrar 1 killed: new requests go to registrar 2 (active) and
# registrar 1 is watched for failback (active). Back: registrar 2 standby again. Targets are
# shared across accounts: account 2 registered at registrar 2 makes it active for both, and
# disabling account 2 makes it standby again. Answered keep-alives count as proof of life.
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_start_dns
regd_account 1 1001 lab.test
regd_cfg "account.1.sip_server.1.port = 0" "account.1.sip_server.1.expires = 3600" \
        "account.1.reg_fail_retry_interval = 2" "account.1.nat.udp_update_time = 15" \
        "sipr.failback.hold_down = 1" "sip.timer_t1 = 0.1" "sip.timer_t2 = 0.4" \
        "sipr.health.interval = 500" "sipr.health.standby_interval = 30000" "sipr.health.down_after = 2" \
        "sipr.health.up_after = 1"
regd_start_configd
regd_start_healthd
regd_start
R1=$(lab_registrar_addr 1)
R2=$(lab_registrar_addr 2)

target_of() { # ADDR → healthd's object path for udp ADDR:5060
        lab_siprctl health --json | jq -r --arg a "$1" '.[] | select(.address == $a and .port == 5060 and .transport == "udp") | .path'
}
standby_of() { # ADDR → true|false
        local p
        p=$(target_of "$1")
        [[ -n "$p" ]] || return 1
        busctl --system get-property org.sipr.Health1 "$p" org.sipr.Health1.Target Standby | awk '{ print $2 }'
}
standby_is() { [[ "$(standby_of "$1" 2>/dev/null)" == "$2" ]]; } # ADDR true|false
wait_standby() { # ADDR true|false WHY
        regd_wait 30 "$3: udp $1:5060 Standby $2" standby_is "$1" "$2"
}
options_at() { lab_registrar_requests "$1" options; }

regd_wait 30 "account 1 registered at registrar 1" regd_working_is 1 "$(regd_uri 1)"
wait_standby "$R1" false "registrar 1 holds the binding"
wait_standby "$R2" true "registrar 2 holds nothing and takes no request"

# Probes at each registrar over 5 s: registrar 1 every 0.5 s, registrar 2 at most once.
o1=$(options_at 1) o2=$(options_at 2)
sleep 5
d1=$(($(options_at 1) - o1)) d2=$(($(options_at 2) - o2))
echo "in 5 s: $d1 OPTIONS at registrar 1 (active), $d2 at registrar 2 (standby)"
((d1 >= 6)) || lab_fail "registrar 1 (active, interval 0.5 s) got only $d1 OPTIONS in 5 s"
((d2 <= 1)) || lab_fail "registrar 2 (standby, 30 s) got $d2 OPTIONS in 5 s"

# The keep-alive (every 15 s on the bound flow) is reported to healthd as proof of life: one
# more "ok" once it is answered (no REGISTER is due: expires 3600).
p1=$(target_of "$R1")
count() { grep -c -- "$1" "$2" || true; }
more() { (($(count "$1" "$2") > $3)); } # PATTERN FILE N
ka="Keep-alive OPTIONS to $(regd_uri 1): 200\\."
k0=$(count "$ka" "$LAB_DIR/regd.log") r0=$(count "reports ok on $p1\\." "$LAB_DIR/healthd.log")
regd_wait 40 "a keep-alive answered" more "$ka" "$LAB_DIR/regd.log" "$k0"
regd_wait 10 "healthd heard the keep-alive's answer" more "reports ok on $p1\\." "$LAB_DIR/healthd.log" "$r0"

# Registrar 1 dies: new requests go to registrar 2 without a registration (register_on_enable
# = 0), so it is used; registrar 1 is watched at the full rate for failback.
lab_registrar_kill 1
regd_wait 30 "WorkingServer on registrar 2" regd_working_is 1 "$(regd_uri 2)"
wait_standby "$R2" false "registrar 2 takes the new requests"
wait_standby "$R1" false "registrar 1 is the primary, watched for failback"
lab_registrar_start 1
regd_wait 40 "back on registrar 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 10 "registrar 1 holds the binding again" lab_has_binding 1 1001
wait_standby "$R2" true "registrar 2 unused again"

# Shared targets: account 2 registers at registrar 2 (IP literal): active, whatever account 1 says.
regd_account 2 1002 "$R2"
regd_cfg "account.2.sip_server.1.expires = 3600"
regd_reload
regd_wait 30 "account 2 registered at registrar 2" regd_working_is 2 "$(regd_uri 2)"
wait_standby "$R2" false "account 2 holds its binding on registrar 2"
standby_is "$R1" false || lab_fail "registrar 1 became standby while account 1 is bound there"
regd_set account.2.enable=0
wait_standby "$R2" true "account 2 disabled"
echo ok
