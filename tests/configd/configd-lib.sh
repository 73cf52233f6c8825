#!/usr/bin/env bash
# Helpers for the configd lab tests: a private bus, a config dir with the realistic Yealink files
# from files/, a state dir, and thin wrappers over busctl.
# shellcheck source=../lab/lab.sh
source "${SIPR_LAB:-$(dirname "${BASH_SOURCE[0]}")/../lab}/lab.sh"
CFG_FILES=$(cd "$(dirname "${BASH_SOURCE[0]}")/files" && pwd)
CFG_MAC=001565aabbcc

cfg_setup() {
        set -euo pipefail
        lab_init
        lab_dbus_start
        CFG_ETC=$LAB_DIR/etc
        CFG_STATE=$LAB_DIR/state
        mkdir -p "$CFG_ETC" "$CFG_STATE"
        export CFG_ETC CFG_STATE
}

cfg_install_files() { # copies the realistic common + device files into the config dir
        cp "$CFG_FILES/y000000000000.cfg" "$CFG_FILES/$CFG_MAC.cfg" "$CFG_ETC/"
}

cfg_start() { # [extra args]
        lab_service_start configd --config-dir="$CFG_ETC" --state-dir="$CFG_STATE" --mac=00:15:65:AA:BB:CC "$@"
}

cfg_busctl() { busctl --system --no-pager "$@"; }

# cfg_call METHOD SIGNATURE ARGS… — prints the JSON reply; on error prints "ERROR <message>" and fails
cfg_call() {
        local out rc
        out=$(busctl --system --no-pager --json=short call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 "$@" 2>&1) && rc=0 || rc=$?
        printf '%s\n' "$out"
        return $rc
}

cfg_get() { cfg_call Get s "$1" | jq -r '.data[0]'; }

cfg_prop() { # NAME → JSON data
        busctl --system --no-pager --json=short get-property org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 "$1" | jq -c '.data'
}

# cfg_dbus_send METHOD ARGS… — dbus-send (it prints error names): "Error org.sipr.Error.X: message"
cfg_dbus_send() {
        local method=$1
        shift
        dbus-send --system --print-reply --dest=org.sipr.Config1 /org/sipr/Config1 "org.sipr.Config1.$method" "$@" 2>&1 || true
}

# cfg_expect_error ERRORNAME SUBSTRING METHOD ARGS… — the call fails with that name and message
cfg_expect_error() {
        local name=$1 sub=$2 out
        shift 2
        out=$(cfg_dbus_send "$@")
        [[ "$out" == *"Error $name: "* ]] || lab_fail "$1 ${*:2}: expected error $name, got: $out"
        [[ "$out" == *"$sub"* ]] || lab_fail "$1: error message lacks '$sub': $out"
        echo "ok: $1 → $name: ${out#*: }" >&2
}

cfg_expect_eq() { # KEY EXPECTED
        local v
        v=$(cfg_get "$1")
        lab_assert_eq "$2" "$v" "Get $1"
}
