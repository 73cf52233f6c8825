#!/usr/bin/env bash
# Issue 16 item 3: any local user, within the bus daemon's stock limits, floods sipr-regd with
# GetManagedObjects it never reads (200 connections × 120 calls) while 256 accounts, each
# registered on 4 servers (concurrent: 1024 bindings, the largest replies), refresh 60 s
# registrations and healthd probes every server. SIP must keep flowing whatever the bus does: every refresh answered in time (no
# REGISTER given up, every account still registered, every binding renewed during the flood), and
# regd answers a plain call at once (GetManagedObjects over the per-connection budget is refused
# in microseconds: common/bus-budget.h), and a new unprivileged client still gets its answer.
# Before the fix the main loop stalled for over a minute and REGISTERs timed out although the
# registrar had answered; then, with SIP first, regd still spent 50 s of CPU (4 min under ASan)
# on the flood while every D-Bus caller waited behind it.
N=256
LAB_USERS=""
for ((u = 2001; u < 2001 + N; u++)); do LAB_USERS+="$u:secret$u "; done
LAB_USERS=${LAB_USERS% }
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../regd/regd-lib.sh
source "$here/../regd/regd-lib.sh"
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
stress=$SIPR_BUILD_ROOT/tests/reliability/bus-stress
regd_setup

for k in 1 2 3 4; do lab_registrar_start $k; done
for ((x = 1; x <= N; x++)); do
        u=$((2000 + x))
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $u" "account.$x.password = secret$u" \
                "account.$x.nat.udp_update_enable = 0"
        for k in 1 2 3 4; do
                regd_cfg "account.$x.sip_server.$k.address = $(lab_registrar_addr $k)" "account.$x.sip_server.$k.expires = 60"
        done
done
regd_start_configd
regd_start_healthd
regd_start --log-level=info
all_registered() {
        local out
        out=$(lab_siprctl --json status) || return 1
        [[ "$(jq '[.[] | select(.state == "registered")] | length' <<<"$out")" == "$N" ]]
}
regd_wait 120 "$N accounts registered" all_registered
mark=$(regd_log_mark)

# nobody must reach the bus socket in the lab dir; the lab bus lets every user connect.
chmod 711 "$LAB_DIR"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
as_nobody busctl --system status org.freedesktop.DBus >/dev/null 2>&1 || lab_fail "nobody cannot reach the lab bus"
lab_spawn flood "$LAB_DIR/flood.log" setpriv --reuid=65534 --regid=65534 --clear-groups -- "$stress" flood 200 120 >/dev/null
regd_wait 60 "the flood sent" grep -q "^sent=" "$LAB_DIR/flood.log"
echo "flood: $(cat "$LAB_DIR/flood.log")"

flood_at=$SECONDS
lab_wait_for 30 "regd answers a plain call during the flood" lab_siprctl status 1 >/dev/null ||
        lab_fail "regd does not answer during the flood"
echo "a plain call answered $((SECONDS - flood_at)) s after the flood was sent"
as_nobody busctl --system call org.sipr.Registration1 /org/sipr/Registration1 org.freedesktop.DBus.ObjectManager \
        GetManagedObjects >/dev/null || lab_fail "a new unprivileged client is refused during the flood"
regd_wait 30 "regd says it refuses the flood" grep -q "Refusing GetManagedObjects from" "$LAB_DIR/regd.log"
grep -m1 "Refusing GetManagedObjects from" "$LAB_DIR/regd.log"
# root is not limited: many calls on one connection all answered (the bus tells regd the uid)
"$stress" burst 1 40 4 >"$LAB_DIR/root-burst.txt" 2>&1 || lab_fail "root burst: $(cat "$LAB_DIR/root-burst.txt")"
grep -q "ok=40 errors=0" "$LAB_DIR/root-burst.txt" || lab_fail "root was limited: $(cat "$LAB_DIR/root-burst.txt")"

# 60 s of flood: every account refreshes at least once (at 30 s of its 60 s), all answered
sleep $((60 - (SECONDS - flood_at) > 0 ? 60 - (SECONDS - flood_at) : 0))
lab_stop_process flood
log=$(regd_log_since "$mark")
grep -E "no answer|timed out|gave up" <<<"$log" | head -5 && lab_fail "REGISTERs were given up during the flood"
refreshed=$(grep -c "transport=udp 200 OK (expires 60," <<<"$log" || true)
echo "refreshes answered during the flood: $refreshed (of at least $((4 * N)) due)"
((refreshed >= 4 * N)) || lab_fail "only $refreshed refreshes answered in 60 s of flood ($N accounts × 4 servers, refresh every 30 s)"
regd_wait 60 "every account still registered" all_registered
echo PASS
