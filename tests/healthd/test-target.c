/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hysteresis of a target, driven by a fake clock: every path between unknown, up and down. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "macro.h"
#include "target.h"

static uint64_t clock_usec = 1000000;

static uint64_t tick(void) {
        return clock_usec += 1000;
}

#define P(h, ev) target_health_probe_result((h), (ev), 0, tick())

static void test_unknown_to_up_at_first_success(void) {
        TargetHealth h;
        unsigned c;

        target_health_init(&h, 2, 3);
        assert(h.state == TARGET_UNKNOWN);
        assert(h.last_change_usec == 0);
        c = target_health_probe_result(&h, TARGET_EVENT_OK, 1234, tick());
        assert(h.state == TARGET_UP);
        assert(c == (TARGET_PROP_STATE | TARGET_PROP_LAST_CHANGE | TARGET_PROP_RTT));
        assert(h.rtt_usec == 1234);
        assert(h.last_change_usec == clock_usec);
        assert(!h.has_error);
}

static void test_unknown_to_down_needs_down_after(void) {
        TargetHealth h;
        unsigned c;

        target_health_init(&h, 3, 2);
        c = P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.state == TARGET_UNKNOWN && h.failures == 1);
        assert(c == (TARGET_PROP_FAILURES | TARGET_PROP_LAST_ERROR));
        assert(target_health_confirming(&h));
        c = P(&h, TARGET_EVENT_TIMEOUT);
        assert(c == TARGET_PROP_FAILURES); /* same error: LastError unchanged */
        assert(h.state == TARGET_UNKNOWN);
        c = P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.state == TARGET_DOWN && h.failures == 3);
        assert(c == (TARGET_PROP_FAILURES | TARGET_PROP_STATE | TARGET_PROP_LAST_CHANGE));
        assert(streq(target_event_to_string(h.last_error), "timeout"));
        assert(!target_health_confirming(&h));
}

static void test_up_down_up_hysteresis(void) {
        TargetHealth h;
        unsigned c;
        uint64_t changed_at;

        target_health_init(&h, 2, 2);
        P(&h, TARGET_EVENT_OK);
        assert(h.state == TARGET_UP);

        /* One loss is not enough, a success in between restarts the count. */
        P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.state == TARGET_UP && h.failures == 1);
        assert(target_health_confirming(&h));
        c = target_health_probe_result(&h, TARGET_EVENT_OK, 500, tick());
        assert(h.state == TARGET_UP && h.failures == 0);
        assert(c == (TARGET_PROP_FAILURES | TARGET_PROP_RTT));
        assert(!target_health_confirming(&h));
        P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.state == TARGET_UP);

        /* Two in a row: down, and the error kind is what the last probe saw. */
        c = P(&h, TARGET_EVENT_ICMP);
        assert(h.state == TARGET_DOWN && h.failures == 2);
        assert(c == (TARGET_PROP_STATE | TARGET_PROP_LAST_CHANGE | TARGET_PROP_FAILURES |
                     TARGET_PROP_LAST_ERROR));
        assert(streq(target_event_to_string(h.last_error), "icmp"));
        changed_at = h.last_change_usec;

        /* Further failures count on but do not re-announce the state. */
        c = P(&h, TARGET_EVENT_ICMP);
        assert(c == TARGET_PROP_FAILURES && h.failures == 3);
        assert(h.last_change_usec == changed_at);

        /* Up again only after up_after successes in a row. */
        P(&h, TARGET_EVENT_OK);
        assert(h.state == TARGET_DOWN && h.failures == 0);
        assert(target_health_confirming(&h));
        P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.state == TARGET_DOWN && h.successes == 0);
        P(&h, TARGET_EVENT_OK);
        assert(h.state == TARGET_DOWN);
        c = target_health_probe_result(&h, TARGET_EVENT_OK, 700, tick());
        assert(h.state == TARGET_UP);
        assert(c == (TARGET_PROP_STATE | TARGET_PROP_LAST_CHANGE | TARGET_PROP_RTT));
        assert(h.last_change_usec == clock_usec);
        /* LastError keeps the last failure seen: it says why it was down. */
        assert(h.has_error && h.last_error == TARGET_EVENT_TIMEOUT);
}

static void test_report_moves_at_once(void) {
        TargetHealth h;
        unsigned c;

        target_health_init(&h, 5, 5);
        P(&h, TARGET_EVENT_OK);
        assert(h.state == TARGET_UP);

        c = target_health_report(&h, TARGET_EVENT_REFUSED, tick());
        assert(h.state == TARGET_DOWN && h.failures == 1);
        assert(c & TARGET_PROP_STATE);
        assert(streq(target_event_to_string(h.last_error), "refused"));

        /* Probing confirms: a success alone does not undo the report... */
        P(&h, TARGET_EVENT_OK);
        assert(h.state == TARGET_DOWN);
        /* ...but a report of ok does, and probes then need 5 failures again. */
        c = target_health_report(&h, TARGET_EVENT_OK, tick());
        assert(h.state == TARGET_UP && (c & TARGET_PROP_STATE));
        for (int i = 0; i < 4; i++) {
                P(&h, TARGET_EVENT_TIMEOUT);
                assert(h.state == TARGET_UP);
        }
        P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.state == TARGET_DOWN);

        /* A report that agrees with the state changes no state. */
        c = target_health_report(&h, TARGET_EVENT_TIMEOUT, tick());
        assert(!(c & TARGET_PROP_STATE) && h.failures == 6);

        /* From unknown too. */
        target_health_init(&h, 2, 2);
        c = target_health_report(&h, TARGET_EVENT_ICMP, tick());
        assert(h.state == TARGET_DOWN && (c & TARGET_PROP_LAST_CHANGE));
}

static void test_thresholds(void) {
        TargetHealth h;
        unsigned c;

        target_health_init(&h, 0, 1000); /* clamped to 1…100 */
        assert(h.down_after == 1 && h.up_after == 100);

        target_health_init(&h, 4, 2);
        P(&h, TARGET_EVENT_OK);
        P(&h, TARGET_EVENT_TIMEOUT);
        P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.state == TARGET_UP);
        c = target_health_set_thresholds(&h, 2, 2, tick());
        assert(h.state == TARGET_DOWN && (c & TARGET_PROP_STATE));
        c = target_health_set_thresholds(&h, 2, 2, tick());
        assert(c == 0);
}

static void test_strings(void) {
        TargetEvent e;

        assert(streq(target_state_to_string(TARGET_UNKNOWN), "unknown"));
        assert(streq(target_state_to_string(TARGET_UP), "up"));
        assert(streq(target_state_to_string(TARGET_DOWN), "down"));
        assert(target_event_from_report("icmp", &e) == 0 && e == TARGET_EVENT_ICMP);
        assert(target_event_from_report("refused", &e) == 0 && e == TARGET_EVENT_REFUSED);
        assert(target_event_from_report("timeout", &e) == 0 && e == TARGET_EVENT_TIMEOUT);
        assert(target_event_from_report("ok", &e) == 0 && e == TARGET_EVENT_OK);
        assert(target_event_from_report("reset", &e) == -EINVAL);
        assert(target_event_from_report("OK", &e) == -EINVAL);
        assert(target_event_from_report("", &e) == -EINVAL);
        assert(target_event_from_report(NULL, &e) == -EINVAL);
        for (int i = 0; i < _TARGET_EVENT_MAX; i++)
                assert(target_event_to_string(i));
        assert(!target_event_to_string(_TARGET_EVENT_MAX));
}

static void test_failure_saturates(void) {
        TargetHealth h;

        target_health_init(&h, 1, 1);
        h.failures = UINT32_MAX - 1;
        P(&h, TARGET_EVENT_TIMEOUT);
        P(&h, TARGET_EVENT_TIMEOUT);
        assert(h.failures == UINT32_MAX);
        assert(h.state == TARGET_DOWN);
}

static void test_probe_timeout(void) {
        assert(target_probe_timeout_usec(1000000) == 500000);
        assert(target_probe_timeout_usec(200000) == 100000);
        assert(target_probe_timeout_usec(3600000000ULL) == 32000000);
}

static void test_parse_address(void) {
        SockaddrUnion sa;
        socklen_t len;
        char *c = NULL;

        assert(target_parse_address("127.0.0.1", 5060, &c, &sa, &len) == 0);
        assert(streq(c, "127.0.0.1") && sa.sa.sa_family == AF_INET && ntohs(sa.in.sin_port) == 5060);
        assert(len == sizeof(struct sockaddr_in));
        free(c);
        assert(target_parse_address("[0:0::1]", 5061, &c, &sa, &len) == 0);
        assert(streq(c, "::1") && sa.sa.sa_family == AF_INET6 && ntohs(sa.in6.sin6_port) == 5061);
        free(c);
        assert(target_parse_address("2001:DB8::0:1", 1, &c, NULL, NULL) == 0);
        assert(streq(c, "2001:db8::1"));
        free(c);
        assert(target_parse_address("reg1.lab.test", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address("", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address("[::1", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address("[]", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address("[127.0.0.1]", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address("127.0.0.1:5060", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address("1.2.3.4.5", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address(" 127.0.0.1", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address("fe80::1%lo", 5060, NULL, NULL, NULL) == -EINVAL);
        assert(target_parse_address(NULL, 5060, NULL, NULL, NULL) == -EINVAL);
}

static void test_names(void) {
        TargetTransport tr;
        ProbeMethod m;

        assert(target_transport_from_string("udp", &tr) == 0 && tr == TRANSPORT_UDP);
        assert(target_transport_from_string("tls", &tr) == 0 && tr == TRANSPORT_TLS);
        assert(target_transport_from_string("UDP", &tr) == 0 && tr == TRANSPORT_UDP);
        assert(target_transport_from_string("udp ", &tr) == -EINVAL);
        assert(target_transport_from_string(NULL, &tr) == -EINVAL);
        assert(probe_method_from_string("crlf", &m) == 0 && m == PROBE_CRLF);
        assert(probe_method_from_string("none", &m) == 0 && m == PROBE_NONE);
        assert(probe_method_from_string("ping", &m) == -EINVAL);
        assert(streq(probe_method_to_string(PROBE_CONNECT), "connect"));
        assert(streq(target_transport_to_string(TRANSPORT_TCP), "tcp"));
}

int main(void) {
        test_probe_timeout();
        test_parse_address();
        test_names();
        test_unknown_to_up_at_first_success();
        test_unknown_to_down_needs_down_after();
        test_up_down_up_hysteresis();
        test_report_moves_at_once();
        test_thresholds();
        test_strings();
        test_failure_saturates();
        printf("test-target: ok\n");
        return 0;
}
