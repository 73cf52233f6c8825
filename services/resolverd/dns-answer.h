/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* DNS answers → the records RFC 3263 needs, with TTLs. Pure and bounded: the fuzz target feeds
 * arbitrary bytes here.
 *
 * Two implementations, chosen by meson from what the installed c-ares has:
 * dns-answer-record.c reads c-ares's parsed records (ares_dns_record_t, c-ares ≥ 1.22);
 * dns-answer-legacy.c uses ares_parse_*_reply and its own TTL walker (older c-ares, which
 * parse no TTL for SRV and NAPTR). Both give the same results for the same bytes. */

#include <ares.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "rfc3263.h"
#include "sipr-config.h"

#define DNS_TTL_MAX 604800U /* cap, as RFC 8767 §4 suggests: one week */
#define DNS_HEADER_SIZE 12
#define DNS_HEADER_FLAG_TC 0x02 /* in the header's third byte: the answer did not fit */

/* One DNS response. With the record API it is c-ares's own parsed message, so a query callback
 * that gets one from ares_query_dnsrec() passes it on as it is. */
#if HAVE_ARES_DNS_PARSE
typedef ares_dns_record_t DnsAnswer;
#else
typedef struct DnsAnswer DnsAnswer;
#endif

/* Parses (or, without the record API, only checks the header of) a DNS message. -EBADMSG:
 * malformed. Without the record API the answer refers to buf, which must outlive it. */
int dns_answer_new(const uint8_t *buf, size_t len, DnsAnswer **ret);
DnsAnswer *dns_answer_free(DnsAnswer *a);
static inline void dns_answer_freep(DnsAnswer **a) {
        if (*a)
                dns_answer_free(*a);
}

/* Smallest TTL among the answer-section records (CNAMEs included), a TTL with the top bit set
 * counted as 0 (RFC 2181 §8), capped at DNS_TTL_MAX. -ENOENT when the answer section is empty,
 * -EBADMSG when the message is malformed. */
int dns_answer_ttl(const DnsAnswer *a, uint32_t *ret);

/* Whether the server set TC: the answer did not fit, and the records it holds are partial. */
bool dns_answer_truncated(const DnsAnswer *a);

/* The SRV (NAPTR) records of the answer section, each with the answer's TTL. -ENOENT: none,
 * -EBADMSG: malformed. *ret_n may exceed RFC3263_SRV_MAX; the caller orders, then caps. */
int dns_answer_srv(const DnsAnswer *a, Rfc3263Srv **ret, size_t *ret_n);
int dns_answer_naptr(const DnsAnswer *a, Rfc3263Naptr **ret, size_t *ret_n);

/* Up to max addresses (family AF_INET or AF_INET6) of the question's name, or of the names its
 * CNAMEs in the answer lead to (in answer order), as text, and the answer's TTL. */
int dns_answer_addresses(const DnsAnswer *a, int family, char (*ret)[INET6_ADDRSTRLEN], size_t max,
                         size_t *ret_n, uint32_t *ret_ttl);

/* The same straight from the bytes of a message (dns-answer.c): unit tests, fuzzing, and a
 * c-ares that hands over bytes. */
int dns_answer_min_ttl(const uint8_t *buf, size_t len, uint32_t *ret);
bool dns_message_truncated(const uint8_t *buf, size_t len); /* false for bytes too short to say */
int dns_answer_parse_srv(const uint8_t *buf, size_t len, Rfc3263Srv **ret, size_t *ret_n);
int dns_answer_parse_naptr(const uint8_t *buf, size_t len, Rfc3263Naptr **ret, size_t *ret_n);
int dns_answer_parse_addresses(const uint8_t *buf, size_t len, int family, char (*ret)[INET6_ADDRSTRLEN],
                               size_t max, size_t *ret_n, uint32_t *ret_ttl);

/* A raw TTL as RFC 2181 §8 and DNS_TTL_MAX want it. */
static inline uint32_t dns_ttl_clamp(uint32_t ttl) {
        if (ttl & 0x80000000U)
                return 0;
        return MIN(ttl, DNS_TTL_MAX);
}
