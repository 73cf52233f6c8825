/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* regd's redundancy engine driven by an arbitrary sequence of what the network and the other
 * daemons can tell it: any final status (including local 408/503 and challenges), any granted
 * expiry, late answers to abandoned requests, DNS answers with 0…16 addresses or failures,
 * healthd up/down for any address, Failover, stop/start and configuration changes, on an
 * injected clock. Checks: requests only go to addresses the engine was given, it never holds
 * more bindings than servers, the published state stays valid, and its timer never makes it spin
 * without time passing. Input: byte 0 = servers/mode, byte 1 = options, then (op, arg) pairs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "redundancy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PENDING_MAX 64

typedef struct Pending {
        unsigned server;
        char uri[RED_URI_MAX];
} Pending;

static const unsigned statuses[] = { 200, 202, 401, 407, 403, 404, 408, 480, 486, 500, 503, 504, 600, 603, 423, 302 };

static void addr_uri(char *buf, size_t size, unsigned server, unsigned i) {
        snprintf(buf, size, "sip:127.77.%u.%u:5060;transport=%s", server, i + 2, i & 1 ? "tcp" : "udp");
}

static bool known_uri(const char *uri, unsigned server, unsigned n_addrs) {
        char b[RED_URI_MAX];

        for (unsigned i = 0; i < n_addrs; i++) {
                addr_uri(b, sizeof(b), server, i);
                if (streq(b, uri))
                        return true;
        }
        return false;
}

static RedConfig make_config(uint8_t a, uint8_t b) {
        unsigned n = a % RED_SERVER_MAX + 1;
        RedConfig c = {
                .enabled = true,
                .redundancy_type = a >> 2 & 1,
                .fallback_timeout = b & 1 ? 0 : 120,
                .reg_fail_retry_interval = b & 2 ? 1 : 30,
                .t1_usec = b & 4 ? 10000 : 500000,
                .t2_usec = 4000000,
                .hold_down = b & 8 ? 0 : 30,
                .proactive_failover = b & 16,
                /* the fleet knobs, from bits the others leave free in combination */
                .surge_prevention = (a & b & 1) ? 10 : 0,
                .reg_failed_retry_min = (a & 2) ? 5 : 0,
                .reg_failed_retry_max = (a & 2) && (b & 2) ? 40 : 0,
                .reg_rejected_retry_interval = (a ^ b) & 1 ? 0 : 1800,
                .register_expires_overlap = b & 128 ? 30 : UINT32_MAX,
                .random_seed = (uint64_t) a * 257 + b + 1,
        };
        for (unsigned i = 0; i < n; i++)
                c.server[i] = (RedServerConfig) {
                        .set = !(i > 0 && (a >> (3 + i)) & 1),
                        .expires = b & 32 ? 1 : 3600,
                        .retry_counts = (a >> 5) & 3,
                        .failback_mode = (b >> 6) & 3,
                        .failback_timeout = b & 64 ? 0 : 60,
                        .register_on_enable = !((a ^ b) & 4),
                        .failover_codes = (a ^ b) & 2 ? (StatusList){ .codes = { 500, 504, 408 }, .n = 3 }
                                                      : (StatusList){ .n = 0 },
                };
        return c;
}

/* What a publisher shows, copied: compared across events the engine says changed nothing. */
typedef struct Published {
        char rows[RED_SERVER_MAX * RED_ADDR_MAX][RED_URI_MAX + 64];
        size_t n;
        char working[RED_URI_MAX];
        int state;
        uint64_t since;
        unsigned failovers, status;
        char reason[256];
} Published;

static void published_take(Redundancy *r, Published *p) {
        RedServerInfo info[RED_SERVER_MAX * RED_ADDR_MAX];

        p->n = redundancy_servers(r, info, ELEMENTSOF(info));
        for (size_t j = 0; j < p->n; j++)
                snprintf(p->rows[j], sizeof(p->rows[j]), "%u|%s|%s|%d|%u|%llu", info[j].server, info[j].uri,
                         info[j].role, (int) info[j].state, info[j].last_status,
                         (unsigned long long) info[j].registered_since);
        snprintf(p->working, sizeof(p->working), "%s", redundancy_working_uri(r));
        p->state = (int) redundancy_state(r);
        p->since = redundancy_registered_since(r);
        p->failovers = redundancy_failovers(r);
        p->status = redundancy_last_status(r);
        snprintf(p->reason, sizeof(p->reason), "%s", redundancy_last_reason(r));
}

static Published before, after;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Pending pending[PENDING_MAX];
        unsigned n_pending = 0, n_addrs[RED_SERVER_MAX] = {}, spins = 0, n_servers = 0;
        uint64_t now = 1000000;
        Redundancy *r = NULL;
        RedConfig c;

        if (size < 2 || size > 4096)
                return 0;
        c = make_config(data[0], data[1]);
        for (unsigned i = 0; i < RED_SERVER_MAX; i++)
                n_servers += c.server[i].set;
        if (redundancy_new(&c, &r) < 0)
                return 0;
        redundancy_start(r, now);
        (void) redundancy_take_changes(r);
        published_take(r, &before);

        for (size_t i = 2; i + 1 < size; i += 2) {
                uint8_t op = data[i], arg = data[i + 1];
                unsigned server = arg % RED_SERVER_MAX;
                RedAction act;

                switch (op % 9) {
                case 0: /* answer a pending request (any order: late answers too) */
                        if (n_pending > 0) {
                                unsigned k = arg % n_pending;
                                unsigned st = statuses[(op >> 4) % ELEMENTSOF(statuses)];
                                bool local = (st == 408 || st == 503) && (op & 8);
                                Pending p = pending[k];

                                pending[k] = pending[--n_pending];
                                if (st >= 300 && !local && (op & 1))
                                        redundancy_retry_after(r, p.server, p.uri, arg * 30u, now);
                                redundancy_register_result(r, p.server, p.uri, st, "fuzz", local,
                                                           st < 300 ? (uint32_t) arg * (op & 8 ? 1000000u : 1u) : 0, now);
                        }
                        break;
                case 1: { /* time passes to the next wakeup */
                        uint64_t w = redundancy_next_wakeup(r);
                        if (w == UINT64_MAX)
                                now += (uint64_t) arg * 1000000;
                        else if (w <= now) {
                                if (++spins > 1000)
                                        abort(); /* always due: a busy loop */
                                now++;
                        } else {
                                spins = 0;
                                now = w;
                        }
                        redundancy_timer(r, now);
                        break;
                }
                case 2: { /* DNS answer with 0…16 addresses */
                        RedAddress a[RED_ADDR_MAX] = {};
                        unsigned n = (arg >> 2) % (RED_ADDR_MAX + 1);
                        for (unsigned j = 0; j < n; j++) {
                                addr_uri(a[j].uri, sizeof(a[j].uri), server, j);
                                a[j].ttl = op >> 4;
                        }
                        redundancy_set_addresses(r, server, a, n, now);
                        if (n > n_addrs[server])
                                n_addrs[server] = n;
                        break;
                }
                case 3:
                        redundancy_resolve_failed(r, server, "fuzz: no such name", now);
                        break;
                case 4: {
                        char uri[RED_URI_MAX];
                        addr_uri(uri, sizeof(uri), server, (arg >> 2) % RED_ADDR_MAX);
                        redundancy_health(r, server, uri, op & 16 ? RED_HEALTH_UP : RED_HEALTH_DOWN, now);
                        break;
                }
                case 5:
                        redundancy_failover(r, now);
                        break;
                case 6:
                        if (arg & 1)
                                redundancy_stop(r, now);
                        else if (arg & 2)
                                redundancy_start_spread(r, now);
                        else
                                redundancy_start(r, now);
                        break;
                case 7: {
                        RedConfig g = make_config(data[0], arg);
                        redundancy_update_globals(r, &g);
                        break;
                }
                default: /* time passes by arg seconds */
                        now += (uint64_t) arg * 1000000;
                        redundancy_timer(r, now);
                        break;
                }

                while (redundancy_pop_action(r, &act)) {
                        if (act.server >= RED_SERVER_MAX || !c.server[act.server].set)
                                abort(); /* an action for a server that is not configured */
                        if (act.type == RED_ACTION_RESOLVE)
                                continue;
                        if (!known_uri(act.uri, act.server, n_addrs[act.server]))
                                abort(); /* a request to an address nobody gave us */
                        if ((act.type == RED_ACTION_REGISTER || act.type == RED_ACTION_AUTHENTICATE) &&
                            n_pending < PENDING_MAX) {
                                pending[n_pending].server = act.server;
                                snprintf(pending[n_pending].uri, RED_URI_MAX, "%s", act.uri);
                                n_pending++;
                        }
                }

                {
                        RedAction b[RED_SERVER_MAX * RED_ADDR_MAX];
                        RedServerInfo info[RED_SERVER_MAX * RED_ADDR_MAX];
                        size_t nb = redundancy_bindings(r, b, ELEMENTSOF(b));
                        size_t ni = redundancy_servers(r, info, ELEMENTSOF(info));

                        if (nb > n_servers)
                                abort(); /* more than one binding per server */
                        /* the published rows agree with each other and with the bindings: at most
                         * one working row, and it is WorkingServer; every binding shows as a
                         * registered row; State is registered exactly when a binding exists */
                        size_t working = 0, registered = 0;
                        for (size_t j = 0; j < ni; j++) {
                                if (streq(info[j].role, "working")) {
                                        working++;
                                        if (!streq(info[j].uri, redundancy_working_uri(r)))
                                                abort();
                                }
                                if (info[j].state == RED_ADDR_REGISTERED)
                                        registered++;
                        }
                        if (working > 1 || (working == 0 && !isempty(redundancy_working_uri(r)) && ni < ELEMENTSOF(info)))
                                abort();
                        if (registered != nb)
                                abort();
                        if ((redundancy_state(r) == RED_STATE_REGISTERED) != (nb > 0))
                                abort();
                        /* next hops: never more than the addresses known, each one of them */
                        RedHop hops[RED_SERVER_MAX * RED_ADDR_MAX];
                        size_t nh = redundancy_next_hops(r, hops, ELEMENTSOF(hops));
                        for (size_t j = 0; j < nh; j++)
                                if (hops[j].server >= RED_SERVER_MAX || !known_uri(hops[j].uri, hops[j].server, n_addrs[hops[j].server]))
                                        abort();
                }

                /* change bits: what the engine says did not change did not change */
                {
                        unsigned changes = redundancy_take_changes(r);
                        published_take(r, &after);
                        if (getenv("FUZZ_DEBUG") && !(changes & RED_CHANGED_SERVERS)) {
                                if (after.n != before.n || !streq(after.working, before.working) ||
                                    after.state != before.state || after.since != before.since ||
                                    after.failovers != before.failovers)
                                        fprintf(stderr, "op %u: n %zu→%zu working %s→%s state %d→%d failovers %u→%u\n",
                                                op % 9, before.n, after.n, before.working, after.working, before.state,
                                                after.state, before.failovers, after.failovers);
                                for (size_t j = 0; j < after.n && j < before.n; j++)
                                        if (!streq(after.rows[j], before.rows[j]))
                                                fprintf(stderr, "op %u: row %zu %s → %s\n", op % 9, j, before.rows[j],
                                                        after.rows[j]);
                        }
                        if (!(changes & RED_CHANGED_SERVERS) &&
                            (after.n != before.n || !streq(after.working, before.working) || after.state != before.state ||
                             after.since != before.since || after.failovers != before.failovers))
                                abort();
                        for (size_t j = 0; !(changes & RED_CHANGED_SERVERS) && j < after.n; j++)
                                if (!streq(after.rows[j], before.rows[j]))
                                        abort();
                        if (!(changes & RED_CHANGED_STATUS) &&
                            (after.status != before.status || !streq(after.reason, before.reason)))
                                abort();
                        before = after;
                }
        }
        redundancy_free(r);
        return 0;
}
