/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.sipr.Registration1 and its account objects over a socketpair, no dbus-daemon: a forked
 * child serves the real manager and bus code with an injected configuration; the parent reads
 * the objects, calls the methods and waits for PropertiesChanged. Runs in the unit suite, so also
 * under ASan/UBSan. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account-bus.h"
#include "account.h"
#include "bus-glib.h"
#include "log.h"
#include "manager.h"
#include "sipr-error.h"
#include "util.h"
#include "../test-check.h"

#define REG_NAME NULL /* a direct connection: no destination */
#define ROOT "/org/sipr/Registration1"
#define ACCOUNT_IFACE "org.sipr.Registration1.Account"

static char dir[] = "/tmp/test-account-bus.XXXXXX";

static void on_disconnect(sd_bus *bus, int error, void *userdata) {
        g_main_loop_quit(userdata);
}

static int serve(int fd) {
        Service service = { .program = "test-account-bus" };
        GMainLoop *loop = g_main_loop_new(NULL, FALSE);
        SiprConfig *config = NULL;
        Manager *m = NULL;
        GSource *src = NULL;
        sd_id128_t id;
        char *pairs[] = {
                /* 1: enabled, its server refuses (nothing listens on port 9): failed, no working server */
                "account.1.enable", "1", "account.1.user_name", "1001", "account.1.password", "pw",
                "account.1.sip_server.1.address", "127.0.0.1", "account.1.sip_server.1.port", "9",
                "account.1.reg_fail_retry_interval", "1800",
                /* 7: disabled */
                "account.7.user_name", "1007", "account.7.sip_server.1.address", "127.0.0.1",
                /* 12: enabled, but no user: it cannot work */
                "account.12.enable", "1", "account.12.sip_server.1.address", "127.0.0.1",
                "sipr.edge.enable", "0", "sipr.health.method", "none",
                NULL,
        };

        log_set_max_level(LOG_WARNING);
        check(sd_id128_randomize(&id) >= 0);
        check(sd_bus_new(&service.bus) >= 0);
        check(sd_bus_set_fd(service.bus, fd, fd) >= 0);
        check(sd_bus_set_server(service.bus, 1, id) >= 0);
        check(sd_bus_set_anonymous(service.bus, 1) >= 0);
        check(sd_bus_start(service.bus) >= 0);
        check(manager_new(&service, dir, "127.0.0.1", 0, &m) >= 0);
        check(bus_glib_attach(service.bus, NULL, on_disconnect, loop, &src) >= 0);
        check(sipr_config_from_pairs(pairs, &config) >= 0);
        manager_apply_config(m, config);
        g_main_loop_run(loop);

        g_source_destroy(src);
        g_source_unref(src);
        manager_free(m);
        sipr_config_free(config);
        service.bus = sd_bus_flush_close_unref(service.bus);
        g_main_loop_unref(loop);
        return 0;
}

static sd_bus *client;

/* A method call; returns the error name ("" on success), *reply (may be NULL) gets the reply. */
static const char *call(sd_bus_message **reply, const char *path, const char *iface, const char *member) {
        static char name[128];
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(client, REG_NAME, path, iface, member, &error, reply, NULL);
        snprintf(name, sizeof(name), "%s", r < 0 ? strempty(error.name) : "");
        if (r < 0)
                fprintf(stderr, "%s %s: %s: %s\n", path, member, error.name, strempty(error.message));
        sd_bus_error_free(&error);
        return name;
}

static char *get_string(const char *path, const char *prop) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;

        check(sd_bus_get_property_string(client, REG_NAME, path, ACCOUNT_IFACE, prop, &error, &s) >= 0);
        return s;
}

static unsigned changes;
static char last_changed_path[128];

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        snprintf(last_changed_path, sizeof(last_changed_path), "%s", strempty(sd_bus_message_get_path(m)));
        changes++;
        return 0;
}

static void wait_for_state(const char *path, const char *want) {
        for (int i = 0; i < 500; i++) {
                char *s = get_string(path, "State");
                bool same = streq(s, want);
                free(s);
                /* signals that came in while the call waited for its reply are queued: handle them */
                while (sd_bus_process(client, NULL) > 0)
                        ;
                if (same)
                        return;
                (void) sd_bus_wait(client, 20 * 1000);
        }
        fprintf(stderr, "%s never reached State %s\n", path, want);
        exit(EXIT_FAILURE);
}

static void test_paths(void) {
        unsigned idx = 0;
        char *p = NULL;

        check(account_bus_path(7, &p) == 0 && streq(p, ROOT "/account/7"));
        free(p);
        check(account_bus_path_index(ROOT "/account/7", &idx) == 0 && idx == 7);
        check(account_bus_path_index(ROOT "/account/256", &idx) == 0 && idx == 256);
        check(account_bus_path_index(ROOT "/account/07", &idx) < 0);
        check(account_bus_path_index(ROOT "/account/0", &idx) < 0);
        check(account_bus_path_index(ROOT "/account/", &idx) < 0);
        check(account_bus_path_index(ROOT "/account/7x", &idx) < 0);
        check(account_bus_path_index(ROOT "/account/-7", &idx) < 0);
        check(account_bus_path_index(ROOT "/accountx/7", &idx) < 0);
        check(account_bus_path_index(NULL, &idx) < 0);
}

static void test_objects(void) {
        sd_bus_message *reply = NULL;
        const char *path;
        unsigned n = 0, idx;
        char *s;

        /* the root lists every account, in order */
        {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                check(sd_bus_get_property(client, REG_NAME, ROOT, "org.sipr.Registration1", "Accounts", &error, &reply,
                                          "ao") >= 0);
                check(sd_bus_message_enter_container(reply, 'a', "o") > 0);
                const char *want[] = { ROOT "/account/1", ROOT "/account/7", ROOT "/account/12" };
                while (sd_bus_message_read(reply, "o", &path) > 0) {
                        check(n < 3 && streq(path, want[n]));
                        n++;
                }
                check(n == 3);
                reply = sd_bus_message_unref(reply);
        }

        /* the ObjectManager has the same three, with the account interface */
        check(streq(call(&reply, ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"), ""));
        n = 0;
        check(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}") > 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                check(sd_bus_message_read(reply, "o", &path) > 0);
                check(account_bus_path_index(path, &idx) == 0);
                check(sd_bus_message_skip(reply, "a{sa{sv}}") >= 0);
                check(sd_bus_message_exit_container(reply) >= 0);
                n++;
        }
        check(n == 3);
        reply = sd_bus_message_unref(reply);

        /* properties read what the accounts are */
        s = get_string(ROOT "/account/7", "State");
        check(streq(s, "disabled"));
        free(s);
        s = get_string(ROOT "/account/12", "State");
        check(streq(s, "failed"));
        free(s);
        s = get_string(ROOT "/account/12", "LastReason");
        check(strstr(s, "account.12.user_name is empty"));
        free(s);
        s = get_string(ROOT "/account/1", "Aor");
        check(streq(s, "sip:1001@127.0.0.1"));
        free(s);
        {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                uint32_t u = 0;
                check(sd_bus_get_property_trivial(client, REG_NAME, ROOT "/account/12", ACCOUNT_IFACE, "Index", &error,
                                                  'u', &u) >= 0 && u == 12);
                char **contacts = NULL;
                check(sd_bus_get_property_strv(client, REG_NAME, ROOT "/account/1", ACCOUNT_IFACE, "EdgeContacts",
                                               &error, &contacts) >= 0);
                check(!contacts || !contacts[0]); /* empty (sd-bus may give NULL for it) */
                strv_free(contacts);
        }

        /* no such objects: the path is parsed strictly */
        check(!streq(call(NULL, ROOT "/account/01", ACCOUNT_IFACE, "Register"), ""));
        check(!streq(call(NULL, ROOT "/account/2", ACCOUNT_IFACE, "Register"), ""));
        check(!streq(call(NULL, ROOT "/account/0", ACCOUNT_IFACE, "Register"), ""));

        /* methods: errors with names sipr documents */
        check(streq(call(NULL, ROOT "/account/7", ACCOUNT_IFACE, "Register"), SIPR_ERROR_FAILED));
        check(streq(call(NULL, ROOT "/account/12", ACCOUNT_IFACE, "Failover"), SIPR_ERROR_FAILED));
}

static void test_changes(void) {
        /* the refused REGISTERs of account 1 end in failed, each transition one PropertiesChanged */
        check(sd_bus_match_signal(client, NULL, REG_NAME, ROOT "/account/1", "org.freedesktop.DBus.Properties",
                                  "PropertiesChanged", on_properties_changed, NULL) >= 0);
        wait_for_state(ROOT "/account/1", "failed");
        check(streq(call(NULL, ROOT "/account/1", ACCOUNT_IFACE, "Unregister"), ""));
        wait_for_state(ROOT "/account/1", "unregistered");
        check(changes >= 1 && streq(last_changed_path, ROOT "/account/1"));
        check(streq(call(NULL, ROOT "/account/1", ACCOUNT_IFACE, "Register"), ""));
        wait_for_state(ROOT "/account/1", "failed");
}

int main(void) {
        int sv[2];
        pid_t pid;
        int status;

        check(mkdtemp(dir));
        check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        pid = fork();
        check(pid >= 0);
        if (pid == 0) {
                close(sv[0]);
                _exit(serve(sv[1]));
        }
        close(sv[1]);
        sipr_error_map_register();
        check(sd_bus_new(&client) >= 0);
        check(sd_bus_set_fd(client, sv[0], sv[0]) >= 0);
        check(sd_bus_set_anonymous(client, 1) >= 0);
        check(sd_bus_start(client) >= 0);

        test_paths();
        test_objects();
        test_changes();

        client = sd_bus_flush_close_unref(client);
        check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        {
                char cmd[sizeof(dir) + 16];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", dir); /* ours only: the state files regd wrote */
                check(system(cmd) == 0);
        }
        printf("account bus checks passed\n");
        return 0;
}
