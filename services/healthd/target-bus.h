/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

#define TARGET_BUS_PATH_PREFIX "/org/sipr/Health1/target"
#define TARGET_BUS_INTERFACE "org.sipr.Health1.Target"

int target_bus_register(Manager *m);
/* One PropertiesChanged carrying every property in the TARGET_PROP_* mask; none for 0. */
void target_bus_emit_changed(Target *t, unsigned changed);
void target_bus_emit_added(Target *t);
void target_bus_emit_removed(Target *t);
