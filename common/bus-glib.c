/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "bus-glib.h"
#include "log.h"

typedef struct BusSource {
        GSource source;
        sd_bus *bus;
        GPollFD pollfd;
        uint64_t deadline; /* CLOCK_MONOTONIC µs, UINT64_MAX for none */
        BusGlibDisconnectFunc on_disconnect;
        void *userdata;
        bool dead;
} BusSource;

static uint64_t now_monotonic_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static gboolean bus_source_prepare(GSource *source, gint *timeout) {
        BusSource *s = (BusSource *) source;
        uint64_t now;
        int events;

        if (s->dead) {
                *timeout = -1;
                return FALSE;
        }

        events = sd_bus_get_events(s->bus);
        s->pollfd.events = 0;
        if (events > 0) {
                if (events & POLLIN)
                        s->pollfd.events |= G_IO_IN;
                if (events & POLLOUT)
                        s->pollfd.events |= G_IO_OUT;
        }

        if (sd_bus_get_timeout(s->bus, &s->deadline) < 0)
                s->deadline = UINT64_MAX;

        if (s->deadline == UINT64_MAX) {
                *timeout = -1;
                return FALSE;
        }

        now = now_monotonic_usec();
        if (s->deadline <= now) {
                *timeout = 0;
                return TRUE;
        }
        /* Round up so we never wake before sd-bus has work to do. */
        *timeout = (gint) MIN((s->deadline - now + 999) / 1000, (uint64_t) G_MAXINT);
        return FALSE;
}

static gboolean bus_source_check(GSource *source) {
        BusSource *s = (BusSource *) source;

        if (s->dead)
                return FALSE;
        if (s->pollfd.revents & (G_IO_IN | G_IO_OUT | G_IO_HUP | G_IO_ERR))
                return TRUE;
        return s->deadline != UINT64_MAX && s->deadline <= now_monotonic_usec();
}

static gboolean bus_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data) {
        BusSource *s = (BusSource *) source;
        int r;

        /* Bounded in messages and in time, so one busy peer cannot starve the rest of the loop
         * (a flood of GetManagedObjects costs ms each); whatever is left makes
         * sd_bus_get_timeout() return 0 and we come straight back, after the sources of higher
         * priority (the SIP sockets and timers) had their turn. */
        uint64_t until = now_monotonic_usec() + BUS_GLIB_DISPATCH_USEC_MAX;
        for (unsigned i = 0; i < 64 && (i == 0 || now_monotonic_usec() < until); i++) {
                r = sd_bus_process(s->bus, NULL);
                if (r < 0) {
                        log_error_errno(r, "D-Bus connection failed: %m");
                        s->dead = true;
                        if (s->on_disconnect)
                                s->on_disconnect(s->bus, r, s->userdata);
                        return G_SOURCE_REMOVE;
                }
                if (r == 0)
                        break;
        }

        if (!sd_bus_is_open(s->bus)) {
                s->dead = true;
                if (s->on_disconnect)
                        s->on_disconnect(s->bus, -ECONNRESET, s->userdata);
                return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
}

static void bus_source_finalize(GSource *source) {
        BusSource *s = (BusSource *) source;

        sd_bus_unref(s->bus);
}

static GSourceFuncs bus_source_funcs = {
        .prepare = bus_source_prepare,
        .check = bus_source_check,
        .dispatch = bus_source_dispatch,
        .finalize = bus_source_finalize,
};

int bus_glib_attach(sd_bus *bus, GMainContext *context, BusGlibDisconnectFunc on_disconnect,
                    void *userdata, GSource **ret) {
        BusSource *s;
        int fd;

        if (!bus)
                return -EINVAL;
        fd = sd_bus_get_fd(bus);
        if (fd < 0)
                return fd;

        s = (BusSource *) g_source_new(&bus_source_funcs, sizeof(BusSource));
        s->bus = sd_bus_ref(bus);
        s->pollfd.fd = fd;
        s->deadline = UINT64_MAX;
        s->on_disconnect = on_disconnect;
        s->userdata = userdata;
        g_source_set_name(&s->source, "sd-bus");
        /* Below the default priority of the sockets and timers the daemon serves: what any
         * local user can send on the bus must never delay a SIP answer or a probe. */
        g_source_set_priority(&s->source, BUS_GLIB_PRIORITY);
        g_source_add_poll(&s->source, &s->pollfd);
        g_source_attach(&s->source, context);

        if (ret)
                *ret = &s->source;
        else
                g_source_unref(&s->source);
        return 0;
}
