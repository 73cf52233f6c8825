/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "bus-budget.h"
#include "log.h"
#include "macro.h"

#define USEC_PER_SEC_     1000000ull
#define LOG_INTERVAL_USEC (10ull * USEC_PER_SEC_)

/* Token buckets in micro-tokens so that refills need no floating point. */
#define TOKEN 1000000ull
/* A connection earns one call every BUS_BUDGET_REFILL_USEC. */
#define SENDER_RATE (TOKEN * USEC_PER_SEC_ / BUS_BUDGET_REFILL_USEC)

typedef struct Bucket {
        BusBudget *budget;
        char *sender;
        uint64_t tokens; /* micro-tokens */
        uint64_t at;     /* last refill, µs */
        bool exempt;
} Bucket;

struct BusBudget {
        GHashTable *senders; /* unique name → Bucket */
        Bucket all;
        uint64_t refused, refused_logged;
        uint64_t logged_at;
        bool logged_once;
};

static void bucket_free(void *p) {
        Bucket *k = p;
        free(k->sender);
        free(k);
}

static void bucket_refill(Bucket *k, uint64_t now, uint64_t per_sec_micro, uint64_t cap) {
        if (now > k->at) {
                uint64_t add = (now - k->at) * per_sec_micro / USEC_PER_SEC_;
                k->tokens = add >= cap - k->tokens ? cap : k->tokens + add;
        }
        k->at = now;
}

BusBudget *bus_budget_new(void) {
        BusBudget *b = calloc(1, sizeof(*b));
        if (!b)
                return NULL;
        b->senders = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, bucket_free);
        b->all.tokens = BUS_BUDGET_ALL_BURST * TOKEN;
        return b;
}

BusBudget *bus_budget_free(BusBudget *b) {
        if (!b)
                return NULL;
        g_hash_table_destroy(b->senders);
        free(b);
        return NULL;
}

/* Forgets limited connections whose budget is full again: they cost nothing until they call. */
static void budget_prune(BusBudget *b, uint64_t now) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, b->senders);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
                Bucket *k = v;
                bucket_refill(k, now, SENDER_RATE, BUS_BUDGET_BURST * TOKEN);
                if (!k->exempt && k->tokens >= BUS_BUDGET_BURST * TOKEN)
                        g_hash_table_iter_remove(&it);
        }
}

static Bucket *budget_add(BusBudget *b, const char *sender, uint64_t now) {
        Bucket *k;

        if (g_hash_table_size(b->senders) >= BUS_BUDGET_SENDERS_MAX)
                budget_prune(b, now);
        if (g_hash_table_size(b->senders) >= BUS_BUDGET_SENDERS_MAX)
                return NULL;
        k = calloc(1, sizeof(*k));
        if (!k)
                return NULL;
        k->sender = strdup(sender);
        if (!k->sender) {
                free(k);
                return NULL;
        }
        k->budget = b;
        k->tokens = BUS_BUDGET_BURST * TOKEN;
        k->at = now;
        g_hash_table_insert(b->senders, k->sender, k);
        return k;
}

int bus_budget_take(BusBudget *b, const char *sender, uint64_t now, bool *ret_new) {
        Bucket *k = NULL;
        bool added = false;

        if (sender) {
                k = g_hash_table_lookup(b->senders, sender);
                if (!k)
                        added = (k = budget_add(b, sender, now)) != NULL;
        }
        if (ret_new)
                *ret_new = added;
        if (k && k->exempt)
                return 0;
        bucket_refill(&b->all, now, BUS_BUDGET_ALL_PER_SEC * TOKEN, BUS_BUDGET_ALL_BURST * TOKEN);
        if (k)
                bucket_refill(k, now, SENDER_RATE, BUS_BUDGET_BURST * TOKEN);
        if (k && k->tokens < TOKEN) {
                b->refused++;
                return -EDQUOT;
        }
        if (b->all.tokens < TOKEN) {
                b->refused++;
                return -EBUSY;
        }
        b->all.tokens -= TOKEN;
        if (k)
                k->tokens -= TOKEN;
        return 0;
}

bool bus_budget_knows(const BusBudget *b, const char *sender) {
        return sender && g_hash_table_contains(b->senders, sender);
}

void bus_budget_learn(BusBudget *b, const char *sender, uint64_t now, bool exempt) {
        Bucket *k = sender ? g_hash_table_lookup(b->senders, sender) : NULL;
        if (!k && sender)
                k = budget_add(b, sender, now);
        if (k && exempt)
                k->exempt = true;
}

void bus_budget_exempt(BusBudget *b, const char *sender) {
        Bucket *k = g_hash_table_lookup(b->senders, sender);
        if (k)
                k->exempt = true;
}

uint64_t bus_budget_refused(const BusBudget *b) {
        return b->refused;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC_ + (uint64_t) ts.tv_nsec / 1000u;
}

/* Whether sender is root or the daemon's own user. Asked of the bus once per connection, and
 * synchronously: a call that waited for an asynchronous answer would be counted before it, and
 * root's first calls in a flood would be refused. The bus answers its own method at once; the 1 s
 * bound keeps a wedged bus from stalling the daemon for longer. */
static bool sender_is_privileged(sd_bus *bus, const char *sender) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        uint32_t uid;

        if (sd_bus_message_new_method_call(bus, &call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "GetConnectionUnixUser") < 0 ||
            sd_bus_message_append(call, "s", sender) < 0)
                return false;
        if (sd_bus_call(bus, call, USEC_PER_SEC_, NULL, &reply) < 0 ||
            sd_bus_message_read(reply, "u", &uid) < 0)
                return false; /* stays limited */
        return uid == 0 || uid == (uint32_t) geteuid();
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusBudget *b = userdata;
        const char *sender = sd_bus_message_get_sender(m);
        uint64_t now;
        int r;

        if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"))
                return 0;
        now = now_usec();
        if (sender && !bus_budget_knows(b, sender))
                bus_budget_learn(b, sender, now, sender_is_privileged(sd_bus_message_get_bus(m), sender));
        r = bus_budget_take(b, sender, now, NULL);
        if (r == 0)
                return 0;
        if (!b->logged_once || now - b->logged_at >= LOG_INTERVAL_USEC) {
                if (r == -EDQUOT)
                        log_warning("Refusing GetManagedObjects from %s: more than %u at once or one every "
                                    "%u s from one connection (%" PRIu64 " refused since the last message)",
                                    sender ?: "?", BUS_BUDGET_BURST,
                                    (unsigned) (BUS_BUDGET_REFILL_USEC / USEC_PER_SEC_),
                                    b->refused - b->refused_logged);
                else
                        log_warning("Refusing GetManagedObjects from %s: more than %u a second from all "
                                    "unprivileged connections together (%" PRIu64 " refused since the last "
                                    "message)",
                                    sender ?: "?", BUS_BUDGET_ALL_PER_SEC, b->refused - b->refused_logged);
                b->refused_logged = b->refused;
                b->logged_at = now;
                b->logged_once = true;
        }
        if (r == -EDQUOT)
                return sd_bus_error_setf(
                        ret_error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                        "GetManagedObjects more than %u times at once or once every %u s from this "
                        "connection; watch InterfacesAdded and PropertiesChanged instead",
                        BUS_BUDGET_BURST, (unsigned) (BUS_BUDGET_REFILL_USEC / USEC_PER_SEC_));
        return sd_bus_error_setf(
                ret_error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                "GetManagedObjects more than %u times a second from all unprivileged connections; "
                "try again shortly",
                BUS_BUDGET_ALL_PER_SEC);
}

int bus_budget_attach(BusBudget *b, sd_bus *bus, sd_bus_slot **ret_slot) {
        return sd_bus_add_filter(bus, ret_slot, on_message, b);
}
