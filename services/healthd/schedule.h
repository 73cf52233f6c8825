/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* When a target is probed: pure arithmetic on monotonic µs. Randomness comes in as an argument
 * (rnd: any uniformly drawn 64-bit number), so that tests inject it and the daemon draws it. */

/* Each period is randomised by ± this much, so that targets, and devices of a fleet, that start
 * together do not stay in step. */
#define SCHEDULE_JITTER_PERCENT 10u

/* The period a target is probed at: its interval while any watcher uses it (active); a standby
 * target (every watcher said so) at the standby interval, never more often than the interval. */
uint64_t schedule_period_usec(uint64_t interval_usec, uint64_t standby_interval_usec, bool standby);

/* period ± SCHEDULE_JITTER_PERCENT %, drawn from rnd. */
uint64_t schedule_jitter_usec(uint64_t period_usec, uint64_t rnd);

/* The first probe of a target (and the next one when its period shrank): at a random point of
 * its period, so a burst of watches (a fleet rebooting after a power cut) spreads out. */
uint64_t schedule_first_usec(uint64_t now_usec, uint64_t period_usec, uint64_t rnd);

/* After a probe that started at start_usec, seen ended at now_usec. While a change is being
 * confirmed: half the (active) interval after the start, so a standby target that fails is
 * confirmed as fast as an active one. Otherwise one jittered period after the latest proof of
 * life: this probe's start, or a later successful Report (proof_usec, 0 = none). Never in the
 * past. */
uint64_t schedule_next_usec(bool confirming, uint64_t interval_usec, uint64_t period_usec,
                            uint64_t start_usec, uint64_t proof_usec, uint64_t now_usec, uint64_t rnd);

/* Traffic proved the target alive at now_usec (a successful Report): the probe due at due_usec
 * is pushed back to one jittered period from now; never brought forward. */
uint64_t schedule_after_proof_usec(uint64_t due_usec, uint64_t period_usec, uint64_t now_usec, uint64_t rnd);
