/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "siprctl.h"

/* Filled in by the issue that builds this service. */
const SiprctlCommand siprctl_resolve_commands[] = {
        {},
};
