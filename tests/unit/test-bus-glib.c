/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sd-bus GSource serves a method call, delivers a signal and reports a disconnect, with
 * both ends of a socketpair bus driven only by a GLib main loop. */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bus-glib.h"
#include "log.h"

static int method_calls;
static char *reply_text;
static char *signal_text;
static int disconnects;
static GMainLoop *loop;

static int method_echo(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *s;
        int r;

        r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        method_calls++;
        /* Emit a signal and reply; both must reach the client through the GSource. */
        r = sd_bus_emit_signal(sd_bus_message_get_bus(m), "/org/sipr/Test", "org.sipr.Test", "Echoed", "s", s);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "s", s);
}

static const sd_bus_vtable test_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Echo", "s", "s", method_echo, 0),
        SD_BUS_SIGNAL("Echoed", "s", 0),
        SD_BUS_VTABLE_END,
};

static void maybe_quit(void) {
        if (reply_text && signal_text)
                g_main_loop_quit(loop);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *s;

        assert(!sd_bus_message_is_method_error(m, NULL));
        assert(sd_bus_message_read(m, "s", &s) >= 0);
        reply_text = strdup(s);
        maybe_quit();
        return 0;
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *s;

        assert(sd_bus_message_read(m, "s", &s) >= 0);
        signal_text = strdup(s);
        maybe_quit();
        return 0;
}

static void on_disconnect(sd_bus *bus, int error, void *userdata) {
        disconnects++;
        assert(error < 0);
        g_main_loop_quit(loop);
}

static gboolean on_deadline(gpointer userdata) {
        fprintf(stderr, "test-bus-glib: deadline hit\n");
        abort();
}

int main(void) {
        sd_bus *server = NULL, *client = NULL;
        GSource *server_source = NULL, *client_source = NULL;
        guint deadline;
        sd_id128_t id;
        int pair[2];

        log_set_max_level(LOG_DEBUG);
        assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) == 0);
        assert(sd_id128_randomize(&id) >= 0);

        assert(sd_bus_new(&server) >= 0);
        assert(sd_bus_set_fd(server, pair[0], pair[0]) >= 0);
        assert(sd_bus_set_server(server, 1, id) >= 0);
        assert(sd_bus_set_anonymous(server, 1) >= 0);
        assert(sd_bus_start(server) >= 0);

        assert(sd_bus_new(&client) >= 0);
        assert(sd_bus_set_fd(client, pair[1], pair[1]) >= 0);
        assert(sd_bus_set_anonymous(client, 1) >= 0);
        assert(sd_bus_start(client) >= 0);

        assert(sd_bus_add_object_vtable(server, NULL, "/org/sipr/Test", "org.sipr.Test", test_vtable, NULL) >= 0);

        loop = g_main_loop_new(NULL, FALSE);
        assert(bus_glib_attach(server, NULL, NULL, NULL, &server_source) >= 0);
        assert(bus_glib_attach(client, NULL, on_disconnect, NULL, &client_source) >= 0);
        deadline = g_timeout_add_seconds(20, on_deadline, NULL);

        assert(sd_bus_match_signal(client, NULL, NULL, "/org/sipr/Test", "org.sipr.Test", "Echoed", on_signal, NULL) >= 0);
        assert(sd_bus_call_method_async(client, NULL, NULL, "/org/sipr/Test", "org.sipr.Test", "Echo",
                                        on_reply, NULL, "s", "hello sipr") >= 0);

        g_main_loop_run(loop);
        assert(method_calls == 1);
        assert(reply_text && strcmp(reply_text, "hello sipr") == 0);
        assert(signal_text && strcmp(signal_text, "hello sipr") == 0);

        /* The server goes away: the client's source reports it exactly once. */
        sd_bus_close(server);
        g_main_loop_run(loop);
        assert(disconnects == 1);

        /* Everything is released again (LeakSanitizer checks this under ASan). */
        assert(g_source_is_destroyed(client_source));
        g_source_unref(client_source);
        g_source_destroy(server_source);
        g_source_unref(server_source);
        g_source_remove(deadline);
        sd_bus_flush_close_unref(server);
        sd_bus_flush_close_unref(client);
        g_main_loop_unref(loop);
        free(reply_text);
        free(signal_text);
        printf("test-bus-glib: ok\n");
        return 0;
}
