/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helper: runs a ConfigClient against the bus and prints one line per callback:
 *   sync first=<0|1> generation=<g> changed=<n> <key>=<typed value>…
 * for the keys given on the command line (typed through SiprConfig where it has a field). */
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bus-glib.h"
#include "bus-util.h"
#include "config-client.h"
#include "log.h"

static char **arg_keys;

static void on_config(ConfigClient *c, const SiprConfig *old, const SiprConfig *config, char **changed,
                      void *userdata) {
        const SiprAccountConfig *a = sipr_config_find_account(config, 1);

        printf("sync first=%d generation=%" PRIu64 " changed=%u accounts=%zu", !old, config->generation,
               g_strv_length(changed), config->n_accounts);
        if (a)
                printf(" a1.server1=%s a1.port1=%u a1.auth=%s a1.password=%s a1.failback_timeout=%u",
                       a->server[0].address, a->server[0].port, a->auth_name, a->password,
                       a->server[0].failback_timeout);
        printf(" t1_usec=%" PRIu64, config->global.timer_t1_usec);
        for (char **k = arg_keys; k && *k; k++)
                printf(" %s=%s", *k, config_client_value(c, *k) ?: "(null)");
        for (char **k = changed; *k && k - changed < 5; k++)
                printf(" changed:%s", *k);
        printf("\n");
        fflush(stdout);
}

static gboolean on_term(gpointer loop) {
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
}

int main(int argc, char **argv) {
        GMainLoop *loop = g_main_loop_new(NULL, FALSE);
        ConfigClient *c = NULL;
        GSource *src = NULL;
        sd_bus *bus = NULL;
        int r;

        arg_keys = argv + 1;
        log_set_target_console(true);
        r = bus_open(false, "config-client-probe", &bus);
        if (r < 0)
                return 1;
        if (bus_glib_attach(bus, NULL, NULL, NULL, &src) < 0)
                return 1;
        r = config_client_new(bus, on_config, NULL, &c);
        if (r < 0)
                return 1;
        g_unix_signal_add(SIGTERM, on_term, loop);
        g_unix_signal_add(SIGINT, on_term, loop);
        g_main_loop_run(loop);
        config_client_free(c);
        g_source_destroy(src);
        g_source_unref(src);
        sd_bus_flush_close_unref(bus);
        g_main_loop_unref(loop);
        return 0;
}
