/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* When targets are probed (schedule.c), with the randomness injected: the period of active and
 * standby targets, ± 10 % jitter, the first probe anywhere in the period, a successful Report
 * pushing the next probe back, confirmation at the active pace. */
#include <assert.h>
#include <stdio.h>

#include "macro.h"
#include "schedule.h"

#define S 1000000ULL /* 1 s in µs */

/* A fixed sequence of "random" numbers, so that the test sees the same draws every run. */
static uint64_t lcg_state = 42;
static uint64_t lcg(void) {
        lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return lcg_state;
}

static void test_period(void) {
        assert(schedule_period_usec(5 * S, 30 * S, false) == 5 * S);
        assert(schedule_period_usec(5 * S, 30 * S, true) == 30 * S);
        /* A standby interval shorter than the interval never makes standby probe more often. */
        assert(schedule_period_usec(60 * S, 30 * S, true) == 60 * S);
        assert(schedule_period_usec(5 * S, 5 * S, true) == 5 * S);
}

static void test_jitter(void) {
        const uint64_t p = 5 * S;
        uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
        const unsigned n = 20000;

        assert(schedule_jitter_usec(p, 0) == p - p / 10);
        assert(schedule_jitter_usec(p, 2 * (p / 10)) == p + p / 10);
        assert(schedule_jitter_usec(p, p / 10) == p);
        assert(schedule_jitter_usec(p, UINT64_MAX) >= p - p / 10);
        assert(schedule_jitter_usec(p, UINT64_MAX) <= p + p / 10);
        for (unsigned i = 0; i < n; i++) {
                uint64_t j = schedule_jitter_usec(p, lcg());
                assert(j >= p - p / 10 && j <= p + p / 10);
                sum += j;
                lo = MIN(lo, j);
                hi = MAX(hi, j);
        }
        /* Both ends are reached and the mean stays the period (so the probe rate is 1/period). */
        assert(lo < p - p / 10 + p / 100);
        assert(hi > p + p / 10 - p / 100);
        assert(sum / n > p - p / 100 && sum / n < p + p / 100);
}

static void test_first(void) {
        const uint64_t now = 100 * S, p = 30 * S;
        unsigned buckets[10] = {};

        assert(schedule_first_usec(now, p, 0) == now);
        assert(schedule_first_usec(now, p, p - 1) == now + p - 1);
        assert(schedule_first_usec(now, p, p) == now);
        assert(schedule_first_usec(now, 0, 12345) == now);
        /* Anywhere in the period: every tenth of it gets some of 1000 draws. */
        for (unsigned i = 0; i < 1000; i++) {
                uint64_t t = schedule_first_usec(now, p, lcg());
                assert(t >= now && t < now + p);
                buckets[(t - now) * 10 / p]++;
        }
        for (unsigned i = 0; i < 10; i++)
                assert(buckets[i] > 50);
}

static void test_next(void) {
        const uint64_t iv = 5 * S, standby = 30 * S, start = 1000 * S;
        const uint64_t mid = iv / 10; /* the rnd that gives exactly the period */
        const uint64_t smid = standby / 10;

        /* Steady: one (jittered) period after the start of the last probe. */
        assert(schedule_next_usec(false, iv, iv, start, 0, start + 300, mid) == start + iv);
        assert(schedule_next_usec(false, iv, iv, start, 0, start + 300, 0) == start + iv - iv / 10);
        assert(schedule_next_usec(false, iv, standby, start, 0, start + 300, smid) == start + standby);
        /* A successful Report during the probe: one period after the Report. */
        assert(schedule_next_usec(false, iv, iv, start, start + 2 * S, start + 3 * S, mid) ==
               start + 2 * S + iv);
        /* One before the probe started counts for nothing more. */
        assert(schedule_next_usec(false, iv, iv, start, start - S, start + 300, mid) == start + iv);
        /* Confirming a change: half the active interval, even for a standby target, no jitter. */
        assert(schedule_next_usec(true, iv, standby, start, 0, start + 10, 0) == start + iv / 2);
        assert(schedule_next_usec(true, iv, standby, start, start + S, start + 10, lcg()) == start + iv / 2);
        /* After a timeout (which took interval/2) the confirmation starts at once; never in the past. */
        assert(schedule_next_usec(true, iv, iv, start, 0, start + iv / 2 + 7, 0) == start + iv / 2 + 7);
        assert(schedule_next_usec(false, iv, iv, start, 0, start + 2 * iv, mid) == start + 2 * iv);
}

static void test_after_proof(void) {
        const uint64_t iv = 5 * S, now = 500 * S;

        /* Due in 1 s: traffic just answered, so the probe moves a whole period away. */
        assert(schedule_after_proof_usec(now + S, iv, now, iv / 10) == now + iv);
        for (unsigned i = 0; i < 100; i++) {
                uint64_t t = schedule_after_proof_usec(now + S, iv, now, lcg());
                assert(t >= now + iv - iv / 10 && t <= now + iv + iv / 10);
        }
        /* Never brought forward: a standby probe due in 25 s stays there. */
        assert(schedule_after_proof_usec(now + 25 * S, iv, now, iv / 10) == now + 25 * S);
        /* Reports every second hold the probe off for as long as they come. */
        uint64_t due = now + S;
        for (uint64_t t = now; t < now + 60 * S; t += S) {
                assert(due > t);
                due = schedule_after_proof_usec(due, iv, t, lcg());
        }
}

int main(void) {
        test_period();
        test_jitter();
        test_first();
        test_next();
        test_after_proof();
        printf("ok\n");
        return 0;
}
