/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config-client.h"
#include "manager.h"
#include "redundancy.h"

/* One account: its redundancy engine wired to SIP transactions, resolution, health and the bus. */

/* What the Account object publishes; compared after every event to emit one PropertiesChanged. */
typedef struct AccountView {
        bool enabled;
        char *aor, *mode, *state, *working, *servers_key, *last_reason;
        unsigned last_status, failovers;
        uint64_t registered_since; /* CLOCK_REALTIME µs */
        char **edge_contacts;      /* local contacts (the edge's) */
        uint64_t requests, request_failovers;
} AccountView;

struct Account {
        Manager *manager;
        unsigned index;
        char *path;
        SiprAccountConfig cfg; /* deep copy */
        char *problem;         /* configuration that prevents registering, for LastReason */

        Redundancy *red;
        struct AccountPersist *persist;
        GPtrArray *binds; /* Bind* */
        struct ResolveRequest *resolving[SIPR_SERVER_MAX];
        /* outbound_proxy_enable: server 1's next hops are the proxies (1 preferred, then 2).
         * Allocated only then: 8 KB that every other account would carry for nothing. */
        bool proxy_mode;
        unsigned proxy_step;
        struct AccountProxies {
                RedAddress addrs[RED_ADDR_MAX];
                size_t n_addrs;
                char reason[512];
                unsigned of[RED_ADDR_MAX];    /* which proxy each collected address came from */
                RedAddress map[RED_ADDR_MAX]; /* the last complete list, for Servers names */
                unsigned map_of[RED_ADDR_MAX];
                size_t n_map;
        } * proxy;
        GPtrArray *watches; /* health watch handles */

        guint timer_id, keepalive_id;
        uint64_t timer_at;
        bool processing;
        AccountView published;
};

int account_new(Manager *m, const SiprAccountConfig *cfg, Account **ret);
/* Frees; with unregister, bindings are removed first (fire and forget). */
Account *account_free(Account *a);
void account_start(Account *a);
/* Removes every binding (REGISTER Expires: 0); returns how many are in flight. */
unsigned account_unregister_all(Account *a);
/* REGISTERs held until a removal on their Call-ID is answered (RFC 3261 10.2). */
unsigned account_registers_held(const Account *a);
bool account_config_equal(const SiprAccountConfig *x, const SiprAccountConfig *y);
void account_update_globals(Account *a);

/* Bus methods */
int account_register(Account *a);
int account_unregister(Account *a);
int account_failover(Account *a);
void account_retry_failed(Account *a);

/* Where the account's UA sends new requests, in order (the edge). */
size_t account_next_hops(Account *a, RedHop *ret, size_t max);

/* Published values */
const char *account_domain(const Account *a); /* AOR domain: the first server's address */
const char *account_aor(Account *a, char *buf, size_t size);
void account_view(Account *a, AccountView *v);
void account_view_clear(AccountView *v);

/* Servers property rows */
typedef struct AccountServerRow {
        const char *name, *uri, *role, *state;
        uint16_t status;
        uint64_t since_realtime;
} AccountServerRow;
size_t account_server_rows(Account *a, AccountServerRow *rows, size_t max);

/* health-client.c feeds this */
void account_health_changed(Account *a, unsigned server, const char *uri, RedHealth h);
