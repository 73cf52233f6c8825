#!/usr/bin/env bash
# Shared by the lab self-tests: probes that count what they sent.
# shellcheck source=lab.sh
source "${SIPR_LAB:-$(dirname "${BASH_SOURCE[0]}")}/lab.sh"

step() { echo "== $*"; }
declare -A SENT=() # "ADDR METHOD" → requests sent, to check what the servers counted
probe() { # ADDR udp|tcp METHOD [HEADER] — answer lines in PROBE_OUT (no subshell: SENT counts)
        SENT["$1 $3"]=$((${SENT["$1 $3"]:-0} + 1))
        PROBE_OUT=$(lab_sip_request "$@") || true
}
expect_probe() { # EXPECTED-CODE ADDR udp|tcp METHOD WHAT
        local got i
        # A loaded machine may miss one 2 s window; a lost answer is retried, a wrong one is not.
        for ((i = 0; i < 3; i++)); do
                SENT["$2 $4"]=$((${SENT["$2 $4"]:-0} + 1))
                got=$(lab_sip_request "$2" "$3" "$4" | head -1) || true
                [[ "$got" == timeout && "$1" != timeout ]] || break
        done
        lab_assert_eq "$1" "$got" "$5"
}
