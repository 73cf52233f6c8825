#!/usr/bin/env bash
# A real UA (baresip) on the device with sipr-regd's edge as its outbound proxy: its REGISTER is
# absorbed (the registrars see only sipr's binding), its calls reach the far side through the
# working server (the registrar's 407 goes back to the UA, which answers it), calls to the
# account reach it through either registration (concurrent mode), in-dialog requests pass
# through sipr (Record-Route), and the Account object counts it all.
source "$(dirname "$0")/edge-lib.sh"
edge_setup
edge_lab 1 2
edge_mode concurrent udp
regd_start_configd
regd_start_healthd
regd_start
regd_wait 30 "account 1 registered at registrar 1" regd_working_is 1 "$(regd_uri 1)"
regd_wait 20 "registrar 2 holds the fallback binding" lab_has_binding 2 1001
lab_assert_eq 0 "$(regd_prop 1 Requests)" "Requests before any call"

edge_ua_start udp
contacts=$(edge_contacts 1)
[[ "$contacts" == "sip:1001"*"@$EDGE_UA:5060" ]] || lab_fail "EdgeContacts: '$contacts'"
# never forwarded: each registrar holds sipr's one contact, not the UA's
for n in 1 2; do
        lab_assert_eq 1 "$(lab_binding_count "$n" 1001)" "contacts of 1001 on registrar $n"
        lab_bindings "$n" 1001 | grep -q "$EDGE_UA" && lab_fail "registrar $n holds the UA's own contact"
done

# outgoing: answered at the far side, through registrar 1, record-routed by sipr
edge_dial 2000
edge_wait_established 1 "outgoing call"
lab_assert_eq 1 "$(edge_far_invites 1)" "INVITEs at the far side through registrar 1"
lab_assert_eq 0 "$(edge_far_invites 2)" "INVITEs at the far side through registrar 2"
grep -q "Record-Route: <sip:$REGD_SIP_ADDR:" "$LAB_DIR/sipp-far.msg" || lab_fail "sipr did not record-route the call"
# two INVITE transactions: the one registrar 1 challenged, the one with the UA's credentials
lab_assert_eq 2 "$(regd_prop 1 Requests)" "Requests after one call"
lab_assert_eq 0 "$(regd_prop 1 RequestFailovers)" "RequestFailovers with every server up"
edge_hangup_all
regd_wait 20 "the BYE reached the far side (through sipr and registrar 1)" \
        grep -q "^BYE sip:far@$EDGE_FAR" "$LAB_DIR/sipp-far.msg"
regd_wait 10 "the call closed at the UA" edge_events_at_least CALL_CLOSED 1

# incoming: through the working and through the fallback registration
edge_call_in 1 "a call through registrar 1"
edge_call_in 2 "a call through registrar 2 (the fallback binding)"
lab_assert_eq 2 "$(regd_prop 1 Requests)" "Requests count only the UA's own requests"

# the challenge went back to the UA: registrar 1 saw the INVITE twice, once with credentials
grep -q "INVITE from 1001 for 2000 to the far side" "$LAB_DIR/registrar1.log" ||
        lab_fail "registrar 1 did not route an authenticated INVITE from 1001"
echo "ok: calls out and in through the edge"
