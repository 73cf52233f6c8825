#!/usr/bin/env bash
# See failover-case.sh: failback mode 0 with sipr-healthd running.
exec "$(dirname "$0")/failover-case.sh" udp kill 0 health
