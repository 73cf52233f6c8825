/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "ares-glib.h"
#include "cache.h"
#include "rfc3263.h"
#include "service.h"

#define STALE_ANSWER_TTL 30U                       /* RFC 8767 §4 */
#define STALE_CLIENT_TIMEOUT_MSEC 1800U            /* RFC 8767 §5: answer stale after 1.8 s */
#define STALE_REFRESH_USEC (30 * USEC_PER_SEC)     /* RFC 8767 §5: after a failed refresh, stale at once */
#define DNS_QUERY_TIMEOUT_MSEC 1000                /* c-ares: first try per server, doubles per round */
#define DNS_QUERY_TRIES 2
#define PROPERTIES_COALESCE_MSEC 200U              /* at most 5 PropertiesChanged per second */

typedef enum ManagerProperty {
        MANAGER_PROP_SERVERS = 1 << 0,
        MANAGER_PROP_CACHE_ENTRIES = 1 << 1,
        MANAGER_PROP_QUERIES = 1 << 2,
        MANAGER_PROP_CACHE_HITS = 1 << 3,
        MANAGER_PROP_STALE_ANSWERS = 1 << 4,
} ManagerProperty;

typedef struct Manager {
        Service service;

        AresGlib *channel;     /* UDP; a truncated (TC) answer comes back to us… */
        AresGlib *channel_tcp; /* …and is asked again here, so its failure can be told apart */
        char *servers_spec;   /* what the channel was built from: "--dns …", "config …" or "resolv.conf" */
        char **servers;       /* Servers property */
        char **arg_dns;       /* --dns overrides */
        char *resolv_conf;    /* path used when no server is configured */
        struct stat resolv_conf_st;

        void *config;         /* ConfigClient when built with it */
        uint32_t serve_stale_s;

        Cache *cache;
        GHashTable *pending;  /* cache key → Pending */
        uint64_t n_queries, n_cache_hits, n_stale;

        unsigned props_dirty;
        guint props_id, expire_id;
        uint64_t expire_at_usec; /* when expire_id fires; 0 when not armed */
        sd_bus_slot *object_slot;
} Manager;

/* error: 0, -EINVAL (bad argument), -ENOENT (no records), -ETIMEDOUT (no server answered),
 * -ECANCELED (shutdown). stale: the answer came from an expired cache entry. */
typedef void (*ManagerResolveFunc)(int error, const char *message, const Rfc3263Target *targets, size_t n,
                                   bool stale, void *userdata);

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
/* Answers pending callers (cancelled), drops the bus objects and config follow-up. */
void manager_stop(Manager *m);
int manager_start(Manager *m);
/* Answers through cb, possibly before returning (cache hits, IP literals, bad arguments). */
void manager_resolve(Manager *m, const char *host, uint16_t port, const char *transport, ManagerResolveFunc cb,
                     void *userdata);
void manager_flush(Manager *m);
void manager_property_changed(Manager *m, unsigned props);

/* resolver-bus.c */
int manager_bus_export(Manager *m);
void manager_bus_emit_properties(Manager *m, unsigned props);
