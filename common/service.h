/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

/* The skeleton every sipr daemon shares: options (--bus, --log-level, --help, --version),
 * bus connection in the GLib loop, org.freedesktop.LogControl1, name ownership, sd_notify READY/STATUS/WATCHDOG, and
 * a clean exit on SIGTERM/SIGINT. A daemon: service_init(), export its objects,
 * service_ready(), service_run(), service_done(). */
typedef struct Service Service;

/* Called on SIGTERM/SIGINT. Return 0 to quit now, or 1 when work is pending: the daemon
 * then calls service_quit() itself, or the skeleton quits after stop_timeout_usec. */
typedef int (*ServiceStopFunc)(Service *s, void *userdata);

/* Called on SIGUSR1 to add the daemon's own " key=value" counters to the state line. */
typedef void (*ServiceDumpFunc)(Service *s, GString *line, void *userdata);

struct Service {
        const char *program;  /* "sipr-configd" */
        const char *bus_name; /* "org.sipr.Config1" */
        const char *summary;  /* one line for --help */
        bool holds_secrets;   /* SIP passwords in memory: never in a core dump (PR_SET_DUMPABLE 0) */

        GMainLoop *loop;
        sd_bus *bus;
        GSource *bus_source;
        sd_bus_slot *log_control_slot; /* org.freedesktop.LogControl1 */
        bool user_bus;
        int exit_status;
        bool stopping;

        ServiceStopFunc stop;
        void *stop_userdata;
        uint64_t stop_timeout_usec;

        ServiceDumpFunc dump;
        void *dump_userdata;
        unsigned dumps;

        guint watchdog_id, sigterm_id, sigint_id, sigusr1_id, stop_timer_id;
};

/* Parses argv (daemon-specific options in extra, may be NULL), sets up logging and the bus.
 * Returns 0 to continue, >0 when the program should exit 0 (--help/--version), <0 on error
 * (already logged). */
int service_init(Service *s, int argc, char **argv, const GOptionEntry *extra);

/* The SIGUSR1 state line, logged at notice level (what systemd-resolved does with SIGUSR1):
 * "State dump N: timers=… fds=… rss_kb=… heap_kb=… dumpable=…" plus the daemon's dump hook. Tests and
 * operators sample it to see that nothing grows. */
void service_dump_state(Service *s);

/* Takes the bus name, then tells systemd READY=1 and starts the watchdog. */
int service_ready(Service *s);

void service_status(Service *s, const char *format, ...) _printf_(2, 3);
int service_run(Service *s);
void service_quit(Service *s, int exit_status);
void service_done(Service *s);
