/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Measurements for bench/config/run (printed, never asserted):
 *   config-bench parse FILE N   → N parse times of FILE in ms, one per line
 *   config-bench roundtrip N    → N Set→Changed round trips on the system bus in ms */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "config-parser.h"
#include "util.h"

static int bench_parse(const char *path, int n) {
        for (int i = 0; i < n; i++) {
                SiprConfigFile *f = NULL;
                uint64_t t0 = now_usec(CLOCK_MONOTONIC);
                int r = sipr_config_file_load(path, &f);

                if (r < 0 || f->n_problems_total > 0) {
                        fprintf(stderr, "%s: cannot parse (%d)\n", path, r);
                        return 1;
                }
                printf("%.3f\n", (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1000.0);
                sipr_config_file_free(f);
        }
        return 0;
}

static int changed_seen;

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        changed_seen = 1;
        return 0;
}

static int bench_roundtrip(int n) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return 1;
        r = sd_bus_match_signal(bus, NULL, "org.sipr.Config1", "/org/sipr/Config1", "org.sipr.Config1", "Changed",
                                on_changed, NULL);
        if (r < 0)
                return 1;
        for (int i = 0; i < n; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                char label[32];
                uint64_t t0, deadline;

                snprintf(label, sizeof(label), "bench-%d-%d", i, rand());
                changed_seen = 0;
                t0 = now_usec(CLOCK_MONOTONIC);
                r = sd_bus_call_method(bus, "org.sipr.Config1", "/org/sipr/Config1", "org.sipr.Config1", "Set",
                                       &error, NULL, "a{ss}", 1, "account.1.label", label);
                if (r < 0) {
                        fprintf(stderr, "Set: %s\n", error.message ?: strerror(-r));
                        return 1;
                }
                deadline = t0 + 10 * USEC_PER_SEC;
                while (!changed_seen && now_usec(CLOCK_MONOTONIC) < deadline) {
                        r = sd_bus_process(bus, NULL);
                        if (r < 0)
                                return 1;
                        if (r == 0)
                                (void) sd_bus_wait(bus, 100 * USEC_PER_MSEC);
                }
                if (!changed_seen) {
                        fprintf(stderr, "no Changed within 10 s\n");
                        return 1;
                }
                printf("%.3f\n", (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1000.0);
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}

int main(int argc, char **argv) {
        if (argc == 4 && strcmp(argv[1], "parse") == 0)
                return bench_parse(argv[2], atoi(argv[3]));
        if (argc == 3 && strcmp(argv[1], "roundtrip") == 0)
                return bench_roundtrip(atoi(argv[2]));
        fprintf(stderr, "usage: config-bench parse FILE N | roundtrip N\n");
        return 2;
}
