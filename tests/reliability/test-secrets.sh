#!/usr/bin/env bash
# Secrets never leak: a full run (configd with a provisioned password and one set at run time,
# resolverd, healthd, regd registering with digest auth at a lab Kamailio) while busctl monitor
# records every message on the lab bus; then every daemon log (debug level), the bus daemon's
# log, the whole monitor stream and every siprctl read command's output (text and --json) are
# scanned for both passwords (plain, base64, hex, UTF-16). The only messages allowed to carry a
# password are GetSecret's reply to a sipr daemon and the administrator's Set call itself
# (docs/security.md explains why, and how the first could go away).
PW1=Pw1$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
PW2=Pw2$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
# shellcheck disable=SC2034 # read by lab.sh
LAB_USERS="1001:$PW1 1002:$PW2"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../regd/regd-lib.sh
source "$here/../regd/regd-lib.sh"

[[ -x "$SIPR_BUILD_ROOT/services/regd/sipr-regd" ]] || { echo "SKIP: services/regd/sipr-regd is not built"; exit 77; }
# Bounded: a daemon that stops answering fails the test at the command that found it (an ASan
# run once hung here past meson's 240 s with nothing to show), with each daemon's state line.
lab_siprctl() {
        local rc=0
        timeout --foreground 30 "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" "$@" || rc=$?
        if ((rc == 124)); then
                local d
                for d in configd resolverd healthd regd; do
                        echo "after 30 s of siprctl $*: $d $(lab_service_state "$d" 2>/dev/null || echo 'no state line')" >&2
                done
        fi
        return $rc
}
# One SIGTERM to siprctl monitor alone, and a bounded wait. Not coreutils timeout: that also
# sends SIGCONT to the whole process group, and a SIGCONT that lands while LeakSanitizer's
# exit-time tracer attaches cancels the stop it waits for, forever (CI's ASan run hung here).
monitor_stop() {
        local pid=$1 k
        kill -TERM "$pid" 2>/dev/null || true
        for ((k = 0; k < 300; k++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
                lab_fail "siprctl monitor did not exit within 30 s of SIGTERM"
        fi
        wait "$pid" 2>/dev/null || true
}
regd_setup
out=$LAB_DIR/out
mkdir -p "$out"

lab_spawn monitor "$out/monitor.json" stdbuf -oL busctl --system monitor --json=short >/dev/null
# The monitor is attached once it has seen a call made after it started.
lab_wait_for 20 "busctl monitor attached" bash -c \
        "busctl --system call org.freedesktop.DBus / org.freedesktop.DBus GetId >/dev/null; grep -q '\"member\":\"GetId\"' '$out/monitor.json'" ||
        lab_fail "busctl monitor did not attach"

lab_registrar_start 1
regd_health_cfg
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_cfg "account.2.user_name = 1002" "account.2.sip_server.1.address = $(lab_registrar_addr 1)"
regd_start_configd
regd_start_dns
regd_start_healthd
regd_start

regd_wait 60 "account 1 registered with its provisioned password" regd_is 1 registered
regd_wait 20 "registrar 1 holds 1001" lab_has_binding 1 1001
# A password that arrives over the bus at run time, then used.
lab_siprctl set "account.2.password=$PW2" account.2.enable=1 >"$out/set.txt" 2>&1 || lab_fail "siprctl set: $(cat "$out/set.txt")"
regd_wait 60 "account 2 registered with the password set at run time" regd_is 2 registered
regd_wait 20 "registrar 1 holds 1002" lab_has_binding 1 1002

# Every read command, text and JSON.
i=0
for cmd in "status" "status 1" "status 2" "list" "list account.1" "list account.2" "get account.1.password" \
        "get account.2.password" "get account.1.auth_name" "health" "keys password" "monitor"; do
        for json in "" "--json"; do
                i=$((i + 1))
                # shellcheck disable=SC2086
                if [[ $cmd == monitor ]]; then
                        "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" $json monitor >"$out/siprctl-$i.txt" 2>&1 &
                        mon=$!
                        sleep 0.5
                        lab_siprctl failover 1 >/dev/null 2>&1 || true
                        sleep 2.5
                        monitor_stop "$mon"
                else
                        lab_siprctl $json $cmd >"$out/siprctl-$i.txt" 2>&1 || lab_fail "siprctl $json $cmd: $(cat "$out/siprctl-$i.txt")"
                fi
        done
done
lab_assert_eq '********' "$(lab_siprctl get account.1.password)" "siprctl get masks the password"
# Provisioning reloads and restarts make the daemons fetch and apply the secret again.
lab_siprctl reload >/dev/null || lab_fail "reload"
lab_service_stop regd
regd_start
regd_wait 60 "account 1 registered again after a regd restart" regd_is 1 registered
lab_siprctl status >"$out/siprctl-final.txt" 2>&1 || true
# Only the daemons that need the passwords hold them, and those never dump core (issue 16).
for s in configd regd; do
        lab_assert_eq 0 "$(lab_service_state $s dumpable)" "$s holds passwords: not dumpable"
done
for s in resolverd healthd; do
        lab_assert_eq 1 "$(lab_service_state $s dumpable)" "$s holds no password: dumpable for debugging"
done
no_secrets=()
for n in org.sipr.Resolver1 org.sipr.Health1; do
        no_secrets+=("$(busctl --system status "$n" | sed -n 's/^UniqueName=//p')")
done
for s in regd healthd resolverd configd; do lab_service_stop "$s"; done
lab_stop_process monitor

# Files holding secrets: owner-only.
lab_assert_eq 600 "$(stat -c %a "$REGD_CFG_STATE/local.cfg")" "local.cfg mode"
for f in "$REGD_STATE"/*; do
        [[ -f "$f" ]] && lab_assert_eq 600 "$(stat -c %a "$f")" "mode of regd state file $f"
done

# The scanner itself must see a leak when there is one.
echo "debug: password is $PW2 here" >"$LAB_DIR/planted.log"
if python3 "$here/secrets-scan.py" --secret "$PW2" --monitor "$out/monitor.json" "$LAB_DIR/planted.log" >/dev/null 2>&1; then
        lab_fail "secrets-scan.py missed a planted password"
fi

# GetSecret: asked by regd, never by resolverd or healthd.
askers=$(jq -Rr 'fromjson? | select(.type == "method_call" and .member == "GetSecret") | .sender' "$out/monitor.json" | sort -u)
[[ -n "$askers" ]] || lab_fail "nobody called GetSecret: the secret path did not run"
for n in "${no_secrets[@]}"; do
        [[ -n "$n" ]] || lab_fail "could not tell the unique names of resolverd and healthd"
        ! grep -qxF -- "$n" <<<"$askers" || lab_fail "$n (resolverd or healthd) called GetSecret; askers: $askers"
done

files=("$out"/siprctl-*.txt "$out/set.txt" "$LAB_DIR/dbus.log")
for s in configd resolverd healthd regd; do files+=("$LAB_DIR/$s.log"); done
python3 "$here/secrets-scan.py" --secret "$PW1" --secret "$PW2" --monitor "$out/monitor.json" "${files[@]}" ||
        lab_fail "a password leaked (or the run did not exercise the secret path); see above"
echo PASS
