#!/usr/bin/env bash
# docs/dbus-api.md documents what the running services export: every method, signal and
# property (with its type) of every org.sipr.* interface, introspected live, and nothing more;
# and its Access control table names exactly the methods the bus policy keeps from everyone.
source "$(dirname "$0")/docs-lib.sh"
docs_skip_without_regd
docs_setup
docs_start_stack
# regd watches its server through healthd: a target object exists to introspect.
lab_wait_for 30 "a healthd target" busctl --system introspect org.sipr.Health1 /org/sipr/Health1/target/1 \
        org.sipr.Health1.Target || lab_fail "no /org/sipr/Health1/target/1: $(busctl --system tree org.sipr.Health1)"

introspect() { # SERVICE PATH FILE
        busctl --system call "$1" "$2" org.freedesktop.DBus.Introspectable Introspect --json=short |
                jq -r '.data[0]' >"$LAB_DIR/$3.xml" || lab_fail "cannot introspect $1 $2"
        echo "$LAB_DIR/$3.xml"
}
files=(
        "$(introspect org.sipr.Config1 /org/sipr/Config1 config)"
        "$(introspect org.sipr.Resolver1 /org/sipr/Resolver1 resolver)"
        "$(introspect org.sipr.Health1 /org/sipr/Health1 health)"
        "$(introspect org.sipr.Health1 /org/sipr/Health1/target/1 target)"
        "$(introspect org.sipr.Registration1 /org/sipr/Registration1 registration)"
        "$(introspect org.sipr.Registration1 /org/sipr/Registration1/account/1 account)"
)
python3 "$(dirname "$0")/check-dbus-api.py" --policy "$SIPR_SOURCE_ROOT/dbus/system.d" \
        "$SIPR_SOURCE_ROOT/docs/dbus-api.md" "${files[@]}" ||
        lab_fail "docs/dbus-api.md differs from the running services or from the bus policy"
echo ok
