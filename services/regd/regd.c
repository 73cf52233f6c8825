/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipr-regd: thin main; the Manager does the work. */
#include <stdlib.h>

#include "log.h"
#include "manager.h"
#include "sipr-config.h"

static char *arg_state_dir;
static char *arg_sip_address;
static gint arg_sip_port;

static const GOptionEntry options[] = {
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &arg_state_dir,
          "Where +sip.instance, Call-ID/CSeq and the SIP port are kept (default " SIPR_STATEDIR ")", "DIR" },
        { "sip-address", 0, 0, G_OPTION_ARG_STRING, &arg_sip_address,
          "Local address for SIP (default: all addresses)", "IP" },
        { "sip-port", 0, 0, G_OPTION_ARG_INT, &arg_sip_port,
          "Local SIP port, UDP and TCP (default: chosen once and kept in the state directory)", "PORT" },
        { NULL },
};

static int on_stop(Service *s, void *userdata) {
        return manager_stop(userdata);
}

int main(int argc, char **argv) {
        Service service = {
                .program = "sipr-regd",
                .bus_name = "org.sipr.Registration1",
                .summary = "SIP registration with server redundancy (failover, fallback, failback).",
                .holds_secrets = true, /* the SIP passwords, to answer challenges */
                .stop = on_stop,
                .stop_timeout_usec = 10 * USEC_PER_SEC,
        };
        Manager *m = NULL;
        int r;

        r = service_init(&service, argc, argv, options);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (arg_sip_port < 0 || arg_sip_port > 65535) {
                log_error("--sip-port=%d: not a port number (1…65535).", arg_sip_port);
                service_done(&service);
                return EXIT_FAILURE;
        }

        r = manager_new(&service, arg_state_dir ?: SIPR_STATEDIR, arg_sip_address ?: "*", (uint16_t) arg_sip_port, &m);
        if (r >= 0) {
                service.stop_userdata = m;
                r = manager_start(m);
        }
        if (r >= 0)
                r = service_ready(&service);
        if (r >= 0) {
                service_status(&service, "Registering.");
                r = service_run(&service);
        }
        manager_free(m);
        service_done(&service);
        g_free(arg_state_dir);
        g_free(arg_sip_address);
        return r < 0 ? EXIT_FAILURE : r;
}
