#!/usr/bin/env bash
# Helpers for the regd lab tests: private bus, configd with a provisioning file written by the
# test, regd on its own address in the lab network, and readers of the Account objects.
# shellcheck source=../lab/lab.sh
source "${SIPR_LAB:-$(dirname "${BASH_SOURCE[0]}")/../lab}/lab.sh"

regd_setup() {
        set -euo pipefail
        lab_init
        lab_dbus_start
        REGD_ETC=$LAB_DIR/etc
        REGD_STATE=$LAB_DIR/regd-state
        REGD_CFG_STATE=$LAB_DIR/configd-state
        REGD_SIP_ADDR=$LAB_NET.10
        mkdir -p "$REGD_ETC" "$REGD_STATE" "$REGD_CFG_STATE"
        # The edge (local UAs' outbound proxy) on regd's own lab address, not 127.0.0.1:5060 that
        # every lab running side by side would want.
        printf '%s\n' '#!version:1.0.0.1' "sipr.edge.address = $REGD_SIP_ADDR" >"$REGD_ETC/y000000000000.cfg"
        export REGD_ETC REGD_STATE REGD_CFG_STATE REGD_SIP_ADDR
}

# regd_cfg "key = value"… — appends to the common provisioning file (before configd starts,
# or followed by regd_reload).
regd_cfg() { printf '%s\n' "$@" >>"$REGD_ETC/y000000000000.cfg"; }

# regd_account X USER SERVER1 [SERVER2] — an enabled account with the lab password of USER.
regd_account() {
        local x=$1 user=$2 pass
        pass=$(lab_user_password "$user")
        regd_cfg "account.$x.enable = 1" "account.$x.user_name = $user" "account.$x.password = $pass" \
                "account.$x.sip_server.1.address = $3"
        [[ -n "${4:-}" ]] && regd_cfg "account.$x.sip_server.2.address = $4"
        return 0
}

regd_start_configd() {
        lab_service_start configd --config-dir="$REGD_ETC" --state-dir="$REGD_CFG_STATE" --mac=00:15:65:aa:bb:cc
}
regd_reload() { lab_siprctl reload >/dev/null; }
regd_set() { lab_siprctl set "$@" >/dev/null; }

# regd_reregister — Registration1.Reregister: every enabled account removes its bindings and
# registers again.
regd_reregister() {
        busctl --system call org.sipr.Registration1 /org/sipr/Registration1 org.sipr.Registration1 Reregister >/dev/null ||
                lab_fail "Reregister"
}
# regd_log_mark, then regd_log_since MARK: what regd has logged since the mark.
regd_log_mark() { wc -l <"$LAB_DIR/regd.log"; }
regd_log_since() { tail -n "+$(($1 + 1))" "$LAB_DIR/regd.log"; }

regd_start() { lab_service_start regd --state-dir="$REGD_STATE" --sip-address="$REGD_SIP_ADDR" "$@"; }

# regd_prop X NAME — a property of account X (JSON data via busctl; strings unquoted).
regd_prop() {
        busctl --system --no-pager --json=short get-property org.sipr.Registration1 \
                "/org/sipr/Registration1/account/$1" org.sipr.Registration1.Account "$2" | jq -r '.data'
}
regd_state() { regd_prop "$1" State; }
regd_working() { regd_prop "$1" WorkingServer; }

regd_is() { [[ "$(regd_state "$1" 2>/dev/null)" == "$2" ]]; }                 # X STATE
regd_working_is() { [[ "$(regd_working "$1" 2>/dev/null)" == "$2" ]]; }      # X URI
regd_uri() { echo "sip:$(lab_registrar_addr "$1"):5060;transport=${2:-udp}"; } # N [transport]

# The Call-ID registrar N holds for USER (first binding), or nothing.
regd_callid() { lab_bindings "$1" "$2" | awk 'NR == 1 { print $2 }'; }

regd_wait() { # SECS WHAT cmd… — lab_wait_for that fails the test with context
        local secs=$1 what=$2
        shift 2
        lab_wait_for "$secs" "$what" "$@" || {
                lab_siprctl status >&2 || true
                lab_fail "$what (regd log: $(tail -15 "$LAB_DIR/regd.log"))"
        }
}

regd_start_dns() {
        lab_dns_start
        lab_service_start resolverd --dns="$(lab_dns_addr)"
}
regd_start_healthd() { lab_service_start healthd; }

# regd_no_binding_anywhere_but N USER — true when registrar N holds USER and the others that
# answer do not (a frozen or dead registrar is skipped).
regd_only_on() {
        local n=$1 user=$2 k
        lab_has_binding "$n" "$user" || return 1
        for k in 1 2 3; do
                [[ $k == "$n" ]] && continue
                [[ -S "$(lab_registrar_ctl "$k")" ]] || continue
                lab_has_no_binding "$k" "$user" 2>/dev/null || return 1
        done
}

# regd_sipp_transmissions NAME METHOD — every copy of METHOD the sipp server received,
# retransmissions included (lab_sipp_received counts transactions).
regd_sipp_transmissions() {
        awk -v m="$2" '
                /message received/ { inmsg = 1; first = 1; next }
                /message sent/ { inmsg = 0; next }
                inmsg && first && NF > 0 { if ($1 == m) n++; first = 0 }
                END { print n + 0 }
        ' "$LAB_DIR/sipp-$1.msg"
}

# regd_health_cfg — fast health probing for tests.
regd_health_cfg() {
        regd_cfg "sipr.health.interval = 200" "sipr.health.down_after = 2" "sipr.health.up_after = 1" \
                "sipr.health.method = options" "sipr.health.proactive_failover = 1"
}
