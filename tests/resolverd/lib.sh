#!/usr/bin/env bash
# Helpers shared by the resolverd lab tests (sourced after tests/lab/lab.sh).

rs_start() { # [resolverd args…] — lab, bus, resolverd
        lab_init
        lab_dbus_start
        lab_service_start resolverd "$@"
}

# rs_resolve HOST [PORT] [TRANSPORT] → JSON array of targets (siprctl --json); fails like siprctl.
rs_resolve() { lab_siprctl --json resolve "$1" "${2:-0}" "${3:-}"; }

# rs_targets HOST [PORT] [TRANSPORT] → one line per target: "transport address port priority weight"
rs_targets() {
        rs_resolve "$@" | jq -r '.[] | "\(.transport) \(.address) \(.port) \(.priority) \(.weight)"'
}

# rs_error HOST PORT TRANSPORT → "org.sipr.Error.Name: message" of a failing Resolve (empty on success)
rs_error() {
        dbus-send --system --print-reply --dest=org.sipr.Resolver1 /org/sipr/Resolver1 \
                org.sipr.Resolver1.Resolve "string:$1" "uint16:${2:-0}" "string:${3:-}" 2>&1 >/dev/null |
                sed -n 's/^Error \(org\.sipr\.Error\.[A-Za-z]*\): /\1: /p'; true
}

rs_prop() { # NAME → value of a Resolver1 property
        busctl --system get-property org.sipr.Resolver1 /org/sipr/Resolver1 org.sipr.Resolver1 "$1" | cut -d' ' -f2-
}
rs_prop_is() { [[ "$(rs_prop "$1")" == "$2" ]]; } # NAME VALUE

rs_flush() { busctl --system call org.sipr.Resolver1 /org/sipr/Resolver1 org.sipr.Resolver1 Flush >/dev/null; }

rs_alive() { # resolverd still running and answering an IP literal
        kill -0 "$(lab_pid resolverd)" 2>/dev/null || lab_fail "sipr-resolverd died; log: $(tail -20 "$LAB_DIR/resolverd.log")"
        [[ "$(rs_targets 127.0.0.1 5060 udp)" == "udp 127.0.0.1 5060 0 0" ]] || lab_fail "sipr-resolverd does not answer any more"
}

rs_expect_error() { # NAME HOST PORT TRANSPORT PATTERN — the Resolve fails with that error, message matching
        local got
        got=$(rs_error "$2" "$3" "$4")
        [[ "$got" == "org.sipr.Error.$1: "* ]] || lab_fail "Resolve '$2' $3 '$4': expected org.sipr.Error.$1, got '${got:-success}'"
        [[ "$got" =~ $5 ]] || lab_fail "Resolve '$2' $3 '$4': message '$got' does not match /$5/"
        echo "ok: '$2' $3 '$4' → $got"
}
