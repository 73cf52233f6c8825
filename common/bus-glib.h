/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

/* Runs an sd_bus connection inside a GLib main context: a GSource polls the bus fd with
 * the events and timeout sd-bus asks for and drains sd_bus_process(). When the connection
 * dies, on_disconnect (if set) is called once and the source removes itself. */
typedef void (*BusGlibDisconnectFunc)(sd_bus *bus, int error, void *userdata);

int bus_glib_attach(sd_bus *bus, GMainContext *context, BusGlibDisconnectFunc on_disconnect,
                    void *userdata, GSource **ret);
