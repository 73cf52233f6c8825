/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Every D-Bus error sipr returns, in one place (API.md: org.sipr.Error.<Name>). Each maps
 * to an errno so internal code keeps returning -errno and the bus layer converts. */
#define SIPR_ERROR_UNKNOWN_KEY "org.sipr.Error.UnknownKey"         /* ENOKEY */
#define SIPR_ERROR_INVALID_VALUE "org.sipr.Error.InvalidValue"     /* EINVAL (config values) */
#define SIPR_ERROR_INVALID_FILE "org.sipr.Error.InvalidFile"       /* EBADMSG */
#define SIPR_ERROR_INVALID_ARGS "org.sipr.Error.InvalidArgs"       /* bad method arguments */
#define SIPR_ERROR_NOT_FOUND "org.sipr.Error.NotFound"             /* ENOENT: DNS no answer */
#define SIPR_ERROR_TIMEOUT "org.sipr.Error.Timeout"                /* ETIMEDOUT */
#define SIPR_ERROR_NO_SUCH_TARGET "org.sipr.Error.NoSuchTarget"    /* ENODEV */
#define SIPR_ERROR_IO "org.sipr.Error.IO"                          /* EIO: persisting failed */
#define SIPR_ERROR_FAILED "org.sipr.Error.Failed"                  /* anything else */

extern const sd_bus_error_map sipr_error_map[];

/* Registers sipr_error_map with sd-bus once; safe to call repeatedly. */
void sipr_error_map_register(void);
