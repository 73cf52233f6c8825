/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

struct Cache {
        GHashTable *entries; /* key → CacheEntry, owned */
};

static void cache_entry_free(gpointer p) {
        CacheEntry *e = p;

        if (!e)
                return;
        free(e->key);
        free(e->targets);
        free(e);
}

Cache *cache_new(void) {
        Cache *c = calloc(1, sizeof(Cache));

        if (!c)
                return NULL;
        c->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, cache_entry_free);
        return c;
}

Cache *cache_free(Cache *c) {
        if (!c)
                return NULL;
        g_hash_table_destroy(c->entries);
        free(c);
        return NULL;
}

char *cache_key(const char *host, uint16_t port, Rfc3263Transport t) {
        char *k;

        if (asprintf(&k, "%s|%u|%s", host, port, t == RFC3263_TRANSPORT_ANY ? "" : rfc3263_transport_to_string(t)) < 0)
                return NULL;
        return k;
}

int cache_put(Cache *c, const char *key, const Rfc3263Target *targets, size_t n, uint64_t now_usec) {
        uint32_t ttl = UINT32_MAX;
        CacheEntry *e;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                ttl = MIN(ttl, targets[i].ttl);

        g_hash_table_remove(c->entries, key);
        if (g_hash_table_size(c->entries) >= CACHE_ENTRIES_MAX) {
                /* Full: evict the entry that expires first. Bounded by CACHE_ENTRIES_MAX. */
                GHashTableIter it;
                gpointer k, v;
                CacheEntry *victim = NULL;

                g_hash_table_iter_init(&it, c->entries);
                while (g_hash_table_iter_next(&it, &k, &v)) {
                        CacheEntry *x = v;
                        if (!victim || x->expire_usec < victim->expire_usec)
                                victim = x;
                }
                if (victim)
                        g_hash_table_remove(c->entries, victim->key);
        }

        e = calloc(1, sizeof(CacheEntry));
        if (!e)
                return -ENOMEM;
        e->key = strdup(key);
        e->targets = malloc(n * sizeof(Rfc3263Target));
        if (!e->key || !e->targets) {
                cache_entry_free(e);
                return -ENOMEM;
        }
        memcpy(e->targets, targets, n * sizeof(Rfc3263Target));
        e->n_targets = n;
        e->stored_usec = now_usec;
        e->expire_usec = ttl == RFC3263_TTL_NONE ? UINT64_MAX : now_usec + (uint64_t) ttl * USEC_PER_SEC;
        g_hash_table_replace(c->entries, e->key, e);
        return 0;
}

CacheEntry *cache_get(Cache *c, const char *key) {
        return g_hash_table_lookup(c->entries, key);
}

bool cache_entry_fresh(const CacheEntry *e, uint64_t now_usec) {
        return e && now_usec < e->expire_usec;
}

bool cache_entry_stale_usable(const CacheEntry *e, uint64_t now_usec, uint64_t serve_stale_usec) {
        return e && now_usec >= e->expire_usec && now_usec - e->expire_usec < serve_stale_usec;
}

Rfc3263Target *cache_entry_copy_targets(const CacheEntry *e, uint64_t now_usec, bool stale, uint32_t stale_ttl) {
        uint64_t age_s = now_usec > e->stored_usec ? (now_usec - e->stored_usec) / USEC_PER_SEC : 0;
        Rfc3263Target *t = malloc(e->n_targets * sizeof(Rfc3263Target));

        if (!t)
                return NULL;
        memcpy(t, e->targets, e->n_targets * sizeof(Rfc3263Target));
        for (size_t i = 0; i < e->n_targets; i++) {
                if (t[i].ttl == RFC3263_TTL_NONE)
                        continue;
                if (stale)
                        t[i].ttl = stale_ttl;
                else
                        t[i].ttl = t[i].ttl > age_s ? (uint32_t) (t[i].ttl - age_s) : 0;
        }
        return t;
}

unsigned cache_expire(Cache *c, uint64_t now_usec, uint64_t serve_stale_usec) {
        GHashTableIter it;
        gpointer k, v;
        unsigned n = 0;

        g_hash_table_iter_init(&it, c->entries);
        while (g_hash_table_iter_next(&it, &k, &v)) {
                CacheEntry *e = v;
                if (now_usec >= e->expire_usec && now_usec - e->expire_usec >= serve_stale_usec) {
                        g_hash_table_iter_remove(&it);
                        n++;
                }
        }
        return n;
}

uint64_t cache_next_drop(Cache *c, uint64_t serve_stale_usec) {
        GHashTableIter it;
        gpointer k, v;
        uint64_t next = UINT64_MAX;

        g_hash_table_iter_init(&it, c->entries);
        while (g_hash_table_iter_next(&it, &k, &v)) {
                CacheEntry *e = v;
                uint64_t drop = e->expire_usec > UINT64_MAX - serve_stale_usec
                                        ? UINT64_MAX
                                        : e->expire_usec + serve_stale_usec;
                next = MIN(next, drop);
        }
        return next;
}

void cache_flush(Cache *c) {
        g_hash_table_remove_all(c->entries);
}

unsigned cache_size(Cache *c) {
        return g_hash_table_size(c->entries);
}
