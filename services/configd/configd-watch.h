/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Following the config directory without SIGHUP (sipr.config.watch, off by default): inotify on
 * the directory, and Manager.files_changed once the common or the device file was written,
 * renamed into place or removed, after the writes have settled. Domain code: no D-Bus. */

#include "configd-manager.h"

/* After any change of the effective configuration: starts or stops watching per the key. */
void watch_config_changed(Manager *m);
void watch_free(Manager *m);
