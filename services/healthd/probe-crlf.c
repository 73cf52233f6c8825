/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "crlf": RFC 5626 §4.4.1 keep-alive on a TCP flow. The connection is kept between probes, as
 * the flow a client would register over; each probe sends a double CRLF ("ping") and waits for a
 * CRLF ("pong"). A connection the server closes or resets between probes triggers a probe at
 * once, so a killed server is seen by the refused reconnect instead of at the next interval.
 * Whatever the server sends is read into a fixed buffer: garbage or a flood costs no memory. */
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "probe.h"
#include "util.h"

/* Bytes a server may send without a pong (during a probe) or unasked (between probes) before
 * we drop the connection. */
#define CRLF_JUNK_MAX 4096u
#define CRLF_UNSOLICITED_MAX (64u * 1024u)

typedef enum CrlfState {
        CRLF_CONNECTING,
        CRLF_WAIT_PONG,
        CRLF_IDLE,
} CrlfState;

struct ProbeCrlf {
        int fd;
        guint watch_id;
        CrlfState state;
        size_t junk;       /* bytes without a pong in this probe */
        size_t unsolicited; /* bytes received between probes */
        bool last_cr;      /* previous chunk ended in '\r' */
};

static gboolean on_crlf_io(int fd, GIOCondition cond, gpointer userdata);

static void crlf_close(Target *t) {
        ProbeCrlf *p = t->crlf;

        if (!p)
                return;
        if (p->watch_id)
                g_source_remove(p->watch_id);
        if (p->fd >= 0)
                close(p->fd);
        free(p);
        t->crlf = NULL;
}

void probe_crlf_forget(Target *t) {
        crlf_close(t);
}

void probe_crlf_cancel(Target *t) {
        /* A probe that timed out leaves a connection we cannot trust (the pong may still come,
         * late, and be taken for the next one): start the next probe on a fresh one. */
        if (t->crlf && t->crlf->state != CRLF_IDLE)
                crlf_close(t);
}

static void crlf_watch(Target *t, GIOCondition cond) {
        ProbeCrlf *p = t->crlf;

        if (p->watch_id)
                g_source_remove(p->watch_id);
        p->watch_id = g_unix_fd_add(p->fd, cond | G_IO_ERR | G_IO_HUP, on_crlf_io, t);
}

static void crlf_fail(Target *t, TargetEvent event, const char *detail) {
        crlf_close(t);
        manager_probe_done(t, event, 0, detail);
}

static void crlf_send_ping(Target *t) {
        static const char ping[] = "\r\n\r\n";
        ProbeCrlf *p = t->crlf;
        ssize_t n;

        n = send(p->fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n != (ssize_t) sizeof(ping) - 1) {
                int e = n < 0 ? errno : EAGAIN;
                crlf_fail(t, n < 0 ? probe_event_from_errno(e) : TARGET_EVENT_ERROR, strerror(e));
                return;
        }
        p->state = CRLF_WAIT_PONG;
        p->junk = 0;
        p->last_cr = false;
        crlf_watch(t, G_IO_IN);
}

/* Reads what is there; returns true when it held a CRLF. */
static int crlf_read(Target *t, bool *ret_pong) {
        ProbeCrlf *p = t->crlf;
        char buf[512];
        bool pong = false;
        ssize_t n;

        /* Bounded: at most a few reads per wake-up, the rest waits for the next one. */
        for (int i = 0; i < 8; i++) {
                n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                if (n == 0)
                        return -ECONNRESET; /* orderly close by the server */
                for (ssize_t k = 0; k < n; k++) {
                        if (buf[k] == '\n' && (p->last_cr || (k > 0 && buf[k - 1] == '\r')))
                                pong = true;
                        p->last_cr = buf[k] == '\r';
                }
                if (p->state == CRLF_WAIT_PONG)
                        p->junk += (size_t) n;
                else
                        p->unsolicited += (size_t) n;
                if ((size_t) n < sizeof(buf))
                        break;
        }
        *ret_pong = pong;
        return 0;
}

static gboolean on_crlf_io(int fd, GIOCondition cond, gpointer userdata) {
        Target *t = userdata;
        ProbeCrlf *p = t->crlf;
        bool pong = false;
        int r;

        if (p->state == CRLF_CONNECTING) {
                int error = 0;
                socklen_t len = sizeof(error);

                p->watch_id = 0;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                        error = errno;
                if (error != 0) {
                        crlf_fail(t, probe_event_from_errno(error), strerror(error));
                        return G_SOURCE_REMOVE;
                }
                crlf_send_ping(t);
                return G_SOURCE_REMOVE; /* crlf_send_ping() installed the next watch */
        }

        r = crlf_read(t, &pong);
        if (r < 0) {
                if (p->state == CRLF_WAIT_PONG) {
                        p->watch_id = 0;
                        crlf_fail(t, probe_event_from_errno(r), r == -ECONNRESET ? "connection closed by the server" : strerror(-r));
                } else {
                        /* Closed between probes: find out now whether the server is still there. */
                        log_debug("CRLF flow to %s:%u closed by the server: %s", t->address, t->port, strerror(-r));
                        p->watch_id = 0;
                        crlf_close(t);
                        manager_probe_soon(t);
                }
                return G_SOURCE_REMOVE;
        }

        if (p->state == CRLF_WAIT_PONG) {
                if (pong) {
                        p->state = CRLF_IDLE;
                        p->unsolicited = 0;
                        manager_probe_done(t, TARGET_EVENT_OK, now_usec(CLOCK_MONOTONIC) - t->probe_start_usec, NULL);
                } else if (p->junk > CRLF_JUNK_MAX) {
                        p->watch_id = 0;
                        crlf_fail(t, TARGET_EVENT_BAD_REPLY, "data but no CRLF pong");
                        return G_SOURCE_REMOVE;
                }
        } else if (p->unsolicited > CRLF_UNSOLICITED_MAX) {
                log_warning("Server %s:%u floods the keep-alive flow, closing it.", t->address, t->port);
                p->watch_id = 0;
                crlf_close(t);
                return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
}

void probe_crlf_start(Target *t) {
        _cleanup_close_ int fd = -1;
        ProbeCrlf *p;

        if (t->crlf && t->crlf->state == CRLF_IDLE) {
                crlf_send_ping(t);
                return;
        }
        crlf_close(t);

        fd = socket(t->sockaddr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) {
                int e = errno;
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, strerror(e));
                return;
        }
        p = calloc(1, sizeof(*p));
        if (!p) {
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, "out of memory");
                return;
        }
        p->fd = TAKE_FD(fd);
        t->crlf = p;

        if (connect(p->fd, &t->sockaddr.sa, t->sockaddr_len) == 0) {
                crlf_send_ping(t);
                return;
        }
        if (errno != EINPROGRESS) {
                int e = errno;
                crlf_fail(t, probe_event_from_errno(e), strerror(e));
                return;
        }
        p->state = CRLF_CONNECTING;
        crlf_watch(t, G_IO_OUT);
}
