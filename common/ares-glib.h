/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <ares.h>
#include <glib.h>

#include "macro.h"

/* A c-ares channel driven by a GLib main context: c-ares tells us which sockets it wants
 * polled (ARES_OPT_SOCK_STATE_CB), a GSource polls them with the timeout ares_timeout()
 * asks for, and dispatch runs ares_process_fd(). No threads, no blocking calls.
 *
 * Reference counted: a lookup keeps the channel it started on alive, so the manager can
 * swap in a channel with new servers while older queries finish on the old one. The
 * channel is destroyed (pending callbacks get ARES_EDESTRUCTION) with the last reference. */
typedef struct AresGlib AresGlib;

/* options/optmask as for ares_init_options(); the socket state callback is ours, any
 * ARES_OPT_SOCK_STATE_CB in optmask is ignored. */
int ares_glib_new(GMainContext *context, const struct ares_options *options, int optmask, AresGlib **ret);
AresGlib *ares_glib_ref(AresGlib *a);
AresGlib *ares_glib_unref(AresGlib *a);
ares_channel ares_glib_channel(AresGlib *a);

static inline void ares_glib_unrefp(AresGlib **a) {
        if (*a)
                ares_glib_unref(*a);
}

/* c-ares status → -errno (ETIMEDOUT, ENOENT, ECONNREFUSED, EBADMSG, …). */
int ares_status_to_errno(int status);
