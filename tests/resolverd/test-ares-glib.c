/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* c-ares in the GLib loop: a tiny DNS responder on a loopback UDP socket in the same loop
 * answers A queries; a second socket never answers. Checks answers arrive through the GSource,
 * time-outs fire from ares_timeout(), many queries in flight, destruction with a query pending. */
#include <arpa/inet.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ares-glib.h"
#include "resolverd-test.h"
#include "sipr-config.h"

static GMainLoop *loop;
static unsigned answered, pending;

static int udp_socket(uint16_t *ret_port) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof(a);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        g_assert(fd >= 0);
        g_assert(bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0);
        g_assert(getsockname(fd, (struct sockaddr *) &a, &l) == 0);
        *ret_port = ntohs(a.sin_port);
        return fd;
}

/* Answers every query with A 127.0.0.5, TTL 42. */
static gboolean on_query(gint fd, GIOCondition cond, gpointer userdata) {
        uint8_t buf[1024];
        struct sockaddr_storage peer;
        socklen_t pl = sizeof(peer);
        ssize_t n = recvfrom(fd, buf, sizeof(buf) - 16, 0, (struct sockaddr *) &peer, &pl);
        size_t o = 12;

        if (n < 17)
                return G_SOURCE_CONTINUE;
        while (o < (size_t) n && buf[o] != 0)
                o += 1 + buf[o];
        o += 5; /* zero label, type, class */
        if (o > (size_t) n)
                return G_SOURCE_CONTINUE;
        buf[2] = 0x85, buf[3] = 0x80;                  /* QR AA RD RA */
        buf[6] = 0, buf[7] = 1, buf[8] = buf[9] = buf[10] = buf[11] = 0;
        const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 42, 0, 4, 127, 0, 0, 5 };
        memcpy(buf + o, rr, sizeof(rr));
        (void) sendto(fd, buf, o + sizeof(rr), 0, (struct sockaddr *) &peer, pl);
        answered++;
        return G_SOURCE_CONTINUE;
}

typedef struct Result {
        int status;
        bool done;
        char addr[INET_ADDRSTRLEN];
} Result;

static void answered_one(Result *r, int status) {
        r->status = status;
        r->done = true;
        if (--pending == 0)
                g_main_loop_quit(loop);
}

/* The query API of the c-ares we build with (as resolverd's lookup.c): records from c-ares ≥ 1.28,
 * bytes before. */
#if HAVE_ARES_QUERY_DNSREC
static void on_answer(void *arg, ares_status_t status, size_t timeouts, const ares_dns_record_t *rec) {
        Result *r = arg;

        if (status == ARES_SUCCESS && rec && ares_dns_record_rr_cnt(rec, ARES_SECTION_ANSWER) > 0) {
                const ares_dns_rr_t *rr = ares_dns_record_rr_get_const(rec, ARES_SECTION_ANSWER, 0);
                if (ares_dns_rr_get_type(rr) == ARES_REC_TYPE_A)
                        inet_ntop(AF_INET, ares_dns_rr_get_addr(rr, ARES_RR_A_ADDR), r->addr,
                                  sizeof(r->addr));
        }
        answered_one(r, (int) status);
}

static void query_a(AresGlib *a, const char *name, Result *r) {
        (void) ares_query_dnsrec(ares_glib_channel(a), name, ARES_CLASS_IN, ARES_REC_TYPE_A, on_answer, r,
                                 NULL);
}
#else
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
        Result *r = arg;
        struct ares_addrttl a[2];
        int n = 2;

        if (status == ARES_SUCCESS && ares_parse_a_reply(abuf, alen, NULL, a, &n) == ARES_SUCCESS && n > 0)
                inet_ntop(AF_INET, &a[0].ipaddr, r->addr, sizeof(r->addr));
        answered_one(r, status);
}

static void query_a(AresGlib *a, const char *name, Result *r) {
        ares_query(ares_glib_channel(a), name, 1 /* IN */, 1 /* A */, on_answer, r);
}
#endif

static gboolean on_guard(gpointer userdata) {
        fprintf(stderr, "guard timer fired: the loop did not finish\n");
        failures++;
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
}

static AresGlib *channel_for(uint16_t port) {
        struct ares_options o = { .timeout = 300, .tries = 1 };
        AresGlib *a = NULL;
        char csv[64];

        check(ares_glib_new(NULL, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES, &a) == 0);
        snprintf(csv, sizeof(csv), "127.0.0.1:%u", port);
        check(ares_set_servers_ports_csv(ares_glib_channel(a), csv) == ARES_SUCCESS);
        return a;
}

static void run_loop(void) {
        guint guard = g_timeout_add_seconds(10, on_guard, NULL);
        g_main_loop_run(loop);
        g_source_remove(guard);
}

int main(void) {
        uint16_t good_port, silent_port;
        int good = udp_socket(&good_port), silent = udp_socket(&silent_port);
        guint watch = g_unix_fd_add(good, G_IO_IN, on_query, NULL);
        AresGlib *a;
        Result one = {}, many[100] = {}, lost = {}, gone = {};

        loop = g_main_loop_new(NULL, FALSE);

        /* One query, answered through the GSource. */
        a = channel_for(good_port);
        pending = 1;
        query_a(a, "x.test", &one);
        run_loop();
        check(one.done && one.status == ARES_SUCCESS && streq(one.addr, "127.0.0.5"));

        /* Many in flight at once. */
        pending = G_N_ELEMENTS(many);
        for (unsigned i = 0; i < G_N_ELEMENTS(many); i++) {
                char name[32];
                snprintf(name, sizeof(name), "n%u.test", i);
                query_a(a, name, &many[i]);
        }
        run_loop();
        for (unsigned i = 0; i < G_N_ELEMENTS(many); i++)
                check(many[i].done && many[i].status == ARES_SUCCESS && streq(many[i].addr, "127.0.0.5"));
        check(answered == 1 + G_N_ELEMENTS(many));
        ares_glib_unref(a);

        /* A server that never answers: ETIMEOUT, driven by ares_timeout() alone. */
        a = channel_for(silent_port);
        pending = 1;
        gint64 t0 = g_get_monotonic_time();
        query_a(a, "x.test", &lost);
        run_loop();
        check(lost.done && lost.status == ARES_ETIMEOUT);
        fprintf(stderr, "time-out after %lld ms\n", (long long) (g_get_monotonic_time() - t0) / 1000);
        check(ares_status_to_errno(lost.status) == -ETIMEDOUT);

        /* Dropping the last reference with a query pending: the callback sees EDESTRUCTION. */
        pending = 1;
        query_a(a, "y.test", &gone);
        check(!gone.done);
        ares_glib_unref(a);
        check(gone.done && gone.status == ARES_EDESTRUCTION);

        g_source_remove(watch);
        close(good);
        close(silent);
        g_main_loop_unref(loop);
        ares_library_cleanup();
        return checks_result("ares-glib");
}
