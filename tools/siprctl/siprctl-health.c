/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* siprctl health — every target sipr-healthd watches, from its ObjectManager, as a table or JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siprctl.h"
#include "util.h"

#define HEALTH_SERVICE "sipr-healthd"
#define HEALTH_BUS "org.sipr.Health1"
#define HEALTH_PATH "/org/sipr/Health1"
#define TARGET_IFACE "org.sipr.Health1.Target"
#define TARGET_PREFIX "/org/sipr/Health1/target/"

typedef struct HealthRow {
        char *path, *transport, *address, *state, *last_error;
        uint16_t port;
        uint64_t rtt_usec, last_change_usec, id;
        uint32_t failures;
        int standby; /* probed at sipr.health.standby_interval: no watcher uses it now */
} HealthRow;

static void health_row_done(HealthRow *r) {
        free(r->path);
        free(r->transport);
        free(r->address);
        free(r->state);
        free(r->last_error);
}

static int read_target_property(sd_bus_message *m, const char *name, void *userdata) {
        HealthRow *row = userdata;

        if (streq(name, "Transport"))
                return siprctl_read_string_variant(m, &row->transport);
        if (streq(name, "Address"))
                return siprctl_read_string_variant(m, &row->address);
        if (streq(name, "State"))
                return siprctl_read_string_variant(m, &row->state);
        if (streq(name, "LastError"))
                return siprctl_read_string_variant(m, &row->last_error);
        if (streq(name, "Port"))
                return sd_bus_message_read(m, "v", "q", &row->port);
        if (streq(name, "RttUsec"))
                return sd_bus_message_read(m, "v", "t", &row->rtt_usec);
        if (streq(name, "LastChangeUsec"))
                return sd_bus_message_read(m, "v", "t", &row->last_change_usec);
        if (streq(name, "Failures"))
                return sd_bus_message_read(m, "v", "u", &row->failures);
        if (streq(name, "Standby"))
                return sd_bus_message_read(m, "v", "b", &row->standby);
        return sd_bus_message_skip(m, "v");
}

typedef struct HealthRows {
        HealthRow *rows;
        size_t n;
} HealthRows;

static int add_target(const char *path, sd_bus_message *m, void *userdata) {
        HealthRows *t = userdata;
        HealthRow row = {};
        int r;

        r = siprctl_read_properties(m, read_target_property, &row);
        if (r < 0) {
                health_row_done(&row);
                return r;
        }
        row.path = strdup(path);
        if (strneq(path, TARGET_PREFIX, strlen(TARGET_PREFIX)))
                (void) safe_atou64(path + strlen(TARGET_PREFIX), &row.id);
        HealthRow *nr = realloc(t->rows, (t->n + 1) * sizeof(*t->rows));
        if (!nr || !row.path) {
                health_row_done(&row);
                return -ENOMEM;
        }
        t->rows = nr;
        t->rows[t->n++] = row;
        return 0;
}

static int compare_rows(const void *a, const void *b) {
        const HealthRow *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

static void format_rtt(uint64_t usec, char *buf, size_t n) {
        if (usec == 0)
                snprintf(buf, n, "-");
        else if (usec < 10 * USEC_PER_MSEC)
                snprintf(buf, n, "%.2fms", (double) usec / USEC_PER_MSEC);
        else
                snprintf(buf, n, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
}

static int run_health(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        HealthRows t = {};
        HealthRow *rows = NULL;
        size_t n = 0;
        int r, ret = SIPRCTL_EXIT_OK;

        r = sd_bus_call_method(c->bus, HEALTH_BUS, HEALTH_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &error, &reply, NULL);
        if (r < 0)
                return siprctl_call_failed(HEALTH_SERVICE, HEALTH_BUS, &error, r);

        r = siprctl_for_each_object(reply, TARGET_IFACE, add_target, &t);
        rows = t.rows;
        n = t.n;
        if (r < 0)
                goto bad;

        if (n > 0) /* qsort(NULL, 0) is undefined */
                qsort(rows, n, sizeof(*rows), compare_rows);

        if (c->json) {
                printf("[");
                for (size_t i = 0; i < n; i++) {
                        HealthRow *h = rows + i;
                        printf("%s{\"path\":", i > 0 ? "," : "");
                        siprctl_json_string(h->path);
                        printf(",\"transport\":");
                        siprctl_json_string(h->transport);
                        printf(",\"address\":");
                        siprctl_json_string(h->address);
                        printf(",\"port\":%u,\"state\":", h->port);
                        siprctl_json_string(h->state);
                        printf(",\"rtt_usec\":%" PRIu64 ",\"failures\":%" PRIu32 ",\"last_error\":", h->rtt_usec,
                               h->failures);
                        siprctl_json_string(h->last_error);
                        printf(",\"last_change_usec\":%" PRIu64 ",\"standby\":%s}", h->last_change_usec,
                               h->standby ? "true" : "false");
                }
                printf("]\n");
        } else if (n == 0)
                printf("No targets watched.\n");
        else {
                printf("%-9s %-46s %-7s %9s %8s %-11s %-19s %s\n", "TRANSPORT", "ADDRESS:PORT", "STATE",
                       "RTT", "FAILURES", "LAST-ERROR", "SINCE", "PROBED");
                for (size_t i = 0; i < n; i++) {
                        HealthRow *h = rows + i;
                        char ap[64], rtt[24], since[32];
                        bool v6 = h->address && strchr(h->address, ':');

                        snprintf(ap, sizeof(ap), "%s%s%s:%u", v6 ? "[" : "", strempty(h->address), v6 ? "]" : "",
                                 h->port);
                        format_rtt(h->rtt_usec, rtt, sizeof(rtt));
                        siprctl_format_time(h->last_change_usec, since, sizeof(since));
                        printf("%-9s %-46s %-7s %9s %8" PRIu32 " %-11s %-19s %s\n", strempty(h->transport),
                               ap, strempty(h->state), rtt, h->failures,
                               isempty(h->last_error) ? "-" : h->last_error, since,
                               h->standby ? "standby" : "active");
                }
        }
        goto finish;

bad:
        fprintf(stderr, "siprctl: health: cannot parse the answer of %s: %s\n", HEALTH_SERVICE, strerror(-r));
        ret = SIPRCTL_EXIT_FAILURE;
finish:
        for (size_t i = 0; i < n; i++)
                health_row_done(rows + i);
        free(rows);
        return ret;
}

const SiprctlCommand siprctl_health_commands[] = {
        { "health", "", "show the health of every watched SIP server target", 0, 0, run_health },
        {},
};
