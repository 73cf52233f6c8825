#!/usr/bin/env bash
# See failover-case.sh: failback mode 2 with sipr-healthd running.
exec "$(dirname "$0")/failover-case.sh" udp kill 2 health
