/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "bus-budget.h"
#include "bus-util.h"
#include "config-client.h"
#include "service.h"
#include "sip.h"

typedef struct Account Account;
typedef struct Edge Edge;
typedef struct HealthClient HealthClient;
typedef struct Registration Registration;

typedef struct Manager {
        Service *service;
        sd_bus *bus;
        char *state_dir;
        char *sip_address;
        uint16_t sip_port;

        ConfigClient *config;
        SiprGlobalConfig global; /* copy of the scalar globals in effect */
        bool have_config;
        SipDriver *sip;
        Edge *edge; /* the local UAs' outbound proxy (edge.h) */
        HealthClient *health;
        BusNameWatch *resolver_watch;

        GHashTable *accounts; /* index → Account* */
        GPtrArray *orphans;   /* Registration*: bindings still being removed for accounts that are gone */
        GHashTable *last_answer; /* next-hop URI → uint64_t*: CLOCK_MONOTONIC of its latest answer */
        sd_bus_slot *root_slot, *account_slot, *enum_slot, *om_slot;
        BusBudget *budget; /* what one client's GetManagedObjects may cost (bus-budget.h) */
        sd_bus_slot *budget_slot;

        unsigned pending_unregisters;
        bool stopping;
} Manager;

int manager_new(Service *service, const char *state_dir, const char *sip_address, uint16_t sip_port, Manager **ret);
Manager *manager_free(Manager *m);
int manager_start(Manager *m);
/* A configuration (from the config client, or a test): accounts added, changed, removed. */
void manager_apply_config(Manager *m, const SiprConfig *config);
/* SIGTERM: removes bindings when sipr.unregister_on_stop is set; >0 while waiting for answers. */
int manager_stop(Manager *m);
void manager_unregister_done(Manager *m);
/* A SIP answer came from uri (any account, any status). */
void manager_note_answer(Manager *m, const char *uri, uint64_t now_usec);
/* Whether uri answered anything since since_usec: then a transaction of ours that timed out
 * tells of a lost or dropped request (an overloaded server), not of a dead server. */
bool manager_answered_since(Manager *m, const char *uri, uint64_t since_usec);
/* What one transaction to next hop uri showed (REGISTER, or a request through the edge): answers
 * are noted, and healthd hears "ok", "icmp", "refused" or "timeout" (a time-out only when uri
 * answered nothing since sent_usec: a busy server is not a dead one). */
void manager_hop_result(Manager *m, unsigned account, const char *uri, unsigned status, bool local,
                        uint64_t sent_usec);
/* Registration flows of accounts that are gone, still removing their binding: the Manager owns
 * them until the removal is answered (registration.c). */
void manager_orphan_add(Manager *m, Registration *g);
void manager_orphan_remove(Manager *m, Registration *g); /* the caller frees it */
void manager_orphans_clear(Manager *m);                  /* frees every one */
Account *manager_find_account(Manager *m, unsigned index);
/* Sorted account indexes (caller frees). */
unsigned *manager_account_indexes(Manager *m, size_t *ret_n);
