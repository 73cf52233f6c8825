#!/usr/bin/env bash
# Local contacts (EDGE.md "Local registration", "Incoming"): a contact expires when its UA stops
# refreshing it; account.X.edge.contact is a UA that never registers and never expires; a call
# for an account goes to every local contact at once, the first 2xx wins and the others are
# cancelled; an account that is disabled loses its local contacts; D-Bus follows each change.
source "$(dirname "$0")/edge-lib.sh"
edge_setup
edge_lab 1
regd_account 1 1001 "$(lab_registrar_addr 1)"
regd_account 2 1002 "$(lab_registrar_addr 1)"
# account 2's UA does not register: a fixed contact (a sipp UAS standing in for it)
regd_cfg "account.2.edge.contact = sip:1002@$LAB_NET.15:5060"
regd_start_configd
regd_start
regd_wait 30 "account 1 registered" regd_is 1 registered
regd_wait 30 "account 2 registered" regd_is 2 registered

register() { # FROM_IP CONTACT EXPIRES
        printf '%s\n' "REGISTER sip:lab.test SIP/2.0" "Via: SIP/2.0/UDP {ip}:{port};branch={branch};rport" \
                "Max-Forwards: 70" "From: <sip:1001@lab.test>;tag={tag}" "To: <sip:1001@lab.test>" \
                "Call-ID: {callid}" "CSeq: 1 REGISTER" "Contact: <$2>" "Expires: $3" "" |
                edge_send "$1" --timeout 3 --header Contact
}

# the fixed contact: listed, and a call for account 2 reaches it
lab_assert_eq "sip:1002@$LAB_NET.15:5060" "$(edge_contacts 2)" "EdgeContacts of account 2"
lab_uas_start fixed "$LAB_NET.15"
lab_uac_call tofixed "$EDGE_CALLER" 1 1002 || lab_fail "a call to account 2 did not reach its fixed contact"
lab_assert_eq 1 "$(lab_sipp_received fixed INVITE)" "INVITEs at the fixed contact"
grep -q "^INVITE sip:1002@$LAB_NET.15:5060 SIP/2.0" "$LAB_DIR/sipp-fixed.msg" ||
        lab_fail "the INVITE did not carry the contact as Request-URI"

# expiry: answered with the contacts and their lifetimes, gone after it
out=$(register "$LAB_NET.16" "sip:1001@$LAB_NET.16:5060" 3)
lab_assert_eq 200 "$(head -1 <<<"$out")" "REGISTER with Expires: 3"
grep -q "<sip:1001@$LAB_NET.16:5060>;expires=[23]" <<<"$out" || lab_fail "the 200 does not list the contact: $out"
lab_assert_eq "sip:1001@$LAB_NET.16:5060" "$(edge_contacts 1)" "EdgeContacts of account 1"
regd_wait 15 "the contact expired" edge_contacts_are 1 ""
grep -q "local contact sip:1001@$LAB_NET.16:5060 expired" "$LAB_DIR/regd.log" || lab_fail "the expiry is not logged"

# forking: a UA that only rings and one that answers; the first 2xx wins, the ringer is cancelled
lab_uas_start ringer "$LAB_NET.16" uas-ring
lab_uas_start answerer "$LAB_NET.17"
lab_assert_eq 200 "$(register "$LAB_NET.16" "sip:1001@$LAB_NET.16:5060" 600 | head -1)" "the ringer registers"
lab_assert_eq 200 "$(register "$LAB_NET.17" "sip:1001@$LAB_NET.17:5060" 600 | head -1)" "the answerer registers"
lab_assert_eq 2 "$(edge_contacts 1 | wc -l)" "EdgeContacts with two UAs"
lab_uac_call fork "$EDGE_CALLER" 1 1001 || lab_fail "the forked call was not answered"
lab_assert_eq 1 "$(lab_sipp_received ringer INVITE)" "INVITE at the ringing contact"
lab_assert_eq 1 "$(lab_sipp_received answerer INVITE)" "INVITE at the answering contact"
regd_wait 10 "the ringing contact was cancelled" sipp_received_at_least ringer CANCEL 1

# disabling the account drops its local contacts; enabling it again does not bring them back
regd_set account.1.enable=0
regd_wait 20 "account 1 disabled" regd_is 1 disabled
lab_assert_eq "" "$(edge_contacts 1)" "EdgeContacts of a disabled account"
regd_set account.1.enable=1
regd_wait 30 "account 1 registered again" regd_is 1 registered
lab_assert_eq "" "$(edge_contacts 1)" "EdgeContacts after enabling again"
# a changed fixed contact applies at once
regd_set "account.2.edge.contact=sip:1002@$LAB_NET.18:5062"
regd_wait 10 "the new fixed contact" edge_contacts_are 2 "sip:1002@$LAB_NET.18:5062"
echo "ok: local contacts expire, fork and follow the configuration"
