/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "configd-manager.h"

#define CONFIG_BUS_PATH "/org/sipr/Config1"
#define CONFIG_BUS_INTERFACE "org.sipr.Config1"

/* Exports org.sipr.Config1 on /org/sipr/Config1. */
int config_bus_export(Manager *m);

/* Emits Changed(keys) and PropertiesChanged(Generation, Sources) after a change. */
void config_bus_emit_changed(Manager *m, char **changed);

/* SIGHUP and Reload share this: re-reads the files, emits on change. */
int config_bus_reload(Manager *m, char **ret_error);
