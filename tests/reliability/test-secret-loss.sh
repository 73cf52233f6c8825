#!/usr/bin/env bash
# Issue 16, item 1: regd must never lose a SIP password it knows. Real daemons on the lab bus with
# sipr's real policy, an unprivileged user (nobody) as the attacker, a Kamailio that challenges.
#  1. The attack of the issue: nobody asks configd to Check a FIFO (which once hung configd, so
#     that regd's GetSecret timed out while the administrator's Set was announced, and regd took
#     the mask "********" as the password). configd answers at once, and a Reregister
#     authenticates again.
#  2. GetSecret failing anyway (the bus policy is changed at run time to refuse it, as a stalled
#     configd's time-outs would): a Set is announced, regd keeps the password it has (a
#     Reregister still authenticates), and reads it again by itself once GetSecret works.
# Waits on events with generous deadlines; never a timing assert.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../regd/regd-lib.sh
source "$here/../regd/regd-lib.sh"
[[ -x "$SIPR_BUILD_ROOT/services/regd/sipr-regd" ]] || { echo "SKIP: services/regd/sipr-regd is not built"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }

regd_setup
# nobody must reach the bus socket in the lab dir; the lab bus lets every user connect.
chmod 711 "$LAB_DIR"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
as_nobody busctl --system status org.freedesktop.DBus >/dev/null 2>&1 || lab_fail "nobody cannot reach the lab bus"

lab_registrar_start 1
regd_health_cfg
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_start_configd
regd_start_dns
regd_start_healthd
regd_start
regd_wait 60 "account 1 registered" regd_is 1 registered

# A Reregister must authenticate again (Kamailio challenges every REGISTER): proof that regd
# holds the real password, whatever its configuration went through.
reregistered_since() { # MARK — a 200 to a REGISTER after the mark, and the account registered
        regd_log_since "$1" | grep -q "^<[0-9]>Account 1: .* 200 OK (expires " && regd_is 1 registered
}
reregister_and_check() { # WHAT
        local mark
        mark=$(regd_log_mark)
        regd_reregister
        regd_wait 60 "$1: account 1 registered again with its password after a Reregister" reregistered_since "$mark"
        ! regd_log_since "$mark" | grep -q "Account 1: .* 403 " || lab_fail "$1: a REGISTER was refused (403)"
        echo "ok: $1: Reregister authenticated"
}

# --- 1. nobody's FIFO while a Set is announced ---------------------------------------------------
mkdir "$LAB_DIR/nobody" && chown 65534:65534 "$LAB_DIR/nobody"
as_nobody mkfifo "$LAB_DIR/nobody/stall.cfg"
out=$(as_nobody busctl --system --json=short --timeout=30 call org.sipr.Config1 /org/sipr/Config1 org.sipr.Config1 \
        Check s "$LAB_DIR/nobody/stall.cfg" 2>&1) || lab_fail "nobody's Check of a FIFO was not answered: $out"
[[ "$out" == *"is a FIFO (named pipe), not a regular file"* ]] || lab_fail "Check of a FIFO: $out"
# The administrator's change, announced to regd while (once) configd would have been stuck.
mark=$(regd_log_mark)
timeout --foreground 30 "$SIPR_BUILD_ROOT/tools/siprctl/siprctl" set account.1.label=during-check >/dev/null ||
        lab_fail "configd did not take a Set after nobody's Check"
regd_wait 30 "regd read the Set" bash -c "tail -n +$((mark + 1)) '$LAB_DIR/regd.log' | grep -q 'Configuration synced'"
reregister_and_check "after nobody's FIFO"

# --- 2. GetSecret refused for a while --------------------------------------------------------------
# A second policy directory, read after sipr's own: later rules win, so this deny beats the allow
# for root in org.sipr.Config1.conf. dbus-daemon re-reads its configuration on SIGHUP.
mkdir "$LAB_DIR/policy.d"
sed -i "s|</busconfig>|  <includedir>$LAB_DIR/policy.d</includedir>\n</busconfig>|" "$LAB_DIR/dbus.conf"
secret_call() {
        dbus-send --system --print-reply --reply-timeout=20000 --dest=org.sipr.Config1 /org/sipr/Config1 \
                org.sipr.Config1.GetSecret string:account.1.password 2>&1 || true
}
secret_refused() { [[ "$(secret_call)" == *"org.freedesktop.DBus.Error.AccessDenied"* ]]; }
secret_allowed() { [[ "$(secret_call)" == *'string "secret1001"'* ]]; }
cat >"$LAB_DIR/policy.d/deny-getsecret.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <deny send_destination="org.sipr.Config1" send_interface="org.sipr.Config1" send_member="GetSecret"/>
  </policy>
</busconfig>
EOF
lab_signal dbus HUP
lab_wait_for 30 "GetSecret refused by the reloaded policy" secret_refused || lab_fail "the deny did not take: $(secret_call)"

mark=$(regd_log_mark)
lab_siprctl set account.1.label=while-refused >/dev/null || lab_fail "Set while GetSecret is refused"
regd_wait 60 "regd failed to read the password after the Set" \
        bash -c "tail -n +$((mark + 1)) '$LAB_DIR/regd.log' | grep -q 'Cannot read account.1.password from sipr-configd'"
regd_log_since "$mark" | grep -q "Cannot read account.1.password from sipr-configd (.*); keeping the last one, asking again." ||
        lab_fail "regd did not say it keeps the password: $(regd_log_since "$mark" | grep 'Cannot read' | head -3)"
reregister_and_check "while GetSecret is refused"
lab_assert_eq while-refused "$(lab_siprctl get account.1.label)" "the Set itself applied"

# GetSecret works again: regd reads it by itself (retries back off to at most 30 s).
mark=$(regd_log_mark)
rm "$LAB_DIR/policy.d/deny-getsecret.conf"
lab_signal dbus HUP
lab_wait_for 30 "GetSecret allowed again" secret_allowed || lab_fail "the deny is still there: $(secret_call)"
regd_wait 90 "regd read the password again by itself" \
        bash -c "tail -n +$((mark + 1)) '$LAB_DIR/regd.log' | grep -q 'Read the whole configuration again, every secret included.'"
reregister_and_check "after GetSecret works again"

# Nothing of this put a password in a log.
for f in "$LAB_DIR"/*.log; do
        ! grep -q "secret1001" "$f" || lab_fail "the password appears in $f"
done
echo PASS
