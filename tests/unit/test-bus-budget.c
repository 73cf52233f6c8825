/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What one bus client's GetManagedObjects may cost (common/bus-budget.c), on an injected clock. */
#include <errno.h>
#include <stdio.h>

#include "bus-budget.h"
#include "../test-check.h"

#define S(x) ((uint64_t) (x) *1000000u)

/* A burst, then one call every 5 s; other connections keep their own budget. */
static void test_per_connection(void) {
        BusBudget *b = bus_budget_new();
        uint64_t t = S(100);
        bool added;

        for (unsigned i = 0; i < BUS_BUDGET_BURST; i++) {
                check(bus_budget_take(b, ":1.7", t, &added) == 0);
                check(added == (i == 0));
        }
        check(bus_budget_take(b, ":1.7", t, &added) == -EDQUOT && !added);
        check(bus_budget_take(b, ":1.8", t, NULL) == 0);
        check(bus_budget_take(b, ":1.7", t + S(4), NULL) == -EDQUOT);
        check(bus_budget_take(b, ":1.7", t + S(5), NULL) == 0);
        check(bus_budget_take(b, ":1.7", t + S(5), NULL) == -EDQUOT);
        /* idle long enough: the whole burst again, never more */
        for (unsigned i = 0; i < BUS_BUDGET_BURST; i++)
                check(bus_budget_take(b, ":1.7", t + S(3600), NULL) == 0);
        check(bus_budget_take(b, ":1.7", t + S(3600), NULL) == -EDQUOT);
        check(bus_budget_refused(b) == 4);
        bus_budget_free(b);
}

/* Many connections, each within its own budget, still meet the overall one; refills per second. */
static void test_all_connections(void) {
        BusBudget *b = bus_budget_new();
        uint64_t t = S(10);
        unsigned ok = 0;
        char name[32];

        for (unsigned i = 0; i < 2 * BUS_BUDGET_ALL_BURST; i++) {
                snprintf(name, sizeof(name), ":1.%u", 100 + i);
                int r = bus_budget_take(b, name, t, NULL);
                check(r == 0 || r == -EBUSY);
                ok += r == 0;
        }
        check(ok == BUS_BUDGET_ALL_BURST);
        ok = 0;
        for (unsigned i = 0; i < 2 * BUS_BUDGET_ALL_PER_SEC; i++) {
                snprintf(name, sizeof(name), ":2.%u", i);
                ok += bus_budget_take(b, name, t + S(1), NULL) == 0;
        }
        check(ok == BUS_BUDGET_ALL_PER_SEC);
        bus_budget_free(b);
}

/* Root and the daemon's user: never counted, and they do not use up the overall budget. */
static void test_exempt(void) {
        BusBudget *b = bus_budget_new();
        uint64_t t = S(1);

        check(bus_budget_take(b, ":1.1", t, NULL) == 0);
        bus_budget_exempt(b, ":1.1");
        for (unsigned i = 0; i < 10 * BUS_BUDGET_ALL_BURST; i++)
                check(bus_budget_take(b, ":1.1", t, NULL) == 0);
        for (unsigned i = 0; i < BUS_BUDGET_BURST; i++)
                check(bus_budget_take(b, ":1.2", t, NULL) == 0);
        bus_budget_exempt(b, ":1.99"); /* unknown: nothing */
        check(bus_budget_refused(b) == 0);
        bus_budget_free(b);
}

/* A connection learnt before its first call: root's first call in a flood that has used up the
 * overall budget still goes through (the CI failure when the uid arrived after the call). */
static void test_learn_first(void) {
        BusBudget *b = bus_budget_new();
        uint64_t t = S(1);
        char name[32];

        for (unsigned i = 0; i < BUS_BUDGET_ALL_BURST; i++) {
                snprintf(name, sizeof(name), ":2.%u", i);
                check(bus_budget_take(b, name, t, NULL) == 0);
        }
        check(bus_budget_take(b, ":2.999", t, NULL) == -EBUSY);
        check(!bus_budget_knows(b, ":3.1"));
        bus_budget_learn(b, ":3.1", t, true);
        check(bus_budget_knows(b, ":3.1"));
        for (unsigned i = 0; i < 100; i++)
                check(bus_budget_take(b, ":3.1", t, NULL) == 0);
        bus_budget_learn(b, ":3.2", t, false);
        check(bus_budget_take(b, ":3.2", t, NULL) == -EBUSY);
        bus_budget_learn(b, ":3.1", t, false); /* learning again does not take exemption back */
        check(bus_budget_take(b, ":3.1", t, NULL) == 0);
        bus_budget_free(b);
}

/* The table of connections stays bounded: idle ones are forgotten, and past the bound a new
 * connection still meets the overall budget. */
static void test_bounded(void) {
        BusBudget *b = bus_budget_new();
        char name[32];
        bool added;
        uint64_t t = S(1);

        for (unsigned i = 0; i < BUS_BUDGET_SENDERS_MAX; i++) {
                snprintf(name, sizeof(name), ":3.%u", i);
                (void) bus_budget_take(b, name, t + i * S(1), &added); /* the overall budget refills */
                check(added);
        }
        /* all at full budget again long after: forgotten, the new one is remembered */
        check(bus_budget_take(b, ":4.1", t + S(BUS_BUDGET_SENDERS_MAX) + S(60), &added) == 0 && added);
        bus_budget_free(b);
}

int main(void) {
        test_per_connection();
        test_all_connections();
        test_exempt();
        test_learn_first();
        test_bounded();
        return 0;
}
