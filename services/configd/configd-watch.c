/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib-unix.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "configd-watch.h"
#include "log.h"
#include "timer.h"
#include "util.h"

/* A publisher may write a file in several steps: reload once they have settled. */
#define SETTLE_MSEC 500U

struct ConfigWatch {
        int fd;
        guint io_id, settle_id;
};

static bool watched_name(Manager *m, const char *name) {
        char device[32];

        if (streq(name, COMMON_FILE))
                return true;
        if (isempty(m->mac))
                return false;
        snprintf(device, sizeof(device), "%s.cfg", m->mac);
        /* The device file may be published in upper case too (layer_load() tries both). */
        return strcasecmp(name, device) == 0;
}

static gboolean on_settled(gpointer userdata) {
        Manager *m = userdata;

        m->watch->settle_id = 0;
        log_info("The provisioning files in %s changed: reloading (sipr.config.watch).", m->config_dir);
        if (m->files_changed)
                m->files_changed(m);
        return G_SOURCE_REMOVE;
}

static gboolean on_inotify(gint fd, GIOCondition cond, gpointer userdata) {
        Manager *m = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool relevant = false;
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        if (e->len > 0 && watched_name(m, e->name))
                                relevant = true;
                        if (e->mask & IN_Q_OVERFLOW)
                                relevant = true; /* events were lost: assume ours among them */
                        p += sizeof(*e) + e->len;
                }
        if (relevant && m->watch->settle_id == 0)
                m->watch->settle_id = timer_add_msec(SETTLE_MSEC, on_settled, m);
        return G_SOURCE_CONTINUE;
}

void watch_free(Manager *m) {
        ConfigWatch *w = m->watch;

        if (!w)
                return;
        if (w->io_id > 0)
                g_source_remove(w->io_id);
        if (w->settle_id > 0)
                g_source_remove(w->settle_id);
        closep(&w->fd);
        free(w);
        m->watch = NULL;
}

static int watch_start(Manager *m) {
        _cleanup_close_ int fd = -1;
        ConfigWatch *w;

        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Written in place (close after write), renamed into place, created, removed. */
        if (inotify_add_watch(fd, m->config_dir,
                              IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                      IN_ONLYDIR) < 0)
                return -errno;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->fd = TAKE_FD(fd);
        w->io_id = g_unix_fd_add(w->fd, G_IO_IN, on_inotify, m);
        m->watch = w;
        return 0;
}

void watch_config_changed(Manager *m) {
        const char *v = g_hash_table_lookup(m->effective, "sipr.config.watch");
        bool want = v && streq(v, "1");
        int r;

        if (want == !!m->watch)
                return;
        if (!want) {
                watch_free(m);
                log_info("No longer following %s (sipr.config.watch = 0).", m->config_dir);
                return;
        }
        r = watch_start(m);
        if (r < 0)
                log_warning_errno(r,
                                  "Cannot follow %s (sipr.config.watch): %m; Reload or SIGHUP still work.",
                                  m->config_dir);
        else
                log_info("Following %s: a changed common or device file is reloaded (sipr.config.watch).",
                         m->config_dir);
}
