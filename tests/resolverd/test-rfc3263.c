/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the pure RFC 3263 logic: names, transports, NAPTR order, SRV priority order
 * and RFC 2782 weighted selection (fixed seeds, statistics with tolerant bounds). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3263.h"
#include "resolverd-test.h"

/* xorshift64*: deterministic for a given seed. */
static uint64_t rng_state;
static uint64_t test_random(uint64_t n, void *userdata) {
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return n ? (rng_state * 2685821657736338717ULL) % n : 0;
}

static void test_transport(void) {
        Rfc3263Transport t;

        check(rfc3263_transport_from_string("", &t) == 0 && t == RFC3263_TRANSPORT_ANY);
        check(rfc3263_transport_from_string("udp", &t) == 0 && t == RFC3263_TRANSPORT_UDP);
        check(rfc3263_transport_from_string("TCP", &t) == 0 && t == RFC3263_TRANSPORT_TCP);
        check(rfc3263_transport_from_string("tls", &t) == 0 && t == RFC3263_TRANSPORT_TLS);
        check(rfc3263_transport_from_string("sctp", &t) == -EINVAL);
        check(rfc3263_transport_from_string("udp ", &t) == -EINVAL);
        check(rfc3263_default_port(RFC3263_TRANSPORT_TLS) == 5061);
        check(rfc3263_default_port(RFC3263_TRANSPORT_UDP) == 5060);
        check(streq(rfc3263_srv_prefix(RFC3263_TRANSPORT_TLS), "_sips._tcp"));
        check(streq(rfc3263_srv_prefix(RFC3263_TRANSPORT_TCP), "_sip._tcp"));
        check(rfc3263_naptr_service_transport("SIP+D2U") == RFC3263_TRANSPORT_UDP);
        check(rfc3263_naptr_service_transport("sips+d2t") == RFC3263_TRANSPORT_TLS);
        check(rfc3263_naptr_service_transport("SIP+D2S") == -1);
        check(rfc3263_naptr_service_transport("E2U+sip") == -1);
}

static void test_ip_literal(void) {
        char a[INET6_ADDRSTRLEN];

        check(rfc3263_parse_ip_literal("127.0.0.2", a) == AF_INET && streq(a, "127.0.0.2"));
        check(rfc3263_parse_ip_literal("::1", a) == AF_INET6 && streq(a, "::1"));
        check(rfc3263_parse_ip_literal("[2001:DB8:0::1]", a) == AF_INET6 && streq(a, "2001:db8::1"));
        check(rfc3263_parse_ip_literal("[127.0.0.1]", a) == 0);
        check(rfc3263_parse_ip_literal("lab.test", a) == 0);
        check(rfc3263_parse_ip_literal("1.2.3", a) == 0);
        check(rfc3263_parse_ip_literal("", a) == 0);
}

static void test_validate_host(void) {
        char *n = NULL, *why = NULL;
        char long_label[80], long_name[300];

        check(rfc3263_validate_host("Reg1.Lab.Test.", &n, &why) == 0 && n && streq(n, "reg1.lab.test"));
        free(n);
        n = NULL;
        check(rfc3263_validate_host("a-b.c0", NULL, NULL) == 0);

        check(rfc3263_validate_host("", NULL, &why) == -EINVAL && why && strstr(why, "empty"));
        free(why);
        check(rfc3263_validate_host("a..b", NULL, &why) == -EINVAL && why && strstr(why, "label 2"));
        free(why);
        check(rfc3263_validate_host("-a.b", NULL, &why) == -EINVAL && why && strstr(why, "'-'"));
        free(why);
        check(rfc3263_validate_host("a_b.test", NULL, &why) == -EINVAL && why && strstr(why, "'_'") &&
              strstr(why, "position 2"));
        free(why);
        check(rfc3263_validate_host("a\x01.test", NULL, &why) == -EINVAL && why && strstr(why, "0x01"));
        free(why);
        check(rfc3263_validate_host(".", NULL, &why) == -EINVAL);
        free(why);

        memset(long_label, 'a', 64);
        strcpy(long_label + 64, ".test");
        check(rfc3263_validate_host(long_label, NULL, &why) == -EINVAL && why && strstr(why, "64 characters"));
        free(why);
        memset(long_label, 'a', 63);
        strcpy(long_label + 63, ".test");
        check(rfc3263_validate_host(long_label, NULL, NULL) == 0);

        /* 254 characters: too long; 253: fine. */
        for (size_t i = 0; i < 254; i++)
                long_name[i] = (i % 50 == 49) ? '.' : 'x';
        long_name[254] = 0;
        check(rfc3263_validate_host(long_name, NULL, &why) == -EINVAL && why && strstr(why, "longer than 253"));
        free(why);
        long_name[253] = 0;
        check(rfc3263_validate_host(long_name, NULL, NULL) == 0);
}

static void srv_set(Rfc3263Srv *s, const char *target, uint16_t prio, uint16_t weight) {
        *s = (Rfc3263Srv) { .target = strdup(target), .priority = prio, .weight = weight, .port = 5060, .ttl = 60 };
}

static void test_srv_priority(void) {
        Rfc3263Srv s[5];
        size_t n;

        rng_state = 42;
        srv_set(&s[0], "c", 30, 0);
        srv_set(&s[1], "a", 10, 0);
        srv_set(&s[2], ".", 5, 0);
        srv_set(&s[3], "b", 20, 0);
        srv_set(&s[4], "a2", 10, 0);
        n = rfc3263_order_srv(s, 5, test_random, NULL);
        check(n == 4);
        /* All weights 0: answer order within a priority. */
        check(streq(s[0].target, "a"));
        check(streq(s[1].target, "a2"));
        check(streq(s[2].target, "b"));
        check(streq(s[3].target, "c"));
        check(streq(s[4].target, "."));
        for (size_t i = 0; i < 5; i++)
                free(s[i].target);
}

/* Weighted choice over many rounds: weights 60/30/10 → first place ≈ 60 %/30 %/10 %. */
static void test_srv_weights(void) {
        unsigned first[3] = {}, rounds = 20000;

        rng_state = 0x5eed;
        for (unsigned r = 0; r < rounds; r++) {
                Rfc3263Srv s[3];
                srv_set(&s[0], "w60", 10, 60);
                srv_set(&s[1], "w30", 10, 30);
                srv_set(&s[2], "w10", 10, 10);
                check(rfc3263_order_srv(s, 3, test_random, NULL) == 3);
                first[s[0].target[1] == '6' ? 0 : s[0].target[1] == '3' ? 1 : 2]++;
                for (size_t i = 0; i < 3; i++)
                        free(s[i].target);
        }
        fprintf(stderr, "weights 60/30/10 first: %u %u %u of %u\n", first[0], first[1], first[2], rounds);
        check(first[0] > rounds * 55 / 100 && first[0] < rounds * 65 / 100);
        check(first[1] > rounds * 25 / 100 && first[1] < rounds * 35 / 100);
        check(first[2] > rounds * 7 / 100 && first[2] < rounds * 13 / 100);
}

/* Weight 0 beside weighted records: chosen first only when the random number is 0, i.e.
 * with probability 1/(total+1); never lost, and a lower priority always comes later. */
static void test_srv_weight_zero(void) {
        unsigned zero_first = 0, rounds = 20000;

        rng_state = 7;
        for (unsigned r = 0; r < rounds; r++) {
                Rfc3263Srv s[4];
                srv_set(&s[0], "heavy", 10, 9);
                srv_set(&s[1], "zero", 10, 0);
                srv_set(&s[2], "late", 20, 100);
                srv_set(&s[3], "late0", 20, 0);
                check(rfc3263_order_srv(s, 4, test_random, NULL) == 4);
                if (streq(s[0].target, "zero"))
                        zero_first++;
                else
                        check(streq(s[0].target, "heavy") && streq(s[1].target, "zero"));
                check(s[2].priority == 20 && s[3].priority == 20);
                for (size_t i = 0; i < 4; i++)
                        free(s[i].target);
        }
        /* Expected 1/10 of the rounds. */
        fprintf(stderr, "weight 0 first: %u of %u\n", zero_first, rounds);
        check(zero_first > rounds * 7 / 100 && zero_first < rounds * 13 / 100);
}

/* Fixed seed → same order every time (reproducible tests). */
static void test_srv_deterministic(void) {
        char first[2][16][8];

        for (int run = 0; run < 2; run++) {
                Rfc3263Srv s[16];
                rng_state = 99;
                for (int i = 0; i < 16; i++) {
                        char name[8];
                        snprintf(name, sizeof(name), "t%d", i);
                        srv_set(&s[i], name, (uint16_t) (i % 3), (uint16_t) (i * 7 % 11));
                }
                check(rfc3263_order_srv(s, 16, test_random, NULL) == 16);
                for (int i = 0; i < 16; i++) {
                        snprintf(first[run][i], sizeof(first[run][i]), "%s", s[i].target);
                        if (i > 0)
                                check(s[i - 1].priority <= s[i].priority);
                        free(s[i].target);
                }
        }
        for (int i = 0; i < 16; i++)
                check(streq(first[0][i], first[1][i]));
}

static void test_srv_many(void) {
        Rfc3263Srv *s = calloc(500, sizeof(Rfc3263Srv));
        size_t n;

        rng_state = 3;
        for (int i = 0; i < 500; i++) {
                char name[16];
                snprintf(name, sizeof(name), "h%d.test", i);
                srv_set(&s[i], name, (uint16_t) (500 - i), (uint16_t) i);
        }
        n = rfc3263_order_srv(s, 500, test_random, NULL);
        check(n == 500);
        check(streq(s[0].target, "h499.test"));
        for (size_t i = 1; i < n; i++)
                check(s[i - 1].priority <= s[i].priority);
        rfc3263_srv_free_many(s, 500);
}

static void naptr_set(Rfc3263Naptr *r, uint16_t order, uint16_t pref, const char *flags, const char *service,
                      const char *replacement) {
        *r = (Rfc3263Naptr) {
                .order = order,
                .preference = pref,
                .flags = strdup(flags),
                .service = strdup(service),
                .replacement = strdup(replacement),
                .ttl = 60,
        };
}

static void test_naptr(void) {
        Rfc3263Naptr r[6];
        size_t n;

        naptr_set(&r[0], 20, 10, "S", "SIP+D2T", "_sip._tcp.x");
        naptr_set(&r[1], 10, 20, "s", "SIP+D2U", "_sip._udp.x");
        naptr_set(&r[2], 10, 10, "S", "SIPS+D2T", "_sips._tcp.x");
        naptr_set(&r[3], 5, 10, "U", "E2U+sip", "!^.*$!sip:x!");
        naptr_set(&r[4], 5, 10, "S", "SIP+D2S", "_sip._sctp.x");
        naptr_set(&r[5], 1, 1, "S", "SIP+D2U", "");
        n = rfc3263_filter_naptr(r, 6);
        check(n == 3);
        check(streq(r[0].replacement, "_sips._tcp.x"));
        check(streq(r[1].replacement, "_sip._udp.x"));
        check(streq(r[2].replacement, "_sip._tcp.x"));
        for (size_t i = 0; i < 6; i++) {
                free(r[i].flags);
                free(r[i].service);
                free(r[i].replacement);
        }
}

int main(void) {
        test_transport();
        test_ip_literal();
        test_validate_host();
        test_srv_priority();
        test_srv_weights();
        test_srv_weight_zero();
        test_srv_deterministic();
        test_srv_many();
        test_naptr();
        return checks_result("rfc3263");
}
