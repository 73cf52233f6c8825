#!/usr/bin/env bash
# Soak: SOAK_SECONDS (default 60; the long profile is 1800) of flapping registrars (freeze/thaw,
# kill/restart) and configuration changes (Set of a label and of an expiry, Reload) with 12
# accounts in the three modes, sampling RSS, open fds and live timers of every daemon every
# SOAK_SAMPLE seconds (default 10; long profile 60). Timers come from each daemon's SIGUSR1 state
# line (common/timer.c counts every GLib timeout it arms; regd adds its SIP transactions, healthd
# its probe queue). After a warm-up (the first third), the samples must not grow: the last one may
# exceed the first post-warm-up one by at most SOAK_RSS_KB (default 2048), 4 fds and 2 timers per
# account. At the end, with the faults stopped, every account must register again and each
# daemon must come back to the timers it had before the first fault (a leaked timer never does).
# The samples are printed (docs/reliability.md).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../regd/regd-lib.sh
source "$here/../regd/regd-lib.sh"
[[ -x "$SIPR_BUILD_ROOT/services/regd/sipr-regd" ]] || { echo "SKIP: services/regd/sipr-regd is not built"; exit 77; }
duration=${SOAK_SECONDS:-60} every=${SOAK_SAMPLE:-10} limit=${SOAK_RSS_KB:-2048}
RANDOM=${SOAK_SEED:-4242}
regd_setup
lab_registrar_start 1
lab_registrar_start 2
regd_health_cfg
regd_cfg "sip.timer_t1 = 0.2" "sipr.failback.hold_down = 0"
for x in $(seq 1 12); do
        u=$((1000 + x))
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $u" "account.$x.password = $(lab_user_password $u)" \
                "account.$x.reg_fail_retry_interval = 2"
        if ((x <= 4)); then
                regd_cfg "account.$x.sip_server.1.address = lab.test" "account.$x.sip_server.1.port = 0"
        else
                regd_cfg "account.$x.sip_server.1.address = $(lab_registrar_addr 1)" \
                        "account.$x.sip_server.2.address = $(lab_registrar_addr 2)" \
                        "account.$x.fallback.redundancy_type = $((x <= 8 ? 0 : 1))"
        fi
done
regd_start_configd
regd_start_dns
regd_start_healthd
regd_start
all_registered() { [[ "$(lab_siprctl --json status 2>/dev/null | jq '[.[] | select(.state == "registered")] | length')" == 12 ]]; }
regd_wait 60 "12 accounts registered" all_registered

daemons=(configd resolverd healthd regd)
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$(lab_pid "$1")/status"; }
fds() { find "/proc/$(lab_pid "$1")/fd" -mindepth 1 | wc -l; }
timers() { lab_service_state "$1" timers || lab_fail "sipr-$1 gave no state line on SIGUSR1"; }
# The quiet baseline, before any fault: timers of each daemon, SIP registrations, health targets.
declare -A base_timers
for d in "${daemons[@]}"; do
        base_timers[$d]=$(timers "$d")
        echo "before the faults: $d $(lab_service_state "$d")"
done
base_targets=$(lab_service_state healthd targets)
[[ "${base_timers[regd]}" -ge 12 ]] || lab_fail "regd reports ${base_timers[regd]} timers for 12 registered accounts"
declare -A first_rss first_fds first_timers last_rss last_fds last_timers
samples=0 actions=0
start=$SECONDS next_sample=$SECONDS warm=$((duration / 3))
frozen=0
while ((SECONDS - start < duration)); do
        if ((SECONDS >= next_sample)); then
                line="t=$((SECONDS - start))s"
                for d in "${daemons[@]}"; do
                        r=$(rss "$d") f=$(fds "$d") t=$(timers "$d")
                        line+=" $d=${r}kB/${f}fd/${t}t"
                        if ((SECONDS - start >= warm)) && [[ -z "${first_rss[$d]:-}" ]]; then
                                first_rss[$d]=$r first_fds[$d]=$f first_timers[$d]=$t
                        fi
                        last_rss[$d]=$r last_fds[$d]=$f last_timers[$d]=$t
                done
                echo "$line"
                samples=$((samples + 1))
                next_sample=$((next_sample + every))
        fi
        n=$((RANDOM % 2 + 1))
        case $((RANDOM % 6)) in
        0) if ((frozen)); then lab_registrar_thaw "$frozen"; frozen=0; else lab_registrar_freeze "$n"; frozen=$n; fi ;;
        1) ((frozen)) && { lab_registrar_thaw "$frozen"; frozen=0; }
           lab_registrar_restart "$n" ;;
        2) lab_siprctl set "account.$((RANDOM % 12 + 1)).label=soak$RANDOM" >/dev/null || lab_fail "Set failed" ;;
        3) lab_siprctl set "account.$((RANDOM % 4 + 5)).sip_server.1.expires=$((RANDOM % 2 ? 60 : 120))" >/dev/null ||
                lab_fail "Set failed" ;;
        4) lab_siprctl reload >/dev/null || lab_fail "Reload failed" ;;
        5) lab_siprctl status >/dev/null || lab_fail "regd does not answer" ;;
        esac
        actions=$((actions + 1))
        for d in "${daemons[@]}"; do
                kill -0 "$(lab_pid "$d")" 2>/dev/null || lab_fail "$d died during the soak: $(tail -5 "$LAB_DIR/$d.log")"
        done
        sleep 3
done
((frozen)) && lab_registrar_thaw "$frozen"
echo "soak: $((SECONDS - start)) s, $actions actions, $samples samples"
((samples >= 3)) || lab_fail "too few samples ($samples) to judge growth"
for d in "${daemons[@]}"; do
        echo "$d: after warm-up rss ${first_rss[$d]} → ${last_rss[$d]} kB, fds ${first_fds[$d]} → ${last_fds[$d]}"
        [[ "${SIPR_SANITIZE:-none}" != none ]] || ((last_rss[$d] - first_rss[$d] <= limit)) || lab_fail "$d RSS grew by $((last_rss[$d] - first_rss[$d])) kB after warm-up"
        ((last_fds[$d] <= first_fds[$d] + 4)) || lab_fail "$d fds grew from ${first_fds[$d]} to ${last_fds[$d]}"
        echo "$d: after warm-up timers ${first_timers[$d]} → ${last_timers[$d]}"
        ((last_timers[$d] <= first_timers[$d] + 24)) ||
                lab_fail "$d timers grew from ${first_timers[$d]} to ${last_timers[$d]}"
done
regd_wait 120 "all 12 accounts registered after the soak" all_registered
# Quiet again: retransmissions, probes and transactions of the faults end; what stays is a leak.
settled() {
        local d
        for d in "${daemons[@]}"; do
                (($(timers "$d") <= base_timers[$d])) || { sleep 0.5; return 1; }
        done
        # One SIP registration object per (account, address) ever used: every account reaches
        # 2 addresses (lab.test resolves to both registrars), so at most 24, whatever the faults.
        (($(lab_service_state regd sip_regs) <= 24)) &&
                [[ "$(lab_service_state healthd targets)" == "$base_targets" ]]
}
if ! lab_wait_for 120 "timers back to the quiet baseline" settled; then
        for d in "${daemons[@]}"; do echo "after the soak: $d $(lab_service_state "$d") (baseline timers ${base_timers[$d]})"; done
        lab_fail "a daemon did not come back to its quiet timer count (health targets at first $base_targets)"
fi
for d in "${daemons[@]}"; do echo "after the soak: $d $(lab_service_state "$d")"; done
echo PASS
