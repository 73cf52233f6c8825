#!/usr/bin/env bash
# See failover-case.sh.
exec "$(dirname "$0")/failover-case.sh" tcp freeze 2
