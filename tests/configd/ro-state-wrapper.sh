#!/usr/bin/env bash
# SIPR_WRAPPER for the read-only state dir test: runs the daemon in its own mount namespace where
# $CFG_RO_DIR is bind-mounted read-only (root ignores file modes, a read-only mount it cannot).
set -euo pipefail
exec unshare --mount --propagation private sh -c 'mount --bind -o ro "$0" "$0" && exec "$@"' "$CFG_RO_DIR" "$@"
