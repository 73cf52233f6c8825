/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>

#include "config-bus.h"
#include "configd-mac.h"
#include "configd-manager.h"
#include "configd-provision.h"
#include "configd-watch.h"
#include "log.h"
#include "sipr-config.h"

static char *arg_config_dir;
static char *arg_state_dir;
static char *arg_mac;

static const GOptionEntry options[] = {
        { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &arg_config_dir,
          "Directory of y000000000000.cfg and <mac>.cfg (default " SIPR_SYSCONFDIR ")", "DIR" },
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &arg_state_dir,
          "Directory of local.cfg, the run-time overrides (default " SIPR_STATEDIR ")", "DIR" },
        { "mac", 0, 0, G_OPTION_ARG_STRING, &arg_mac,
          "Device MAC that picks <mac>.cfg (default: first non-loopback interface)", "MAC" },
        { NULL },
};

static gboolean on_sighup(gpointer userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *e = NULL;

        log_info("SIGHUP: reloading the provisioning files.");
        (void) config_bus_reload(m, &e);
        return G_SOURCE_CONTINUE;
}

static void configd_dump(Service *s, GString *line, void *userdata) {
        Manager *m = userdata;

        g_string_append_printf(line, " keys=%u generation=%" PRIu64 " downloads=%u",
                               m->effective ? g_hash_table_size(m->effective) : 0, m->generation,
                               provision_fetches(m));
}

int main(int argc, char **argv) {
        Manager *m = NULL;
        Service *s;
        char mac[13] = "";
        int r;

        /* The service skeleton lives inside the manager so the bus layer reaches both. */
        r = manager_new(SIPR_SYSCONFDIR, SIPR_STATEDIR, NULL, &m);
        if (r < 0)
                return EXIT_FAILURE;
        s = &m->service;
        s->program = "sipr-configd";
        s->bus_name = "org.sipr.Config1";
        s->summary = "Serves sipr's effective configuration (Yealink provisioning files + local overrides).";
        s->holds_secrets = true; /* every SIP password, from the files and Set */

        s->dump = configd_dump;
        s->dump_userdata = m;
        r = service_init(s, argc, argv, options);
        if (r != 0) {
                service_done(s);
                manager_free(m);
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }

        if (arg_mac) {
                if (mac_normalize(arg_mac, mac) < 0) {
                        log_error("Invalid --mac '%s': expected 12 hex digits, optionally separated by ':' or '-'.",
                                  arg_mac);
                        r = -EINVAL;
                        goto finish;
                }
        } else if (mac_detect(mac) < 0)
                log_notice("No network interface with a MAC address; no device file will be read.");
        snprintf(m->mac, sizeof(m->mac), "%s", mac);
        if (arg_config_dir) {
                free(m->config_dir);
                m->config_dir = strdup(arg_config_dir);
        }
        if (arg_state_dir && manager_set_state_dir(m, arg_state_dir) < 0) {
                r = log_oom();
                goto finish;
        }
        if (!m->config_dir) {
                r = log_oom();
                goto finish;
        }
        log_info("Config directory %s, state directory %s, device MAC %s.", m->config_dir, m->state_dir,
                 isempty(m->mac) ? "(none)" : m->mac);

        manager_load_initial(m);

        r = config_bus_export(m);
        if (r < 0) {
                log_error_errno(r, "Failed to export %s: %m", CONFIG_BUS_PATH);
                goto finish;
        }
        m->sighup_id = g_unix_signal_add(SIGHUP, on_sighup, m);

        r = service_ready(s);
        if (r < 0)
                goto finish;
        service_status(s, "Serving generation %llu.", (unsigned long long) m->generation);
        watch_config_changed(m);
        /* After READY: a slow or dead provisioning server never delays the start. */
        r = provision_init(m);
        if (r < 0) {
                log_error_errno(r, "Cannot set up provisioning: %m");
                goto finish;
        }
        r = service_run(s);

finish:
        if (m->sighup_id)
                g_source_remove(m->sighup_id);
        if (m->bus_slot)
                sd_bus_slot_unref(m->bus_slot);
        service_done(s);
        manager_free(m);
        g_free(arg_config_dir);
        g_free(arg_state_dir);
        g_free(arg_mac);
        return r < 0 ? EXIT_FAILURE : r;
}
