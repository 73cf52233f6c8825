/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One RFC 3263 §4 resolution on a c-ares channel: NAPTR → SRV → AAAA/A as the arguments
 * require, queries of one step in parallel, bounded in count and time. Knows nothing
 * about D-Bus or the cache. */

#include "ares-glib.h"
#include "rfc3263.h"

#define LOOKUP_TIMEOUT_USEC (10 * USEC_PER_SEC) /* whole Resolve, all steps */
#define LOOKUP_UDP_PAYLOAD_MAX 1232                /* the EDNS UDP size we offer (DNS flag day 2020) */

typedef struct Lookup Lookup;

/* error: 0, or -ENOENT (no such records), -ETIMEDOUT (no usable answer from any server:
 * timeout, refused, SERVFAIL, malformed); message says what was asked and what happened. */
typedef void (*LookupDoneFunc)(Lookup *l, int error, const char *message, const Rfc3263Target *targets,
                               size_t n, void *userdata);
/* Called for each DNS query sent (for the Queries counter). */
typedef void (*LookupQueryFunc)(Lookup *l, const char *name, int type, void *userdata);

typedef struct LookupParams {
        const char *host; /* validated, normalised domain name (not an IP literal) */
        uint16_t port;    /* 0 = not given */
        Rfc3263Transport transport;
        Rfc3263RandomFunc random;
        void *random_userdata;
        LookupDoneFunc done;
        LookupQueryFunc on_query;
        void *userdata;
} LookupParams;

/* channel: UDP with truncated answers handed back (ARES_FLAG_IGNTC); such a query is asked again
 * on channel_tcp (ARES_FLAG_USEVC), so a failure there is reported as what it is. */
int lookup_start(AresGlib *channel, AresGlib *channel_tcp, const LookupParams *p, Lookup **ret);
/* No callback any more; the lookup frees itself once its queries have returned. */
void lookup_abandon(Lookup *l);
