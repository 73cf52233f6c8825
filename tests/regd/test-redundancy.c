/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The redundancy engine against BEHAVIOUR.md, with an injected clock: no sockets, no timers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "redundancy.h"

#define S(x)  ((uint64_t) (x) *USEC_PER_SEC)
#define MS(x) ((uint64_t) (x) *USEC_PER_MSEC)

static unsigned failures;

#define check(expr)                                                                                         \
        do {                                                                                                \
                if (!(expr)) {                                                                              \
                        fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, __func__,      \
                                #expr);                                                                     \
                        failures++;                                                                         \
                }                                                                                           \
        } while (0)

#define A0 "sip:10.0.0.1:5060;transport=udp"
#define A1 "sip:10.0.0.2:5060;transport=udp"
#define A2 "sip:10.0.0.3:5060;transport=udp"
#define B0 "sip:10.0.1.1:5060;transport=udp"

static RedConfig config_default(unsigned n_servers) {
        RedConfig c = {
                .enabled = true,
                .fallback_timeout = 120,
                .reg_fail_retry_interval = 30,
                .t1_usec = MS(500),
                .t2_usec = S(4),
                .hold_down = 0,
                .proactive_failover = true,
                .register_expires_overlap = UINT32_MAX,
                .random_seed = 1,
        };
        for (unsigned i = 0; i < n_servers; i++)
                c.server[i] = (RedServerConfig){
                        .set = true,
                        .expires = 3600,
                        .retry_counts = 3,
                        .failback_mode = 0,
                        .failback_timeout = 3600,
                        .register_on_enable = true,
                };
        return c;
}

/* Pops the next action and checks it; prints what came instead. */
static bool expect_(Redundancy *r, RedActionType type, unsigned server, const char *uri, int line) {
        RedAction a;
        if (!redundancy_pop_action(r, &a)) {
                fprintf(stderr, "line %d: expected action %d on %s, got none\n", line, type, strempty(uri));
                failures++;
                return false;
        }
        if (a.type != type || a.server != server || (uri && !streq(a.uri, uri))) {
                fprintf(stderr, "line %d: expected action %d server %u %s, got %d server %u %s\n", line,
                        type, server, strempty(uri), a.type, a.server, a.uri);
                failures++;
                return false;
        }
        return true;
}
#define expect(r, type, server, uri) expect_((r), (type), (server), (uri), __LINE__)

static void expect_none_(Redundancy *r, int line) {
        RedAction a;
        if (redundancy_pop_action(r, &a)) {
                fprintf(stderr, "line %d: expected no action, got %d server %u %s\n", line, a.type, a.server,
                        a.uri);
                failures++;
        }
}
#define expect_none(r) expect_none_((r), __LINE__)

static void set_addrs(Redundancy *r, unsigned server, uint32_t ttl, const char *const *uris, uint64_t now) {
        RedAddress a[RED_ADDR_MAX] = {};
        size_t n = 0;
        for (; uris[n]; n++) {
                snprintf(a[n].uri, sizeof(a[n].uri), "%s", uris[n]);
                a[n].ttl = ttl;
        }
        redundancy_set_addresses(r, server, a, n, now);
}

static void ok(Redundancy *r, unsigned server, const char *uri, uint32_t granted, uint64_t now) {
        redundancy_register_result(r, server, uri, 200, "OK", false, granted, now);
}

static void fail(Redundancy *r, unsigned server, const char *uri, unsigned status, bool local,
                 uint64_t now) {
        redundancy_register_result(r, server, uri, status, "failed", local, 0, now);
}

/* One server with A0, A1[, A2], started at t=0 and resolved. */
static Redundancy *start_failover(RedConfig *c, const char *const *uris, uint32_t ttl) {
        Redundancy *r;
        check(redundancy_new(c, &r) == 0);
        redundancy_start(r, 0);
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        check(redundancy_state(r) == RED_STATE_REGISTERING);
        set_addrs(r, 0, ttl, uris, 0);
        return r;
}

static void test_arithmetic(void) {
        /* T1=0.5: sends at 0, 0.5, 1.5, 3.5; the 5th would be due at 7.5 s. */
        check(red_retry_deadline_usec(3, MS(500), S(4)) == MS(7400));
        check(red_retry_deadline_usec(0, MS(500), S(4)) == MS(450));
        /* capped at T2: 0.5+1+2+4+4+4+4 */
        check(red_retry_deadline_usec(6, MS(500), S(4)) == MS(19400));
        check(red_retry_deadline_usec(2, MS(100), S(4)) == MS(100 + 200 + 400 - 40));

        /* INVITE: 0.5+1+2+4 = 7.5, less 0.1 before the 5th copy would go at 7.5 s */
        check(red_invite_deadline_usec(3, MS(500)) == MS(7400));
        check(red_invite_deadline_usec(6, MS(500)) == MS(63400)); /* no T2 cap: 0.5·(2^7 − 1) */
        check(red_invite_deadline_usec(1, MS(500)) == MS(1400));
        check(red_refresh_delay_usec(3600, UINT32_MAX) == S(3240)); /* 90 % < expires − 60 */
        check(red_refresh_delay_usec(300, UINT32_MAX) == S(240));   /* expires − 60 < 90 % */
        check(red_refresh_delay_usec(1000, UINT32_MAX) == S(900));
        check(red_refresh_delay_usec(30, UINT32_MAX) == S(15)); /* too short for either: half */
        check(red_refresh_delay_usec(12, UINT32_MAX) == S(6));
        /* A tiny grant is refreshed no sooner than RED_REFRESH_MIN_SEC (5 s). */
        check(red_refresh_delay_usec(10, UINT32_MAX) == S(5));
        check(red_refresh_delay_usec(1, UINT32_MAX) == S(5));
        check(red_refresh_delay_usec(0, UINT32_MAX) == S(5));
}

static void test_failover_order(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 0);

        check(redundancy_mode(r) == RED_MODE_FAILOVER);
        expect(r, RED_ACTION_REGISTER, 0, A0); /* primary first */
        fail(r, 0, A0, 503, true, S(1));       /* ICMP: at once */
        expect(r, RED_ACTION_REGISTER, 0, A1);
        fail(r, 0, A1, 503, false, S(2)); /* a real 503 hops too */
        expect(r, RED_ACTION_REGISTER, 0, A2);
        check(redundancy_state(r) == RED_STATE_REGISTERING);
        ok(r, 0, A2, 3600, S(3));
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(streq(redundancy_working_uri(r), A2));
        check(redundancy_last_status(r) == 200);
        check(redundancy_registered_since(r) == S(3));

        RedServerInfo info[8];
        check(redundancy_servers(r, info, 8) == 3);
        check(streq(info[2].role, "working") && info[2].state == RED_ADDR_REGISTERED);
        check(info[0].state == RED_ADDR_FAILED && info[0].last_status == 503);

        /* A late answer from an abandoned transaction changes nothing. */
        ok(r, 0, A0, 3600, S(4));
        expect_none(r);
        check(streq(redundancy_working_uri(r), A2));
        redundancy_free(r);
}

static void test_ok_without_binding(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        /* A 200 that does not list our Contact (granted 0) is no registration: next address. */
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 0, S(1));
        check(redundancy_state(r) != RED_STATE_REGISTERED);
        check(redundancy_last_status(r) == 200);
        check(strstr(redundancy_last_reason(r), "without binding"));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        ok(r, 0, A1, 600, S(2));
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(streq(redundancy_working_uri(r), A1));
        redundancy_free(r);
}

static void test_retry_counts(void) {
        RedConfig c = config_default(1);
        uint64_t d = red_retry_deadline_usec(3, MS(500), S(4));
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        check(redundancy_next_wakeup(r) == d);
        redundancy_timer(r, d - 1);
        expect_none(r);
        /* Non-last address: give up after 1 + retry_counts sends. */
        redundancy_timer(r, d);
        RedAction act;
        check(redundancy_pop_action(r, &act) && act.type == RED_ACTION_CANCEL && act.timed_out);
        expect(r, RED_ACTION_REGISTER, 0, A1);
        check(redundancy_last_status(r) == 408);

        /* Last address: the full 64·T1; our deadline only backs nta's timer F up. */
        check(redundancy_next_wakeup(r) >= d + 64 * MS(500));
        redundancy_timer(r, d + 64 * MS(500) - 1);
        expect_none(r);
        fail(r, 0, A1, 408, true, d + 64 * MS(500));
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_FAILED);
        check(streq(redundancy_working_uri(r), ""));

        /* reg_fail_retry_interval, then from the first address again. */
        uint64_t t = d + 64 * MS(500);
        check(redundancy_next_wakeup(r) == t + S(30));
        redundancy_timer(r, t + S(29));
        expect_none(r);
        redundancy_timer(r, t + S(30));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        check(redundancy_state(r) == RED_STATE_REGISTERING);

        /* retry_counts = 0: only the initial send. */
        redundancy_free(r);
        c.server[0].retry_counts = 0;
        r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        check(redundancy_next_wakeup(r) == MS(450));
        redundancy_free(r);
}

/* A REGISTER that waited for a pacing slot: its deadline counts from when it was really sent. */
static void test_request_sent_late(void) {
        RedConfig c = config_default(1);
        uint64_t d = red_retry_deadline_usec(3, MS(500), S(4));
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        check(redundancy_next_wakeup(r) == d);
        /* Queued: no deadline runs while it waits... */
        redundancy_request_queued(r, 0, A0);
        check(redundancy_next_wakeup(r) > S(3600));
        redundancy_timer(r, S(4));
        expect_none(r);
        /* ...sent after 5 s: the deadline counts from there. */
        redundancy_request_sent(r, 0, A0, S(5));
        check(redundancy_next_wakeup(r) == S(5) + d);
        redundancy_timer(r, d);
        expect_none(r);
        /* Another address's report changes nothing. */
        redundancy_request_sent(r, 0, A1, S(6));
        check(redundancy_next_wakeup(r) == S(5) + d);
        redundancy_timer(r, S(5) + d);
        RedAction act;
        check(redundancy_pop_action(r, &act) && act.type == RED_ACTION_CANCEL && act.timed_out);
        expect(r, RED_ACTION_REGISTER, 0, A1);
        redundancy_free(r);
}

static void test_final_errors(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        /* 401: credentials once, then success. */
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 401, false, S(1));
        expect(r, RED_ACTION_AUTHENTICATE, 0, A0);
        ok(r, 0, A0, 600, S(1));
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(streq(redundancy_working_uri(r), A0));

        /* At refresh (600 → 540 s) a second challenge after credentials: failed, no hop. */
        redundancy_timer(r, S(541));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 407, false, S(541));
        expect(r, RED_ACTION_AUTHENTICATE, 0, A0);
        fail(r, 0, A0, 407, false, S(541));
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_FAILED);
        check(redundancy_last_status(r) == 407);
        redundancy_free(r);

        /* 403: the server answered; fail without trying other addresses, and retry only after
         * reg_rejected_retry_interval, not every reg_fail_retry_interval (issue 23). */
        c.reg_rejected_retry_interval = 1800;
        r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 403, false, S(1));
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_FAILED);
        check(redundancy_last_status(r) == 403);
        check(redundancy_next_wakeup(r) == S(1801));
        redundancy_timer(r, S(31));
        expect_none(r);
        redundancy_timer(r, S(1801));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 404, false, S(1801));
        expect_none(r);
        check(redundancy_last_status(r) == 404);
        check(redundancy_next_wakeup(r) == S(3601));
        /* healthd seeing it up changes nothing: the refusal was an answer */
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(1900));
        check(redundancy_next_wakeup(r) == S(3601));
        redundancy_free(r);

        /* 0: never by itself; a timeout afterwards is retried as usual */
        c.reg_rejected_retry_interval = 0;
        r = start_failover(&c, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 403, false, S(1));
        check(redundancy_next_wakeup(r) == UINT64_MAX);
        redundancy_free(r);

        /* 503 with Retry-After and 408 from the server: next address. */
        r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, false, S(1));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        fail(r, 0, A1, 408, false, S(2));
        expect(r, RED_ACTION_REGISTER, 0, A2);
        redundancy_free(r);
}

/* Registered on A1 after the primary failed at t=0; returns the engine. */
static Redundancy *on_secondary(RedConfig *c, uint32_t ttl, uint32_t expires) {
        c->server[0].expires = expires;
        Redundancy *r = start_failover(c, (const char *const[]){A0, A1, NULL}, ttl);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, 0);
        expect(r, RED_ACTION_REGISTER, 0, A1);
        ok(r, 0, A1, expires, 0);
        expect_none(r);
        check(streq(redundancy_working_uri(r), A1));
        return r;
}

static void failback_succeeds(Redundancy *r, uint64_t now) {
        /* Make-before-break: primary confirmed first, then the old binding goes. */
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(streq(redundancy_working_uri(r), A1));
        ok(r, 0, A0, 300, now);
        expect(r, RED_ACTION_UNREGISTER, 0, A1);
        expect_none(r);
        check(streq(redundancy_working_uri(r), A0));
        check(redundancy_failovers(r) == 1);
}

static void test_failback_new_requests(void) {
        RedConfig c = config_default(1);
        c.hold_down = 10;
        Redundancy *r = on_secondary(&c, 0, 300);

        /* Refresh time (240 s): the new request goes to the primary first… */
        redundancy_timer(r, S(240));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        expect_none(r);
        /* …which is still dead: refresh where the binding is. */
        fail(r, 0, A0, 503, true, S(240));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        ok(r, 0, A1, 300, S(241));
        check(streq(redundancy_working_uri(r), A1));

        /* healthd sees the primary up: failback after hold_down, not before. */
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(300));
        redundancy_timer(r, S(305));
        expect_none(r);
        /* it flaps: hold_down starts again */
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(306));
        expect_none(r);
        check(streq(redundancy_working_uri(r), A1));
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(308));
        redundancy_timer(r, S(310));
        expect_none(r);
        check(redundancy_next_wakeup(r) == S(318));
        redundancy_timer(r, S(318));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        /* up for healthd but refusing REGISTER: no retry loop, wait for the refresh */
        fail(r, 0, A0, 503, false, S(318));
        expect_none(r);
        check(redundancy_next_wakeup(r) == S(241) + S(240));
        redundancy_timer(r, S(481));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        failback_succeeds(r, S(481));
        redundancy_free(r);
}

static void test_failback_stale_up(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(1));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 300, S(1));
        /* the primary dies; healthd has not noticed yet (still "up") */
        redundancy_timer(r, S(241));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(241));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        ok(r, 0, A1, 300, S(241));
        /* no failback on the strength of the old "up" */
        expect_none(r);
        check(redundancy_next_wakeup(r) == S(241) + S(240));
        /* healthd: down, then up again → failback */
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(243));
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(250));
        check(redundancy_next_wakeup(r) == S(250) + 1);
        redundancy_timer(r, S(250) + 1);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_free(r);
}

static void test_failback_dns_ttl(void) {
        RedConfig c = config_default(1);
        c.server[0].failback_mode = 1;
        Redundancy *r = on_secondary(&c, 20, 3600);

        check(redundancy_next_wakeup(r) == S(20));
        redundancy_timer(r, S(19));
        expect_none(r);
        redundancy_timer(r, S(20));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        /* still down: stay, and try again one TTL later, not in a loop */
        fail(r, 0, A0, 503, true, S(20));
        expect_none(r);
        check(redundancy_next_wakeup(r) == S(40));
        redundancy_timer(r, S(40));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        failback_succeeds(r, S(40));
        redundancy_free(r);
}

static void test_failback_registration(void) {
        RedConfig c = config_default(1);
        c.server[0].failback_mode = 2;
        Redundancy *r = on_secondary(&c, 0, 300);

        /* Primary up means nothing before the registration needs renewal. */
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(10));
        check(redundancy_next_wakeup(r) == S(240));
        redundancy_timer(r, S(239));
        expect_none(r);
        redundancy_timer(r, S(240));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        failback_succeeds(r, S(240));
        redundancy_free(r);
}

static void test_failback_duration(void) {
        RedConfig c = config_default(1);
        c.server[0].failback_mode = 3;
        c.server[0].failback_timeout = 60;
        Redundancy *r = on_secondary(&c, 0, 3600);

        check(redundancy_next_wakeup(r) == S(60));
        redundancy_timer(r, S(60));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        /* silent primary: give up after retry_counts, stay, try again a duration later */
        uint64_t d = S(60) + red_retry_deadline_usec(3, MS(500), S(4));
        redundancy_timer(r, d);
        expect(r, RED_ACTION_CANCEL, 0, A0);
        expect_none(r);
        check(streq(redundancy_working_uri(r), A1));
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(redundancy_next_wakeup(r) == d + S(60));
        redundancy_timer(r, d + S(60));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        failback_succeeds(r, d + S(60));
        redundancy_free(r);

        /* 0 = never: only the refresh on the current server. */
        c.server[0].failback_timeout = 0;
        r = on_secondary(&c, 0, 3600);
        check(redundancy_next_wakeup(r) == S(3240));
        redundancy_timer(r, S(3240));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        redundancy_free(r);
}

static void test_hold_down_blocks_failback(void) {
        RedConfig c = config_default(1);
        c.server[0].failback_mode = 3;
        c.server[0].failback_timeout = 60;
        c.hold_down = 100;
        Redundancy *r = on_secondary(&c, 0, 3600);

        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(50));
        redundancy_timer(r, S(60));
        expect_none(r); /* up since 50, hold_down until 150 */
        check(redundancy_next_wakeup(r) == S(150));
        redundancy_timer(r, S(150));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_free(r);

        /* Known down: no failback attempt at all. */
        r = on_secondary(&c, 0, 3600);
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(50));
        redundancy_timer(r, S(60));
        expect_none(r);
        redundancy_free(r);
}

static void test_proactive_failover(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(1));
        /* healthd: the working address went silent → the next one now, not at refresh. */
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(10));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        check(redundancy_state(r) == RED_STATE_REGISTERING);
        ok(r, 0, A1, 3600, S(10));
        check(streq(redundancy_working_uri(r), A1));
        check(redundancy_failovers(r) == 1);
        redundancy_free(r);

        /* Without proactive_failover only the record changes. */
        c.proactive_failover = false;
        r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(1));
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(10));
        expect_none(r);
        check(streq(redundancy_working_uri(r), A0));
        redundancy_free(r);
}

static void test_register_on_enable_off(void) {
        RedConfig c = config_default(1);
        c.server[0].register_on_enable = false;
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(1));
        expect_none(r); /* no REGISTER with the secondary */
        check(redundancy_state(r) == RED_STATE_FAILED);
        check(streq(redundancy_working_uri(r), A1)); /* but new requests go there */
        redundancy_free(r);

        /* Yealink applies only_signal_with_registered with register_on_enable = 1 (and failback
         * modes 1–3) only: here new requests still go to the next address (issue 23, 3) */
        c.server[0].only_signal_with_registered = true;
        r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(1));
        check(streq(redundancy_working_uri(r), A1));
        /* where unregistered requests go is no failover: nothing was ever registered (23, 5) */
        check(redundancy_failovers(r) == 0);
        redundancy_free(r);

        /* with several addresses the primary is not the last: a silent one is left after
         * retry_counts retransmissions, not after timer F (issue 23, 2) */
        c.server[0].only_signal_with_registered = false;
        r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        check(redundancy_next_wakeup(r) == red_retry_deadline_usec(3, MS(500), S(4)));
        redundancy_free(r);
        /* alone, it is the last: the full timer */
        r = start_failover(&c, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        check(redundancy_next_wakeup(r) == 64 * MS(500) + S(1));
        redundancy_free(r);
}

static Redundancy *start_two(RedConfig *c);

/* Issue 23, 1: failback mode 1 (DNSTTL) with health: the primary was down when its TTL ran out;
 * it must still come back later (before, the failback was never armed again). */
static void test_failback_dns_ttl_with_health(void) {
        RedConfig c = config_default(1);
        c.server[0].failback_mode = SIPR_FAILBACK_DNS_TTL;
        Redundancy *r = on_secondary(&c, 20, 3600);

        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(5));
        expect_none(r);
        redundancy_timer(r, S(20)); /* the TTL ran out, the primary is known down: not now */
        expect_none(r);
        check(redundancy_next_wakeup(r) == S(40)); /* but one TTL later */
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(30));
        redundancy_timer(r, S(40));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        failback_succeeds(r, S(40));
        redundancy_free(r);
}

/* Issue 23, 7: every server died; one that is not the primary comes back up: tried at once
 * (after hold_down), not at the next reg_fail_retry_interval round. */
static void test_recovery_any_server(void) {
        RedConfig c = config_default(2);
        c.reg_fail_retry_interval = 1800;
        Redundancy *r = start_two(&c);

        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        expect(r, RED_ACTION_REGISTER, 1, B0);
        fail(r, 0, A0, 503, true, S(1));
        fail(r, 1, B0, 503, true, S(1));
        check(redundancy_state(r) == RED_STATE_FAILED);
        check(redundancy_next_wakeup(r) == S(1801));
        redundancy_health(r, 1, B0, RED_HEALTH_UP, S(10)); /* the fallback server is back */
        check(redundancy_next_wakeup(r) == S(10));
        redundancy_timer(r, S(10));
        expect(r, RED_ACTION_REGISTER, 1, B0);
        redundancy_free(r);

        /* successive: the round starts over from the working server */
        c.redundancy_type = 1;
        r = start_two(&c);
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(1));
        expect(r, RED_ACTION_REGISTER, 1, B0);
        fail(r, 1, B0, 503, true, S(1));
        check(redundancy_state(r) == RED_STATE_FAILED);
        redundancy_health(r, 1, B0, RED_HEALTH_UP, S(10));
        check(redundancy_next_wakeup(r) == S(10));
        redundancy_timer(r, S(10));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_free(r);
}

static Redundancy *start_two(RedConfig *c) {
        Redundancy *r;
        check(redundancy_new(c, &r) == 0);
        redundancy_start(r, 0);
        return r;
}

static void test_concurrent(void) {
        RedConfig c = config_default(2);
        Redundancy *r = start_two(&c);

        check(redundancy_mode(r) == RED_MODE_CONCURRENT);
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 1, B0);
        ok(r, 1, B0, 3600, S(1));
        check(streq(redundancy_working_uri(r), B0)); /* working not registered yet */
        ok(r, 0, A0, 3600, S(1));
        check(streq(redundancy_working_uri(r), A0));
        expect_none(r);

        RedServerInfo info[4];
        check(redundancy_servers(r, info, 4) == 2);
        check(streq(info[0].role, "working") && streq(info[1].role, "fallback"));

        /* Working server dies silently: the fallback at once, without a new REGISTER. */
        unsigned before = redundancy_failovers(r);
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(10));
        expect_none(r);
        check(streq(redundancy_working_uri(r), B0));
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(redundancy_failovers(r) == before + 1);

        /* Seen up again: retried at once (hold_down 0 here) instead of after reg_fail_retry_interval. */
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(12));
        check(redundancy_next_wakeup(r) == S(12));
        redundancy_timer(r, S(40));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(40));
        expect_none(r); /* the fallback binding stays */
        check(streq(redundancy_working_uri(r), A0));
        check(redundancy_failovers(r) == before + 2);

        /* Both refreshed, each on its own server. */
        redundancy_timer(r, S(1) + S(3240));
        expect(r, RED_ACTION_REGISTER, 1, B0);
        expect_none(r);

        /* Stop: every binding removed. */
        redundancy_stop(r, S(3300));
        expect(r, RED_ACTION_UNREGISTER, 0, A0);
        expect(r, RED_ACTION_CANCEL, 1, B0);
        expect(r, RED_ACTION_UNREGISTER, 1, B0);
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_UNREGISTERED);
        redundancy_free(r);
}

static void test_successive(void) {
        RedConfig c = config_default(2);
        c.redundancy_type = 1;
        c.fallback_timeout = 120;
        Redundancy *r = start_two(&c);

        check(redundancy_mode(r) == RED_MODE_SUCCESSIVE);
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL); /* known from the start, for the UA's requests */
        expect_none(r);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect_none(r); /* registered with only when the working server fails */
        fail(r, 0, A0, 503, true, S(1));
        expect(r, RED_ACTION_REGISTER, 1, B0);
        ok(r, 1, B0, 3600, S(2));
        check(streq(redundancy_working_uri(r), B0));
        check(redundancy_state(r) == RED_STATE_REGISTERED);

        /* Probe every fallback.timeout. */
        check(redundancy_next_wakeup(r) == S(121));
        redundancy_timer(r, S(121));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(121));
        expect_none(r);
        check(redundancy_next_wakeup(r) == S(241));
        redundancy_timer(r, S(241));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(241));
        /* back, and the fallback binding is removed after the working one holds */
        expect(r, RED_ACTION_UNREGISTER, 1, B0);
        expect_none(r);
        check(streq(redundancy_working_uri(r), A0));
        RedAction b[4];
        check(redundancy_bindings(r, b, 4) == 1);
        redundancy_free(r);

        /* Both fail: account failed, retried from the working server. */
        r = start_two(&c);
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, 0);
        expect_none(r); /* server 2 not resolved yet: it registers once it is */
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 1, B0);
        fail(r, 1, B0, 503, true, 0);
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_FAILED);
        check(redundancy_next_wakeup(r) == S(30));
        redundancy_timer(r, S(30));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(30));
        expect(r, RED_ACTION_REGISTER, 1, B0);
        redundancy_free(r);
}

/* Successive with health (docs/regd.md): server 1 is probed every fallback.timeout, and also
 * hold_down after healthd sees it up, whichever comes first. */
static void test_successive_health(void) {
        RedConfig c = config_default(2);
        c.redundancy_type = 1;
        c.fallback_timeout = 120;
        c.hold_down = 30;
        Redundancy *r = start_two(&c);

        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(1));
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(10));
        expect(r, RED_ACTION_REGISTER, 1, B0); /* proactive: server 2 now */
        ok(r, 1, B0, 3600, S(11));
        check(streq(redundancy_working_uri(r), B0));
        check(redundancy_next_wakeup(r) == S(130)); /* fallback.timeout after the failure */

        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(40));
        check(redundancy_next_wakeup(r) == S(70)); /* hold_down after it is seen up */
        redundancy_timer(r, S(69));
        expect_none(r);
        redundancy_timer(r, S(70));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(70));
        expect(r, RED_ACTION_UNREGISTER, 1, B0);
        check(streq(redundancy_working_uri(r), A0));
        redundancy_free(r);
}

/* Issue 23, fleet: RFC 5626 4.5 back-off between failed rounds, with jitter. */
static void test_backoff(void) {
        check(red_backoff_usec(10, 60, 1) == S(20));
        check(red_backoff_usec(10, 60, 2) == S(40));
        check(red_backoff_usec(10, 60, 3) == S(60));
        check(red_backoff_usec(10, 60, 40) == S(60)); /* no overflow, capped */
        check(red_backoff_usec(30, 0, 1) == S(30));   /* a ceiling below the base is the base */

        RedConfig c = config_default(1);
        c.reg_failed_retry_min = 10;
        c.reg_failed_retry_max = 60;
        uint64_t now = S(1), lo[] = { S(10), S(20), S(30), S(30) }, hi[] = { S(20), S(40), S(60), S(60) };
        uint64_t waits[2][4];
        for (int run = 0; run < 2; run++) {
                c.random_seed = 1 + (uint64_t) run * 7919;
                Redundancy *r = start_failover(&c, (const char *const[]){A0, NULL}, 0);
                now = S(1);
                for (int i = 0; i < 4; i++) {
                        expect(r, RED_ACTION_REGISTER, 0, A0);
                        fail(r, 0, A0, 503, true, now);
                        uint64_t at = redundancy_next_wakeup(r);
                        waits[run][i] = at - now;
                        check(at - now >= lo[i] && at - now <= hi[i]);
                        now = at;
                        redundancy_timer(r, now);
                }
                /* a success resets the count: the next failure waits the first step again */
                expect(r, RED_ACTION_REGISTER, 0, A0);
                ok(r, 0, A0, 600, now);
                redundancy_timer(r, now + S(540));
                expect(r, RED_ACTION_REGISTER, 0, A0);
                fail(r, 0, A0, 503, true, now + S(540));
                uint64_t w = redundancy_next_wakeup(r) - (now + S(540));
                check(w >= S(10) && w <= S(20));
                redundancy_free(r);
        }
        /* two devices (seeds) do not wait the same: that is the point of the jitter */
        check(memcmp(waits[0], waits[1], sizeof(waits[0])) != 0);
}

/* Issue 23, fleet: Retry-After is the least wait before that address; others go at once. */
static void test_retry_after(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_retry_after(r, 0, A0, 120, S(1));
        fail(r, 0, A0, 503, false, S(1));
        expect(r, RED_ACTION_REGISTER, 0, A1); /* the next address at once */
        fail(r, 0, A1, 503, false, S(2));
        expect_none(r);
        check(redundancy_next_wakeup(r) == S(32));
        redundancy_timer(r, S(32));
        expect(r, RED_ACTION_REGISTER, 0, A1); /* A0 asked for 120 s: left out */
        expect_none(r);
        ok(r, 0, A1, 3600, S(32));
        /* failback (mode 0) to A0 waits for its Retry-After too */
        redundancy_health(r, 0, A0, RED_HEALTH_UP, S(40));
        check(redundancy_next_wakeup(r) >= S(121));
        redundancy_timer(r, S(100));
        expect_none(r);
        redundancy_timer(r, redundancy_next_wakeup(r));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_free(r);

        /* one address: the retry waits for Retry-After (capped at an hour), not 30 s */
        r = start_failover(&c, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_retry_after(r, 0, A0, 999999, S(1));
        fail(r, 0, A0, 503, false, S(1));
        check(redundancy_next_wakeup(r) == S(1) + S(RED_RETRY_AFTER_MAX_SEC));
        redundancy_free(r);
}

/* Issue 23, fleet: sip.reg_surge_prevention spreads the first REGISTER and returns. */
static void test_surge(void) {
        RedConfig c = config_default(1);
        c.surge_prevention = 20;
        c.hold_down = 5;
        uint64_t firsts[8];
        bool spread = false;

        for (int i = 0; i < 8; i++) {
                Redundancy *r;
                c.random_seed = 100 + (uint64_t) i;
                check(redundancy_new(&c, &r) == 0);
                redundancy_start_spread(r, 0);
                expect(r, RED_ACTION_RESOLVE, 0, NULL);
                set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
                expect_none(r); /* resolved, but not yet */
                check(redundancy_state(r) == RED_STATE_REGISTERING);
                firsts[i] = redundancy_next_wakeup(r);
                check(firsts[i] <= S(20));
                spread |= firsts[i] != firsts[0];
                redundancy_timer(r, firsts[i]);
                expect(r, RED_ACTION_REGISTER, 0, A0);
                /* a failed round waits reg_fail_retry_interval plus up to the surge delay */
                fail(r, 0, A0, 503, true, S(21));
                uint64_t at = redundancy_next_wakeup(r);
                check(at >= S(51) && at <= S(71));
                /* healthd sees it come back: hold_down plus up to the surge delay */
                redundancy_health(r, 0, A0, RED_HEALTH_UP, S(22));
                at = redundancy_next_wakeup(r);
                check(at >= S(27) && at <= S(47));
                redundancy_free(r);
        }
        check(spread);

        /* redundancy_start (Register(), tests) does not wait */
        Redundancy *r = start_failover(&c, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_free(r);
}

/* Issue 23, fleet: which answers move on is configurable (Snom, Cisco); local failures always. */
static void test_failover_codes(void) {
        RedConfig c = config_default(1);
        c.server[0].failover_codes = (StatusList){ .codes = { 500, 504 }, .n = 2 };
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 500, false, S(1));
        expect(r, RED_ACTION_REGISTER, 0, A1); /* an SBC whose back end died */
        fail(r, 0, A1, 408, true, S(2));
        expect(r, RED_ACTION_REGISTER, 0, A2); /* local: always */
        fail(r, 0, A2, 503, false, S(3));
        expect_none(r); /* not in this list: the server's final word */
        check(redundancy_state(r) == RED_STATE_FAILED);
        redundancy_free(r);
}

/* account.X.register_expires_overlap (Yealink): refresh that long before the lease ends. */
static void test_expires_overlap(void) {
        check(red_refresh_delay_usec(120, 30) == S(90));
        check(red_refresh_delay_usec(3600, 600) == S(3000));
        check(red_refresh_delay_usec(30, 28) == S(RED_REFRESH_MIN_SEC)); /* never sooner */
        check(red_refresh_delay_usec(30, 30) == S(15));                  /* does not fit: automatic */
        check(red_refresh_delay_usec(3600, 0) == S(3600));

        RedConfig c = config_default(1);
        c.register_expires_overlap = 30;
        Redundancy *r = start_failover(&c, (const char *const[]){A0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 120, S(1));
        check(redundancy_next_wakeup(r) == S(91));
        redundancy_free(r);
}

static void test_manual_failover(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(1));
        redundancy_failover(r, S(5));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        check(redundancy_state(r) == RED_STATE_REGISTERED); /* still bound to A0 meanwhile */
        ok(r, 0, A1, 3600, S(5));
        expect(r, RED_ACTION_UNREGISTER, 0, A0);
        check(streq(redundancy_working_uri(r), A1));
        check(redundancy_failovers(r) == 1);
        redundancy_free(r);
}

static void test_resolve_failed(void) {
        RedConfig c = config_default(1);
        Redundancy *r;

        check(redundancy_new(&c, &r) == 0);
        redundancy_start(r, 0);
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        redundancy_resolve_failed(r, 0, "sip_server.1.address nowhere.invalid: not found", S(1));
        check(redundancy_state(r) == RED_STATE_FAILED);
        check(strstr(redundancy_last_reason(r), "nowhere.invalid") != NULL);
        check(redundancy_next_wakeup(r) == S(31));
        /* resolverd came back: no need to wait for reg_fail_retry_interval */
        redundancy_retry_failed(r, S(5));
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, S(5));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_free(r);

        /* Disabled accounts do nothing. */
        c.enabled = false;
        check(redundancy_new(&c, &r) == 0);
        redundancy_start(r, 0);
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_DISABLED);
        redundancy_free(r);
}

static void test_reresolve(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 5);

        /* Names (TTL > 0) are looked up again before the retry after every address failed. */
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(1));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        fail(r, 0, A1, 503, true, S(1));
        check(redundancy_state(r) == RED_STATE_FAILED);
        redundancy_timer(r, S(31));
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_REGISTERING);
        /* the new answer has a different order and a new address */
        set_addrs(r, 0, 5, (const char *const[]){A2, A0, NULL}, S(31));
        expect(r, RED_ACTION_REGISTER, 0, A2);
        ok(r, 0, A2, 3600, S(32));
        check(streq(redundancy_working_uri(r), A2));

        /* An answer without the bound address keeps the binding (it still exists). */
        set_addrs(r, 0, 5, (const char *const[]){A0, NULL}, S(40));
        check(streq(redundancy_working_uri(r), A2));
        RedServerInfo info[8];
        check(redundancy_servers(r, info, 8) == 2);
        redundancy_free(r);
}

/* A new answer while a round is under way: the round goes on over the addresses it had left, by
 * URI. The indexes of the old list would name other addresses in the new one (here: A0 again
 * instead of A2), or none at all. Found when the address table became sized to each answer. */
static void test_answer_during_round(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 5);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        set_addrs(r, 0, 5, (const char *const[]){A2, A0, NULL}, S(1)); /* A1 gone, order changed */
        fail(r, 0, A0, 503, true, S(2));
        expect(r, RED_ACTION_REGISTER, 0, A2); /* the round's next address still listed */
        fail(r, 0, A2, 503, true, S(3));
        expect_none(r); /* A1 is no longer one of ours */
        check(redundancy_state(r) == RED_STATE_FAILED);

        /* The same with the address being tried dropped from the answer: kept while its
         * transaction runs, then the round goes on. */
        redundancy_timer(r, S(40));
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        set_addrs(r, 0, 5, (const char *const[]){A0, A1, A2, NULL}, S(40));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        set_addrs(r, 0, 5, (const char *const[]){A2, A1, NULL}, S(41));
        fail(r, 0, A0, 503, true, S(42));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        ok(r, 0, A1, 3600, S(43));
        check(streq(redundancy_working_uri(r), A1));
        redundancy_free(r);
}

static void test_refresh_challenge(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 300, S(1));
        /* A refresh challenged again (new nonce) is answered once, the binding stays. */
        redundancy_timer(r, S(241));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 401, false, S(241));
        expect(r, RED_ACTION_AUTHENTICATE, 0, A0);
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        ok(r, 0, A0, 300, S(241));
        expect_none(r);
        check(redundancy_last_status(r) == 200);
        /* the refresh fails with a timeout: binding lost, the other address now */
        redundancy_timer(r, S(481));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_timer(r, S(481) + red_retry_deadline_usec(3, MS(500), S(4)));
        expect(r, RED_ACTION_CANCEL, 0, A0);
        expect(r, RED_ACTION_REGISTER, 0, A1);
        check(redundancy_state(r) == RED_STATE_REGISTERING);
        redundancy_free(r);
}

/* A registrar granting 1 s to every REGISTER: one refresh per RED_REFRESH_MIN_SEC, not two a
 * second (issue 16, item 4). */
static void test_tiny_grant(void) {
        RedConfig c = config_default(1);
        Redundancy *r;
        unsigned registers = 0;
        uint64_t now = S(1);
        RedAction a;

        c.server[0].expires = 60;
        r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 1, now);
        expect_none(r);
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(redundancy_next_wakeup(r) == now + S(RED_REFRESH_MIN_SEC));
        redundancy_timer(r, now + S(RED_REFRESH_MIN_SEC) - 1);
        expect_none(r);

        /* 60 s of it, answering every refresh at once with another 1 s grant. */
        while ((now = redundancy_next_wakeup(r)) <= S(61)) {
                redundancy_timer(r, now);
                while (redundancy_pop_action(r, &a)) {
                        check(a.type == RED_ACTION_REGISTER && streq(a.uri, A0));
                        registers++;
                        ok(r, 0, A0, 1, now);
                }
        }
        check(registers == 60 / RED_REFRESH_MIN_SEC);
        check(redundancy_state(r) == RED_STATE_REGISTERED);
        check(streq(redundancy_working_uri(r), A0));
        redundancy_free(r);
}

static void test_flow_closed(void) {
        RedConfig c = config_default(1);
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);

        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(1));
        /* the connection of another address, or while a request is under way: nothing */
        redundancy_flow_closed(r, 0, A1, S(5));
        expect_none(r);
        /* ours closed: renew at once where the binding is */
        redundancy_flow_closed(r, 0, A0, S(10));
        expect(r, RED_ACTION_REGISTER, 0, A0);
        redundancy_flow_closed(r, 0, A0, S(10));
        expect_none(r);
        /* refused (the server is gone): next address */
        fail(r, 0, A0, 503, true, S(10));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        redundancy_free(r);
}

/* hops(r, "A0 A1") style check: the next-hop URIs in order, space separated */
static bool hops_are_(Redundancy *r, const char *want, int line) {
        RedHop h[RED_SERVER_MAX * RED_ADDR_MAX];
        size_t n = redundancy_next_hops(r, h, ELEMENTSOF(h));
        char got[1024] = "";

        for (size_t i = 0; i < n; i++) {
                const char *name = streq(h[i].uri, A0)   ? "A0"
                                   : streq(h[i].uri, A1) ? "A1"
                                   : streq(h[i].uri, A2) ? "A2"
                                   : streq(h[i].uri, B0) ? "B0"
                                                         : "?";
                strcat(got, i ? " " : "");
                strcat(got, name);
        }
        if (!streq(got, want)) {
                fprintf(stderr, "line %d: next hops '%s', expected '%s'\n", line, got, want);
                failures++;
                return false;
        }
        return true;
}
#define hops_are(r, want) hops_are_((r), (want), __LINE__)

static void test_next_hops_failover(void) {
        RedConfig c = config_default(1);
        RedHop h[8];

        /* mode 0 newRequests: the primary first for every new request, even bound elsewhere */
        c.server[0].invite_retry_counts = 2;
        Redundancy *r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 0);
        hops_are(r, "A0 A1 A2"); /* nothing bound yet: list order */
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(1));
        expect(r, RED_ACTION_REGISTER, 0, A1);
        ok(r, 0, A1, 3600, S(1));
        hops_are(r, "A0 A1 A2");
        check(redundancy_next_hops(r, h, 8) == 3 && !h[0].bound && h[1].bound && !h[2].bound);
        check(h[0].retry_counts == 3 && h[0].invite_retry_counts == 2 && h[0].server == 0);
        /* a primary healthd knows to be down goes last: it adds no delay */
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(2));
        hops_are(r, "A1 A2 A0");
        check(redundancy_next_hops(r, h, 8) == 3 && h[2].down && !h[0].down);
        /* max is honoured */
        check(redundancy_next_hops(r, h, 2) == 2);
        redundancy_free(r);

        /* modes 1–3: the address holding the binding first, then list order */
        for (unsigned mode = SIPR_FAILBACK_DNS_TTL; mode <= SIPR_FAILBACK_DURATION; mode++) {
                c.server[0].failback_mode = mode;
                r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 0);
                expect(r, RED_ACTION_REGISTER, 0, A0);
                fail(r, 0, A0, 503, true, S(1));
                expect(r, RED_ACTION_REGISTER, 0, A1);
                fail(r, 0, A1, 503, true, S(1));
                expect(r, RED_ACTION_REGISTER, 0, A2);
                ok(r, 0, A2, 3600, S(1));
                hops_are(r, "A2 A0 A1");
                /* only_signal_with_registered (with register_on_enable, modes 1–3): bound only */
                redundancy_free(r);
                c.server[0].only_signal_with_registered = true;
                r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 0);
                hops_are(r, ""); /* registered nowhere: nowhere to send */
                expect(r, RED_ACTION_REGISTER, 0, A0);
                fail(r, 0, A0, 503, true, S(1));
                expect(r, RED_ACTION_REGISTER, 0, A1);
                ok(r, 0, A1, 3600, S(1));
                hops_are(r, "A1");
                redundancy_free(r);
                c.server[0].only_signal_with_registered = false;
        }

        /* Yealink ignores only_signal_with_registered in mode 0 */
        c.server[0].failback_mode = SIPR_FAILBACK_NEW_REQUESTS;
        c.server[0].only_signal_with_registered = true;
        r = start_failover(&c, (const char *const[]){A0, A1, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        ok(r, 0, A0, 3600, S(1));
        hops_are(r, "A0 A1");
        redundancy_free(r);

        /* register_on_enable = 0, mode 2: after the primary failed, requests stick to where they go */
        c = config_default(1);
        c.server[0].register_on_enable = false;
        c.server[0].failback_mode = SIPR_FAILBACK_REGISTRATION;
        r = start_failover(&c, (const char *const[]){A0, A1, A2, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        fail(r, 0, A0, 503, true, S(1));
        hops_are(r, "A1 A0 A2");
        redundancy_free(r);
}

static void test_next_hops_fallback(void) {
        RedConfig c = config_default(2);
        Redundancy *r = start_two(&c);

        /* concurrent: the working server, then the fallback server */
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL);
        hops_are(r, ""); /* nothing resolved: nowhere to go yet */
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        expect(r, RED_ACTION_REGISTER, 1, B0);
        hops_are(r, "A0 B0");
        ok(r, 1, B0, 3600, S(1));
        hops_are(r, "B0 A0"); /* only the fallback is registered yet */
        ok(r, 0, A0, 3600, S(1));
        hops_are(r, "A0 B0");
        /* the working server dies silently: health knows, it goes last */
        redundancy_health(r, 0, A0, RED_HEALTH_DOWN, S(10));
        hops_are(r, "B0 A0");
        redundancy_free(r);

        /* successive: the server that holds the registration first */
        c.redundancy_type = 1;
        r = start_two(&c);
        expect(r, RED_ACTION_RESOLVE, 0, NULL);
        expect(r, RED_ACTION_RESOLVE, 1, NULL);
        set_addrs(r, 0, 0, (const char *const[]){A0, NULL}, 0);
        set_addrs(r, 1, 0, (const char *const[]){B0, NULL}, 0);
        expect(r, RED_ACTION_REGISTER, 0, A0);
        /* the fallback server is a next hop before anything is registered there */
        hops_are(r, "A0 B0");
        fail(r, 0, A0, 503, true, S(1));
        expect(r, RED_ACTION_REGISTER, 1, B0);
        ok(r, 1, B0, 3600, S(2));
        hops_are(r, "B0 A0");
        redundancy_free(r);
}

int main(void) {
        test_arithmetic();
        test_failover_order();
        test_ok_without_binding();
        test_retry_counts();
        test_request_sent_late();
        test_final_errors();
        test_failback_new_requests();
        test_failback_stale_up();
        test_failback_dns_ttl();
        test_failback_registration();
        test_failback_duration();
        test_hold_down_blocks_failback();
        test_proactive_failover();
        test_register_on_enable_off();
        test_concurrent();
        test_successive();
        test_successive_health();
        test_backoff();
        test_retry_after();
        test_surge();
        test_failover_codes();
        test_expires_overlap();
        test_manual_failover();
        test_resolve_failed();
        test_reresolve();
        test_answer_during_round();
        test_refresh_challenge();
        test_tiny_grant();
        test_flow_closed();
        test_next_hops_failover();
        test_next_hops_fallback();
        test_failback_dns_ttl_with_health();
        test_recovery_any_server();

        if (failures) {
                fprintf(stderr, "%u check(s) failed\n", failures);
                return EXIT_FAILURE;
        }
        printf("all redundancy checks passed\n");
        return EXIT_SUCCESS;
}
