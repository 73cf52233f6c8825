/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config client when sipr-configd cannot hand out a password (issue 16, item 1): a fake
 * configd on a socketpair, driven by the same GLib loop as the real ConfigClient, fails GetSecret
 * (or List) on demand. The client must never publish the mask "********" as a password, must
 * keep a password it knows when a re-read fails, and must fetch it again by itself. Runs in the
 * unit suite, so also under ASan/UBSan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bus-glib.h"
#include "config-client.h"
#include "config-schema.h"
#include "log.h"
#include "../test-check.h"

#define PATH   "/org/sipr/Config1"
#define IFACE  "org.sipr.Config1"
#define PW_KEY "account.1.password"

/* ---- the fake configd ---- */

static struct {
        char *label, *secret;
        unsigned fail_secret; /* GetSecret calls still to fail */
        unsigned fail_list;   /* List calls still to fail */
        unsigned n_secret, n_list;
        uint64_t generation;
} fake;

static int fake_name_has_owner(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, "b", 1);
}

static int fake_list(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        fake.n_list++;
        if (fake.fail_list > 0) {
                fake.fail_list--;
                return sd_bus_error_set(error, "org.freedesktop.DBus.Error.NoReply", "Timed out (fake)");
        }
        return sd_bus_reply_method_return(m, "a{ss}", 5, "account.1.enable", "1", "account.1.user_name",
                                          "1001", "account.1.sip_server.1.address", "reg1.lab.test",
                                          "account.1.label", fake.label, PW_KEY, SIPR_CONFIG_SECRET_MASK);
}

static int fake_get_secret(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *key;
        int r;

        r = sd_bus_message_read(m, "s", &key);
        if (r < 0)
                return r;
        check(streq(key, PW_KEY));
        fake.n_secret++;
        if (fake.fail_secret > 0) {
                fake.fail_secret--;
                /* What a caller of a stalled configd sees after 25 s. */
                return sd_bus_error_set(error, "org.freedesktop.DBus.Error.NoReply", "Timed out (fake)");
        }
        return sd_bus_reply_method_return(m, "s", fake.secret);
}

static int fake_generation(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", fake.generation);
}

static const sd_bus_vtable fake_config_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Generation", "t", fake_generation, 0, 0),
        SD_BUS_METHOD("List", "s", "a{ss}", fake_list, 0),
        SD_BUS_METHOD("GetSecret", "s", "s", fake_get_secret, 0),
        SD_BUS_SIGNAL("Changed", "as", 0),
        SD_BUS_VTABLE_END,
};

/* Enough of the bus driver for the client's name watch: configd is always there. */
static const sd_bus_vtable fake_driver_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("NameHasOwner", "s", "b", fake_name_has_owner, 0),
        SD_BUS_VTABLE_END,
};

static void fake_emit_changed(sd_bus *server, const char *key) {
        sd_bus_message *s = NULL;

        fake.generation++;
        check(sd_bus_message_new_signal(server, &s, PATH, IFACE, "Changed") >= 0);
        /* A direct connection has no broker to fill in the sender the client matches on. */
        check(sd_bus_message_set_sender(s, "org.sipr.Config1") >= 0);
        check(sd_bus_message_append_strv(s, (char *[]){(char *) key, NULL}) >= 0);
        check(sd_bus_send(server, s, NULL) >= 0);
        sd_bus_message_unref(s);
}

/* ---- the client side ---- */

static GMainLoop *loop;
static unsigned n_syncs;
static char *seen_password, *seen_label, *seen_value;

static void on_config(ConfigClient *c, const SiprConfig *old, const SiprConfig *config, char **changed,
                      void *userdata) {
        const SiprAccountConfig *a = sipr_config_find_account(config, 1);

        check(a);
        n_syncs++;
        free(seen_password);
        free(seen_label);
        free(seen_value);
        seen_password = strdup(strempty(a->password));
        seen_label = strdup(strempty(a->label));
        seen_value = strdup(strempty(config_client_value(c, PW_KEY)));
        /* Whatever else happens, the mask is never a password. */
        check(!streq(seen_password, SIPR_CONFIG_SECRET_MASK));
        check(!streq(seen_value, SIPR_CONFIG_SECRET_MASK));
        g_main_loop_quit(loop);
}

static gboolean on_deadline(gpointer userdata) {
        fprintf(stderr, "test-config-client-secret: no sync within 60 s (syncs %u, GetSecret %u, List %u)\n",
                n_syncs, fake.n_secret, fake.n_list);
        exit(EXIT_FAILURE);
}

/* Runs the loop until the next published configuration; a generous deadline, never a timing check. */
static void wait_sync(void) {
        unsigned before = n_syncs;
        guint deadline = g_timeout_add_seconds(60, on_deadline, NULL);

        while (n_syncs == before)
                g_main_loop_run(loop);
        g_source_remove(deadline);
}

static void set_str(char **p, const char *s) {
        free(*p);
        *p = strdup(s);
}

int main(void) {
        sd_bus *server = NULL, *client = NULL;
        GSource *server_source = NULL, *client_source = NULL;
        ConfigClient *c = NULL;
        sd_id128_t id;
        int pair[2];

        log_set_max_level(LOG_DEBUG);
        set_str(&fake.label, "Alice");
        set_str(&fake.secret, "pw-first");
        fake.generation = 1;

        check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) == 0);
        check(sd_id128_randomize(&id) >= 0);
        check(sd_bus_new(&server) >= 0);
        check(sd_bus_set_fd(server, pair[0], pair[0]) >= 0);
        check(sd_bus_set_server(server, 1, id) >= 0);
        check(sd_bus_set_anonymous(server, 1) >= 0);
        check(sd_bus_start(server) >= 0);
        check(sd_bus_add_object_vtable(server, NULL, PATH, IFACE, fake_config_vtable, NULL) >= 0);
        check(sd_bus_add_object_vtable(server, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       fake_driver_vtable, NULL) >= 0);
        check(sd_bus_new(&client) >= 0);
        check(sd_bus_set_fd(client, pair[1], pair[1]) >= 0);
        check(sd_bus_set_anonymous(client, 1) >= 0);
        check(sd_bus_start(client) >= 0);

        loop = g_main_loop_new(NULL, FALSE);
        check(bus_glib_attach(server, NULL, NULL, NULL, &server_source) >= 0);
        check(bus_glib_attach(client, NULL, NULL, NULL, &client_source) >= 0);

        /* 1. The very first GetSecret fails: nothing is known yet, so no password rather than the
         * mask, and the client asks again by itself. */
        fake.fail_secret = 1;
        check(config_client_new(client, on_config, NULL, &c) >= 0);
        wait_sync();
        check(fake.n_secret == 1);
        check(streq(seen_password, ""));
        check(streq(seen_label, "Alice"));
        wait_sync();
        check(fake.n_secret >= 2);
        check(streq(seen_password, "pw-first"));
        check(streq(seen_value, "pw-first"));

        /* 2. The case: a change is announced and GetSecret times out. The known password
         * stays; a password changed meanwhile in configd arrives on the retry. */
        set_str(&fake.label, "Bob");
        set_str(&fake.secret, "pw-second");
        fake.fail_secret = 1;
        fake_emit_changed(server, "account.1.label");
        wait_sync();
        check(streq(seen_label, "Bob"));
        check(streq(seen_password, "pw-first"));
        check(streq(seen_value, "pw-first"));
        wait_sync();
        check(streq(seen_password, "pw-second"));
        check(streq(seen_label, "Bob"));

        /* 3. Several failures in a row (a configd stalled for longer): still never the mask, and
         * the password is there once configd answers again. */
        set_str(&fake.label, "Carol");
        fake.fail_secret = 3;
        fake_emit_changed(server, "account.1.label");
        wait_sync();
        check(streq(seen_label, "Carol"));
        check(streq(seen_password, "pw-second"));
        set_str(&fake.secret, "pw-third");
        wait_sync();
        check(fake.fail_secret == 0);
        check(streq(seen_password, "pw-third"));

        /* 4. The re-read after Changed fails as a whole (List timed out): the change is not lost. */
        set_str(&fake.label, "Dave");
        fake.fail_list = 1;
        fake_emit_changed(server, "account.1.label");
        wait_sync();
        check(fake.fail_list == 0);
        check(streq(seen_label, "Dave"));
        check(streq(seen_password, "pw-third"));

        config_client_free(c);
        g_source_destroy(server_source);
        g_source_unref(server_source);
        g_source_destroy(client_source);
        g_source_unref(client_source);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(server);
        g_main_loop_unref(loop);
        free(seen_password);
        free(seen_label);
        free(seen_value);
        free(fake.label);
        free(fake.secret);
        printf("test-config-client-secret: ok (GetSecret %u, List %u, syncs %u)\n", fake.n_secret,
               fake.n_list, n_syncs);
        return 0;
}
