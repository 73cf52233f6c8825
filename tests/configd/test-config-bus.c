/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.sipr.Config1 over a socketpair, no dbus-daemon: a forked child serves the real manager and
 * bus code from a GLib loop; the parent calls every method and checks replies, error names and
 * the Changed signal. Runs in the unit suite, so also under ASan/UBSan. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-glib.h"
#include "config-bus.h"
#include "configd-manager.h"
#include "log.h"
#include "sipr-error.h"
#include "util.h"

#define assert_se(x) do { if (!(x)) { fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); abort(); } } while (0)

static char dir[] = "/tmp/test-config-bus.XXXXXX";
static char etc[256], state[256];

static void on_disconnect(sd_bus *bus, int error, void *userdata) {
        g_main_loop_quit(userdata);
}

static int serve(int fd) {
        Manager *m = NULL;
        GMainLoop *loop = g_main_loop_new(NULL, FALSE);
        GSource *src = NULL;
        sd_id128_t id;

        assert_se(manager_new(etc, state, "001565aabbcc", &m) == 0);
        manager_load_initial(m);
        assert_se(sd_id128_randomize(&id) >= 0);
        assert_se(sd_bus_new(&m->service.bus) >= 0);
        assert_se(sd_bus_set_fd(m->service.bus, fd, fd) >= 0);
        assert_se(sd_bus_set_server(m->service.bus, 1, id) >= 0);
        assert_se(sd_bus_set_anonymous(m->service.bus, 1) >= 0);
        assert_se(sd_bus_start(m->service.bus) >= 0);
        assert_se(config_bus_export(m) >= 0);
        assert_se(bus_glib_attach(m->service.bus, NULL, on_disconnect, loop, &src) >= 0);
        g_main_loop_run(loop);

        g_source_destroy(src);
        g_source_unref(src);
        sd_bus_slot_unref(m->bus_slot);
        m->service.bus = sd_bus_flush_close_unref(m->service.bus);
        manager_free(m);
        g_main_loop_unref(loop);
        return 0;
}

static sd_bus *client;
static char *changed_keys;

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        char **keys = NULL;

        assert_se(sd_bus_message_read_strv(m, &keys) >= 0);
        free(changed_keys);
        changed_keys = keys ? g_strjoinv(",", keys) : strdup("");
        g_strfreev(keys);
        return 0;
}

/* Calls a method; returns the error name ("" on success) and puts the reply in *reply. */
static const char *call(sd_bus_message **reply, const char *member, const char *types, ...) {
        static char name[128];
        sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        assert_se(sd_bus_message_new_method_call(client, &m, NULL, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE, member) >= 0);
        if (types) {
                va_start(ap, types);
                assert_se(sd_bus_message_appendv(m, types, ap) >= 0);
                va_end(ap);
        }
        r = sd_bus_call(client, m, 5 * USEC_PER_SEC, &error, reply);
        sd_bus_message_unref(m);
        if (r >= 0)
                return "";
        snprintf(name, sizeof(name), "%s|%s", error.name, error.message ?: "");
        sd_bus_error_free(&error);
        return name;
}

static char *get(const char *key) {
        sd_bus_message *reply = NULL;
        const char *v;
        char *s;

        assert_se(streq(call(&reply, "Get", "s", key), ""));
        assert_se(sd_bus_message_read(reply, "s", &v) > 0);
        s = strdup(v);
        sd_bus_message_unref(reply);
        return s;
}

static void expect(const char *key, const char *value) {
        char *v = get(key);

        if (!streq(v, value)) {
                fprintf(stderr, "Get %s: expected '%s', got '%s'\n", key, value, v);
                abort();
        }
        free(v);
}

static void wait_changed(const char *keys) {
        for (int i = 0; i < 100 && !changed_keys; i++) {
                if (sd_bus_process(client, NULL) == 0)
                        (void) sd_bus_wait(client, 50 * USEC_PER_MSEC);
        }
        assert_se(changed_keys);
        if (!streq(changed_keys, keys)) {
                fprintf(stderr, "Changed(%s), expected (%s)\n", changed_keys, keys);
                abort();
        }
        free(changed_keys);
        changed_keys = NULL;
}

static void write_text(const char *path, const char *text) {
        assert_se(write_file_atomic(path, text, strlen(text), 0644) == 0);
}

int main(void) {
        sd_bus_message *reply = NULL;
        const char *e, *k, *v;
        char path[300];
        int pair[2], status = 0, n = 0;
        uint64_t gen;
        pid_t pid;

        log_set_max_level(LOG_WARNING);
        sipr_error_map_register();
        assert_se(mkdtemp(dir));
        snprintf(etc, sizeof(etc), "%s/etc", dir);
        snprintf(state, sizeof(state), "%s/state", dir);
        assert_se(mkdir(etc, 0755) == 0);
        snprintf(path, sizeof(path), "%s/y000000000000.cfg", etc);
        write_text(path, "#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.user_name = 1001\n"
                         "account.1.password = pw1001\naccount.1.sip_server.1.address = reg1.lab.test\nlcd.x = 1\n");
        snprintf(path, sizeof(path), "%s/001565aabbcc.cfg", etc);
        write_text(path, "account.1.sip_server.1.port = 5070\r\n");

        assert_se(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
        pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                close(pair[1]);
                _exit(serve(pair[0]));
        }
        close(pair[0]);
        assert_se(sd_bus_new(&client) >= 0);
        assert_se(sd_bus_set_fd(client, pair[1], pair[1]) >= 0);
        assert_se(sd_bus_set_anonymous(client, 1) >= 0);
        assert_se(sd_bus_start(client) >= 0);
        assert_se(sd_bus_match_signal(client, NULL, NULL, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE, "Changed",
                                      on_changed, NULL) >= 0);

        /* Effective values over both files, masking, defaults, auth_name from user_name. */
        expect("account.1.sip_server.1.address", "reg1.lab.test");
        expect("account.1.sip_server.1.port", "5070");
        expect("account.1.password", "********");
        expect("account.2.password", "");
        expect("account.1.auth_name", "1001");
        expect("sip.timer_t2", "4");
        e = call(NULL, "Get", "s", "lcd.x");
        assert_se(strstr(e, "org.sipr.Error.UnknownKey|lcd.x: unknown key"));

        /* List: masked, sorted, 57 keys of account 1 plus the globals. */
        assert_se(streq(call(&reply, "List", "s", "account."), ""));
        assert_se(sd_bus_message_enter_container(reply, 'a', "{ss}") > 0);
        while (sd_bus_message_read(reply, "{ss}", &k, &v) > 0) {
                assert_se(g_str_has_prefix(k, "account.1."));
                assert_se(!strstr(v, "pw1001"));
                n++;
        }
        assert_se(n == 70);
        reply = sd_bus_message_unref(reply);

        /* GetSecret: the peer is root over a socketpair. */
        assert_se(streq(call(&reply, "GetSecret", "s", "account.1.password"), ""));
        assert_se(sd_bus_message_read(reply, "s", &v) > 0 && streq(v, "pw1001"));
        reply = sd_bus_message_unref(reply);

        /* Set: all or nothing; then persisted, Changed with exactly the changed keys. */
        e = call(NULL, "Set", "a{ss}", 2, "account.1.label", "X", "account.1.sip_server.1.port", "99999");
        assert_se(strstr(e, "org.sipr.Error.InvalidValue|account.1.sip_server.1.port: invalid value '99999': permitted 0…65535"));
        expect("account.1.label", "");
        e = call(NULL, "Set", "a{ss}", 2, "account.1.label", "Desk", "account.1.sip_server.1.port", "5080");
        assert_se(streq(e, ""));
        wait_changed("account.1.label,account.1.sip_server.1.port");
        expect("account.1.sip_server.1.port", "5080");
        snprintf(path, sizeof(path), "%s/local.cfg", state);
        {
                char *text = NULL;
                struct stat st;

                assert_se(read_file_full(path, 65536, &text, NULL) == 0);
                assert_se(strstr(text, "account.1.sip_server.1.port = 5080\n"));
                assert_se(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
                free(text);
        }

        /* Reset back to the files. */
        assert_se(streq(call(NULL, "Reset", "as", 1, "account.1.sip_server.1.port"), ""));
        wait_changed("account.1.sip_server.1.port");
        expect("account.1.sip_server.1.port", "5070");

        /* Reload: refused with file:line, then accepted. */
        assert_se(sd_bus_get_property_trivial(client, NULL, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE, "Generation",
                                              NULL, 't', &gen) >= 0);
        snprintf(path, sizeof(path), "%s/001565aabbcc.cfg", etc);
        write_text(path, "account.1.sip_server.1.port = 5070\r\nbroken\r\n");
        e = call(NULL, "Reload", NULL);
        assert_se(strstr(e, "org.sipr.Error.InvalidFile|") && strstr(e, "001565aabbcc.cfg:2: 'broken': not a comment"));
        {
                uint64_t g2;
                assert_se(sd_bus_get_property_trivial(client, NULL, CONFIG_BUS_PATH, CONFIG_BUS_INTERFACE,
                                                      "Generation", NULL, 't', &g2) >= 0);
                assert_se(g2 == gen);
        }
        write_text(path, "account.1.sip_server.1.port = 5090\n");
        assert_se(streq(call(NULL, "Reload", NULL), ""));
        wait_changed("account.1.sip_server.1.port");
        expect("account.1.sip_server.1.port", "5090");

        /* Check: every problem with its line. */
        write_text(path, "a\nb = 1\naccount.1.enable = 7\n");
        assert_se(streq(call(&reply, "Check", "s", "001565aabbcc.cfg"), ""));
        {
                const char *file, *msg;
                unsigned line, lines[4], i = 0;

                assert_se(sd_bus_message_enter_container(reply, 'a', "(sus)") > 0);
                while (i < 4 && sd_bus_message_read(reply, "(sus)", &file, &line, &msg) > 0)
                        lines[i++] = line;
                assert_se(i == 2 && lines[0] == 1 && lines[1] == 3);
        }
        reply = sd_bus_message_unref(reply);

        /* Hang up: the server exits cleanly (ASan checks it for leaks). */
        client = sd_bus_flush_close_unref(client);
        assert_se(waitpid(pid, &status, 0) == pid);
        assert_se(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        {
                g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
                assert_se(system(cmd) == 0);
        }
        printf("ok\n");
        return 0;
}
