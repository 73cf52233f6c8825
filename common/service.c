/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib-unix.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "bus-glib.h"
#include "bus-util.h"
#include "log-control-bus.h"
#include "log.h"
#include "service.h"
#include "timer.h"

static char *arg_bus;
static char *arg_log_level;
static gboolean arg_version;

static const GOptionEntry common_entries[] = {
        { "bus", 0, 0, G_OPTION_ARG_STRING, &arg_bus, "Bus to use: system (default) or session", "BUS" },
        { "log-level", 0, 0, G_OPTION_ARG_STRING, &arg_log_level,
          "Log level: debug, info (default), notice, warning, err", "LEVEL" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &arg_version, "Print the version and exit", NULL },
        { NULL },
};

static void on_bus_disconnect(sd_bus *bus, int error, void *userdata) {
        Service *s = userdata;

        /* Without the bus there is nothing we can do; systemd restarts us. */
        log_error_errno(error, "Lost the D-Bus connection, exiting: %m");
        service_quit(s, 1);
}

static gboolean on_stop_timeout(gpointer userdata) {
        Service *s = userdata;

        s->stop_timer_id = 0;
        log_warning("Stop work did not finish in time, exiting anyway.");
        service_quit(s, s->exit_status);
        return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer userdata) {
        Service *s = userdata;

        if (s->stopping) {
                log_notice("Second termination signal, exiting now.");
                service_quit(s, 0);
                return G_SOURCE_CONTINUE;
        }
        s->stopping = true;
        log_info("Termination requested, stopping.");
        (void) sd_notify(0, "STOPPING=1");
        if (s->stop && s->stop(s, s->stop_userdata) > 0) {
                s->stop_timer_id = timer_add_msec(
                        (guint) ((s->stop_timeout_usec ?: 5 * USEC_PER_SEC) / 1000), on_stop_timeout, s);
                return G_SOURCE_CONTINUE;
        }
        service_quit(s, 0);
        return G_SOURCE_CONTINUE;
}

static unsigned count_open_fds(void) {
        g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
        unsigned n = 0;

        if (!d)
                return 0;
        while (g_dir_read_name(d))
                n++;
        /* GDir's own descriptor was open while counting. */
        return n > 0 ? n - 1 : 0;
}

static unsigned long read_rss_kb(void) {
        g_autofree char *status = NULL;
        const char *p;

        if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
                return 0;
        p = strstr(status, "\nVmRSS:");
        return p ? strtoul(p + strlen("\nVmRSS:"), NULL, 10) : 0;
}

/* Bytes malloc has handed out and not got back, in KiB. Unlike RSS it does not move with heap
 * fragmentation or trimming, so a leak shows in it at once (glibc only; else 0). */
static unsigned long read_heap_kb(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
        struct mallinfo2 mi = mallinfo2();
        return (unsigned long) ((mi.uordblks + mi.hblkhd) / 1024);
#else
        return 0;
#endif
}

void service_dump_state(Service *s) {
        g_autoptr(GString) line = g_string_new(NULL);

        g_string_append_printf(line, "State dump %u: timers=%u fds=%u rss_kb=%lu heap_kb=%lu dumpable=%d",
                               ++s->dumps, timer_count_live(), count_open_fds(), read_rss_kb(),
                               read_heap_kb(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        if (s->dump)
                s->dump(s, line, s->dump_userdata);
        log_notice("%s", line->str);
}

static gboolean on_sigusr1(gpointer userdata) {
        service_dump_state(userdata);
        return G_SOURCE_CONTINUE;
}

static gboolean on_watchdog(gpointer userdata) {
        (void) sd_notify(0, "WATCHDOG=1");
        return G_SOURCE_CONTINUE;
}

int service_init(Service *s, int argc, char **argv, const GOptionEntry *extra) {
        g_autoptr(GOptionContext) ctx = NULL;
        g_autoptr(GError) error = NULL;
        int r;

        log_set_prefix(s->program);
        /* On a terminal, plain lines; under systemd (stderr not a tty), <N> prefixes. */
        log_set_target_console(isatty(STDERR_FILENO));

        /* Before any secret is in memory: a core dump of this process would hold every SIP
         * password in clear. Also keeps other processes of our user from ptrace and /proc/PID/mem.
         * The units say LimitCORE=0 too; this holds wherever the daemon runs. */
        if (s->holds_secrets && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                log_warning_errno(-errno, "Cannot turn core dumps off (PR_SET_DUMPABLE): %m");

        ctx = g_option_context_new(NULL);
        g_option_context_set_summary(ctx, s->summary);
        g_option_context_add_main_entries(ctx, common_entries, NULL);
        if (extra)
                g_option_context_add_main_entries(ctx, extra, NULL);
        if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
                fprintf(stderr, "%s: %s (see --help)\n", s->program, error->message);
                return -EINVAL;
        }
        if (argc > 1) {
                fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", s->program, argv[1]);
                return -EINVAL;
        }
        if (arg_version) {
                printf("%s %s\n", s->program, SIPR_VERSION);
                return 1;
        }
        if (arg_log_level) {
                r = log_level_from_string(arg_log_level);
                if (r < 0) {
                        fprintf(stderr, "%s: invalid --log-level '%s'\n", s->program, arg_log_level);
                        return -EINVAL;
                }
                log_set_max_level(r);
        }
        if (arg_bus) {
                if (streq(arg_bus, "session") || streq(arg_bus, "user"))
                        s->user_bus = true;
                else if (streq(arg_bus, "system"))
                        s->user_bus = false;
                else {
                        fprintf(stderr, "%s: invalid --bus '%s': use system or session\n", s->program, arg_bus);
                        return -EINVAL;
                }
        }

        s->loop = g_main_loop_new(NULL, FALSE);
        r = bus_open(s->user_bus, s->program, &s->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m",
                                       s->user_bus ? "session" : "system");
        r = bus_glib_attach(s->bus, NULL, on_bus_disconnect, s, &s->bus_source);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the main loop: %m");
        r = log_control_bus_add(s->bus, &s->log_control_slot);
        if (r < 0)
                return log_error_errno(r, "Failed to export org.freedesktop.LogControl1: %m");

        /* A peer that resets a connection mid-write (TLS handshake, TCP probe, SIP flow) must
         * cost an EPIPE, not the whole daemon. */
        (void) signal(SIGPIPE, SIG_IGN);

        s->sigterm_id = g_unix_signal_add(SIGTERM, on_signal, s);
        s->sigint_id = g_unix_signal_add(SIGINT, on_signal, s);
        s->sigusr1_id = g_unix_signal_add(SIGUSR1, on_sigusr1, s);
        return 0;
}

int service_ready(Service *s) {
        uint64_t wd_usec = 0;
        int r;

        r = sd_bus_request_name(s->bus, s->bus_name, 0);
        if (r == -EEXIST)
                return log_error_errno(r, "Bus name %s is already owned by another process.", s->bus_name);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name %s: %m", s->bus_name);

        if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
                s->watchdog_id = timer_add_msec((guint) MAX(wd_usec / 2 / 1000, 1), on_watchdog, s);

        (void) sd_notify(0, "READY=1");
        log_info("%s %s ready on the %s bus as %s.", s->program, SIPR_VERSION,
                 s->user_bus ? "session" : "system", s->bus_name);
        return 0;
}

void service_status(Service *s, const char *format, ...) {
        char buf[512];
        va_list ap;

        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        (void) sd_notifyf(0, "STATUS=%s", buf);
}

int service_run(Service *s) {
        g_main_loop_run(s->loop);
        return s->exit_status;
}

void service_quit(Service *s, int exit_status) {
        s->exit_status = exit_status;
        if (s->loop)
                g_main_loop_quit(s->loop);
}

void service_done(Service *s) {
        guint *ids[] = { &s->watchdog_id, &s->sigterm_id, &s->sigint_id, &s->sigusr1_id, &s->stop_timer_id };

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (*ids[i]) {
                        g_source_remove(*ids[i]);
                        *ids[i] = 0;
                }
        s->log_control_slot = sd_bus_slot_unref(s->log_control_slot);
        if (s->bus) {
                (void) sd_bus_flush(s->bus);
                if (s->bus_source) {
                        g_source_destroy(s->bus_source);
                        g_source_unref(s->bus_source);
                        s->bus_source = NULL;
                }
                s->bus = sd_bus_flush_close_unref(s->bus);
        }
        if (s->loop) {
                g_main_loop_unref(s->loop);
                s->loop = NULL;
        }
        g_clear_pointer(&arg_bus, g_free);
        g_clear_pointer(&arg_log_level, g_free);
}
