/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DNS answers with c-ares's record API (ares_dns_record_t, c-ares ≥ 1.22): c-ares parses the
 * whole message once, TTLs included, and we only read records. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns-answer.h"

#define DNS_QUESTION_MIN 5 /* root name, type, class */
#define DNS_RR_MIN 11      /* root name, type, class, TTL, rdlength */

/* c-ares sizes its record arrays from the header's counts before reading any record. A message
 * too short for what its header claims would fail the parse anyway; refusing it first keeps a
 * hostile 100-byte answer from costing allocations for 65535 records (it did: 2 ms each). */
static bool counts_fit(const uint8_t *buf, size_t len) {
        size_t qd, rr = 0;

        if (len < DNS_HEADER_SIZE)
                return false;
        qd = (size_t) buf[4] << 8 | buf[5];
        for (size_t i = 6; i < DNS_HEADER_SIZE; i += 2) /* answer, authority, additional */
                rr += (size_t) buf[i] << 8 | buf[i + 1];
        return qd * DNS_QUESTION_MIN + rr * DNS_RR_MIN <= len - DNS_HEADER_SIZE;
}

int dns_answer_new(const uint8_t *buf, size_t len, DnsAnswer **ret) {
        ares_dns_record_t *rec = NULL;
        ares_status_t status;

        if (!buf || !counts_fit(buf, len))
                return -EBADMSG;
        status = ares_dns_parse(buf, len, 0, &rec);
        if (status == ARES_ENOMEM)
                return -ENOMEM;
        /* Anything c-ares refuses to parse is a malformed answer. */
        if (status != ARES_SUCCESS)
                return -EBADMSG;
        *ret = rec;
        return 0;
}

DnsAnswer *dns_answer_free(DnsAnswer *a) {
        ares_dns_record_destroy(a);
        return NULL;
}

bool dns_answer_truncated(const DnsAnswer *a) {
        return ares_dns_record_get_flags(a) & ARES_FLAG_TC;
}

static const ares_dns_rr_t *answer_rr(const DnsAnswer *a, size_t i) {
#if HAVE_ARES_DNS_RECORD_RR_GET_CONST
        return ares_dns_record_rr_get_const(a, ARES_SECTION_ANSWER, i);
#else
        /* c-ares 1.22–1.27 have no const getter; the record is only read. */
        return ares_dns_record_rr_get((ares_dns_record_t *) a, ARES_SECTION_ANSWER, i);
#endif
}

int dns_answer_ttl(const DnsAnswer *a, uint32_t *ret) {
        size_t n = ares_dns_record_rr_cnt(a, ARES_SECTION_ANSWER);
        uint32_t min = DNS_TTL_MAX;

        if (n == 0)
                return -ENOENT;
        for (size_t i = 0; i < n; i++)
                min = MIN(min, dns_ttl_clamp(ares_dns_rr_get_ttl(answer_rr(a, i))));
        *ret = min;
        return 0;
}

/* Records of class IN only, as ares_parse_*_reply took them. */
static bool rr_is(const ares_dns_rr_t *rr, ares_dns_rec_type_t type) {
        return ares_dns_rr_get_type(rr) == type && ares_dns_rr_get_class(rr) == ARES_CLASS_IN;
}

static size_t count_type(const DnsAnswer *a, ares_dns_rec_type_t type) {
        size_t n = ares_dns_record_rr_cnt(a, ARES_SECTION_ANSWER), k = 0;

        for (size_t i = 0; i < n; i++)
                if (rr_is(answer_rr(a, i), type))
                        k++;
        return k;
}

int dns_answer_srv(const DnsAnswer *a, Rfc3263Srv **ret, size_t *ret_n) {
        size_t total = ares_dns_record_rr_cnt(a, ARES_SECTION_ANSWER), k = 0;
        size_t n = count_type(a, ARES_REC_TYPE_SRV);
        Rfc3263Srv *srv;
        uint32_t ttl;

        if (n == 0)
                return -ENOENT;
        if (dns_answer_ttl(a, &ttl) < 0)
                return -EBADMSG;
        srv = calloc(n, sizeof(Rfc3263Srv));
        if (!srv)
                return -ENOMEM;
        for (size_t i = 0; i < total; i++) {
                const ares_dns_rr_t *rr = answer_rr(a, i);
                const char *target;

                if (!rr_is(rr, ARES_REC_TYPE_SRV))
                        continue;
                target = ares_dns_rr_get_str(rr, ARES_RR_SRV_TARGET);
                srv[k] = (Rfc3263Srv) {
                        .target = strdup(target ?: ""),
                        .priority = ares_dns_rr_get_u16(rr, ARES_RR_SRV_PRIORITY),
                        .weight = ares_dns_rr_get_u16(rr, ARES_RR_SRV_WEIGHT),
                        .port = ares_dns_rr_get_u16(rr, ARES_RR_SRV_PORT),
                        .ttl = ttl,
                };
                if (!srv[k].target) {
                        rfc3263_srv_free_many(srv, k);
                        return -ENOMEM;
                }
                k++;
        }
        *ret = srv;
        *ret_n = k;
        return 0;
}

int dns_answer_naptr(const DnsAnswer *a, Rfc3263Naptr **ret, size_t *ret_n) {
        size_t total = ares_dns_record_rr_cnt(a, ARES_SECTION_ANSWER), k = 0;
        size_t n = count_type(a, ARES_REC_TYPE_NAPTR);
        Rfc3263Naptr *naptr;
        uint32_t ttl;

        if (n == 0)
                return -ENOENT;
        if (dns_answer_ttl(a, &ttl) < 0)
                return -EBADMSG;
        naptr = calloc(n, sizeof(Rfc3263Naptr));
        if (!naptr)
                return -ENOMEM;
        for (size_t i = 0; i < total; i++) {
                const ares_dns_rr_t *rr = answer_rr(a, i);
                const char *flags, *service, *replacement;

                if (!rr_is(rr, ARES_REC_TYPE_NAPTR))
                        continue;
                flags = ares_dns_rr_get_str(rr, ARES_RR_NAPTR_FLAGS);
                service = ares_dns_rr_get_str(rr, ARES_RR_NAPTR_SERVICES);
                replacement = ares_dns_rr_get_str(rr, ARES_RR_NAPTR_REPLACEMENT);
                naptr[k] = (Rfc3263Naptr) {
                        .order = ares_dns_rr_get_u16(rr, ARES_RR_NAPTR_ORDER),
                        .preference = ares_dns_rr_get_u16(rr, ARES_RR_NAPTR_PREFERENCE),
                        .flags = strdup(flags ?: ""),
                        .service = strdup(service ?: ""),
                        .replacement = strdup(replacement ?: ""),
                        .ttl = ttl,
                };
                k++;
                if (!naptr[k - 1].flags || !naptr[k - 1].service || !naptr[k - 1].replacement) {
                        rfc3263_naptr_free_many(naptr, k);
                        return -ENOMEM;
                }
        }
        *ret = naptr;
        *ret_n = k;
        return 0;
}

int dns_answer_addresses(const DnsAnswer *a, int family, char (*ret)[INET6_ADDRSTRLEN], size_t max,
                         size_t *ret_n, uint32_t *ret_ttl) {
        size_t total = ares_dns_record_rr_cnt(a, ARES_SECTION_ANSWER), k = 0;
        ares_dns_rec_type_t want;
        const char *name = NULL;
        uint32_t ttl;

        if (family == AF_INET)
                want = ARES_REC_TYPE_A;
        else if (family == AF_INET6)
                want = ARES_REC_TYPE_AAAA;
        else
                return -EAFNOSUPPORT;
        if (ares_dns_record_query_get(a, 0, &name, NULL, NULL) != ARES_SUCCESS || !name)
                return -EBADMSG;

        /* One pass in answer order, as a recursive server writes a chain: a CNAME of the name we
         * follow moves us to its target; addresses of any other owner are not ours. */
        for (size_t i = 0; i < total && k < max; i++) {
                const ares_dns_rr_t *rr = answer_rr(a, i);
                ares_dns_rec_type_t type = ares_dns_rr_get_type(rr);
                const char *owner = ares_dns_rr_get_name(rr);

                if (ares_dns_rr_get_class(rr) != ARES_CLASS_IN || !owner || strcasecmp(owner, name) != 0)
                        continue;
                if (type == ARES_REC_TYPE_CNAME) {
                        const char *target = ares_dns_rr_get_str(rr, ARES_RR_CNAME_CNAME);
                        if (target)
                                name = target;
                } else if (type == want && family == AF_INET)
                        inet_ntop(AF_INET, ares_dns_rr_get_addr(rr, ARES_RR_A_ADDR), ret[k++],
                                  INET6_ADDRSTRLEN);
                else if (type == want)
                        inet_ntop(AF_INET6, ares_dns_rr_get_addr6(rr, ARES_RR_AAAA_ADDR), ret[k++],
                                  INET6_ADDRSTRLEN);
        }
        if (k == 0)
                return -ENOENT;
        if (dns_answer_ttl(a, &ttl) < 0)
                return -EBADMSG;
        *ret_n = k;
        *ret_ttl = ttl;
        return 0;
}
