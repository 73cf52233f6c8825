/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The probes' pure parts: nta's transport error lines, the local-503 classification, the CRLF
 * pong detector across chunk boundaries, errno → failure kind. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "probe-parse.h"

static void test_nta_log(void) {
        char peer[64], key[64];
        int e = 0;

        assert(nta_log_parse_transport_error("nta: OPTIONS (1001214289): Connection refused (111) with udp/[127.0.0.1]:5099",
                                             &e, peer, sizeof(peer)) == 0);
        assert(e == 111 && streq(peer, "127.0.0.1]:5099"));
        peer_key("127.0.0.1", 5099, key, sizeof(key));
        assert(streq(peer, key));

        assert(nta_log_parse_transport_error("nta: OPTIONS (1001214518): No buffer space available (105) with tcp/[::1]:5098",
                                             &e, peer, sizeof(peer)) == 0);
        assert(e == 105 && streq(peer, "::1]:5098"));
        peer_key("::1", 5098, key, sizeof(key));
        assert(streq(peer, key));

        /* Other lines, truncated or hostile ones. */
        assert(nta_log_parse_transport_error("tport_udp_error: Connection refused (111) [icmp type=3 code=3]", &e, peer,
                                             sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("nta: OPTIONS (1): Connection refused (111) with udp/127.0.0.1:5099", &e,
                                             peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("nta: x () with udp/[1.2.3.4]:5", &e, peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("nta: x (-5) with udp/[1.2.3.4]:5", &e, peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("nta: x (99999999999999999999) with udp/[1.2.3.4]:5", &e, peer,
                                             sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("nta: x (12a) with udp/[1.2.3.4]:5", &e, peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error(") with [", &e, peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("nta: ) with [x]", &e, peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("nta: (7) with [", &e, peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error("", &e, peer, sizeof(peer)) == -EINVAL);
        assert(nta_log_parse_transport_error(NULL, &e, peer, sizeof(peer)) == -EINVAL);

        /* A long peer is cut to the buffer, never overflows it. */
        char small[8];
        assert(nta_log_parse_transport_error("nta: x (104) with tcp/[2001:db8::1234:5678]:5060", &e, small,
                                             sizeof(small)) == 0);
        assert(e == 104 && strlen(small) == sizeof(small) - 1);
}

static void test_classify(void) {
        assert(options_transport_error_event(TRANSPORT_UDP, ECONNREFUSED) == TARGET_EVENT_ICMP);
        assert(options_transport_error_event(TRANSPORT_UDP, EHOSTUNREACH) == TARGET_EVENT_ICMP);
        assert(options_transport_error_event(TRANSPORT_UDP, 0) == TARGET_EVENT_ICMP);
        assert(options_transport_error_event(TRANSPORT_UDP, EAFNOSUPPORT) == TARGET_EVENT_ERROR);
        assert(options_transport_error_event(TRANSPORT_TCP, ECONNREFUSED) == TARGET_EVENT_REFUSED);
        assert(options_transport_error_event(TRANSPORT_TCP, 0) == TARGET_EVENT_REFUSED);
        assert(options_transport_error_event(TRANSPORT_TCP, ECONNRESET) == TARGET_EVENT_RESET);
        assert(options_transport_error_event(TRANSPORT_TCP, EPIPE) == TARGET_EVENT_RESET);
        assert(options_transport_error_event(TRANSPORT_TCP, ENOBUFS) == TARGET_EVENT_BAD_REPLY);
        assert(options_transport_error_event(TRANSPORT_TCP, EMSGSIZE) == TARGET_EVENT_BAD_REPLY);
        assert(options_transport_error_event(TRANSPORT_TCP, ETIMEDOUT) == TARGET_EVENT_TIMEOUT);
        assert(options_transport_error_event(TRANSPORT_TCP, ENETUNREACH) == TARGET_EVENT_UNREACHABLE);

        assert(probe_event_from_errno(-ECONNREFUSED) == TARGET_EVENT_REFUSED);
        assert(probe_event_from_errno(ECONNREFUSED) == TARGET_EVENT_REFUSED);
        assert(probe_event_from_errno(-EPROTO) == TARGET_EVENT_BAD_REPLY);
        assert(probe_event_from_errno(-ENOMEM) == TARGET_EVENT_ERROR);
        assert(probe_event_from_errno(0) == TARGET_EVENT_ERROR);
}

static void test_crlf(void) {
        bool cr = false;

        assert(crlf_scan(&cr, "\r\n", 2));
        assert(!cr);
        assert(!crlf_scan(&cr, "garbage", 7));
        /* Split across two reads. */
        assert(!crlf_scan(&cr, "xx\r", 3));
        assert(cr);
        assert(crlf_scan(&cr, "\nyy", 3));
        /* A lone LF or CR is no pong; nor is LF CR. */
        cr = false;
        assert(!crlf_scan(&cr, "\n\n\n", 3));
        assert(!crlf_scan(&cr, "\n\r", 2));
        assert(cr);
        assert(!crlf_scan(&cr, "a\n", 2)); /* the CR was not right before */
        cr = false;
        assert(!crlf_scan(&cr, "", 0) && !cr);
        /* Binary with a NUL before the pong. */
        assert(crlf_scan(&cr, "\0\xff\r\n", 4));
}

int main(void) {
        test_nta_log();
        test_classify();
        test_crlf();
        printf("test-probe-parse: ok\n");
        return 0;
}
