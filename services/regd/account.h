/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config-client.h"
#include "log.h"
#include "manager.h"
#include "redundancy.h"

/* One account: its redundancy engine (redundancy.c) driven by events from its registration flows
 * (registration.c), name resolution (account-resolve.c) and healthd, its configuration as the
 * engine sees it (account-config.c), and what it publishes on the bus (account-bus.c).
 *
 * Every event ends in account_process(): the engine's actions are carried out, one timer is armed
 * at the engine's next decision, and one PropertiesChanged tells what changed. */

/* Log lines about one account carry its index, as systemd's log_link_*() carry the link. */
#define log_account_index(index, level, fmt, ...) log_full(level, "Account %u: " fmt, (index), ##__VA_ARGS__)
#define log_account_full(a, level, fmt, ...)      log_account_index((a)->index, level, fmt, ##__VA_ARGS__)
#define log_account_debug(a, ...)                 log_account_full(a, LOG_DEBUG, __VA_ARGS__)
#define log_account_info(a, ...)                  log_account_full(a, LOG_INFO, __VA_ARGS__)
#define log_account_notice(a, ...)                log_account_full(a, LOG_NOTICE, __VA_ARGS__)
#define log_account_warning(a, ...)               log_account_full(a, LOG_WARNING, __VA_ARGS__)

/* One row of the Servers property. */
typedef struct AccountServerRow {
        unsigned server; /* 0-based: sip_server.(server+1) */
        char *name, *uri;
        const char *role, *state; /* static strings */
        uint16_t status;
        uint64_t since_realtime;
} AccountServerRow;

/* What the Account object publishes, as last emitted: the getters read it, and after every event
 * a new view is compared with it to emit one PropertiesChanged. */
typedef struct AccountView {
        bool enabled;
        bool usable;        /* new requests have somewhere to go: working is set */
        bool working_bound; /* working holds our binding (else: unregistered requests) */
        char *aor, *mode, *state, *working, *last_reason;
        unsigned last_status, failovers;
        uint64_t registered_since; /* CLOCK_REALTIME µs */
        AccountServerRow *servers;
        size_t n_servers;
        char **edge_contacts; /* local contacts (the edge's) */
        uint64_t requests, request_failovers;
} AccountView;

/* Resolution in flight for one server: the resolver's callback userdata. */
typedef struct AccountResolve {
        Account *account;
        unsigned server;
        struct ResolveRequest *request;
} AccountResolve;

struct Account {
        Manager *manager;
        unsigned index;
        char *path;
        SiprAccountConfig cfg; /* deep copy */
        char *problem;         /* configuration that prevents registering, for LastReason */

        Redundancy *red;
        struct AccountPersist *persist;
        GPtrArray *registrations; /* Registration*: one per (server, next hop) in use */
        AccountResolve resolve[SIPR_SERVER_MAX];
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

        guint timer_id, keepalive_id;
        uint64_t timer_at;
        bool processing;
        bool on_bus;           /* InterfacesAdded sent: changes are emitted */
        AccountView published; /* the view the bus sees, rebuilt after every event */
};

/* account.c */
int account_new(Manager *m, const SiprAccountConfig *cfg, Account **ret);
/* Frees; flows still removing a binding finish as the Manager's orphans. */
Account *account_free(Account *a);
void account_start(Account *a);
/* Carries out the engine's queued actions, re-arms the timer, publishes: after every event. */
void account_process(Account *a);
/* Removes every binding (REGISTER Expires: 0); returns how many are in flight. */
unsigned account_unregister_all(Account *a);
void account_update_globals(Account *a);
/* Bus methods */
int account_register(Account *a);
int account_unregister(Account *a);
int account_failover(Account *a);
void account_retry_failed(Account *a);
/* Where the account's UA sends new requests, in order (the edge). */
size_t account_next_hops(Account *a, RedHop *ret, size_t max);
/* What healthd says about (server, uri) of a. */
void account_health_changed(void *account, unsigned server, const char *uri, RedHealth h);
/* Builds the view the bus publishes; the Servers rows only with servers (else none: the caller
 * keeps the published ones, which the engine says did not change); account_view_clear() frees. */
void account_view(Account *a, AccountView *v, bool servers);
void account_view_clear(AccountView *v);

/* account-config.c */
bool account_config_equal(const SiprAccountConfig *x, const SiprAccountConfig *y);
const char *account_domain(const Account *a); /* AOR domain: the first server's address */
const char *account_server_domain(const Account *a, unsigned server); /* server Y's REGISTER domain */
const char *account_aor(Account *a, char *buf, size_t size);
char *account_config_problem(const SiprAccountConfig *c); /* NULL when it can work */
void account_red_config(Account *a, RedConfig *c);

/* account-resolve.c */
void account_resolve(Account *a, unsigned server);
void account_resolve_cancel(Account *a);
/* Where server holds a binding now (copied into buf), or NULL. */
const char *account_bound_uri(Account *a, unsigned server, char *buf, size_t size);
