/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "timer.h"

static unsigned live;

/* GLib calls this once, when the source is destroyed, whatever ended it. */
static void on_timer_destroyed(gpointer userdata) {
        (void) userdata;
        g_assert(live > 0);
        live--;
}

guint timer_add_msec(guint msec, GSourceFunc func, void *userdata) {
        live++;
        return g_timeout_add_full(G_PRIORITY_DEFAULT, msec, func, userdata, on_timer_destroyed);
}

guint timer_add_seconds(guint seconds, GSourceFunc func, void *userdata) {
        live++;
        return g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, seconds, func, userdata, on_timer_destroyed);
}

guint timer_add_idle(GSourceFunc func, void *userdata) {
        live++;
        return g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, func, userdata, on_timer_destroyed);
}

unsigned timer_count_live(void) {
        return live;
}
