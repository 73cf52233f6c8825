/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* org.freedesktop.LogControl1 on /org/freedesktop/LogControl1, so that
 * "systemctl service-log-level sipr-regd debug" changes a running daemon's log level.
 * Writing is gated by the bus policy (dbus/system.d: root only). */
int log_control_bus_add(sd_bus *bus, sd_bus_slot **ret_slot);
