/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "sipr-error.h"

const sd_bus_error_map sipr_error_map[] = {
        SD_BUS_ERROR_MAP(SIPR_ERROR_UNKNOWN_KEY, ENOKEY),
        SD_BUS_ERROR_MAP(SIPR_ERROR_INVALID_VALUE, EINVAL),
        SD_BUS_ERROR_MAP(SIPR_ERROR_INVALID_FILE, EBADMSG),
        SD_BUS_ERROR_MAP(SIPR_ERROR_INVALID_ARGS, EINVAL),
        SD_BUS_ERROR_MAP(SIPR_ERROR_NOT_FOUND, ENOENT),
        SD_BUS_ERROR_MAP(SIPR_ERROR_TIMEOUT, ETIMEDOUT),
        SD_BUS_ERROR_MAP(SIPR_ERROR_NO_SUCH_TARGET, ENODEV),
        SD_BUS_ERROR_MAP(SIPR_ERROR_IO, EIO),
        SD_BUS_ERROR_MAP(SIPR_ERROR_FAILED, EIO),
        SD_BUS_ERROR_MAP_END,
};

void sipr_error_map_register(void) {
        static int done;

        if (done)
                return;
        (void) sd_bus_error_add_map(sipr_error_map);
        done = 1;
}
