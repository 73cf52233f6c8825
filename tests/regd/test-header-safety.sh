#!/usr/bin/env bash
# Values the schema accepts reach the wire as valid SIP (issue 16 item 5): a display name with a
# quote and a trailing backslash is a quoted-string with quoted-pairs, a user name with blanks and
# '@' is %-escaped, and a 1024-byte user name (the schema's longest) still makes one REGISTER. Each
# account registers at a server that accepts anything (sipp "200"), which saw well-formed headers.
# Before: the From header broke on the quote, and the long name overflowed a 320-byte buffer (503
# "cannot send", nothing in the log).
source "$(dirname "$0")/regd-lib.sh"
regd_setup
lab_sipp_start accept 200 1
long=$(printf 'u%.0s' $(seq 1 1024))
srv=$(lab_registrar_addr 1)
regd_cfg "account.1.enable = 1" "account.1.user_name = 1001" "account.1.password = pw" \
        'account.1.display_name = Al"ice \' "account.1.sip_server.1.address = $srv" \
        "account.2.enable = 1" "account.2.user_name = a b@c" "account.2.password = pw" \
        "account.2.sip_server.1.address = $srv" \
        "account.3.enable = 1" "account.3.user_name = $long" "account.3.password = pw" \
        "account.3.sip_server.1.address = $srv"
regd_start_configd
regd_start
for x in 1 2 3; do regd_wait 30 "account $x registered" regd_is "$x" registered; done
msgs=$LAB_DIR/sipp-accept.msg
grep -qF 'From: "Al\"ice \\" <sip:1001@' "$msgs" || lab_fail "the display name was not quoted: $(grep -m1 '^From:' "$msgs")"
grep -qF '<sip:a%20b%40c@' "$msgs" || lab_fail "the user name was not escaped: $(grep -m3 '^To:' "$msgs")"
grep -qF "<sip:$long@" "$msgs" || lab_fail "the 1024-byte user name did not reach the server whole"
echo "ok: quoted, escaped, whole"
