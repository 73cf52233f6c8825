#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the systemd lab tests: the lab, and which daemons this build has.
# shellcheck source=../lab/lab.sh
source "${SIPR_LAB:-$(dirname "${BASH_SOURCE[0]}")/../lab}/lab.sh"

sd_built() { [[ -x "$SIPR_BUILD_ROOT/services/$1/sipr-$1" ]]; } # NAME

# sd_missing_daemons WHY — every daemon must be built: meson builds them before these tests, so
# one missing is a broken build, never a reason to skip (a skip would hide every check below).
sd_missing_daemons() {
        local s
        for s in configd resolverd healthd regd; do
                sd_built "$s" || lab_fail "sipr-$s is not built ($SIPR_BUILD_ROOT/services/$s/sipr-$s)$1"
        done
}
