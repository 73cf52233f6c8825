/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

#define HEALTH_BUS_PATH "/org/sipr/Health1"
#define HEALTH_BUS_INTERFACE "org.sipr.Health1"

/* Exports the root object (org.sipr.Health1 + ObjectManager) and the target objects. */
int health_bus_register(Manager *m);
void health_bus_done(Manager *m);
