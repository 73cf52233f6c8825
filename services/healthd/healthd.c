/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipr-healthd: health of SIP transport targets (org.sipr.Health1). */
#include "log.h"
#include "manager.h"
#include "service.h"

static void on_status(const char *status, void *userdata) {
        service_status(userdata, "%s", status);
}

int main(int argc, char **argv) {
        Service s = {
                .program = "sipr-healthd",
                .bus_name = "org.sipr.Health1",
                .summary = "Probes SIP servers (OPTIONS, CRLF keep-alive or TCP connect) and publishes their health.",
        };
        Manager *m = NULL;
        int r;

        r = service_init(&s, argc, argv, NULL);
        if (r != 0)
                return r > 0 ? 0 : 1;

        r = manager_new(s.bus, NULL, &m);
        if (r < 0) {
                log_error_errno(r, "Failed to set up: %m");
                goto finish;
        }
        m->status_cb = on_status;
        s.dump = manager_dump;
        s.dump_userdata = m;
        m->status_userdata = &s;
        r = manager_start(m);
        if (r < 0)
                goto finish;
        r = service_ready(&s);
        if (r < 0)
                goto finish;
        service_status(&s, "Watching 0 targets.");
        r = service_run(&s);

finish:
        manager_free(m);
        service_done(&s);
        return r < 0 ? 1 : r;
}
