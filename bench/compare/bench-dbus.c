/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Latency of one D-Bus call, as a status reader (a UI, siprctl) sees it: one call at a time on a
 * kept connection, COUNT times after a warm-up; prints "median p99" in milliseconds.
 *   bench-dbus managed DEST PATH COUNT       — ObjectManager.GetManagedObjects
 *   bench-dbus get DEST PATH IFACE KEY COUNT — a Get method with one string argument (Config1.Get)
 *   bench-dbus ping DEST PATH COUNT          — org.freedesktop.DBus.Peer.Ping, answered by the
 *                                              service's sd-bus itself: the floor of a status read
 *                                              (client → dbus-daemon → service → back) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "macro.h"
#include "util.h"

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

enum { CALL_MANAGED, CALL_GET, CALL_PING };

static int call_once(sd_bus *bus, char **argv, int kind) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        if (kind == CALL_MANAGED)
                r = sd_bus_call_method(bus, argv[2], argv[3], "org.freedesktop.DBus.ObjectManager",
                                       "GetManagedObjects", &error, &reply, "");
        else if (kind == CALL_PING)
                r = sd_bus_call_method(bus, argv[2], argv[3], "org.freedesktop.DBus.Peer", "Ping", &error, &reply, "");
        else
                r = sd_bus_call_method(bus, argv[2], argv[3], argv[4], "Get", &error, &reply, "s", argv[5]);
        if (r < 0)
                fprintf(stderr, "call failed: %s\n", error.message ? error.message : strerror(-r));
        sd_bus_message_unref(reply);
        return r;
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        uint64_t *lat;
        uint32_t count, i;
        int kind;
        int r;

        if (argc == 5 && streq(argv[1], "managed"))
                kind = CALL_MANAGED;
        else if (argc == 5 && streq(argv[1], "ping"))
                kind = CALL_PING;
        else if (argc == 7 && streq(argv[1], "get"))
                kind = CALL_GET;
        else {
                fprintf(stderr, "usage: bench-dbus managed DEST PATH COUNT | get DEST PATH IFACE KEY COUNT | ping DEST PATH COUNT\n");
                return 2;
        }
        if (safe_atou32(argv[argc - 1], &count) < 0 || count == 0 || count > 1000000) {
                fprintf(stderr, "bad COUNT '%s'\n", argv[argc - 1]);
                return 2;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the system bus: %s\n", strerror(-r));
                return 1;
        }
        lat = calloc(count, sizeof(uint64_t));
        if (!lat)
                return 1;
        for (i = 0; i < 10; i++) /* warm-up: connection set up, caches filled */
                if (call_once(bus, argv, kind) < 0)
                        return 1;
        for (i = 0; i < count; i++) {
                uint64_t t0 = now_usec(CLOCK_MONOTONIC);

                if (call_once(bus, argv, kind) < 0)
                        return 1;
                lat[i] = now_usec(CLOCK_MONOTONIC) - t0;
        }
        qsort(lat, count, sizeof(uint64_t), cmp_u64);
        printf("%.3f %.3f\n", lat[count / 2] / 1000.0, lat[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1] / 1000.0);
        free(lat);
        sd_bus_flush_close_unref(bus);
        return 0;
}
