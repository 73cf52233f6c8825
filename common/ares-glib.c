/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "ares-glib.h"
#include "log.h"

#define ARES_GLIB_MAX_FDS 64

typedef struct AresFd {
        int fd;
        gpointer tag;
} AresFd;

typedef struct AresSource {
        GSource source;
        AresGlib *owner;
} AresSource;

struct AresGlib {
        unsigned n_ref;
        ares_channel channel;
        bool channel_ok;
        bool destroying;
        AresSource *source;
        AresFd fds[ARES_GLIB_MAX_FDS];
        unsigned n_fds;
};

static AresFd *ares_glib_find_fd(AresGlib *a, int fd) {
        for (unsigned i = 0; i < a->n_fds; i++)
                if (a->fds[i].fd == fd)
                        return &a->fds[i];
        return NULL;
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable) {
        AresGlib *a = data;
        GIOCondition cond = (readable ? G_IO_IN : 0) | (writable ? G_IO_OUT : 0);
        AresFd *f;

        if (!a->source)
                return;

        f = ares_glib_find_fd(a, fd);
        if (cond == 0) {
                /* c-ares closes the socket after this; forget it first. */
                if (!f)
                        return;
                g_source_remove_unix_fd(&a->source->source, f->tag);
                *f = a->fds[--a->n_fds];
                return;
        }
        if (f) {
                g_source_modify_unix_fd(&a->source->source, f->tag, cond);
                return;
        }
        if (a->n_fds >= ARES_GLIB_MAX_FDS) {
                /* Cannot happen with our server counts; c-ares then only progresses on timeouts. */
                log_error("c-ares wants more than %d sockets polled, ignoring fd %d.", ARES_GLIB_MAX_FDS, fd);
                return;
        }
        a->fds[a->n_fds++] = (AresFd) {
                .fd = fd,
                .tag = g_source_add_unix_fd(&a->source->source, fd, cond),
        };
}

static gboolean ares_source_prepare(GSource *source, gint *timeout) {
        AresGlib *a = ((AresSource *) source)->owner;
        struct timeval tv, *tvp;

        tvp = ares_timeout(a->channel, NULL, &tv);
        if (!tvp) {
                *timeout = -1;
                return FALSE;
        }
        if (tvp->tv_sec == 0 && tvp->tv_usec == 0) {
                *timeout = 0;
                return TRUE;
        }
        /* Round up so we do not wake before c-ares has a timeout to handle. */
        *timeout = (gint) MIN((uint64_t) tvp->tv_sec * 1000 + ((uint64_t) tvp->tv_usec + 999) / 1000,
                              (uint64_t) G_MAXINT);
        return FALSE;
}

static gboolean ares_source_check(GSource *source) {
        AresGlib *a = ((AresSource *) source)->owner;
        struct timeval tv, *tvp;

        for (unsigned i = 0; i < a->n_fds; i++)
                if (g_source_query_unix_fd(source, a->fds[i].tag))
                        return TRUE;

        tvp = ares_timeout(a->channel, NULL, &tv);
        return tvp && tvp->tv_sec == 0 && tvp->tv_usec == 0;
}

static gboolean ares_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data) {
        AresGlib *a = ((AresSource *) source)->owner;
        AresFd ready[ARES_GLIB_MAX_FDS];
        GIOCondition conds[ARES_GLIB_MAX_FDS];
        unsigned n = 0;

        /* Copy first: ares_process_fd() calls on_sock_state(), which edits a->fds. */
        for (unsigned i = 0; i < a->n_fds; i++) {
                GIOCondition c = g_source_query_unix_fd(source, a->fds[i].tag);
                if (c) {
                        ready[n] = a->fds[i];
                        conds[n++] = c;
                }
        }

        ares_glib_ref(a);
        for (unsigned i = 0; i < n && a->channel_ok; i++) {
                /* Errors and hang-ups are read events for c-ares: the read reports them. */
                bool rd = conds[i] & (G_IO_IN | G_IO_HUP | G_IO_ERR);
                bool wr = conds[i] & G_IO_OUT;

                if (!ares_glib_find_fd(a, ready[i].fd))
                        continue;
                ares_process_fd(a->channel, rd ? ready[i].fd : ARES_SOCKET_BAD, wr ? ready[i].fd : ARES_SOCKET_BAD);
        }
        /* Timeouts (and retries on other servers) are processed with no fd. */
        if (a->channel_ok)
                ares_process_fd(a->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        ares_glib_unref(a);
        return G_SOURCE_CONTINUE;
}

static GSourceFuncs ares_source_funcs = {
        .prepare = ares_source_prepare,
        .check = ares_source_check,
        .dispatch = ares_source_dispatch,
};

int ares_status_to_errno(int status) {
        switch (status) {
        case ARES_SUCCESS:
                return 0;
        case ARES_ENODATA:
        case ARES_ENOTFOUND:
        case ARES_ENONAME:
                return -ENOENT;
        case ARES_ETIMEOUT:
                return -ETIMEDOUT;
        case ARES_ECONNREFUSED:
        case ARES_EREFUSED:
                return -ECONNREFUSED;
        case ARES_ESERVFAIL:
                return -EHOSTUNREACH;
        case ARES_EFORMERR:
        case ARES_EBADRESP:
        case ARES_EBADNAME:
        case ARES_EBADSTR:
        case ARES_EBADFAMILY:
                return -EBADMSG;
        case ARES_ENOMEM:
                return -ENOMEM;
        case ARES_ECANCELLED:
        case ARES_EDESTRUCTION:
                return -ECANCELED;
        case ARES_ENOTIMP:
                return -EOPNOTSUPP;
        default:
                return -EIO;
        }
}

int ares_glib_new(GMainContext *context, const struct ares_options *options, int optmask, AresGlib **ret) {
        static bool library_ready;
        struct ares_options opts = {};
        AresGlib *a;
        int r;

        if (!library_ready) {
                r = ares_library_init(ARES_LIB_INIT_ALL);
                if (r != ARES_SUCCESS)
                        return log_error_errno(ENOMEM, "c-ares library init failed: %s", ares_strerror(r));
                library_ready = true;
        }

        a = g_new0(AresGlib, 1);
        a->n_ref = 1;
        a->source = (AresSource *) g_source_new(&ares_source_funcs, sizeof(AresSource));
        a->source->owner = a;
        g_source_set_name(&a->source->source, "c-ares");

        if (options)
                opts = *options;
        opts.sock_state_cb = on_sock_state;
        opts.sock_state_cb_data = a;
        r = ares_init_options(&a->channel, &opts, optmask | ARES_OPT_SOCK_STATE_CB);
        if (r != ARES_SUCCESS) {
                g_source_unref(&a->source->source);
                g_free(a);
                return log_error_errno(ares_status_to_errno(r), "Failed to create a c-ares channel: %s",
                                       ares_strerror(r));
        }
        a->channel_ok = true;
        g_source_attach(&a->source->source, context);
        *ret = a;
        return 0;
}

AresGlib *ares_glib_ref(AresGlib *a) {
        if (a)
                a->n_ref++;
        return a;
}

AresGlib *ares_glib_unref(AresGlib *a) {
        if (!a || a->destroying || --a->n_ref > 0)
                return NULL;

        /* Pending queries get ARES_EDESTRUCTION; a callback dropping a reference must not
         * recurse into a second destruction. */
        a->destroying = true;
        a->channel_ok = false;
        ares_destroy(a->channel);
        for (unsigned i = 0; i < a->n_fds; i++)
                g_source_remove_unix_fd(&a->source->source, a->fds[i].tag);
        a->n_fds = 0;
        g_source_destroy(&a->source->source);
        g_source_unref(&a->source->source);
        a->source = NULL;
        g_free(a);
        return NULL;
}

ares_channel ares_glib_channel(AresGlib *a) {
        return a->channel;
}

