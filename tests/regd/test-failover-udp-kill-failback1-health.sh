#!/usr/bin/env bash
# See failover-case.sh: failback mode 1 with sipr-healthd running.
exec "$(dirname "$0")/failover-case.sh" udp kill 1 health
