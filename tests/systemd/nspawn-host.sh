#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced inside the container: host CMD N asks the test outside for a lab action (nspawn-lib.sh:
# registrar-kill, registrar-start, registrar-freeze, registrar-thaw) and waits for it to be done.
# Returns non-zero, with the reason on stderr, when it failed or got no answer in 120 s.
HOST_OUT=${HOST_OUT:-/sipr-test/out}
HOST_REQ=0
host() {
        local n deadline
        HOST_REQ=$((HOST_REQ + 1))
        n=$HOST_REQ
        echo "$*" >"$HOST_OUT/req.$n.tmp"
        mv "$HOST_OUT/req.$n.tmp" "$HOST_OUT/req.$n"
        deadline=$((SECONDS + 120))
        until [[ -f "$HOST_OUT/done.$n" ]]; do
                ((SECONDS >= deadline)) && { echo "host $*: no answer from outside in 120 s" >&2; return 1; }
                sleep 0.2
        done
        [[ $(cat "$HOST_OUT/done.$n") == ok ]] || { cat "$HOST_OUT/done.$n" >&2; return 1; }
}
