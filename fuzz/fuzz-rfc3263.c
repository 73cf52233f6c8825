/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raw DNS answers through resolverd's parsing and RFC 3263 ordering.
 * Input: byte 0 selects the record type (NAPTR, SRV, A, AAAA, host name check), bytes 1–8 seed
 * the weighted choice, the rest is the DNS message exactly as a server would send it.
 * The parser is the one the build has: against c-ares ≥ 1.22 the bytes go through
 * ares_dns_parse() and dns-answer-record.c, against older ones through ares_parse_*_reply and
 * dns-answer-legacy.c's TTL walker. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns-answer.h"
#include "rfc3263.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fuzz_random(uint64_t n, void *userdata) {
        uint64_t *s = userdata;

        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return n ? *s % n : 0;
}

static void check_srv(Rfc3263Srv *srv, size_t n, uint64_t seed) {
        size_t kept = rfc3263_order_srv(srv, n, fuzz_random, &seed);

        if (kept > n)
                abort();
        for (size_t i = 1; i < kept; i++)
                if (srv[i - 1].priority > srv[i].priority)
                        abort();
        for (size_t i = 0; i < kept; i++) {
                char *norm = NULL, *why = NULL;
                (void) rfc3263_validate_host(srv[i].target, &norm, &why);
                free(norm);
                free(why);
        }
}

/* Every record carries the answer's TTL, which the TTL rules bound. */
static void check_ttl(const uint8_t *msg, size_t len, uint32_t ttl) {
        uint32_t min = 0;

        if (dns_answer_min_ttl(msg, len, &min) < 0 || ttl != min || ttl > DNS_TTL_MAX)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint64_t seed = 1;
        const uint8_t *msg;
        size_t len;

        if (size < 9)
                return 0;
        memcpy(&seed, data + 1, 8);
        seed |= 1;
        msg = data + 9;
        len = size - 9;

        switch (data[0] % 5) {
        case 0: {
                Rfc3263Naptr *naptr = NULL;
                size_t n = 0;
                if (dns_answer_parse_naptr(msg, len, &naptr, &n) >= 0) {
                        size_t kept;

                        if (n == 0)
                                abort();
                        for (size_t i = 0; i < n; i++)
                                check_ttl(msg, len, naptr[i].ttl);
                        kept = rfc3263_filter_naptr(naptr, n);
                        for (size_t i = 1; i < kept; i++)
                                if (naptr[i - 1].order > naptr[i].order)
                                        abort();
                        for (size_t i = 0; i < kept; i++)
                                if (rfc3263_naptr_service_transport(naptr[i].service) < 0)
                                        abort();
                        rfc3263_naptr_free_many(naptr, n);
                }
                break;
        }
        case 1: {
                Rfc3263Srv *srv = NULL;
                size_t n = 0;
                if (dns_answer_parse_srv(msg, len, &srv, &n) >= 0) {
                        if (n == 0)
                                abort();
                        for (size_t i = 0; i < n; i++)
                                check_ttl(msg, len, srv[i].ttl);
                        check_srv(srv, n, seed);
                        rfc3263_srv_free_many(srv, n);
                }
                break;
        }
        case 2:
        case 3: {
                char addr[RFC3263_ADDR_PER_NAME][INET6_ADDRSTRLEN];
                size_t n = 0;
                uint32_t ttl = 0;
                if (dns_answer_parse_addresses(msg, len, data[0] % 5 == 2 ? AF_INET : AF_INET6, addr,
                                               RFC3263_ADDR_PER_NAME, &n, &ttl) >= 0) {
                        if (n == 0 || n > RFC3263_ADDR_PER_NAME)
                                abort();
                        check_ttl(msg, len, ttl);
                        for (size_t i = 0; i < n; i++) {
                                char lit[INET6_ADDRSTRLEN];
                                if (rfc3263_parse_ip_literal(addr[i], lit) == 0)
                                        abort();
                        }
                }
                break;
        }
        case 4: {
                /* The message bytes as a host name from a D-Bus caller. */
                char *host = strndup((const char *) msg, len);
                char *norm = NULL, *why = NULL, lit[INET6_ADDRSTRLEN];
                if (!host)
                        return 0;
                if (rfc3263_validate_host(host, &norm, &why) >= 0) {
                        if (strlen(norm) > RFC3263_HOST_MAX)
                                abort();
                } else if (!why)
                        abort();
                (void) rfc3263_parse_ip_literal(host, lit);
                {
                        /* Resolve's transport argument takes the same bytes. */
                        Rfc3263Transport t;
                        if (rfc3263_transport_from_string(host, &t) >= 0 &&
                            strcasecmp(rfc3263_transport_to_string(t), host) != 0 &&
                            t != RFC3263_TRANSPORT_ANY)
                                abort();
                }
                free(norm);
                free(why);
                free(host);
                break;
        }
        }
        return 0;
}
