/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DNS answers for a c-ares without the record API (< 1.22, Debian 12's 1.18): ares_parse_*_reply
 * for the records, and a walker of our own for the TTLs they do not report. */
#include <ares.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ares-glib.h"
#include "dns-answer.h"
#include "macro.h"

#define DNS_NAME_LABELS_MAX 128

struct DnsAnswer {
        const uint8_t *buf;
        int len; /* what ares_parse_*_reply take */
};

int dns_answer_new(const uint8_t *buf, size_t len, DnsAnswer **ret) {
        DnsAnswer *a;

        if (!buf || len < DNS_HEADER_SIZE || len > INT32_MAX)
                return -EBADMSG;
        a = malloc(sizeof(DnsAnswer));
        if (!a)
                return -ENOMEM;
        *a = (DnsAnswer) { .buf = buf, .len = (int) len };
        *ret = a;
        return 0;
}

DnsAnswer *dns_answer_free(DnsAnswer *a) {
        free(a);
        return NULL;
}

bool dns_answer_truncated(const DnsAnswer *a) {
        return dns_message_truncated(a->buf, (size_t) a->len);
}

static uint16_t rd16(const uint8_t *p) {
        return (uint16_t) ((p[0] << 8) | p[1]);
}

/* Skips a possibly compressed name at *off; a pointer ends the name, so no loop can follow. */
static int skip_name(const uint8_t *buf, size_t len, size_t *off) {
        size_t o = *off;

        for (unsigned labels = 0; labels < DNS_NAME_LABELS_MAX; labels++) {
                if (o >= len)
                        return -EBADMSG;
                uint8_t l = buf[o];
                if (l == 0) {
                        *off = o + 1;
                        return 0;
                }
                if ((l & 0xc0) == 0xc0) {
                        if (o + 2 > len)
                                return -EBADMSG;
                        *off = o + 2;
                        return 0;
                }
                if (l & 0xc0)
                        return -EBADMSG;
                o += 1 + l;
        }
        return -EBADMSG;
}

int dns_answer_ttl(const DnsAnswer *a, uint32_t *ret) {
        const uint8_t *buf = a->buf;
        size_t len = (size_t) a->len, off = DNS_HEADER_SIZE;
        uint32_t min = DNS_TTL_MAX;
        unsigned qd, an;
        int r;

        qd = rd16(buf + 4);
        an = rd16(buf + 6);
        if (an == 0)
                return -ENOENT;

        for (unsigned i = 0; i < qd; i++) {
                r = skip_name(buf, len, &off);
                if (r < 0)
                        return r;
                if (off + 4 > len)
                        return -EBADMSG;
                off += 4;
        }
        for (unsigned i = 0; i < an; i++) {
                uint32_t ttl;
                uint16_t rdlen;

                r = skip_name(buf, len, &off);
                if (r < 0)
                        return r;
                if (off + 10 > len)
                        return -EBADMSG;
                ttl = ((uint32_t) buf[off + 4] << 24) | ((uint32_t) buf[off + 5] << 16) |
                      ((uint32_t) buf[off + 6] << 8) | buf[off + 7];
                min = MIN(min, dns_ttl_clamp(ttl));
                rdlen = rd16(buf + off + 8);
                off += 10;
                if (off + rdlen > len)
                        return -EBADMSG;
                off += rdlen;
        }
        *ret = min;
        return 0;
}

static int parse_status(int status) {
        int r = ares_status_to_errno(status);
        /* Anything c-ares refuses to parse is a malformed answer. */
        return r == -ENOENT || r == -ENOMEM ? r : -EBADMSG;
}

/* An answer c-ares parsed but without an answer record to take a TTL from is malformed. */
static int answer_ttl(const DnsAnswer *a, uint32_t *ret) {
        int r = dns_answer_ttl(a, ret);
        return r == -ENOENT ? -EBADMSG : r;
}

static void ares_free_datap(void *p) {
        void *data = *(void **) p;
        if (data)
                ares_free_data(data);
}

int dns_answer_srv(const DnsAnswer *a, Rfc3263Srv **ret, size_t *ret_n) {
        _cleanup_(ares_free_datap) struct ares_srv_reply *reply = NULL;
        Rfc3263Srv *srv;
        uint32_t ttl;
        size_t n = 0;
        int r, status;

        status = ares_parse_srv_reply(a->buf, a->len, &reply);
        if (status != ARES_SUCCESS)
                return parse_status(status);
        r = answer_ttl(a, &ttl);
        if (r < 0)
                return r;
        for (struct ares_srv_reply *p = reply; p; p = p->next)
                n++;
        if (n == 0)
                return -ENOENT;
        srv = calloc(n, sizeof(Rfc3263Srv));
        if (!srv)
                return -ENOMEM;
        n = 0;
        for (struct ares_srv_reply *p = reply; p; p = p->next) {
                srv[n] = (Rfc3263Srv) {
                        .target = strdup(p->host ?: ""),
                        .priority = p->priority,
                        .weight = p->weight,
                        .port = p->port,
                        .ttl = ttl,
                };
                if (!srv[n].target) {
                        rfc3263_srv_free_many(srv, n);
                        return -ENOMEM;
                }
                n++;
        }
        *ret = srv;
        *ret_n = n;
        return 0;
}

int dns_answer_naptr(const DnsAnswer *a, Rfc3263Naptr **ret, size_t *ret_n) {
        _cleanup_(ares_free_datap) struct ares_naptr_reply *reply = NULL;
        Rfc3263Naptr *naptr;
        uint32_t ttl;
        size_t n = 0;
        int r, status;

        status = ares_parse_naptr_reply(a->buf, a->len, &reply);
        if (status != ARES_SUCCESS)
                return parse_status(status);
        r = answer_ttl(a, &ttl);
        if (r < 0)
                return r;
        for (struct ares_naptr_reply *p = reply; p; p = p->next)
                n++;
        if (n == 0)
                return -ENOENT;
        naptr = calloc(n, sizeof(Rfc3263Naptr));
        if (!naptr)
                return -ENOMEM;
        n = 0;
        for (struct ares_naptr_reply *p = reply; p; p = p->next) {
                naptr[n] = (Rfc3263Naptr) {
                        .order = p->order,
                        .preference = p->preference,
                        .flags = strdup(p->flags ? (const char *) p->flags : ""),
                        .service = strdup(p->service ? (const char *) p->service : ""),
                        .replacement = strdup(p->replacement ?: ""),
                        .ttl = ttl,
                };
                n++;
                if (!naptr[n - 1].flags || !naptr[n - 1].service || !naptr[n - 1].replacement) {
                        rfc3263_naptr_free_many(naptr, n);
                        return -ENOMEM;
                }
        }
        *ret = naptr;
        *ret_n = n;
        return 0;
}

int dns_answer_addresses(const DnsAnswer *a, int family, char (*ret)[INET6_ADDRSTRLEN], size_t max,
                         size_t *ret_n, uint32_t *ret_ttl) {
        struct ares_addrttl a4[RFC3263_ADDR_PER_NAME];
        struct ares_addr6ttl a6[RFC3263_ADDR_PER_NAME];
        int n = RFC3263_ADDR_PER_NAME, status, r;
        uint32_t ttl;

        if (family == AF_INET)
                status = ares_parse_a_reply(a->buf, a->len, NULL, a4, &n);
        else if (family == AF_INET6)
                status = ares_parse_aaaa_reply(a->buf, a->len, NULL, a6, &n);
        else
                return -EAFNOSUPPORT;
        if (status != ARES_SUCCESS)
                return parse_status(status);
        if (n <= 0)
                return -ENOENT;
        r = answer_ttl(a, &ttl);
        if (r < 0)
                return r;

        n = (int) MIN((size_t) n, max);
        for (int i = 0; i < n; i++) {
                if (family == AF_INET)
                        inet_ntop(AF_INET, &a4[i].ipaddr, ret[i], INET6_ADDRSTRLEN);
                else
                        inet_ntop(AF_INET6, &a6[i].ip6addr, ret[i], INET6_ADDRSTRLEN);
        }
        *ret_n = (size_t) n;
        *ret_ttl = ttl;
        return 0;
}
