/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "connect": a non-blocking TCP connect; success means something accepts on that port. The
 * manager bounds it with the probe deadline. */
#include <errno.h>
#include <glib-unix.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "probe-parse.h"
#include "probe.h"
#include "util.h"

struct ProbeConnect {
        int fd;
        guint watch_id;
};

static void probe_connect_free(Target *t) {
        ProbeConnect *p = t->connect;

        if (!p)
                return;
        if (p->watch_id)
                g_source_remove(p->watch_id);
        if (p->fd >= 0)
                close(p->fd);
        free(p);
        t->connect = NULL;
}

void probe_connect_cancel(Target *t) {
        probe_connect_free(t);
}

static gboolean on_connect_ready(int fd, GIOCondition cond, gpointer userdata) {
        Target *t = userdata;
        int error = 0;
        socklen_t len = sizeof(error);

        t->connect->watch_id = 0;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                error = errno;
        probe_connect_free(t);

        if (error != 0)
                manager_probe_done(t, probe_event_from_errno(error), 0, strerror(error));
        else
                manager_probe_done(t, TARGET_EVENT_OK, now_usec(CLOCK_MONOTONIC) - t->probe_start_usec, NULL);
        return G_SOURCE_REMOVE;
}

void probe_connect_start(Target *t) {
        _cleanup_close_ int fd = -1;
        ProbeConnect *p;

        probe_connect_free(t);

        fd = socket(t->sockaddr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) {
                int e = errno;
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, strerror(e));
                return;
        }
        if (connect(fd, &t->sockaddr.sa, t->sockaddr_len) == 0) {
                /* Loopback may connect at once. */
                manager_probe_done(t, TARGET_EVENT_OK, now_usec(CLOCK_MONOTONIC) - t->probe_start_usec, NULL);
                return;
        }
        if (errno != EINPROGRESS) {
                int e = errno;
                manager_probe_done(t, probe_event_from_errno(e), 0, strerror(e));
                return;
        }

        p = calloc(1, sizeof(*p));
        if (!p) {
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, "out of memory");
                return;
        }
        p->fd = TAKE_FD(fd);
        p->watch_id = g_unix_fd_add(p->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, on_connect_ready, t);
        t->connect = p;
}
