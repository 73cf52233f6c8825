/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

/* Runs an sd_bus connection inside a GLib main context: a GSource polls the bus fd with
 * the events and timeout sd-bus asks for and drains sd_bus_process(). When the connection
 * dies, on_disconnect (if set) is called once and the source removes itself. */
typedef void (*BusGlibDisconnectFunc)(sd_bus *bus, int error, void *userdata);

/* The bus source runs below G_PRIORITY_DEFAULT (the daemons' sockets and timers) and above the
 * SIP edge's local UAs (G_PRIORITY_DEFAULT + 50), and handles at most 64 messages or 5 ms per
 * turn. */
#define BUS_GLIB_PRIORITY (G_PRIORITY_DEFAULT + 10)
#define BUS_GLIB_DISPATCH_USEC_MAX (5 * 1000ULL)

int bus_glib_attach(sd_bus *bus, GMainContext *context, BusGlibDisconnectFunc on_disconnect,
                    void *userdata, GSource **ret);
