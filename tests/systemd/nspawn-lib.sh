#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a booted systemd-nspawn container while answering its requests for lab actions outside
# (the lab's registrars run on the host, in the host's network, which the container shares).
#
# Inside, a test asks with `host registrar-kill 1` (nspawn-host.sh, bound into the container):
# it writes OUT/req.N with the command and waits for OUT/done.N, which holds "ok" or the error.
# Only the commands below are carried out.
# shellcheck source=../lab/lab.sh
source "${SIPR_LAB:-$(dirname "${BASH_SOURCE[0]}")/../lab}/lab.sh"

_nspawn_host_do() { # CMD ARG
        case $1 in
        registrar-kill) lab_registrar_kill "$2" ;;
        registrar-start) lab_registrar_start "$2" ;;
        registrar-freeze) lab_registrar_freeze "$2" ;;
        registrar-thaw) lab_registrar_thaw "$2" ;;
        *) echo "unknown host request '$1'" && return 1 ;;
        esac
}

# nspawn_run_serving OUT TIMEOUT-SECS LOG nspawn-args… — systemd-nspawn in the background,
# serving OUT/req.* until it exits; its exit status (124 when it was stopped at the deadline).
nspawn_run_serving() {
        local out=$1 secs=$2 log=$3 pid rc=0 f n cmd arg
        shift 3
        timeout "$secs" systemd-nspawn "$@" >"$log" 2>&1 </dev/null &
        pid=$!
        while kill -0 "$pid" 2>/dev/null; do
                for f in "$out"/req.*; do
                        [[ -f "$f" ]] || continue
                        n=${f##*.}
                        read -r cmd arg <"$f"
                        rm -f "$f"
                        # a subshell: a lab_die in there fails the request, not this loop
                        if [[ "$arg" =~ ^[0-9]$ ]] && (_nspawn_host_do "$cmd" "$arg") >"$out/host.log" 2>&1; then
                                echo ok >"$out/done.$n.tmp"
                        else
                                echo "failed: $cmd $arg: $(tail -3 "$out/host.log")" >"$out/done.$n.tmp"
                        fi
                        mv "$out/done.$n.tmp" "$out/done.$n"
                        echo "host: $cmd $arg → $(cat "$out/done.$n")"
                done
                sleep 0.2
        done
        wait "$pid" || rc=$?
        return $rc
}
