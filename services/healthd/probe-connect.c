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

int probe_tcp_connect(Target *t, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        int e;

        fd = socket(t->sockaddr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) {
                e = errno;
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, strerror(e));
                return -e;
        }
        if (connect(fd, &t->sockaddr.sa, t->sockaddr_len) == 0) {
                *ret_fd = TAKE_FD(fd);
                return 1;
        }
        e = errno;
        if (e != EINPROGRESS) {
                manager_probe_done(t, probe_event_from_errno(e), 0, strerror(e));
                return -e;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int probe_tcp_connect_result(int fd) {
        int error = 0;
        socklen_t len = sizeof(error);

        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                return errno;
        return error;
}

static gboolean on_connect_ready(int fd, GIOCondition cond, gpointer userdata) {
        Target *t = userdata;
        int error;

        t->connect->watch_id = 0;
        error = probe_tcp_connect_result(fd);
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
        int r;

        probe_connect_free(t);

        r = probe_tcp_connect(t, &fd);
        if (r < 0)
                return;
        if (r > 0) {
                manager_probe_done(t, TARGET_EVENT_OK, now_usec(CLOCK_MONOTONIC) - t->probe_start_usec, NULL);
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
