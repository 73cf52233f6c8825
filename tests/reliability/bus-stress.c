/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus load for the resource-limit tests, on the bus in $DBUS_SYSTEM_BUS_ADDRESS:
 *   bus-stress burst CLIENTS CALLS WINDOW  CLIENTS connections, each with CALLS calls in flight at
 *                                          most WINDOW at a time, alternating Config1.Get and
 *                                          Registration1's GetManagedObjects; prints
 *                                          "ok=N errors=N ms=N" and each distinct error name
 *   bus-stress sets N                      N Config1.Set calls one after another (each changes
 *                                          account.1.label), then "ok=N errors=N ms=N"
 *   bus-stress slow                        subscribes to every signal, prints "ready", then never
 *                                          reads its socket again (until killed)
 *   bus-stress flood CONNS CALLS           CONNS connections each send CALLS GetManagedObjects to
 *                                          sipr-regd and never read a reply; prints "sent=N", then
 *                                          holds the connections open (until killed) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

typedef struct Client {
        sd_bus *bus;
        unsigned sent, done, ok, errors;
} Client;

static char first_error[256];

static unsigned long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Client *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->done++;
        if (e) {
                c->errors++;
                if (!first_error[0])
                        snprintf(first_error, sizeof(first_error), "%s: %s", e->name, e->message ?: "");
        } else
                c->ok++;
        return 0;
}

static int send_one(Client *c) {
        int r;

        if (c->sent % 2 == 0)
                r = sd_bus_call_method_async(c->bus, NULL, "org.sipr.Config1", "/org/sipr/Config1", "org.sipr.Config1",
                                             "Get", on_reply, c, "s", "account.1.user_name");
        else
                r = sd_bus_call_method_async(c->bus, NULL, "org.sipr.Registration1", "/org/sipr/Registration1",
                                             "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", on_reply, c, "");
        if (r < 0)
                return r;
        c->sent++;
        return 0;
}

static int burst(unsigned n_clients, unsigned calls, unsigned window) {
        Client *cl = calloc(n_clients, sizeof(Client));
        unsigned long long start;
        unsigned ok = 0, errors = 0, active;
        int r;

        if (!cl)
                return 1;
        for (unsigned i = 0; i < n_clients; i++) {
                r = sd_bus_open_system(&cl[i].bus);
                if (r < 0) {
                        fprintf(stderr, "connect: %s\n", strerror(-r));
                        return 1;
                }
        }
        start = now_ms();
        do {
                active = 0;
                for (unsigned i = 0; i < n_clients; i++) {
                        Client *c = &cl[i];
                        while (c->sent < calls && c->sent - c->done < window)
                                if (send_one(c) < 0) {
                                        fprintf(stderr, "send failed\n");
                                        return 1;
                                }
                        while ((r = sd_bus_process(c->bus, NULL)) > 0)
                                ;
                        if (r < 0) {
                                fprintf(stderr, "process: %s\n", strerror(-r));
                                return 1;
                        }
                        if (c->done < calls)
                                active++;
                }
                if (active) {
                        /* Wait on one busy connection a little; the others are polled next round. */
                        for (unsigned i = 0; i < n_clients; i++)
                                if (cl[i].done < calls) {
                                        (void) sd_bus_wait(cl[i].bus, 10000);
                                        break;
                                }
                }
                if (now_ms() - start > 600000) {
                        fprintf(stderr, "burst did not finish in 600 s\n");
                        return 1;
                }
        } while (active);
        for (unsigned i = 0; i < n_clients; i++) {
                ok += cl[i].ok;
                errors += cl[i].errors;
                sd_bus_flush_close_unref(cl[i].bus);
        }
        printf("ok=%u errors=%u ms=%llu\n", ok, errors, now_ms() - start);
        if (first_error[0])
                printf("first error: %s\n", first_error);
        free(cl);
        return 0;
}

static int sets(unsigned n) {
        sd_bus *bus = NULL;
        unsigned ok = 0, errors = 0;
        unsigned long long start;
        int r = sd_bus_open_system(&bus);

        if (r < 0)
                return 1;
        start = now_ms();
        for (unsigned i = 0; i < n; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                char v[32];

                snprintf(v, sizeof(v), "label-%u", i);
                r = sd_bus_call_method(bus, "org.sipr.Config1", "/org/sipr/Config1", "org.sipr.Config1", "Set", &e,
                                       NULL, "a{ss}", 1, "account.1.label", v);
                if (r < 0) {
                        errors++;
                        if (!first_error[0])
                                snprintf(first_error, sizeof(first_error), "%s: %s", e.name ?: "?", e.message ?: "");
                } else
                        ok++;
                sd_bus_error_free(&e);
        }
        printf("ok=%u errors=%u ms=%llu\n", ok, errors, now_ms() - start);
        if (first_error[0])
                printf("first error: %s\n", first_error);
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int slow(void) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);

        if (r < 0)
                return 1;
        r = sd_bus_add_match(bus, NULL, "type='signal'", NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "AddMatch: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause(); /* never read again */
}

/* What any local user may do within the bus daemon's stock limits (issue 16 item 3). */
static int flood(unsigned conns, unsigned calls) {
        sd_bus **bus = calloc(conns, sizeof(sd_bus *));
        unsigned sent = 0;

        if (!bus)
                return 1;
        for (unsigned i = 0; i < conns; i++) {
                if (sd_bus_open_system(&bus[i]) < 0)
                        break;
                for (unsigned j = 0; j < calls; j++) {
                        sd_bus_message *m = NULL;
                        if (sd_bus_message_new_method_call(bus[i], &m, "org.sipr.Registration1", "/org/sipr/Registration1",
                                                           "org.freedesktop.DBus.ObjectManager", "GetManagedObjects") < 0)
                                break;
                        if (sd_bus_send(bus[i], m, NULL) >= 0)
                                sent++;
                        sd_bus_message_unref(m);
                }
                (void) sd_bus_flush(bus[i]);
        }
        printf("sent=%u\n", sent);
        fflush(stdout);
        for (;;)
                pause(); /* never read a reply */
}

int main(int argc, char **argv) {
        if (argc == 5 && strcmp(argv[1], "burst") == 0)
                return burst(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
        if (argc == 3 && strcmp(argv[1], "sets") == 0)
                return sets(atoi(argv[2]));
        if (argc == 2 && strcmp(argv[1], "slow") == 0)
                return slow();
        if (argc == 4 && strcmp(argv[1], "flood") == 0)
                return flood((unsigned) atoi(argv[2]), (unsigned) atoi(argv[3]));
        fprintf(stderr, "usage: bus-stress burst CLIENTS CALLS WINDOW | sets N | slow | flood CONNS CALLS\n");
        return 2;
}
