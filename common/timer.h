/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* GLib timeouts and idles that count themselves. Every timer a sipr daemon arms goes through
 * here, so the number that are alive is known: the SIGUSR1 state dump reports it and the soak
 * test fails when it grows. A timer stops counting when GLib destroys its source (the callback
 * returned G_SOURCE_REMOVE, or g_source_remove()). Single-threaded, like the daemons. */

guint timer_add_msec(guint msec, GSourceFunc func, void *userdata);
guint timer_add_seconds(guint seconds, GSourceFunc func, void *userdata);
guint timer_add_idle(GSourceFunc func, void *userdata);

/* Timers armed through this file and not yet destroyed. */
unsigned timer_count_live(void);
