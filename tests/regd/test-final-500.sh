#!/usr/bin/env bash
# See final-error-case.sh.
exec "$(dirname "$0")/final-error-case.sh" 500
