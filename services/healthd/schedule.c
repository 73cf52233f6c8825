/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "schedule.h"

uint64_t schedule_period_usec(uint64_t interval_usec, uint64_t standby_interval_usec, bool standby) {
        return standby ? MAX(interval_usec, standby_interval_usec) : interval_usec;
}

uint64_t schedule_jitter_usec(uint64_t period_usec, uint64_t rnd) {
        uint64_t spread = period_usec / 100 * SCHEDULE_JITTER_PERCENT;

        /* 0.9 × period + [0, 0.2 × period]: the mean stays the period. */
        return period_usec - spread + rnd % (2 * spread + 1);
}

uint64_t schedule_first_usec(uint64_t now_usec, uint64_t period_usec, uint64_t rnd) {
        return now_usec + (period_usec > 0 ? rnd % period_usec : 0);
}

uint64_t schedule_next_usec(bool confirming, uint64_t interval_usec, uint64_t period_usec,
                            uint64_t start_usec, uint64_t proof_usec, uint64_t now_usec, uint64_t rnd) {
        uint64_t next;

        if (confirming)
                next = start_usec + interval_usec / 2;
        else
                next = MAX(start_usec, proof_usec) + schedule_jitter_usec(period_usec, rnd);
        return MAX(next, now_usec);
}

uint64_t schedule_after_proof_usec(uint64_t due_usec, uint64_t period_usec, uint64_t now_usec,
                                   uint64_t rnd) {
        return MAX(due_usec, now_usec + schedule_jitter_usec(period_usec, rnd));
}
