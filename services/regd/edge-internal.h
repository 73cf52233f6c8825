/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by edge.c (sockets, checks, dispatch), edge-registrar.c (local contacts) and
 * edge-proxy.c (forwarded transactions). Nothing outside the edge includes this. */

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/su_wait.h>

#include "cidr.h"
#include "edge.h"
#include "redundancy.h"

#define EDGE_TX_MAX 256          /* forwarded transactions alive at once; beyond: 503 */
#define EDGE_CONTACTS_MAX 8      /* local contacts per account (the fixed one not counted) */
#define EDGE_CONTACT_EXPIRES_MAX 86400u
#define EDGE_CONTACT_EXPIRES_DEFAULT 3600u
#define EDGE_AFFINITY_MAX 512    /* Call-IDs remembered with the hop that answered them */

typedef struct Account Account;
typedef struct ProxyTx ProxyTx;

typedef enum EdgeSide {
        EDGE_SIDE_UA,      /* the edge socket: local user agents */
        EDGE_SIDE_NETWORK, /* regd's registration socket: the servers */
} EdgeSide;

typedef struct LocalContact {
        char *uri;
        uint64_t expires_at; /* CLOCK_MONOTONIC µs; 0: never (account.X.edge.contact) */
} LocalContact;

/* What the edge keeps per account index; lives across configuration changes of the account. */
typedef struct EdgeAccount {
        unsigned index;
        LocalContact *fixed;  /* account.X.edge.contact, or NULL */
        GPtrArray *contacts;  /* LocalContact*, registered by UAs */
        uint64_t requests, request_failovers;
} EdgeAccount;

struct Edge {
        Manager *m;
        su_root_t *root;       /* the UA side's own loop source, below the network side's priority */
        GSource *source;
        nta_agent_t *agent;    /* NULL while the edge is off */
        char *address;         /* listening on address:port (UDP and TCP) */
        uint16_t port;
        bool enabled;
        char *problem;         /* why it is not listening, for the log and the state line */
        CidrList allow;
        unsigned t1_ms, t2_ms, t4_ms;

        GHashTable *accounts;  /* index → EdgeAccount* */
        guint expire_id;       /* the next local contact expiry */
        uint64_t expire_at;

        GList *txs;            /* ProxyTx* alive */
        unsigned n_txs;
        GHashTable *affinity;  /* Call-ID → hop URI that answered its last out-of-dialog request */
        uint64_t refused;      /* requests refused: source not allowed, malformed, too busy */
        uint64_t busy_refused, busy_logged_at; /* 503s for a full edge since the last log line */
};

/* edge.c */
nta_agent_t *edge_network_agent(Edge *e);
bool edge_route_is_ours(Edge *e, const url_t *u);
/* Removes Route entries of ours from the top of a request. */
void edge_pop_own_routes(Edge *e, msg_t *msg, sip_t *sip);
/* "<sip:HOST:PORT;transport=T;lr>" of the given side, for Record-Route. */
char *edge_record_route(Edge *e, EdgeSide side, const char *transport);
bool edge_destination_allowed(Edge *e, const url_t *u);
Account *edge_account_by_user(Edge *e, const char *user, const char *host);
EdgeAccount *edge_account_get(Edge *e, unsigned index); /* created on first use; NULL on ENOMEM */
void edge_account_emit(Edge *e, unsigned index);         /* PropertiesChanged of the account object */
void edge_reply(nta_agent_t *agent, msg_t *msg, int status, const char *phrase);

/* edge-registrar.c */
void edge_registrar_handle(Edge *e, msg_t *msg, sip_t *sip);
void edge_registrar_expire(Edge *e);
void edge_account_free(EdgeAccount *ea);

/* edge-proxy.c */
/* UA → the account's next hops, moving on as the seed says. Takes msg. */
void edge_proxy_out(Edge *e, Account *a, msg_t *msg, sip_t *sip);
/* Network → every local contact of account index at once. Takes msg. */
void edge_proxy_in(Edge *e, unsigned index, msg_t *msg, sip_t *sip);
/* Within a dialog, from one side to the other by its route (ours already popped). Takes msg. */
void edge_proxy_dialog(Edge *e, EdgeSide from, msg_t *msg, sip_t *sip);
void edge_proxy_free_all(Edge *e);
