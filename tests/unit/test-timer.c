/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/timer.c: the live-timer count follows every way a GLib timer ends (it fired and
 * returned G_SOURCE_REMOVE, it was removed, it keeps firing), since the soak test judges
 * leaks by it. */
#include <stdio.h>
#include <stdlib.h>

#include "timer.h"
#include "../test-check.h"

static unsigned fired;

static gboolean on_once(gpointer userdata) {
        (void) userdata;
        fired++;
        return G_SOURCE_REMOVE;
}

static gboolean on_repeat(gpointer userdata) {
        unsigned *n = userdata;
        return ++*n < 3 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void run_until(unsigned want_live) {
        /* Bounded: the longest timer below is 20 ms. */
        for (unsigned i = 0; i < 1000 && timer_count_live() != want_live; i++)
                g_main_context_iteration(NULL, TRUE);
}

int main(void) {
        unsigned repeats = 0;
        guint id;

        check(timer_count_live() == 0);
        (void) timer_add_msec(1, on_once, NULL);
        (void) timer_add_idle(on_once, NULL);
        (void) timer_add_msec(5, on_repeat, &repeats);
        id = timer_add_seconds(3600, on_once, NULL);
        check(timer_count_live() == 4);

        /* Removed before it fired: no longer counted. */
        g_source_remove(id);
        check(timer_count_live() == 3);

        /* Fired once and returned G_SOURCE_REMOVE: not counted; one repeating 3 times: counted
         * until its last run. */
        run_until(0);
        check(timer_count_live() == 0);
        check(fired == 2);
        check(repeats == 3);

        /* A timer that keeps firing stays counted. */
        repeats = 0;
        id = timer_add_msec(1, on_repeat, &repeats);
        g_main_context_iteration(NULL, TRUE);
        check(timer_count_live() == 1 || repeats == 3);
        run_until(0);
        check(repeats == 3 && timer_count_live() == 0);
        printf("timer: OK\n");
        return EXIT_SUCCESS;
}
