/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "crlf": RFC 5626 §4.4.1 keep-alive on a TCP or TLS flow. The connection is kept between
 * probes, as the flow a client would register over; each probe sends a double CRLF ("ping") and
 * waits for a CRLF ("pong"). A connection the server closes or resets between probes triggers a
 * probe at once, so a killed server is seen by the refused reconnect instead of at the next
 * interval. Whatever the server sends is read into a fixed buffer: garbage or a flood costs no
 * memory. TLS (when built with OpenSSL) does not verify the server's certificate: the probe asks
 * "is a TLS SIP stack alive there", not "is it who it claims to be" — registration does that. */
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#if HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include "log.h"
#include "manager.h"
#include "probe-parse.h"
#include "probe.h"
#include "util.h"

/* Bytes a server may send without a pong (during a probe) or unasked (between probes) before
 * we drop the connection. */
#define CRLF_JUNK_MAX 4096u
#define CRLF_UNSOLICITED_MAX (64u * 1024u)

typedef enum CrlfState {
        CRLF_CONNECTING,
        CRLF_HANDSHAKE, /* TLS only */
        CRLF_WAIT_PONG,
        CRLF_IDLE,
} CrlfState;

struct ProbeCrlf {
        int fd;
        guint watch_id;
        CrlfState state;
        size_t junk;        /* bytes without a pong in this probe */
        size_t unsolicited; /* bytes received between probes */
        bool last_cr;       /* previous chunk ended in '\r' */
#if HAVE_OPENSSL
        SSL *ssl;
#endif
};

static gboolean on_crlf_io(int fd, GIOCondition cond, gpointer userdata);

#if HAVE_OPENSSL
static SSL_CTX *tls_ctx;

static SSL_CTX *tls_context(void) {
        if (tls_ctx)
                return tls_ctx;
        tls_ctx = SSL_CTX_new(TLS_client_method());
        if (!tls_ctx)
                return NULL;
        SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
        return tls_ctx;
}
#endif

bool probe_crlf_tls_supported(void) {
        return HAVE_OPENSSL;
}

void probe_crlf_shutdown(void) {
#if HAVE_OPENSSL
        if (tls_ctx)
                SSL_CTX_free(tls_ctx);
        tls_ctx = NULL;
#endif
}

static void crlf_close(Target *t) {
        ProbeCrlf *p = t->crlf;

        if (!p)
                return;
        if (p->watch_id)
                g_source_remove(p->watch_id);
#if HAVE_OPENSSL
        if (p->ssl)
                SSL_free(p->ssl); /* no close_notify: the flow is abandoned, not ended politely */
#endif
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

#if HAVE_OPENSSL
/* An SSL_* result → 0 (would block; *want says for what), -errno, or -EPROTO (TLS failure). */
static int tls_result(ProbeCrlf *p, int ret, GIOCondition *want) {
        int e = SSL_get_error(p->ssl, ret);

        switch (e) {
        case SSL_ERROR_WANT_READ:
                *want = G_IO_IN;
                return 0;
        case SSL_ERROR_WANT_WRITE:
                *want = G_IO_OUT;
                return 0;
        case SSL_ERROR_ZERO_RETURN:
                return -ECONNRESET;
        case SSL_ERROR_SYSCALL:
                return errno > 0 ? -errno : -ECONNRESET;
        default:
                ERR_clear_error();
                return -EPROTO;
        }
}
#endif

/* Writes the whole (tiny) buffer or fails. */
static int flow_send(ProbeCrlf *p, const char *buf, size_t n) {
        ssize_t k;

#if HAVE_OPENSSL
        if (p->ssl) {
                GIOCondition want;
                int r;

                ERR_clear_error();
                r = SSL_write(p->ssl, buf, (int) n);
                if (r == (int) n)
                        return 0;
                if (r > 0)
                        return -EAGAIN;
                r = tls_result(p, r, &want);
                return r < 0 ? r : -EAGAIN;
        }
#endif
        k = send(p->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0)
                return -errno;
        return (size_t) k == n ? 0 : -EAGAIN;
}

/* > 0 bytes read, -EAGAIN nothing there, -ECONNRESET closed, other -errno. */
static ssize_t flow_recv(ProbeCrlf *p, char *buf, size_t n) {
        ssize_t k;

#if HAVE_OPENSSL
        if (p->ssl) {
                GIOCondition want;
                int r;

                ERR_clear_error();
                r = SSL_read(p->ssl, buf, (int) n);
                if (r > 0)
                        return r;
                r = tls_result(p, r, &want);
                return r < 0 ? r : -EAGAIN;
        }
#endif
        k = recv(p->fd, buf, n, MSG_DONTWAIT);
        if (k < 0)
                return errno == EINTR ? -EAGAIN : -errno;
        return k == 0 ? -ECONNRESET : k;
}

static void crlf_send_ping(Target *t) {
        static const char ping[] = "\r\n\r\n";
        ProbeCrlf *p = t->crlf;
        int r;

        r = flow_send(p, ping, sizeof(ping) - 1);
        if (r < 0) {
                crlf_fail(t, r == -EAGAIN ? TARGET_EVENT_ERROR : probe_event_from_errno(r),
                          r == -EAGAIN ? "cannot send the ping" : strerror(-r));
                return;
        }
        p->state = CRLF_WAIT_PONG;
        p->junk = 0;
        p->last_cr = false;
        crlf_watch(t, G_IO_IN);
}

/* Reads what is there; *ret_pong when it held a CRLF. */
static int crlf_read(Target *t, bool *ret_pong) {
        ProbeCrlf *p = t->crlf;
        char buf[512];
        bool pong = false;
        ssize_t n;

        /* Bounded: at most a few reads per wake-up, the rest waits for the next one. */
        for (int i = 0; i < 8; i++) {
                n = flow_recv(p, buf, sizeof(buf));
                if (n == -EAGAIN)
                        break;
                if (n < 0)
                        return (int) n;
                if (crlf_scan(&p->last_cr, buf, (size_t) n))
                        pong = true;
                if (p->state == CRLF_WAIT_PONG)
                        p->junk += (size_t) n;
                else
                        p->unsolicited += (size_t) n;
        }
        *ret_pong = pong;
        return 0;
}

static void crlf_handshake(Target *t) {
#if HAVE_OPENSSL
        ProbeCrlf *p = t->crlf;
        GIOCondition want = G_IO_IN;
        int r;

        ERR_clear_error();
        r = SSL_do_handshake(p->ssl);
        if (r == 1) {
                crlf_send_ping(t);
                return;
        }
        r = tls_result(p, r, &want);
        if (r == 0) {
                p->state = CRLF_HANDSHAKE;
                crlf_watch(t, want);
                return;
        }
        if (r == -EPROTO)
                crlf_fail(t, TARGET_EVENT_BAD_REPLY, "TLS handshake failed");
        else
                crlf_fail(t, probe_event_from_errno(r), r == -ECONNRESET ? "connection closed during the TLS handshake" : strerror(-r));
#endif
}

static void crlf_connected(Target *t) {
#if HAVE_OPENSSL
        if (t->transport == TRANSPORT_TLS) {
                ProbeCrlf *p = t->crlf;
                SSL_CTX *ctx = tls_context();

                p->ssl = ctx ? SSL_new(ctx) : NULL;
                if (!p->ssl || SSL_set_fd(p->ssl, p->fd) != 1) {
                        crlf_fail(t, TARGET_EVENT_ERROR, "cannot set up TLS");
                        return;
                }
                SSL_set_connect_state(p->ssl);
                crlf_handshake(t);
                return;
        }
#endif
        crlf_send_ping(t);
}

static gboolean on_crlf_io(int fd, GIOCondition cond, gpointer userdata) {
        Target *t = userdata;
        ProbeCrlf *p = t->crlf;
        bool pong = false;
        int r;

        if (p->state == CRLF_CONNECTING) {
                int error = probe_tcp_connect_result(fd);

                p->watch_id = 0;
                if (error != 0) {
                        crlf_fail(t, probe_event_from_errno(error), strerror(error));
                        return G_SOURCE_REMOVE;
                }
                crlf_connected(t);
                return G_SOURCE_REMOVE; /* the next step installed its own watch */
        }
        if (p->state == CRLF_HANDSHAKE) {
                p->watch_id = 0;
                crlf_handshake(t);
                return G_SOURCE_REMOVE;
        }

        r = crlf_read(t, &pong);
        if (r < 0) {
                p->watch_id = 0;
                if (p->state == CRLF_WAIT_PONG)
                        crlf_fail(t, r == -EPROTO ? TARGET_EVENT_BAD_REPLY : probe_event_from_errno(r),
                                  r == -ECONNRESET ? "connection closed by the server" : strerror(-r));
                else {
                        /* Closed between probes: find out now whether the server is still there. */
                        log_debug("CRLF flow to %s:%u closed by the server: %s", t->address, t->port, strerror(-r));
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
        int r;

        if (t->crlf && t->crlf->state == CRLF_IDLE) {
                crlf_send_ping(t);
                return;
        }
        crlf_close(t);

        r = probe_tcp_connect(t, &fd);
        if (r < 0)
                return;
        p = calloc(1, sizeof(*p));
        if (!p) {
                manager_probe_done(t, TARGET_EVENT_ERROR, 0, "out of memory");
                return;
        }
        p->fd = TAKE_FD(fd);
        t->crlf = p;

        if (r > 0) {
                crlf_connected(t);
                return;
        }
        p->state = CRLF_CONNECTING;
        crlf_watch(t, G_IO_OUT);
}
