/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* RFC 3263 §4 server location: the pure parts (names, transports, NAPTR and SRV ordering,
 * RFC 2782 weighted selection). No I/O, no clock; randomness is injected so tests can fix
 * the seed. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>

#include "macro.h"

typedef enum Rfc3263Transport {
        RFC3263_TRANSPORT_ANY = -1, /* "" : choose by NAPTR, then SRV */
        RFC3263_TRANSPORT_UDP = 0,
        RFC3263_TRANSPORT_TCP,
        RFC3263_TRANSPORT_TLS,
        _RFC3263_TRANSPORT_MAX,
} Rfc3263Transport;

/* Bounds (documented in docs/resolverd.md). */
#define RFC3263_HOST_MAX 253       /* RFC 1035 presentation length without the final dot */
#define RFC3263_LABEL_MAX 63
#define RFC3263_SRV_MAX 32         /* SRV records used per set, after ordering */
#define RFC3263_NAPTR_MAX 16       /* usable NAPTR records followed */
#define RFC3263_ADDR_PER_NAME 16   /* A or AAAA addresses used per name and family */
#define RFC3263_TARGETS_MAX 64     /* targets returned by one Resolve */
#define RFC3263_TTL_NONE UINT32_MAX /* an IP literal: not from DNS, never expires */

const char *rfc3263_transport_to_string(Rfc3263Transport t);
/* "udp"/"tcp"/"tls" (any case) or "" → RFC3263_TRANSPORT_ANY. -EINVAL otherwise. */
int rfc3263_transport_from_string(const char *s, Rfc3263Transport *ret);
uint16_t rfc3263_default_port(Rfc3263Transport t);  /* 5061 for TLS, else 5060 */
const char *rfc3263_srv_prefix(Rfc3263Transport t); /* "_sip._udp", "_sip._tcp", "_sips._tcp" */
/* NAPTR service field → transport ("SIP+D2U", "SIP+D2T", "SIPS+D2T", any case); -1 if unsupported. */
int rfc3263_naptr_service_transport(const char *service);

/* IP literal: "192.0.2.1", "2001:db8::1" or "[2001:db8::1]". Returns AF_INET/AF_INET6 and the
 * canonical text, or 0 when host is not an IP literal. */
int rfc3263_parse_ip_literal(const char *host, char ret[static INET6_ADDRSTRLEN]);

/* Checks a DNS host name before any query: total length, label lengths, letters, digits,
 * hyphens (not at a label's edge), one optional trailing dot. On error returns -EINVAL and
 * *ret_reason (static-free, caller frees) says what is wrong and where. On success,
 * *ret_normalized is the lower-case name without the trailing dot. */
int rfc3263_validate_host(const char *host, char **ret_normalized, char **ret_reason);

typedef struct Rfc3263Srv {
        char *target; /* "" or "." means "service not offered here" (RFC 2782) */
        uint16_t priority, weight, port;
        uint32_t ttl;
} Rfc3263Srv;

typedef struct Rfc3263Naptr {
        uint16_t order, preference;
        char *flags, *service, *replacement;
        uint32_t ttl;
} Rfc3263Naptr;

/* Returns a uniformly random integer in [0, n). */
typedef uint64_t (*Rfc3263RandomFunc)(uint64_t n, void *userdata);

/* Orders srv in place as a client must try them: ascending priority; within one priority,
 * RFC 2782 weighted random selection (weight-0 records first in the running sum, so they
 * are picked only rarely when others have weight, and in answer order when all are 0).
 * Records whose target is "." are dropped; returns the number kept. Caller frees targets
 * of all n records either way (dropped ones are moved to the end). */
size_t rfc3263_order_srv(Rfc3263Srv *srv, size_t n, Rfc3263RandomFunc rnd, void *userdata);

/* Keeps the NAPTR records usable for SIP server location (flag "S", a supported service,
 * a non-empty replacement), sorted by order then preference (stable). Unusable records are
 * moved to the end; returns the number kept. */
size_t rfc3263_filter_naptr(Rfc3263Naptr *naptr, size_t n);

/* One address a client may contact. */
typedef struct Rfc3263Target {
        Rfc3263Transport transport;
        char address[INET6_ADDRSTRLEN];
        uint16_t port, priority, weight;
        uint32_t ttl;
} Rfc3263Target;

void rfc3263_srv_free_many(Rfc3263Srv *srv, size_t n);
void rfc3263_naptr_free_many(Rfc3263Naptr *naptr, size_t n);
