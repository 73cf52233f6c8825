/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the resolverd cache (injected clock) and of DNS answer parsing (hand-built
 * messages): TTL expiry, serve-stale window, TTL countdown, capacity, TTL rules. The parsing
 * checks run against whichever implementation the build has (c-ares record API or
 * ares_parse_*_reply): both must give these results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "dns-answer.h"
#include "resolverd-test.h"

#define S USEC_PER_SEC

static Rfc3263Target target(const char *addr, uint32_t ttl) {
        Rfc3263Target t = { .transport = RFC3263_TRANSPORT_UDP, .port = 5060, .ttl = ttl };
        snprintf(t.address, sizeof(t.address), "%s", addr);
        return t;
}

static void test_cache(void) {
        Cache *c = cache_new();
        Rfc3263Target t[2] = { target("127.0.0.2", 30), target("127.0.0.3", 10) };
        uint64_t t0 = 1000 * S;
        char *k = cache_key("lab.test", 0, RFC3263_TRANSPORT_ANY);
        CacheEntry *e;
        Rfc3263Target *copy;

        check(streq(k, "lab.test|0|"));
        check(cache_put(c, k, t, 2, t0) == 0);
        check(cache_size(c) == 1);
        e = cache_get(c, k);
        /* Expires after the smallest TTL. */
        check(cache_entry_fresh(e, t0 + 9 * S));
        check(!cache_entry_fresh(e, t0 + 10 * S));
        /* TTLs count down while cached. */
        copy = cache_entry_copy_targets(e, t0 + 4 * S, false, 0);
        check(copy[0].ttl == 26 && copy[1].ttl == 6);
        free(copy);
        /* Stale: usable for serve_stale after expiry, with the stale TTL. */
        check(!cache_entry_stale_usable(e, t0 + 5 * S, 100 * S));
        check(cache_entry_stale_usable(e, t0 + 50 * S, 100 * S));
        check(!cache_entry_stale_usable(e, t0 + 110 * S, 100 * S));
        check(!cache_entry_stale_usable(e, t0 + 11 * S, 0));
        copy = cache_entry_copy_targets(e, t0 + 50 * S, true, 30);
        check(copy[0].ttl == 30 && copy[1].ttl == 30);
        free(copy);
        /* The sweep is scheduled for the end of the grace period: expiry (smallest TTL) + stale. */
        check(cache_next_drop(c, 100 * S) == t0 + 110 * S);
        check(cache_next_drop(c, UINT64_MAX) == UINT64_MAX); /* saturates, never wraps */
        /* Expiry sweeps only past the grace period. */
        check(cache_expire(c, t0 + 50 * S, 100 * S) == 0);
        check(cache_expire(c, t0 + 111 * S, 100 * S) == 1);
        check(cache_size(c) == 0);
        check(cache_next_drop(c, 100 * S) == UINT64_MAX); /* empty: no sweep at all */

        /* IP-literal style TTL never expires. */
        Rfc3263Target lit = target("::1", RFC3263_TTL_NONE);
        check(cache_put(c, "x|1|udp", &lit, 1, t0) == 0);
        check(cache_next_drop(c, 100 * S) == UINT64_MAX);
        check(cache_entry_fresh(cache_get(c, "x|1|udp"), UINT64_MAX - 1));

        /* Capacity: bounded, the soonest-expiring entry goes first. */
        for (unsigned i = 0; i < CACHE_ENTRIES_MAX + 10; i++) {
                char key[32];
                Rfc3263Target x = target("127.0.0.1", 100 + i);
                snprintf(key, sizeof(key), "h%u|0|", i);
                check(cache_put(c, key, &x, 1, t0) == 0);
        }
        check(cache_size(c) == CACHE_ENTRIES_MAX);
        check(cache_get(c, "h0|0|") == NULL);
        check(cache_get(c, "x|1|udp") != NULL);
        check(cache_put(c, "empty", t, 0, t0) == -EINVAL);
        cache_flush(c);
        check(cache_size(c) == 0);
        free(k);
        cache_free(c);
}

/* DNS message builder for the parser tests. */
static size_t put_name(uint8_t *p, const char *name) {
        size_t o = 0;
        const char *s = name;
        while (*s) {
                const char *dot = strchr(s, '.');
                size_t l = dot ? (size_t) (dot - s) : strlen(s);
                p[o++] = (uint8_t) l;
                memcpy(p + o, s, l);
                o += l;
                s += l + (dot ? 1 : 0);
        }
        p[o++] = 0;
        return o;
}

static size_t put_header(uint8_t *p, const char *qname, uint16_t qtype, uint16_t ancount) {
        uint8_t h[12] = { 0x12, 0x34, 0x85, 0x80, 0, 1, (uint8_t) (ancount >> 8), (uint8_t) ancount, 0, 0, 0, 0 };
        size_t o;
        memcpy(p, h, 12);
        o = 12 + put_name(p + 12, qname);
        p[o++] = (uint8_t) (qtype >> 8);
        p[o++] = (uint8_t) qtype;
        p[o++] = 0;
        p[o++] = 1;
        return o;
}

static size_t put_rr(uint8_t *p, uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen) {
        size_t o = 0;
        p[o++] = 0xc0;
        p[o++] = 0x0c;
        p[o++] = (uint8_t) (type >> 8);
        p[o++] = (uint8_t) type;
        p[o++] = 0;
        p[o++] = 1;
        p[o++] = (uint8_t) (ttl >> 24);
        p[o++] = (uint8_t) (ttl >> 16);
        p[o++] = (uint8_t) (ttl >> 8);
        p[o++] = (uint8_t) ttl;
        p[o++] = (uint8_t) (rdlen >> 8);
        p[o++] = (uint8_t) rdlen;
        memcpy(p + o, rdata, rdlen);
        return o + rdlen;
}

/* A record with its own owner name and class (put_rr points at the question's name). */
static size_t put_rr_owner(uint8_t *p, const char *owner, uint16_t type, uint16_t class, uint32_t ttl,
                           const uint8_t *rdata, uint16_t rdlen) {
        size_t o = put_name(p, owner);
        p[o++] = (uint8_t) (type >> 8);
        p[o++] = (uint8_t) type;
        p[o++] = (uint8_t) (class >> 8);
        p[o++] = (uint8_t) class;
        p[o++] = (uint8_t) (ttl >> 24);
        p[o++] = (uint8_t) (ttl >> 16);
        p[o++] = (uint8_t) (ttl >> 8);
        p[o++] = (uint8_t) ttl;
        p[o++] = (uint8_t) (rdlen >> 8);
        p[o++] = (uint8_t) rdlen;
        memcpy(p + o, rdata, rdlen);
        return o + rdlen;
}

/* NAPTR rdata: order, preference, flags, services, regexp "", replacement. */
static size_t naptr_rdata(uint8_t *p, uint16_t order, uint16_t pref, const char *flags, const char *service,
                          const char *replacement) {
        size_t o = 0;
        p[o++] = (uint8_t) (order >> 8);
        p[o++] = (uint8_t) order;
        p[o++] = (uint8_t) (pref >> 8);
        p[o++] = (uint8_t) pref;
        p[o++] = (uint8_t) strlen(flags);
        memcpy(p + o, flags, strlen(flags));
        o += strlen(flags);
        p[o++] = (uint8_t) strlen(service);
        memcpy(p + o, service, strlen(service));
        o += strlen(service);
        p[o++] = 0;
        return o + put_name(p + o, replacement);
}

static void test_parse_naptr(void) {
        uint8_t m[1024], rd[300];
        Rfc3263Naptr *naptr = NULL;
        size_t o, n = 0, rdl;

        o = put_header(m, "lab.test", 35, 2);
        rdl = naptr_rdata(rd, 20, 10, "S", "SIP+D2T", "_sip._tcp.lab.test");
        o += put_rr(m + o, 35, 3600, rd, (uint16_t) rdl);
        rdl = naptr_rdata(rd, 10, 50, "s", "SIP+D2U", "_sip._udp.lab.test");
        o += put_rr(m + o, 35, 120, rd, (uint16_t) rdl);
        check(dns_answer_parse_naptr(m, o, &naptr, &n) == 0);
        check(n == 2);
        if (n == 2) {
                /* Answer order, every field, the answer's smallest TTL on each. */
                check(naptr[0].order == 20 && naptr[0].preference == 10 && streq(naptr[0].flags, "S"));
                check(streq(naptr[0].service, "SIP+D2T") && streq(naptr[0].replacement, "_sip._tcp.lab.test"));
                check(naptr[1].order == 10 && naptr[1].preference == 50 && streq(naptr[1].flags, "s"));
                check(streq(naptr[1].service, "SIP+D2U") && streq(naptr[1].replacement, "_sip._udp.lab.test"));
                check(naptr[0].ttl == 120 && naptr[1].ttl == 120);
        }
        rfc3263_naptr_free_many(naptr, n);
        for (size_t cut = 0; cut < o; cut++) {
                int r = dns_answer_parse_naptr(m, cut, &naptr, &n);
                check(r == -EBADMSG || r == -ENOENT);
        }

        /* An answer with no NAPTR in it (an SRV where the NAPTR should be): none. */
        o = put_header(m, "lab.test", 35, 1);
        rd[0] = 0, rd[1] = 10, rd[2] = 0, rd[3] = 5, rd[4] = 0x13, rd[5] = 0xc4;
        rdl = 6 + put_name(rd + 6, "reg1.lab.test");
        o += put_rr(m + o, 33, 60, rd, (uint16_t) rdl);
        check(dns_answer_parse_naptr(m, o, &naptr, &n) == -ENOENT);
}

static void test_parse_addresses(void) {
        uint8_t m[2048], rd[300];
        char addr[RFC3263_ADDR_PER_NAME][INET6_ADDRSTRLEN];
        const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x02 };
        size_t o, n = 0, rdl;
        uint32_t ttl = 0;

        /* AAAA: the text form, and the smallest TTL. */
        o = put_header(m, "v6.test", 28, 2);
        o += put_rr(m + o, 28, 90, v6, 16);
        o += put_rr(m + o, 28, 40, (const uint8_t *) "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
        check(dns_answer_parse_addresses(m, o, AF_INET6, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == 0);
        check(n == 2 && streq(addr[0], "2001:db8::2") && streq(addr[1], "::1") && ttl == 40);
        /* Asked for the other family: none. */
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == -ENOENT);

        /* A CNAME chain in answer order: the target's addresses, the chain's smallest TTL. */
        o = put_header(m, "sip.test", 1, 3);
        rdl = put_name(rd, "mid.test");
        o += put_rr_owner(m + o, "sip.test", 5, 1, 30, rd, (uint16_t) rdl);
        rdl = put_name(rd, "Real.Test");
        o += put_rr_owner(m + o, "mid.test", 5, 1, 600, rd, (uint16_t) rdl);
        o += put_rr_owner(m + o, "real.test", 1, 1, 300, (const uint8_t *) "\x7f\x00\x00\x09", 4);
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == 0);
        check(n == 1 && streq(addr[0], "127.0.0.9") && ttl == 30);
        check(dns_answer_min_ttl(m, o, &ttl) == 0 && ttl == 30);

        /* Only a CNAME, no address at its end: none. */
        o = put_header(m, "sip.test", 1, 1);
        rdl = put_name(rd, "mid.test");
        o += put_rr_owner(m + o, "sip.test", 5, 1, 30, rd, (uint16_t) rdl);
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == -ENOENT);

        /* An address of a name we did not ask for, or of class CHAOS, is not an answer. */
        o = put_header(m, "sip.test", 1, 3);
        o += put_rr_owner(m + o, "other.test", 1, 1, 60, (const uint8_t *) "\x7f\x00\x00\x07", 4);
        o += put_rr_owner(m + o, "sip.test", 1, 3, 60, (const uint8_t *) "\x7f\x00\x00\x08", 4);
        o += put_rr_owner(m + o, "SIP.test", 1, 1, 60, (const uint8_t *) "\x7f\x00\x00\x06", 4);
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == 0);
        check(n == 1 && streq(addr[0], "127.0.0.6"));

        /* More than the cap: the first RFC3263_ADDR_PER_NAME, in answer order. */
        o = put_header(m, "many.test", 1, RFC3263_ADDR_PER_NAME + 4);
        for (unsigned i = 0; i < RFC3263_ADDR_PER_NAME + 4; i++) {
                uint8_t a4[4] = { 10, 0, 0, (uint8_t) (i + 1) };
                o += put_rr(m + o, 1, 60, a4, 4);
        }
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == 0);
        check(n == RFC3263_ADDR_PER_NAME && streq(addr[0], "10.0.0.1") && streq(addr[n - 1], "10.0.0.16"));
        /* And a smaller cap is honoured too. */
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, 2, &n, &ttl) == 0 && n == 2);
}

static void test_parse(void) {
        uint8_t m[1024], rd[300];
        size_t o, n = 0, rdl;
        uint32_t ttl = 0;
        Rfc3263Srv *srv = NULL;
        char addr[RFC3263_ADDR_PER_NAME][INET6_ADDRSTRLEN];

        /* SRV: two records, TTL = min of the answer. */
        o = put_header(m, "_sip._udp.lab.test", 33, 2);
        rd[0] = 0, rd[1] = 20, rd[2] = 0, rd[3] = 5, rd[4] = 0x13, rd[5] = 0xc4;
        rdl = 6 + put_name(rd + 6, "reg2.lab.test");
        o += put_rr(m + o, 33, 300, rd, (uint16_t) rdl);
        rd[1] = 10;
        rdl = 6 + put_name(rd + 6, "reg1.lab.test");
        o += put_rr(m + o, 33, 60, rd, (uint16_t) rdl);
        check(dns_answer_parse_srv(m, o, &srv, &n) == 0);
        check(n == 2 && srv[0].priority == 20 && srv[1].priority == 10 && srv[0].port == 5060);
        check(streq(srv[1].target, "reg1.lab.test") && srv[0].ttl == 60 && srv[1].ttl == 60);
        rfc3263_srv_free_many(srv, n);
        /* Cut short: malformed, never a crash. */
        for (size_t cut = 0; cut < o; cut++) {
                int r = dns_answer_parse_srv(m, cut, &srv, &n);
                check(r == -EBADMSG || r == -ENOENT);
        }

        /* A with a TTL whose top bit is set: treated as 0 (RFC 2181 §8). */
        o = put_header(m, "a.test", 1, 2);
        o += put_rr(m + o, 1, 0x80000001U, (const uint8_t *) "\x7f\x00\x00\x02", 4);
        o += put_rr(m + o, 1, 50, (const uint8_t *) "\x7f\x00\x00\x03", 4);
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == 0);
        check(n == 2 && streq(addr[0], "127.0.0.2") && streq(addr[1], "127.0.0.3") && ttl == 0);
        /* Huge but valid TTL: capped at a week. */
        o = put_header(m, "a.test", 1, 1);
        o += put_rr(m + o, 1, 0x7fffffff, (const uint8_t *) "\x7f\x00\x00\x02", 4);
        check(dns_answer_min_ttl(m, o, &ttl) == 0 && ttl == DNS_TTL_MAX);
        /* No answers: ENOENT. */
        o = put_header(m, "a.test", 1, 0);
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == -ENOENT);
        check(dns_answer_min_ttl(m, 5, &ttl) == -EBADMSG);

        /* A header claiming more records than the message can hold: malformed. */
        o = put_header(m, "a.test", 1, 0xffff);
        o += put_rr(m + o, 1, 50, (const uint8_t *) "\x7f\x00\x00\x02", 4);
        check(dns_answer_min_ttl(m, o, &ttl) == -EBADMSG);
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == -EBADMSG);
        m[6] = 0, m[7] = 1; /* the one record it has */
        check(dns_answer_parse_addresses(m, o, AF_INET, addr, RFC3263_ADDR_PER_NAME, &n, &ttl) == 0 && n == 1);
}

/* TC: said by the bytes and by the parsed answer alike, also for an empty answer (what a server
 * sends when nothing fits) — lookup.c then asks again over TCP. */
static void test_truncated(void) {
        uint8_t m[256];
        DnsAnswer *a = NULL;
        size_t o;

        o = put_header(m, "_sip._udp.lab.test", 33, 0);
        check(!dns_message_truncated(m, o));
        check(dns_answer_new(m, o, &a) == 0 && !dns_answer_truncated(a));
        a = dns_answer_free(a);
        m[2] |= DNS_HEADER_FLAG_TC;
        check(dns_message_truncated(m, o));
        check(dns_answer_new(m, o, &a) == 0 && dns_answer_truncated(a));
        a = dns_answer_free(a);
        /* Too short to carry a header: nothing to say. */
        check(!dns_message_truncated(m, DNS_HEADER_SIZE - 1));
        check(!dns_message_truncated(NULL, 0));
}

int main(void) {
        test_cache();
        test_truncated();
        test_parse();
        test_parse_naptr();
        test_parse_addresses();
        return checks_result("cache/parse");
}
