/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The device's SIP edge (docs/edge.md, EDGE.md): sipr-regd as the outbound proxy of every UA on
 * the device. UAs register with it locally (never forwarded), send their requests through it to
 * the account's next hops in the order the redundancy engine gives, and receive the requests the
 * servers send to the account's Contact. The UA side is an nta agent of its own on
 * sipr.edge.address:port; the network side is regd's registration agent (sip.c), so calls use
 * the same Contact, flows and NAT bindings as the registrations. */

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "config-types.h"

typedef struct Edge Edge;
typedef struct Manager Manager;

int edge_new(Manager *m, Edge **ret);
Edge *edge_free(Edge *e);

/* sipr.edge.* and sip.timer_* in effect: opens, moves or closes the edge socket. A socket that
 * cannot be opened is logged and left closed; registrations are not affected. */
void edge_configure(Edge *e, const SiprGlobalConfig *g);

/* An account's configuration changed or it went away (cfg NULL): its fixed contact is taken from
 * the new configuration, and a removed or disabled account loses its local contacts. */
void edge_account_changed(Edge *e, unsigned index, const SiprAccountConfig *cfg);

/* What the Account object publishes: local contacts (fixed one first), out-of-dialog requests
 * routed, and those that moved to another hop. */
char **edge_account_contacts(Edge *e, unsigned index); /* NULL-terminated, g_strfreev() */
uint64_t edge_account_requests(Edge *e, unsigned index);
uint64_t edge_account_request_failovers(Edge *e, unsigned index);

/* Appends " edge=… edge_transactions=…" to the SIGUSR1 state line. */
void edge_dump(Edge *e, GString *line);
