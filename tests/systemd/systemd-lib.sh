#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the systemd lab tests: the lab, and which daemons this build has.
# shellcheck source=../lab/lab.sh
source "${SIPR_LAB:-$(dirname "${BASH_SOURCE[0]}")/../lab}/lab.sh"

sd_built() { [[ -x "$SIPR_BUILD_ROOT/services/$1/sipr-$1" ]]; } # NAME

# sd_missing_daemons WHY — SD_MISSING: the daemons not built yet; with none built at all the test
# is skipped, saying "no sipr daemon is built yet" and WHY.
sd_missing_daemons() {
        local s
        SD_MISSING=()
        for s in configd resolverd healthd regd; do
                sd_built "$s" || SD_MISSING+=("$s")
        done
        if ((${#SD_MISSING[@]} == 4)); then
                echo "SKIP: no sipr daemon is built yet$1"
                exit 77
        fi
}
