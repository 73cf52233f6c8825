#!/usr/bin/env bash
# Lab self-test: registrars and the observer. Every fault the lab can inject (SIGSTOP, SIGKILL,
# restart, injected answers) must change what a client or the observer sees.
set -eu -o pipefail
source "${SIPR_LAB:-$(dirname "$0")}/selftest-lib.sh"

lab_init
lab_registrar_start 1
lab_registrar_start 2
R1=$(lab_registrar_addr 1)
R2=$(lab_registrar_addr 2)
UAC=$LAB_NET.200

step "registrars answer OPTIONS on UDP and TCP, other methods sensibly"
expect_probe 200 "$R1" udp OPTIONS "OPTIONS to registrar 1 over UDP"
expect_probe 200 "$R1" tcp OPTIONS "OPTIONS to registrar 1 over TCP"
expect_probe 200 "$R2" udp OPTIONS "OPTIONS to registrar 2 over UDP"
expect_probe 401 "$R1" udp REGISTER "REGISTER without credentials"
expect_probe 404 "$R1" udp MESSAGE "MESSAGE to a registrar"
expect_probe 405 "$R1" udp FOO "unknown method"

step "register with digest auth: the observer sees contact and Call-ID, then the expiry"
lab_has_no_binding 1 1001 || lab_fail "1001 bound before registering"
lab_register 1 1001 10 cid-selftest-1 || lab_fail "REGISTER 1001 at registrar 1 failed: $(tail -20 "$LAB_DIR/uac.log")"
lab_wait_for 10 "binding of 1001 on registrar 1" lab_has_binding 1 1001 cid-selftest-1 ||
        lab_fail "no binding after a 200: '$(lab_bindings 1 1001)'"
read -r uri cid exp <<<"$(lab_bindings 1 1001)"
[[ "$uri" == "sip:1001@$UAC:"* ]] || lab_fail "contact '$uri' is not the UAC's"
lab_assert_eq cid-selftest-1 "$cid" "Call-ID of the binding"
((exp > 0 && exp <= 10)) || lab_fail "expires $exp not in 1..10"
lab_assert_eq 1 "$(lab_binding_count 1 1001)" "contacts of 1001"
lab_assert_eq 0 "$(lab_binding_count 2 1001)" "contacts of 1001 on registrar 2"
lab_wait_for 30 "binding of 1001 to expire" lab_has_no_binding 1 1001 || lab_fail "binding did not expire"

step "wrong password and unknown user are refused, nothing bound"
if LAB_USERS="1002:wrong" lab_register 1 1002 60; then lab_fail "REGISTER with a wrong password succeeded"; fi
if LAB_USERS="9999:x" lab_register 1 9999 60; then lab_fail "REGISTER of an unknown user succeeded"; fi
lab_assert_eq 0 "$(lab_binding_count 1 1002)" "contacts of 1002 after a wrong password"
grep -q secret "$LAB_DIR/registrar1.log" && lab_fail "a password appears in the registrar log"

step "refresh keeps one contact, Expires 0 removes it, TCP registers too"
lab_register 1 1003 300 cid-selftest-3 || lab_fail "REGISTER 1003"
lab_register 1 1003 300 cid-selftest-3 || lab_fail "refresh 1003"
lab_assert_eq 1 "$(lab_binding_count 1 1003)" "contacts of 1003 after a refresh"
lab_register 1 1003 0 cid-selftest-3 || lab_fail "unREGISTER 1003"
lab_assert_eq 0 "$(lab_binding_count 1 1003)" "contacts of 1003 after Expires 0"
lab_register 1 1004 300 cid-selftest-4 tcp || lab_fail "REGISTER 1004 over TCP"
lab_bindings 1 1004 | grep -q "transport=TCP" || lab_fail "TCP binding not seen: $(lab_bindings 1 1004)"
full=$(lab_bindings_full 1 1004)
[[ $'\t'"$full"$'\t' == *$'\t'"Call-ID=cid-selftest-4"$'\t'* && "$full" == *$'\t'"Socket=tcp:$R1:5060"$'\t'* ]] ||
        lab_fail "lab_bindings_full: want Call-ID and the TCP socket, got '$full'"

step "registrar knobs: granted expiry capped by LAB_REGISTRAR_MAX_EXPIRES, 423 with LAB_REGISTRAR_423"
LAB_REGISTRAR_MAX_EXPIRES=120 LAB_REGISTRAR_MIN_EXPIRES=60 LAB_REGISTRAR_423=1 lab_registrar_start 3
lab_register 3 1007 3600 cid-knob-1 || lab_fail "REGISTER 3600 s at registrar 3"
read -r _ _ exp <<<"$(lab_bindings 3 1007)"
((exp > 60 && exp <= 120)) || lab_fail "granted expiry $exp, want at most LAB_REGISTRAR_MAX_EXPIRES=120"
if lab_register 3 1008 20 cid-knob-2; then lab_fail "Expires 20 below a 60 s minimum was accepted"; fi
grep -q "423 Interval Too Brief" "$LAB_DIR/uac-cid-knob-2.msg" || lab_fail "no 423 for Expires 20"
grep -q "^Min-Expires: 60" "$LAB_DIR/uac-cid-knob-2.msg" || lab_fail "423 without Min-Expires: 60"
lab_registrar_kill 3

step "SIGSTOP: no answers, the observer times out; SIGCONT: back, bindings kept"
lab_register 1 1005 300 cid-selftest-5 || lab_fail "REGISTER 1005"
lab_registrar_freeze 1
expect_probe timeout "$R1" udp OPTIONS "UDP OPTIONS to a frozen registrar"
expect_probe timeout "$R1" tcp OPTIONS "TCP OPTIONS to a frozen registrar"
if lab_bindings 1 1005 >/dev/null 2>&1; then lab_fail "observer answered for a frozen registrar"; fi
expect_probe 200 "$R2" udp OPTIONS "registrar 2 while 1 is frozen"
lab_registrar_thaw 1
lab_wait_for 10 "thawed registrar 1 answering" lab_sip_options "$R1" udp || lab_fail "no answer after SIGCONT"
lab_has_binding 1 1005 cid-selftest-5 || lab_fail "binding of 1005 lost over SIGSTOP/SIGCONT"

step "injected faults on a running registrar: answers change, bindings and the observer stay"
lab_registrar_mode 1 503 || lab_fail "setting mode 503"
expect_probe 503 "$R1" udp OPTIONS "OPTIONS in mode 503"
expect_probe 503 "$R1" tcp REGISTER "REGISTER over TCP in mode 503"
lab_registrar_mode 1 503-register:30
expect_probe 200 "$R1" udp OPTIONS "OPTIONS in mode 503-register"
lab_assert_eq "503 30" "$(lab_sip_request "$R1" udp REGISTER Retry-After | paste -sd ' ')" "REGISTER in mode 503-register:30"
if lab_register 1 1006 60; then lab_fail "REGISTER succeeded in mode 503-register"; fi
lab_registrar_mode 1 403-register
expect_probe 403 "$R1" udp REGISTER "REGISTER in mode 403-register"
lab_registrar_mode 1 drop-register
expect_probe 200 "$R1" udp OPTIONS "OPTIONS in mode drop-register"
expect_probe timeout "$R1" udp REGISTER "REGISTER in mode drop-register"
lab_registrar_mode 1 drop
expect_probe timeout "$R1" udp OPTIONS "OPTIONS in mode drop"
expect_probe timeout "$R1" tcp OPTIONS "TCP OPTIONS in mode drop"
lab_has_binding 1 1005 cid-selftest-5 || lab_fail "observer in mode drop: binding of 1005 not seen"
lab_registrar_mode 1 normal
expect_probe 200 "$R1" udp OPTIONS "OPTIONS back in mode normal"
lab_register 1 1006 60 || lab_fail "REGISTER back in mode normal"
if (lab_registrar_mode 1 bogus) 2>/dev/null; then lab_fail "a bogus mode was accepted"; fi

step "SIGKILL: UDP gets ICMP port unreachable, TCP gets RST, the observer fails"
pgid=$(lab_pid registrar1)
lab_registrar_kill 1
# Zombies (dead, not yet reaped) are fine: their sockets are closed.
live=$(ps -e -o pgid=,pid=,stat= | awk -v g="$pgid" '$1 == g && $3 !~ /^Z/ { print $2 }' | paste -sd ' ')
[[ -z "$live" ]] || lab_fail "registrar 1 processes survived SIGKILL: $live"
expect_probe refused "$R1" udp OPTIONS "UDP OPTIONS to a killed registrar"
expect_probe refused "$R1" tcp OPTIONS "TCP connect to a killed registrar"
if lab_bindings 1 1005 >/dev/null 2>&1; then lab_fail "observer answered for a killed registrar"; fi
expect_probe 200 "$R2" udp OPTIONS "registrar 2 while 1 is dead"

step "restart: bindings are gone (in memory), registering works again"
lab_registrar_start 1
lab_assert_eq 0 "$(lab_binding_count 1 1005)" "contacts of 1005 after a restart"
lab_register 1 1005 300 cid-selftest-5b || lab_fail "REGISTER after restart"
lab_has_binding 1 1005 cid-selftest-5b || lab_fail "binding after restart"
# Nonces carry their issue time in seconds; one issued before the restart's second is stale.
issued=$(date +%s)
after_issue() { (($(date +%s) > issued)); }
lab_wait_for 5 "the next second" after_issue
lab_registrar_restart 1
lab_assert_eq 0 "$(lab_binding_count 1 1005)" "contacts of 1005 after lab_registrar_restart"
# Credentials for a nonce of the previous instance: a stale nonce, challenged with stale=true.
replay() { python3 "$LAB_SRC/sip-replay.py" "$LAB_DIR/uac-cid-selftest-5b.msg" "$R1" "$LAB_NET.202" | paste -sd ' '; }
out=$(replay)
[[ "$out" == "401 "*'stale=true'* ]] || lab_fail "old nonce after a restart: want 401 with stale=true, got '$out'"
lab_registrar_kill 1
LAB_REGISTRAR_STALE=0 lab_registrar_start 1
out=$(replay)
[[ "$out" == "401 "* && "$out" != *stale* ]] || lab_fail "LAB_REGISTRAR_STALE=0: want a plain 401, got '$out'"

echo "lab self-test (registrars): all checks passed"
