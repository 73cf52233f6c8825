#!/usr/bin/env bash
# Chaos: CHAOS_ROUNDS rounds (default 7: each kind of fault once; the long profile is 100) of one fault each —
# SIGKILL of a sipr daemon (restarted as systemd would), SIGSTOP+SIGCONT of a daemon, SIGKILL +
# restart of a registrar, a frozen registrar, a registrar restart — with 16 accounts in the three
# modes: 1–6 failover (lab.test → SRV reg1, reg2), 7–11 concurrent (reg1 + reg2), 12–16
# successive (reg1 then reg2). After each round, within a deadline: all four daemons on the bus,
# every account registered, its binding where its mode allows it (failover and successive: on
# reg1 or reg2; concurrent: on both), no registrar holding more than one contact for a user, and
# local.cfg intact (the Set of the round before survives, and the file passes siprctl check).
# Rounds 1–28 cover every (fault, daemon) pair in turn; later rounds are random: CHAOS_SEED makes
# them repeatable; the seed is printed.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../regd/regd-lib.sh
source "$here/../regd/regd-lib.sh"
[[ -x "$SIPR_BUILD_ROOT/services/regd/sipr-regd" ]] || { echo "SKIP: services/regd/sipr-regd is not built"; exit 77; }
rounds=${CHAOS_ROUNDS:-7}
seed=${CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
echo "chaos: $rounds rounds, seed $seed"
regd_setup

lab_registrar_start 1
lab_registrar_start 2
regd_health_cfg
regd_cfg "sip.timer_t1 = 0.2" "sipr.failback.hold_down = 0"
for x in $(seq 1 16); do
        u=$((1000 + x))
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $u" "account.$x.password = $(lab_user_password $u)" \
                "account.$x.reg_fail_retry_interval = 2" "account.$x.fallback.timeout = 10"
        if ((x <= 6)); then
                regd_cfg "account.$x.sip_server.1.address = lab.test" "account.$x.sip_server.1.port = 0" \
                        "account.$x.sip_server.1.expires = 60"
        else
                regd_cfg "account.$x.sip_server.1.address = $(lab_registrar_addr 1)" \
                        "account.$x.sip_server.2.address = $(lab_registrar_addr 2)" \
                        "account.$x.sip_server.1.expires = 60" "account.$x.sip_server.2.expires = 60" \
                        "account.$x.fallback.redundancy_type = $((x <= 11 ? 0 : 1))"
        fi
done
regd_start_configd
regd_start_dns
regd_start_healthd
regd_start

daemons=(configd resolverd healthd regd)
start_daemon() {
        case $1 in
        configd) regd_start_configd ;;
        resolverd) lab_service_start resolverd --dns="$(lab_dns_addr)" ;;
        healthd) regd_start_healthd ;;
        regd) regd_start ;;
        esac
}

all_ok() { # prints the first thing that is not (yet) right
        local x u n k states
        for s in "${daemons[@]}"; do
                lab_has_name "$(_lab_service_busname "$s")" || { echo "$s not on the bus"; return 1; }
        done
        states=$(lab_siprctl --json status 2>/dev/null | jq -r '.[] | .state' | sort | uniq -c | tr -s ' \n' ' ')
        [[ "$states" =~ ^\ ?16\ registered\ ?$ ]] || { echo "states: $states"; return 1; }
        for x in $(seq 1 16); do
                u=$((1000 + x))
                for k in 1 2; do
                        n=$(lab_binding_count "$k" "$u" 2>/dev/null || echo "?")
                        eval "b$k=\$n"
                        [[ "$n" == ? || "$n" -le 1 ]] || { echo "registrar $k holds $n contacts of $u"; return 1; }
                done
                # shellcheck disable=SC2154
                if ((x >= 7 && x <= 11)); then
                        [[ "$b1" == 1 && "$b2" == 1 ]] || { echo "concurrent $u: reg1=$b1 reg2=$b2"; return 1; }
                else
                        [[ "$b1" == 1 || "$b2" == 1 ]] || { echo "$u bound nowhere"; return 1; }
                fi
        done
}
settle() { # ROUND — waits for all_ok, fails the test with what is still wrong
        local i why
        for ((i = 0; i < 900; i++)); do
                why=$(all_ok) && return 0
                sleep 0.2
        done
        lab_siprctl status >&2 || true
        lab_fail "round $1: not recovered after 180 s: $why"
}

settle 0
declare -A count
for ((round = 1; round <= rounds; round++)); do
        # A Set each round: local.cfg must hold it after whatever comes next.
        lab_siprctl set "account.16.label=round$round" >/dev/null || lab_fail "round $round: Set"
        # The first 28 rounds go through every (fault, daemon) pair (7 and 4 are coprime); later
        # ones draw at random from the seed.
        if ((round <= 28)); then
                f=$(((round - 1) % 7)) d=${daemons[(round - 1) % 4]} n=$((round % 2 + 1))
        else
                f=$((RANDOM % 7)) d=${daemons[RANDOM % 4]} n=$((RANDOM % 2 + 1))
        fi
        case $f in
        0 | 1) what="SIGKILL $d"
                pid=$(lab_pid "$d")
                kill -KILL "$pid"
                lab_wait_for 10 "$d gone" bash -c "! kill -0 $pid 2>/dev/null" || lab_fail "$d survived SIGKILL"
                start_daemon "$d" ;;
        2) what="SIGSTOP $d for 3 s"
                lab_signal "$d" STOP; sleep 3; lab_signal "$d" CONT ;;
        3) what="SIGKILL registrar $n, restart"
                lab_registrar_kill "$n"; sleep 2; lab_registrar_start "$n" ;;
        4) what="freeze registrar $n for 4 s"
                lab_registrar_freeze "$n"; sleep 4; lab_registrar_thaw "$n" ;;
        5) what="restart registrar $n"
                lab_registrar_restart "$n" ;;
        6) what="SIGKILL regd and registrar $n together"
                kill -KILL "$(lab_pid regd)"; lab_registrar_kill "$n"; sleep 1
                lab_registrar_start "$n"; regd_start ;;
        esac
        count[$what]=$((${count[$what]:-0} + 1))
        t0=$SECONDS
        settle "$round ($what)"
        lab_assert_eq "round$round" "$(lab_siprctl get account.16.label)" "round $round ($what): local.cfg lost the last Set"
        lab_siprctl check "$REGD_CFG_STATE/local.cfg" >/dev/null || lab_fail "round $round: local.cfg does not pass check"
        echo "round $round: $what — recovered in $((SECONDS - t0)) s"
done
echo "faults:"
for k in "${!count[@]}"; do echo "  ${count[$k]} × $k"; done
echo PASS
