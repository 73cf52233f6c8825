/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drives org.sipr.Resolver1.Resolve as fast as the daemon answers, with a window of calls in
 * flight, and prints resolutions per second.
 *   bench-resolve cached HOST PORT COUNT WINDOW   — the same question again and again
 *   bench-resolve cold SUFFIX PORT COUNT WINDOW   — a new name each time: <i>.<run>.SUFFIX
 *   bench-resolve flush HOST PORT COUNT           — Flush, then Resolve, one after the other */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "util.h"

static unsigned done_count, failed, in_flight;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e) {
                if (failed++ < 3)
                        fprintf(stderr, "Resolve failed: %s: %s\n", e->name, e->message);
        }
        done_count++;
        in_flight--;
        return 0;
}

static int call_async(sd_bus *bus, const char *host, uint16_t port) {
        return sd_bus_call_method_async(bus, NULL, "org.sipr.Resolver1", "/org/sipr/Resolver1", "org.sipr.Resolver1",
                                        "Resolve", on_reply, NULL, "sqs", host, port, "");
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        unsigned count, window = 1, sent = 0;
        uint16_t port;
        uint64_t start, elapsed;
        int r;

        if (argc < 5 || safe_atou16(argv[3], &port) < 0 || safe_atou32(argv[4], &count) < 0 || count == 0 ||
            (argc > 5 && safe_atou32(argv[5], &window) < 0)) {
                fprintf(stderr, "usage: bench-resolve cached|cold|flush HOST|SUFFIX PORT COUNT [WINDOW]\n");
                return 2;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the bus: %s\n", strerror(-r));
                return 1;
        }
        start = now_usec(CLOCK_MONOTONIC);
        if (strcmp(argv[1], "flush") == 0) {
                for (unsigned i = 0; i < count; i++) {
                        sd_bus_error e = SD_BUS_ERROR_NULL;
                        r = sd_bus_call_method(bus, "org.sipr.Resolver1", "/org/sipr/Resolver1", "org.sipr.Resolver1",
                                               "Flush", &e, NULL, NULL);
                        if (r >= 0)
                                r = sd_bus_call_method(bus, "org.sipr.Resolver1", "/org/sipr/Resolver1",
                                                       "org.sipr.Resolver1", "Resolve", &e, NULL, "sqs", argv[2],
                                                       port, "");
                        if (r < 0 && failed++ < 3)
                                fprintf(stderr, "failed: %s\n", e.message ?: strerror(-r));
                        sd_bus_error_free(&e);
                        done_count++;
                }
        } else {
                bool cold = strcmp(argv[1], "cold") == 0;
                unsigned run = (unsigned) (now_usec(CLOCK_REALTIME) % 1000000);

                while (done_count < count) {
                        while (sent < count && in_flight < window) {
                                char host[256];
                                if (cold)
                                        snprintf(host, sizeof(host), "n%u.r%u.%s", sent, run, argv[2]);
                                else
                                        snprintf(host, sizeof(host), "%s", argv[2]);
                                r = call_async(bus, host, port);
                                if (r < 0) {
                                        fprintf(stderr, "send failed: %s\n", strerror(-r));
                                        return 1;
                                }
                                sent++;
                                in_flight++;
                        }
                        r = sd_bus_process(bus, NULL);
                        if (r < 0)
                                return 1;
                        if (r == 0)
                                (void) sd_bus_wait(bus, 1000000);
                }
        }
        elapsed = now_usec(CLOCK_MONOTONIC) - start;
        printf("%.1f\n", (double) count * 1e6 / (double) (elapsed ?: 1));
        fprintf(stderr, "%u resolutions in %.3f s, %u failed\n", count, (double) elapsed / 1e6, failed);
        sd_bus_flush_close_unref(bus);
        return failed ? 1 : 0;
}
