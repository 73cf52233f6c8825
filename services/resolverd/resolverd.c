/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipr-resolverd: thin main; the Manager does the work. */
#include <stdlib.h>

#include "log.h"
#include "manager.h"

static char **arg_dns;
static char *arg_resolv_conf;

static const GOptionEntry options[] = {
        { "dns", 0, 0, G_OPTION_ARG_STRING_ARRAY, &arg_dns,
          "DNS server to use instead of network.primary_dns/secondary_dns and resolv.conf (repeatable)",
          "IP[:PORT]" },
        { "resolv-conf", 0, 0, G_OPTION_ARG_FILENAME, &arg_resolv_conf,
          "resolv.conf to read when no DNS server is configured (default /etc/resolv.conf)", "PATH" },
        { NULL },
};

int main(int argc, char **argv) {
        Manager *m = NULL;
        int r;

        r = manager_new(&m);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;

        r = service_init(&m->service, argc, argv, options);
        if (r != 0) {
                manager_free(m);
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        m->arg_dns = TAKE_PTR(arg_dns);
        m->resolv_conf = arg_resolv_conf ? strdup(arg_resolv_conf) : NULL;
        g_free(arg_resolv_conf);

        r = manager_start(m);
        if (r >= 0)
                r = service_ready(&m->service);
        if (r >= 0) {
                service_status(&m->service, "Resolving.");
                r = service_run(&m->service);
        }
        /* Pending callers get an answer before the bus goes away. */
        manager_stop(m);
        service_done(&m->service);
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : r;
}
