/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

/* org.sipr.Registration1 on /org/sipr/Registration1 (+ ObjectManager). */
int registration_bus_register(Manager *m);
void registration_bus_accounts_changed(Manager *m);
