/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which addresses regd asks healthd to probe at the full rate (health-active.c), with the real
 * engine driven through failover, register_on_enable = 0, concurrent and successive fallback:
 * bound addresses, WorkingServer, and the primary of a server whose binding is elsewhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health-active.h"
#include "macro.h"

#define S(x) ((uint64_t) (x) *USEC_PER_SEC)

static unsigned failures;

#define A0 "sip:10.0.0.1:5060;transport=udp"
#define A1 "sip:10.0.0.2:5060;transport=udp"
#define A2 "sip:10.0.0.3:5060;transport=udp"
#define B0 "sip:10.0.1.1:5060;transport=udp"
#define B1 "sip:10.0.1.2:5060;transport=udp"

/* The active set as "uri uri …" in the engine's order, each once. */
static const char *active(Redundancy *r) {
        static char buf[4096];
        const char *u[HEALTH_ACTIVE_MAX];
        size_t n = health_active_uris(r, u, ELEMENTSOF(u));

        buf[0] = 0;
        for (size_t i = 0; i < n; i++) {
                if (strstr(buf, u[i]))
                        continue;
                if (buf[0])
                        strcat(buf, " ");
                strcat(buf, u[i]);
        }
        return buf;
}

static void expect_active_(Redundancy *r, const char *want, int line) {
        const char *got = active(r);
        if (!streq(got, want)) {
                fprintf(stderr, "line %d: active set '%s', expected '%s'\n", line, got, want);
                failures++;
        }
}
#define expect_active(r, want) expect_active_((r), (want), __LINE__)

static RedConfig config(unsigned n_servers, bool register_on_enable) {
        RedConfig c = {
                .enabled = true,
                .fallback_timeout = 120,
                .reg_fail_retry_interval = 30,
                .t1_usec = 500 * USEC_PER_MSEC,
                .t2_usec = S(4),
                .proactive_failover = true,
                .register_expires_overlap = UINT32_MAX,
                .random_seed = 1,
        };
        for (unsigned i = 0; i < n_servers; i++)
                c.server[i] = (RedServerConfig){
                        .set = true,
                        .expires = 3600,
                        .retry_counts = 3,
                        .failback_timeout = 3600,
                        .register_on_enable = register_on_enable,
                };
        return c;
}

static void set_addrs(Redundancy *r, unsigned server, const char *const *uris) {
        RedAddress a[RED_ADDR_MAX] = {};
        size_t n = 0;
        for (; uris[n]; n++)
                snprintf(a[n].uri, sizeof(a[n].uri), "%s", uris[n]);
        redundancy_set_addresses(r, server, a, n, 0);
}

static void drain(Redundancy *r) {
        RedAction a;
        while (redundancy_pop_action(r, &a))
                ;
}

static Redundancy *start(RedConfig *c) {
        Redundancy *r;
        if (redundancy_new(c, &r) < 0)
                abort();
        redundancy_start(r, 0);
        drain(r);
        return r;
}

static void ok(Redundancy *r, unsigned server, const char *uri, uint64_t now) {
        redundancy_register_result(r, server, uri, 200, "OK", false, 3600, now);
        drain(r);
}

static void icmp(Redundancy *r, unsigned server, const char *uri, uint64_t now) {
        redundancy_register_result(r, server, uri, 503, "refused", true, 0, now);
        drain(r);
}

/* Failover over three addresses, register_on_enable = 1: the bound one; after failing over, the
 * bound secondary and the primary (failback watch); never the third. */
static void test_failover(void) {
        RedConfig c = config(1, true);
        Redundancy *r = start(&c);

        set_addrs(r, 0, (const char *const[]){A0, A1, A2, NULL});
        drain(r);
        expect_active(r, A0); /* registering with the primary: nothing bound yet */
        ok(r, 0, A0, S(1));
        expect_active(r, A0);
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(10));
        drain(r);
        ok(r, 0, A1, S(11));
        expect_active(r, A0 " " A1);
        redundancy_free(r);
}

/* register_on_enable = 0: the primary holds the binding; when it fails, new requests go to the
 * secondary without a registration (WorkingServer) and the primary is watched for failback. */
static void test_register_on_enable_off(void) {
        RedConfig c = config(1, false);
        Redundancy *r = start(&c);

        set_addrs(r, 0, (const char *const[]){A0, A1, A2, NULL});
        drain(r);
        ok(r, 0, A0, S(1));
        expect_active(r, A0);
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(10));
        drain(r);
        expect_active(r, A0 " " A1);
        /* every address down: no WorkingServer, each address is a way back at the full rate */
        redundancy_health(r, 0, A1, RED_HEALTH_DOWN, S(20));
        redundancy_health(r, 0, A2, RED_HEALTH_DOWN, S(20));
        drain(r);
        expect_active(r, A0 " " A1 " " A2);
        redundancy_health(r, 0, A1, RED_HEALTH_UP, S(30));
        drain(r);
        expect_active(r, A0 " " A1);
        redundancy_free(r);
}

/* Concurrent, two servers with two addresses each: both primaries (bound), not the secondaries;
 * server 2 bound on its secondary: its primary too. */
static void test_concurrent(void) {
        RedConfig c = config(2, true);
        Redundancy *r = start(&c);

        set_addrs(r, 0, (const char *const[]){A0, A1, NULL});
        set_addrs(r, 1, (const char *const[]){B0, B1, NULL});
        drain(r);
        ok(r, 0, A0, S(1));
        ok(r, 1, B0, S(1));
        expect_active(r, A0 " " B0);
        redundancy_timer(r, S(3241)); /* both refresh; server 2's is refused: on to B1 */
        drain(r);
        ok(r, 0, A0, S(3241));
        icmp(r, 1, B0, S(3241));
        ok(r, 1, B1, S(3242));
        expect_active(r, A0 " " B0 " " B1);
        redundancy_free(r);
}

/* Successive: server 1 bound, server 2 standby; server 1 fails, server 2 bound and server 1's
 * primary watched for failback. */
static void test_successive(void) {
        RedConfig c = config(2, true);
        c.redundancy_type = 1;
        Redundancy *r = start(&c);

        set_addrs(r, 0, (const char *const[]){A0, NULL});
        set_addrs(r, 1, (const char *const[]){B0, B1, NULL});
        drain(r);
        ok(r, 0, A0, S(1));
        expect_active(r, A0);
        redundancy_timer(r, S(3241)); /* its refresh is refused: server 2 */
        drain(r);
        icmp(r, 0, A0, S(3241));
        ok(r, 1, B0, S(3242));
        expect_active(r, A0 " " B0);
        redundancy_free(r);
}

int main(void) {
        test_failover();
        test_register_on_enable_off();
        test_concurrent();
        test_successive();
        if (failures) {
                fprintf(stderr, "%u failure(s)\n", failures);
                return 1;
        }
        printf("ok\n");
        return 0;
}
