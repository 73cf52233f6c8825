/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Resolve answers keyed by (host, port, transport), with TTL expiry and an RFC 8767 grace
 * period during which an expired answer may still be served when DNS is unreachable.
 * Pure: the caller passes the monotonic time. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rfc3263.h"

#define CACHE_ENTRIES_MAX 1024

typedef struct CacheEntry {
        char *key;
        Rfc3263Target *targets;
        size_t n_targets;
        uint64_t stored_usec, expire_usec; /* CLOCK_MONOTONIC */
        uint64_t stale_refresh_usec;       /* a refresh failed: answer stale without asking DNS until then */
} CacheEntry;

typedef struct Cache Cache;

Cache *cache_new(void);
Cache *cache_free(Cache *c);
char *cache_key(const char *host, uint16_t port, Rfc3263Transport t);

/* Stores a copy; the entry expires after the smallest target TTL. */
int cache_put(Cache *c, const char *key, const Rfc3263Target *targets, size_t n, uint64_t now_usec);
CacheEntry *cache_get(Cache *c, const char *key);
bool cache_entry_fresh(const CacheEntry *e, uint64_t now_usec);
/* Expired, but expired less than serve_stale_usec ago. */
bool cache_entry_stale_usable(const CacheEntry *e, uint64_t now_usec, uint64_t serve_stale_usec);
/* Copies the targets with TTLs reduced by the time spent in the cache (never below 0);
 * stale answers get stale_ttl instead (RFC 8767 §4 recommends 30 s). */
Rfc3263Target *cache_entry_copy_targets(const CacheEntry *e, uint64_t now_usec, bool stale, uint32_t stale_ttl);
/* Drops entries that are past their grace period. Returns how many. */
unsigned cache_expire(Cache *c, uint64_t now_usec, uint64_t serve_stale_usec);
/* When the next entry passes its grace period (CLOCK_MONOTONIC), or UINT64_MAX if none will. */
uint64_t cache_next_drop(Cache *c, uint64_t serve_stale_usec);
void cache_flush(Cache *c);
unsigned cache_size(Cache *c);
