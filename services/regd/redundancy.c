/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "redundancy.h"

/* What one server is doing. One phase at a time, changed only by server_set_phase(); the other
 * fields are data (which address holds the binding, which one a REGISTER is in flight to), the
 * policy's wish (active) or history (failed: the outcome of the last round). */
typedef enum ServerPhase {
        SERVER_IDLE,         /* nothing in flight, no binding */
        SERVER_RESOLVING,    /* a round waits for the server's addresses */
        SERVER_WAITING,      /* a random pause before the first round (sip.reg_surge_prevention) */
        SERVER_ROUND,        /* going down the address list (a binding may still hold elsewhere) */
        SERVER_REFRESHING,   /* renewing the binding where it is */
        SERVER_FAILING_BACK, /* trying the primary while the binding stays elsewhere */
        SERVER_BOUND,        /* a binding holds, nothing in flight */
        SERVER_FAILED,       /* every address failed (or one refused): waits for retry_at */
        _SERVER_PHASE_MAX,
} ServerPhase;

static const char *const server_phase_names[_SERVER_PHASE_MAX] = {
        [SERVER_IDLE] = "idle",   [SERVER_RESOLVING] = "resolving",   [SERVER_WAITING] = "waiting",
        [SERVER_ROUND] = "round", [SERVER_REFRESHING] = "refreshing", [SERVER_FAILING_BACK] = "failing back",
        [SERVER_BOUND] = "bound", [SERVER_FAILED] = "failed",
};

typedef struct RAddr {
        RedAddress a;
        bool failed;
        unsigned last_status;
        RedHealth health;
        uint64_t up_since;
        uint64_t failed_at;  /* last time REGISTER traffic showed it failing */
        uint64_t not_before; /* Retry-After: not tried again before this */
} RAddr;

typedef struct RServer {
        unsigned index;
        RedServerConfig cfg;
        ServerPhase phase;
        bool active; /* the account policy wants a registration here */
        bool resolved, resolving;
        RAddr *addrs; /* room for the largest answer so far (+2 kept), at most RED_ADDR_MAX */
        size_t n_addrs, n_alloc;
        uint64_t resolved_at;

        int bound; /* address holding our confirmed binding, -1 none */
        uint64_t bound_since, refresh_at;
        uint32_t granted;

        int trying; /* address with a REGISTER in flight (ROUND, REFRESHING, FAILING_BACK), -1 none */
        uint64_t deadline, span;
        bool authed;
        unsigned round[RED_ADDR_MAX];
        size_t n_round, round_pos;

        uint64_t retry_at, failback_at;
        bool failed_over, failed;
        unsigned failed_rounds; /* consecutive, for the back-off; 0 after a success */
        bool rejected;          /* the last round ended on a refusal (403, 404…) */
        int send_to;            /* register_on_enable=0: where new requests go without a registration */
} RServer;

struct Redundancy {
        RedConfig cfg;
        uint64_t rng; /* xorshift64* state: jitter */
        RedMode mode;
        bool started;
        RServer servers[RED_SERVER_MAX];
        unsigned order[RED_SERVER_MAX]; /* configured servers, by priority */
        size_t n_order;

        RedAction *queue;
        size_t n_queue, head, n_alloc;

        unsigned last_status;
        char last_reason[256];
        unsigned failovers;
        char last_working[RED_URI_MAX];

        unsigned changes; /* RED_CHANGED_*: what a publisher must look at again */
        RedTraceFunc trace;
        void *trace_userdata;
};

static void server_set_phase(Redundancy *r, RServer *s, ServerPhase phase) {
        if (s->phase == phase)
                return;
        if (r->trace)
                r->trace(r->trace_userdata, s->index, server_phase_names[s->phase],
                         server_phase_names[phase]);
        s->phase = phase;
        r->changes |= RED_CHANGED_SERVERS;
}

/* Nothing in flight any more: the phase follows from what is left. */
static void server_settle(Redundancy *r, RServer *s) {
        s->trying = -1;
        s->n_round = 0;
        server_set_phase(r, s, s->bound >= 0 ? SERVER_BOUND : s->failed ? SERVER_FAILED : SERVER_IDLE);
}

static bool server_in_flight(const RServer *s) {
        return s->phase == SERVER_ROUND || s->phase == SERVER_REFRESHING || s->phase == SERVER_FAILING_BACK;
}

static void server_start_round(Redundancy *r, RServer *s, int exclude, uint64_t now);
static void server_failed(Redundancy *r, RServer *s, uint64_t now);
static const RServer *working_server(const Redundancy *r, int *ret_addr);

/* Whether any server of the account holds a binding. */
static bool account_bound(const Redundancy *r) {
        for (size_t i = 0; i < r->n_order; i++)
                if (r->servers[r->order[i]].bound >= 0)
                        return true;
        return false;
}

/* register_on_enable = 0 and the primary failed: new requests go to the first other address
 * not known down, without a registration (none when every one is down). only_signal_with_registered
 * does not apply then (Yealink: only with register_on_enable = 1 and failback modes 1–3, see
 * redundancy_next_hops()). */
static void server_pick_send_to(Redundancy *r, RServer *s) {
        int to = -1;

        if (!s->cfg.register_on_enable && s->failed && s->bound < 0)
                for (size_t i = 1; i < s->n_addrs; i++)
                        if (s->addrs[i].health != RED_HEALTH_DOWN) {
                                to = (int) i;
                                break;
                        }
        if (to != s->send_to)
                r->changes |= RED_CHANGED_SERVERS; /* where new requests go (WorkingServer) */
        s->send_to = to;
}

uint64_t red_retry_deadline_usec(uint32_t retry_counts, uint64_t t1, uint64_t t2) {
        uint64_t total = 0, interval = t1;

        /* The initial send and retry_counts retransmissions, each followed by its back-off
         * interval (T1, 2·T1, … capped at T2). Give up a little before the next retransmission
         * would be due, so the server sees exactly 1 + retry_counts requests. */
        for (uint32_t i = 0; i <= retry_counts; i++) {
                interval = MIN(t1 << MIN(i, 30u), t2);
                total += interval;
        }
        return total - MIN(interval / 10, 100 * USEC_PER_MSEC);
}

uint64_t red_invite_deadline_usec(uint32_t retry_counts, uint64_t t1) {
        uint64_t total = 0, interval = t1;

        /* Timer A doubles without the T2 cap (RFC 3261 17.1.1.2): the INVITE and retry_counts
         * copies, then a little before the next one would be due. */
        for (uint32_t i = 0; i <= MIN(retry_counts, 30u); i++) {
                interval = t1 << i;
                total += interval;
        }
        return total - MIN(interval / 10, 100 * USEC_PER_MSEC);
}

uint64_t red_refresh_delay_usec(uint32_t granted, uint32_t overlap) {
        uint64_t g = granted;

        /* register_expires_overlap (Yealink): that long before the lease ends, when it fits */
        if (overlap != UINT32_MAX && overlap < granted)
                return MAX((g - overlap) * USEC_PER_SEC, RED_REFRESH_MIN_SEC * USEC_PER_SEC);

        /* The earlier of expires − 60 s and 90 %; very short lifetimes refresh at half, but never
         * sooner than RED_REFRESH_MIN_SEC: a registrar granting 1 s must not get two REGISTERs a
         * second from every account (it lets the binding lapse between refreshes instead). */
        if (g <= 120)
                return MAX(g * USEC_PER_SEC / 2, RED_REFRESH_MIN_SEC * USEC_PER_SEC);
        return MIN((g - 60) * USEC_PER_SEC, g * USEC_PER_SEC / 10 * 9);
}

bool red_status_is_rejection(unsigned status) {
        switch (status) {
        case 401: /* a second challenge: the credentials are wrong */
        case 403:
        case 404:
        case 407:
        case 410:
        case 484:
        case 485:
        case 603:
        case 604:
                return true;
        default:
                return false;
        }
}

uint64_t red_backoff_usec(uint32_t base, uint32_t max, unsigned n) {
        uint64_t w = (uint64_t) base * USEC_PER_SEC;

        /* min(max-time, base-time · 2^n), RFC 5626 4.5; a ceiling below the base is the base */
        max = MAX(max, base);
        for (unsigned i = 0; i < n && w < (uint64_t) max * USEC_PER_SEC; i++)
                w *= 2;
        return MIN(w, (uint64_t) max * USEC_PER_SEC);
}

/* A uniform random value in [0, n) (n > 0), from the account's own generator. */
static uint64_t rand_below(Redundancy *r, uint64_t n) {
        r->rng ^= r->rng >> 12;
        r->rng ^= r->rng << 25;
        r->rng ^= r->rng >> 27;
        return n ? (r->rng * UINT64_C(2685821657736338717)) % n : 0;
}

/* 0…sip.reg_surge_prevention s, at millisecond resolution. */
static uint64_t surge_delay(Redundancy *r) {
        if (r->cfg.surge_prevention == 0)
                return 0;
        return rand_below(r, (uint64_t) r->cfg.surge_prevention * 1000 + 1) * USEC_PER_MSEC;
}

static void queue_action(Redundancy *r, RedActionType type, RServer *s, int addr, uint32_t expires) {
        if (r->head > 0 && r->head == r->n_queue)
                r->head = r->n_queue = 0;
        if (r->n_queue >= r->n_alloc) {
                size_t n = MAX(r->n_alloc * 2, (size_t) 16);
                RedAction *q = realloc(r->queue, n * sizeof(RedAction));
                if (!q)
                        abort(); /* a few hundred bytes; nothing sensible to do without them */
                r->queue = q;
                r->n_alloc = n;
        }
        RedAction *a = &r->queue[r->n_queue++];
        *a = (RedAction){.type = type, .server = s->index, .expires = expires};
        if (addr >= 0)
                snprintf(a->uri, sizeof(a->uri), "%s", s->addrs[addr].a.uri);
}

bool redundancy_pop_action(Redundancy *r, RedAction *ret) {
        if (r->head >= r->n_queue)
                return false;
        *ret = r->queue[r->head++];
        return true;
}

static void set_status(Redundancy *r, unsigned status, const char *reason) {
        if (status != r->last_status || !streq(r->last_reason, strempty(reason)))
                r->changes |= RED_CHANGED_STATUS;
        r->last_status = status;
        snprintf(r->last_reason, sizeof(r->last_reason), "%s", strempty(reason));
}

int redundancy_new(const RedConfig *config, Redundancy **ret) {
        Redundancy *r = calloc(1, sizeof(Redundancy));
        if (!r)
                return -ENOMEM;
        r->cfg = *config;
        r->rng = config->random_seed ?: UINT64_C(0x9e3779b97f4a7c15); /* xorshift needs non-zero */
        for (unsigned i = 0; i < RED_SERVER_MAX; i++) {
                RServer *s = &r->servers[i];
                s->index = i;
                s->cfg = config->server[i];
                if (s->cfg.failover_codes.n == 0)
                        s->cfg.failover_codes = (StatusList){.codes = {408, 503}, .n = 2};
                s->bound = s->trying = s->send_to = -1;
                if (s->cfg.set)
                        r->order[r->n_order++] = i;
        }
        if (r->n_order <= 1)
                r->mode = RED_MODE_FAILOVER;
        else
                r->mode = config->redundancy_type == 1 ? RED_MODE_SUCCESSIVE : RED_MODE_CONCURRENT;
        *ret = r;
        return 0;
}

void redundancy_update_globals(Redundancy *r, const RedConfig *c) {
        r->cfg.t1_usec = c->t1_usec;
        r->cfg.t2_usec = c->t2_usec;
        r->cfg.hold_down = c->hold_down;
        r->cfg.surge_prevention = c->surge_prevention;
        r->cfg.proactive_failover = c->proactive_failover;
}

Redundancy *redundancy_free(Redundancy *r) {
        if (!r)
                return NULL;
        for (unsigned i = 0; i < RED_SERVER_MAX; i++)
                free(r->servers[i].addrs);
        free(r->queue);
        free(r);
        return NULL;
}

static RServer *server_get(Redundancy *r, unsigned server) {
        if (server >= RED_SERVER_MAX || !r->servers[server].cfg.set)
                return NULL;
        return &r->servers[server];
}

static int server_find(const RServer *s, const char *uri) {
        for (size_t i = 0; i < s->n_addrs; i++)
                if (streq(s->addrs[i].a.uri, uri))
                        return (int) i;
        return -1;
}

static size_t order_pos(const Redundancy *r, const RServer *s) {
        for (size_t i = 0; i < r->n_order; i++)
                if (r->order[i] == s->index)
                        return i;
        return 0;
}

static uint64_t sec(uint64_t s) {
        return s * USEC_PER_SEC;
}

static uint64_t earliest(uint64_t a, uint64_t b) {
        if (a == 0)
                return b;
        if (b == 0)
                return a;
        return MIN(a, b);
}

/* ---- one server: failover among its addresses ------------------------------------------ */

static void server_attempt(Redundancy *r, RServer *s, int addr, ServerPhase phase, uint64_t now) {
        bool last;

        if (phase == SERVER_ROUND)
                /* the last of the round, and of the server's list: with register_on_enable = 0 a
                 * round is the primary alone, but new requests would go on to the next address,
                 * so the primary is not the last (only the last gets the full timer) */
                last = s->round_pos + 1 >= s->n_round && (s->cfg.register_on_enable || s->n_addrs <= 1);
        else if (phase == SERVER_FAILING_BACK)
                last = false; /* the binding elsewhere is still there to fall back on */
        else
                last = s->n_addrs <= 1;

        s->trying = addr;
        server_set_phase(r, s, phase);
        s->authed = false;
        /* On the last address nta's own timer F (64·T1) ends the transaction; ours is a safety net. */
        s->span = last ? 64 * r->cfg.t1_usec + USEC_PER_SEC
                       : red_retry_deadline_usec(s->cfg.retry_counts, r->cfg.t1_usec, r->cfg.t2_usec);
        s->deadline = now + s->span;
        queue_action(r, RED_ACTION_REGISTER, s, addr, s->cfg.expires);
}

static void server_schedule_failback(Redundancy *r, RServer *s, uint64_t now) {
        s->failback_at = 0;
        if (s->bound <= 0)
                return;

        switch (s->cfg.failback_mode) {
        case SIPR_FAILBACK_NEW_REQUESTS:
                /* at every refresh, and as soon as the primary is seen up again (up since after it
                 * last failed: an "up" older than the failure means nothing) */
                if (s->addrs[0].health == RED_HEALTH_UP && s->addrs[0].up_since > s->addrs[0].failed_at)
                        s->failback_at = MAX(
                                MAX(s->addrs[0].up_since + sec(r->cfg.hold_down) + surge_delay(r), now + 1),
                                s->addrs[0].not_before);
                break;
        case SIPR_FAILBACK_DNS_TTL: /* when the record of the current address expires (no TTL: at refresh) */
                if (s->addrs[s->bound].a.ttl > 0)
                        s->failback_at = MAX(s->resolved_at + sec(s->addrs[s->bound].a.ttl), now + 1);
                break;
        case SIPR_FAILBACK_DURATION:
                if (s->cfg.failback_timeout > 0)
                        s->failback_at = now + sec(s->cfg.failback_timeout);
                break;
        case SIPR_FAILBACK_REGISTRATION: /* at refresh time only */
        default:
                break;
        }
}

/* The primary did not take the binding back: when to try again. Never at once (no loops). */
static void server_schedule_failback_retry(Redundancy *r, RServer *s, uint64_t now) {
        s->failback_at = 0;
        if (s->bound <= 0)
                return;
        if (s->cfg.failback_mode == SIPR_FAILBACK_DNS_TTL && s->addrs[s->bound].a.ttl > 0)
                s->failback_at = now + sec(s->addrs[s->bound].a.ttl);
        else if (s->cfg.failback_mode == SIPR_FAILBACK_DURATION && s->cfg.failback_timeout > 0)
                s->failback_at = now + sec(s->cfg.failback_timeout);
        /* 0 and 2: at the next refresh (0 also when healthd sees the primary come up again) */
}

/* Whether the primary may be tried again now: not known down, and up for hold_down when health
 * knows it. When only the hold-down is missing, *ret_when is when it will be over (else 0). */
static bool server_failback_ready(const Redundancy *r, const RServer *s, uint64_t now, uint64_t *ret_when) {
        const RAddr *p = &s->addrs[0];

        *ret_when = 0;
        if (p->health == RED_HEALTH_DOWN)
                return false;
        if (p->not_before > now) {
                *ret_when = p->not_before; /* it asked for time (Retry-After) */
                return false;
        }
        if (p->health == RED_HEALTH_UP && p->up_since + sec(r->cfg.hold_down) > now) {
                *ret_when = p->up_since + sec(r->cfg.hold_down);
                return false;
        }
        return true;
}

static void server_drop_binding(Redundancy *r, RServer *s, bool unregister) {
        if (s->bound < 0)
                return;
        if (unregister)
                queue_action(r, RED_ACTION_UNREGISTER, s, s->bound, 0);
        s->bound = -1;
        s->bound_since = s->refresh_at = 0;
        s->failback_at = 0;
        r->changes |= RED_CHANGED_SERVERS;
        if (s->phase == SERVER_BOUND)
                server_settle(r, s);
}

static void server_cancel(Redundancy *r, RServer *s) {
        if (s->trying < 0)
                return;
        queue_action(r, RED_ACTION_CANCEL, s, s->trying, 0);
        server_settle(r, s);
}

static void policy_server_registered(Redundancy *r, RServer *s, uint64_t now) {
        if (r->mode != RED_MODE_SUCCESSIVE || order_pos(r, s) != 0)
                return;

        /* Successive: the working server is back; the fallback binding goes (made before broken). */
        for (size_t i = 1; i < r->n_order; i++) {
                RServer *o = &r->servers[r->order[i]];
                server_cancel(r, o);
                server_drop_binding(r, o, true);
                o->active = false;
                o->failed = false;
                o->retry_at = 0;
                server_set_phase(r, o, SERVER_IDLE);
        }
}

static void server_succeeded(Redundancy *r, RServer *s, int a, uint32_t granted, uint64_t now) {
        int old = s->bound;

        s->trying = -1;
        s->n_round = 0;
        s->failed = false;
        s->failed_rounds = 0;
        s->rejected = false;
        s->retry_at = 0;
        s->send_to = -1;
        s->addrs[a].failed = false;

        if (old != a) {
                if (old >= 0)
                        /* Make-before-break: the old binding goes only now that the new one holds. */
                        queue_action(r, RED_ACTION_UNREGISTER, s, old, 0);
                s->bound = a;
                s->bound_since = now;
                r->changes |= RED_CHANGED_SERVERS;
        }
        server_set_phase(r, s, SERVER_BOUND);
        s->granted = granted;
        s->refresh_at = now + red_refresh_delay_usec(s->granted, r->cfg.register_expires_overlap);

        if (a == 0)
                s->failed_over = false;
        else if (!s->failed_over || old != a) {
                s->failed_over = true;
                server_schedule_failback(r, s, now);
        }
        if (a == 0)
                s->failback_at = 0;

        policy_server_registered(r, s, now);
}

static void server_failure(Redundancy *r, RServer *s, int a, unsigned status, bool local, uint64_t now) {
        /* account.X.sip_server.Y.failover_response_codes (408, 503 by default); our own failures
         * (timeout, ICMP, refused) always move on */
        bool hop = local || status_list_contains(&s->cfg.failover_codes, status);
        ServerPhase was = s->phase;

        s->rejected = !hop && red_status_is_rejection(status);
        s->trying = -1;
        s->addrs[a].failed = true;
        s->addrs[a].failed_at = now;
        r->changes |= RED_CHANGED_SERVERS;

        switch (was) {
        case SERVER_FAILING_BACK:
                /* The primary is not back yet: stay where the binding is. */
                server_schedule_failback_retry(r, s, now);
                if (s->bound >= 0 && now >= s->refresh_at)
                        server_attempt(r, s, s->bound, SERVER_REFRESHING, now);
                else
                        server_settle(r, s);
                return;

        case SERVER_REFRESHING:
                /* The binding is lost with the server that held it. */
                server_drop_binding(r, s, false);
                if (hop)
                        server_start_round(r, s, a, now);
                else
                        server_failed(r, s, now);
                return;

        default:
                if (hop && s->round_pos + 1 < s->n_round) {
                        s->round_pos++;
                        server_attempt(r, s, (int) s->round[s->round_pos], SERVER_ROUND, now);
                        return;
                }
                if (s->bound >= 0) { /* a manual failover found nowhere better: keep what we have */
                        server_settle(r, s);
                        return;
                }
                server_failed(r, s, now);
                return;
        }
}

static void server_start_round(Redundancy *r, RServer *s, int exclude, uint64_t now) {
        size_t n = 0;

        s->retry_at = 0;
        if (!s->resolved) {
                server_set_phase(r, s, SERVER_RESOLVING);
                if (!s->resolving) {
                        s->resolving = true;
                        queue_action(r, RED_ACTION_RESOLVE, s, -1, 0);
                }
                return;
        }

        /* An address that asked for time (Retry-After) is left out until then. */
        if (!s->cfg.register_on_enable) {
                /* REGISTER only with the primary; other addresses merely receive new requests. */
                if (s->n_addrs > 0 && exclude != 0 && s->addrs[0].not_before <= now)
                        s->round[n++] = 0;
        } else {
                /* List order, but addresses healthd knows to be down go last. */
                for (int pass = 0; pass < 2; pass++)
                        for (size_t i = 0; i < s->n_addrs; i++) {
                                bool down = s->addrs[i].health == RED_HEALTH_DOWN;
                                if ((int) i == exclude || down != (pass == 1) ||
                                    s->addrs[i].not_before > now)
                                        continue;
                                s->round[n++] = (unsigned) i;
                        }
        }
        s->n_round = n;
        s->round_pos = 0;
        if (n == 0) {
                server_failed(r, s, now);
                return;
        }
        server_attempt(r, s, (int) s->round[0], SERVER_ROUND, now);
}

static bool any_ttl(const RServer *s) {
        for (size_t i = 0; i < s->n_addrs; i++)
                if (s->addrs[i].a.ttl > 0)
                        return true;
        return false;
}

static void server_set_retry(Redundancy *r, RServer *s, uint64_t at) {
        s->retry_at = at;
        /* Names are looked up again before the next attempt; literals need not be. */
        if (any_ttl(s))
                s->resolved = false;
}

/* How long a failed server waits before its next round: reg_rejected_retry_interval after a
 * refusal (0: never by itself), the RFC 5626 back-off when configured, else
 * reg_fail_retry_interval; plus the surge delay; and never before every address's Retry-After. */
/* When every address asked for time (Retry-After), the earliest it may be tried; else 0. */
static uint64_t server_not_before(const RServer *s) {
        uint64_t t = UINT64_MAX;

        for (size_t i = 0; i < s->n_addrs; i++)
                t = MIN(t, s->addrs[i].not_before);
        return s->n_addrs > 0 ? t : 0;
}

static uint64_t server_retry_time(Redundancy *r, RServer *s, uint64_t now) {
        uint64_t wait;

        if (s->rejected) {
                if (r->cfg.reg_rejected_retry_interval == 0)
                        return 0;
                wait = sec(r->cfg.reg_rejected_retry_interval);
        } else if (r->cfg.reg_failed_retry_min > 0) {
                uint64_t bound = red_backoff_usec(r->cfg.reg_failed_retry_min, r->cfg.reg_failed_retry_max,
                                                  MAX(s->failed_rounds, 1u));
                wait = bound / 2 + rand_below(r, bound / 2 + 1); /* 50…100 % */
        } else
                wait = sec(MAX(r->cfg.reg_fail_retry_interval, 1u));
        return MAX(now + wait + surge_delay(r), server_not_before(s));
}

/* Every address failed (or one answered with a final error). */
static void server_failed(Redundancy *r, RServer *s, uint64_t now) {
        uint64_t retry;

        s->failed_rounds++;
        retry = server_retry_time(r, s, now);
        s->failed = true;
        s->trying = -1;
        s->n_round = 0;
        server_set_phase(r, s, SERVER_FAILED);

        server_pick_send_to(r, s);

        if (r->mode != RED_MODE_SUCCESSIVE) {
                server_set_retry(r, s, retry);
                return;
        }

        size_t pos = order_pos(r, s);
        RServer *first = &r->servers[r->order[0]];
        if (pos + 1 < r->n_order) {
                RServer *next = &r->servers[r->order[pos + 1]];
                if (pos == 0)
                        /* Probe the working server every fallback.timeout while elsewhere. */
                        server_set_retry(r, s, now + sec(MAX(r->cfg.fallback_timeout, 1u)));
                if (!next->active) {
                        next->active = true;
                        server_start_round(r, next, -1, now);
                }
                return;
        }

        /* The last server failed too: the account failed; start over from the first. */
        for (size_t i = 1; i < r->n_order; i++) {
                RServer *o = &r->servers[r->order[i]];
                if (o->bound < 0 && o->trying < 0) {
                        o->active = false;
                        o->retry_at = 0;
                }
        }
        if (first != s)
                retry = server_retry_time(r, first, now);
        if (retry > 0 && (first != s || first->retry_at == 0))
                server_set_retry(r, first, earliest(first->retry_at, retry));
}

/* ---- account ---------------------------------------------------------------------------- */

unsigned redundancy_take_changes(Redundancy *r) {
        unsigned c = r->changes;

        r->changes = 0;
        return c;
}

void redundancy_set_tracer(Redundancy *r, RedTraceFunc f, void *userdata) {
        r->trace = f;
        r->trace_userdata = userdata;
}

/* Failovers counts the moves of the registration: a working server that holds a binding, then
 * another. Where unregistered requests go (register_on_enable = 0) is not a failover. */
static void update_working(Redundancy *r) {
        int a;
        const RServer *s = working_server(r, &a);

        if (!s || s->bound != a)
                return;
        const char *w = s->addrs[a].a.uri;
        if (!isempty(r->last_working) && !streq(r->last_working, w)) {
                r->failovers++;
                r->changes |= RED_CHANGED_SERVERS;
        }
        snprintf(r->last_working, sizeof(r->last_working), "%s", w);
}

static void start(Redundancy *r, uint64_t now, bool spread) {
        if (!r->cfg.enabled || r->started)
                return;
        r->started = true;
        r->changes |= RED_CHANGED_SERVERS;
        for (size_t i = 0; i < r->n_order; i++) {
                RServer *s = &r->servers[r->order[i]];
                if (r->mode == RED_MODE_SUCCESSIVE && i > 0) {
                        /* Not registered with yet, but known: a request of the UA must be able to
                         * go there the moment the working server fails (redundancy_next_hops). */
                        if (!s->resolved && !s->resolving) {
                                s->resolving = true;
                                queue_action(r, RED_ACTION_RESOLVE, s, -1, 0);
                        }
                        continue;
                }
                s->active = true;
                uint64_t delay = spread ? surge_delay(r) : 0;
                if (delay > 0 && s->bound < 0) {
                        /* registering, after a random pause: the timer starts the round; the
                         * addresses are looked up meanwhile (the edge may need them) */
                        server_set_phase(r, s, SERVER_WAITING);
                        s->retry_at = now + delay;
                        if (!s->resolved && !s->resolving) {
                                s->resolving = true;
                                queue_action(r, RED_ACTION_RESOLVE, s, -1, 0);
                        }
                } else
                        server_start_round(r, s, -1, now);
        }
        update_working(r);
}

void redundancy_start(Redundancy *r, uint64_t now) {
        start(r, now, false);
}

void redundancy_start_spread(Redundancy *r, uint64_t now) {
        start(r, now, true);
}

void redundancy_retry_after(Redundancy *r, unsigned server, const char *uri, uint32_t secs, uint64_t now) {
        RServer *s = server_get(r, server);
        int a;

        if (!s || (a = server_find(s, uri)) < 0 || secs == 0)
                return;
        s->addrs[a].not_before = now + sec(MIN(secs, RED_RETRY_AFTER_MAX_SEC));
}

void redundancy_stop(Redundancy *r, uint64_t now) {
        r->changes |= RED_CHANGED_SERVERS;
        for (size_t i = 0; i < r->n_order; i++) {
                RServer *s = &r->servers[r->order[i]];
                server_cancel(r, s);
                server_drop_binding(r, s, true);
                s->active = s->failed = s->failed_over = false;
                s->retry_at = 0;
                s->send_to = -1;
                server_set_phase(r, s, SERVER_IDLE);
        }
        r->started = false;
}

void redundancy_set_addresses(Redundancy *r, unsigned server, const RedAddress *addrs, size_t n,
                              uint64_t now) {
        RServer *s = server_get(r, server);
        RAddr old[RED_ADDR_MAX];
        size_t n_old, max;
        int bound = -1, trying = -1;

        if (!s)
                return;
        n_old = s->n_addrs;
        if (n_old > 0)
                memcpy(old, s->addrs, n_old * sizeof(RAddr));
        /* Sized to the answers (most have 1–2 addresses), not to the limit: with RED_URI_MAX URIs
         * a full table is 4.6 KB per server. Room for 2 more: a binding and a transaction on
         * addresses the answer no longer lists. Grown, never shrunk: an answer that repeats
         * itself (every re-registration) allocates nothing, and leaves no holes in the heap. */
        max = MIN(n + 2, (size_t) RED_ADDR_MAX);
        if (max > s->n_alloc) {
                RAddr *p = realloc(s->addrs, max * sizeof(RAddr));
                if (!p)
                        abort(); /* a few hundred bytes; nothing sensible to do without them */
                s->addrs = p;
                s->n_alloc = max;
        }
        max = s->n_alloc;

        s->n_addrs = 0;
        for (size_t i = 0; i < n && s->n_addrs < max; i++) {
                RAddr *a = &s->addrs[s->n_addrs];
                bool dup = false;
                for (size_t j = 0; j < s->n_addrs; j++)
                        dup = dup || streq(s->addrs[j].a.uri, addrs[i].uri);
                if (dup)
                        continue;
                *a = (RAddr){.a = addrs[i]};
                for (size_t j = 0; j < n_old; j++)
                        if (streq(old[j].a.uri, a->a.uri)) {
                                a->failed = old[j].failed;
                                a->last_status = old[j].last_status;
                                a->health = old[j].health;
                                a->up_since = old[j].up_since;
                        }
                s->n_addrs++;
        }

        /* A binding or transaction on an address no longer listed is still ours: keep it last. */
        int keep[2] = {s->bound, s->trying};
        for (int k = 0; k < 2; k++) {
                if (keep[k] < 0)
                        continue;
                int idx = server_find(s, old[keep[k]].a.uri);
                if (idx < 0 && s->n_addrs < max) {
                        idx = (int) s->n_addrs++;
                        s->addrs[idx] = old[keep[k]];
                }
                if (k == 0)
                        bound = idx;
                else
                        trying = idx;
        }
        s->bound = bound;
        s->trying = trying;
        /* Every other index into the old list is mapped by URI too: a round under way goes on
         * over the addresses it had left that the answer still lists (the one it is trying, kept
         * above, included). Unmapped, an index could name another address, or none at all. */
        size_t n_round = 0, pos = 0;
        for (size_t k = 0; k < s->n_round; k++) {
                int idx = s->round[k] < n_old ? server_find(s, old[s->round[k]].a.uri) : -1;
                if (k == s->round_pos)
                        pos = idx < 0 && n_round > 0 ? n_round - 1 : n_round;
                if (idx >= 0)
                        s->round[n_round++] = (unsigned) idx;
        }
        s->n_round = n_round;
        s->round_pos = MIN(pos, n_round > 0 ? n_round - 1 : 0);
        if (s->send_to >= 0)
                s->send_to = (size_t) s->send_to < n_old ? server_find(s, old[s->send_to].a.uri) : -1;

        s->resolved = true;
        s->resolving = false;
        s->resolved_at = now;
        if (s->bound > 0 && s->cfg.failback_mode == SIPR_FAILBACK_DNS_TTL)
                server_schedule_failback(r, s, now);
        r->changes |= RED_CHANGED_SERVERS;
        if (s->active && s->phase == SERVER_RESOLVING)
                server_start_round(r, s, -1, now);
        update_working(r);
}

void redundancy_resolve_failed(Redundancy *r, unsigned server, const char *reason, uint64_t now) {
        RServer *s = server_get(r, server);

        if (!s)
                return;
        s->resolving = false;
        r->changes |= RED_CHANGED_SERVERS; /* an unresolved row shows whether it is being resolved */
        if (s->phase != SERVER_RESOLVING)
                return;
        /* No destination at all: what a SIP stack reports as a local 503. */
        set_status(r, 503, reason);
        server_failed(r, s, now);
        update_working(r);
}

void redundancy_register_result(Redundancy *r, unsigned server, const char *uri, unsigned status,
                                const char *phrase, bool local, uint32_t granted, uint64_t now) {
        RServer *s = server_get(r, server);
        int a;

        if (!s || status < 200)
                return;
        a = server_find(s, uri);
        if (a < 0 || a != s->trying)
                return; /* a late answer to a transaction we already gave up */

        if ((status == 401 || status == 407) && !local && !s->authed) {
                /* Credentials once per attempt; a second challenge means they are wrong. */
                s->authed = true;
                s->deadline = now + s->span; /* a new transaction */
                queue_action(r, RED_ACTION_AUTHENTICATE, s, a, s->cfg.expires);
                return;
        }
        s->addrs[a].last_status = status;
        r->changes |= RED_CHANGED_SERVERS;

        if (status < 300 && granted == 0) {
                /* A 2xx that lists no binding of ours (or ours with expires=0): the registrar
                 * answered, but nothing reaches us through it. As unusable as a 503: try the next. */
                set_status(r, status, "answered without binding our Contact");
                server_failure(r, s, a, 503, false, now);
                update_working(r);
                return;
        }
        set_status(r, status, phrase);
        if (status < 300)
                server_succeeded(r, s, a, granted, now);
        else
                server_failure(r, s, a, status, local, now);
        update_working(r);
}

void redundancy_health(Redundancy *r, unsigned server, const char *uri, RedHealth health, uint64_t now) {
        RServer *s = server_get(r, server);
        int a;

        if (!s)
                return;
        a = server_find(s, uri);
        if (a < 0 || s->addrs[a].health == health)
                return;
        if (health == RED_HEALTH_UP)
                s->addrs[a].up_since = now;
        s->addrs[a].health = health;
        server_pick_send_to(r, s); /* unregistered requests avoid what healthd sees down */

        if (health == RED_HEALTH_DOWN && r->cfg.proactive_failover && s->active) {
                if (s->trying == a) {
                        queue_action(r, RED_ACTION_CANCEL, s, a, 0);
                        set_status(r, 408, "server marked down by health monitoring");
                        server_failure(r, s, a, 408, true, now);
                } else if (s->bound == a) {
                        /* Silent death noticed by healthd: act now rather than at the next refresh. */
                        set_status(r, 408, "server marked down by health monitoring");
                        s->addrs[a].failed = true;
                        r->changes |= RED_CHANGED_SERVERS;
                        server_drop_binding(r, s, false);
                        server_start_round(r, s, a, now);
                }
        } else if (health == RED_HEALTH_UP) {
                RServer *retry = NULL;

                if (a == 0 && s->active && s->bound > 0 &&
                    s->cfg.failback_mode == SIPR_FAILBACK_NEW_REQUESTS)
                        server_schedule_failback(r, s, now);
                else if (r->cfg.proactive_failover && s->phase == SERVER_FAILED && !account_bound(r))
                        /* nothing holds a binding, and an address of a failed server is up again:
                         * that server (successive: the round from the working server) now */
                        retry = r->mode == RED_MODE_SUCCESSIVE ? &r->servers[r->order[0]] : s;
                else if (r->cfg.proactive_failover && s->phase == SERVER_FAILED && a == 0 && s->active)
                        retry = s; /* the primary is back while another server holds */
                if (retry && !retry->rejected)
                        /* back: no need to wait for reg_fail_retry_interval, but a server that
                         * just came up must stay up for hold_down (flapping), and a fleet must not
                         * all come back in the same second (surge); a refusal stays a refusal */
                        retry->retry_at = MIN(
                                retry->retry_at ?: UINT64_MAX,
                                MAX(now + sec(r->cfg.hold_down) + surge_delay(r), server_not_before(retry)));
        }
        update_working(r);
}

void redundancy_flow_closed(Redundancy *r, unsigned server, const char *uri, uint64_t now) {
        RServer *s = server_get(r, server);
        int a;

        if (!s || !s->active)
                return;
        a = server_find(s, uri);
        if (a < 0 || a != s->bound || s->trying >= 0)
                return;
        s->refresh_at = now;
        redundancy_timer(r, now);
}

void redundancy_request_sent(Redundancy *r, unsigned server, const char *uri, uint64_t now) {
        RServer *s = server_get(r, server);

        if (!s || !s->active || s->trying < 0 || server_find(s, uri) != s->trying)
                return;
        s->deadline = now + s->span;
}

void redundancy_request_queued(Redundancy *r, unsigned server, const char *uri) {
        RServer *s = server_get(r, server);

        if (!s || !s->active || s->trying < 0 || server_find(s, uri) != s->trying)
                return;
        s->deadline = UINT64_MAX;
}

void redundancy_retry_failed(Redundancy *r, uint64_t now) {
        for (size_t i = 0; i < r->n_order; i++) {
                RServer *s = &r->servers[r->order[i]];
                if (s->active && s->phase == SERVER_FAILED && s->retry_at > now) {
                        s->resolved = false; /* the answer that failed is not worth reusing */
                        s->retry_at = now;
                }
        }
        redundancy_timer(r, now);
}

void redundancy_failover(Redundancy *r, uint64_t now) {
        const char *w = redundancy_working_uri(r);

        if (isempty(w))
                return;
        for (size_t i = 0; i < r->n_order; i++) {
                RServer *s = &r->servers[r->order[i]];
                if (s->bound < 0 || !streq(s->addrs[s->bound].a.uri, w))
                        continue;
                set_status(r, r->last_status, "failover requested");
                if (s->cfg.register_on_enable && s->n_addrs > 1) {
                        /* Another address of this server; the current binding stays until it holds. */
                        server_cancel(r, s);
                        server_start_round(r, s, s->bound, now);
                } else {
                        server_cancel(r, s);
                        server_drop_binding(r, s, true);
                        server_failed(r, s, now);
                }
                break;
        }
        update_working(r);
}

void redundancy_timer(Redundancy *r, uint64_t now) {
        for (size_t i = 0; i < r->n_order; i++) {
                RServer *s = &r->servers[r->order[i]];

                if (s->trying >= 0 && now >= s->deadline) {
                        char reason[96];
                        snprintf(reason, sizeof(reason), "no response (gave up after %u retransmissions)",
                                 s->cfg.retry_counts);
                        queue_action(r, RED_ACTION_CANCEL, s, s->trying, 0);
                        r->queue[r->n_queue - 1].timed_out = true;
                        set_status(r, 408, reason);
                        server_failure(r, s, s->trying, 408, true, now);
                }
                if (!s->active || s->trying >= 0)
                        continue;

                if (s->retry_at > 0 && now >= s->retry_at) {
                        s->retry_at = 0;
                        server_start_round(r, s, -1, now);
                } else if (s->bound >= 0 && now >= s->refresh_at) {
                        bool fb = s->bound > 0 && (s->cfg.failback_mode == SIPR_FAILBACK_NEW_REQUESTS ||
                                                   s->cfg.failback_mode == SIPR_FAILBACK_REGISTRATION ||
                                                   (s->cfg.failback_mode == SIPR_FAILBACK_DNS_TTL &&
                                                    s->addrs[s->bound].a.ttl == 0));
                        uint64_t when = 0;
                        if (fb && server_failback_ready(r, s, now, &when))
                                server_attempt(r, s, 0, SERVER_FAILING_BACK, now);
                        else {
                                if (fb && when)
                                        s->failback_at = when; /* once the hold-down is over */
                                server_attempt(r, s, s->bound, SERVER_REFRESHING, now);
                        }
                } else if (s->bound > 0 && s->failback_at > 0 && now >= s->failback_at) {
                        uint64_t when = 0;
                        s->failback_at = 0;
                        if (server_failback_ready(r, s, now, &when))
                                server_attempt(r, s, 0, SERVER_FAILING_BACK, now);
                        else if (when)
                                s->failback_at = when;
                        else
                                /* known down now: ask again one TTL (mode 1) or one duration
                                 * (mode 3) later, as after a failed attempt; never give up */
                                server_schedule_failback_retry(r, s, now);
                }
        }
        update_working(r);
}

uint64_t redundancy_next_wakeup(const Redundancy *r) {
        uint64_t t = 0;

        for (size_t i = 0; i < r->n_order; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->trying >= 0) {
                        t = earliest(t, s->deadline);
                        continue;
                }
                if (!s->active)
                        continue;
                t = earliest(t, s->retry_at);
                if (s->bound >= 0)
                        t = earliest(t, s->refresh_at);
                if (s->bound > 0)
                        t = earliest(t, s->failback_at);
        }
        return t ?: UINT64_MAX;
}

RedMode redundancy_mode(const Redundancy *r) {
        return r->mode;
}

RedState redundancy_state(const Redundancy *r) {
        bool registering = false, failed = false;

        if (!r->cfg.enabled)
                return RED_STATE_DISABLED;
        if (!r->started)
                return RED_STATE_UNREGISTERED;
        for (size_t i = 0; i < r->n_order; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->bound >= 0)
                        return RED_STATE_REGISTERED;
                if (s->active && (server_in_flight(s) || s->resolving || s->phase == SERVER_RESOLVING ||
                                  s->phase == SERVER_WAITING))
                        registering = true;
                if (s->failed)
                        failed = true;
        }
        if (registering)
                return RED_STATE_REGISTERING;
        return failed ? RED_STATE_FAILED : RED_STATE_UNREGISTERED;
}

static const RServer *working_server(const Redundancy *r, int *ret_addr) {
        for (size_t i = 0; i < r->n_order; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->bound >= 0) {
                        *ret_addr = s->bound;
                        return s;
                }
        }
        /* register_on_enable=0: new requests go to the next address even without a registration */
        for (size_t i = 0; i < r->n_order; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->send_to >= 0) {
                        *ret_addr = s->send_to;
                        return s;
                }
        }
        return NULL;
}

const char *redundancy_working_uri(const Redundancy *r) {
        int a;
        const RServer *s = working_server(r, &a);

        return s ? s->addrs[a].a.uri : "";
}

bool redundancy_all_down(const Redundancy *r) {
        size_t n = 0;

        for (size_t i = 0; i < r->n_order; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->bound >= 0)
                        return false;
                for (size_t a = 0; a < s->n_addrs; a++, n++)
                        if (s->addrs[a].health != RED_HEALTH_DOWN)
                                return false;
        }
        return n > 0;
}

bool redundancy_working_bound(const Redundancy *r) {
        int a;
        const RServer *s = working_server(r, &a);

        return s && s->bound == a;
}

unsigned redundancy_last_status(const Redundancy *r) {
        return r->last_status;
}

const char *redundancy_last_reason(const Redundancy *r) {
        return r->last_reason;
}

unsigned redundancy_failovers(const Redundancy *r) {
        return r->failovers;
}

uint64_t redundancy_registered_since(const Redundancy *r) {
        int a;
        const RServer *s = working_server(r, &a);

        return s && s->bound == a ? s->bound_since : 0;
}

size_t redundancy_servers(const Redundancy *r, RedServerInfo *ret, size_t max) {
        size_t n = 0;
        int wa = -1;
        const RServer *ws = working_server(r, &wa);

        for (size_t i = 0; i < r->n_order && n < max; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->n_addrs == 0) {
                        ret[n++] = (RedServerInfo){
                                .server = s->index,
                                .uri = "",
                                .role = "candidate",
                                .state = s->failed ? RED_ADDR_FAILED
                                         : (s->resolving || s->phase == SERVER_RESOLVING)
                                                 ? RED_ADDR_REGISTERING
                                                 : RED_ADDR_IDLE,
                                .last_status = r->last_status,
                        };
                        continue;
                }
                for (size_t j = 0; j < s->n_addrs && n < max; j++) {
                        const RAddr *a = &s->addrs[j];
                        RedServerInfo *info = &ret[n++];
                        *info = (RedServerInfo){
                                .server = s->index,
                                .uri = a->a.uri,
                                .role = (s == ws && (int) j == wa) ? "working"
                                        : (s->bound == (int) j)    ? "fallback"
                                                                   : "candidate",
                                .state = s->bound == (int) j    ? RED_ADDR_REGISTERED
                                         : s->trying == (int) j ? RED_ADDR_REGISTERING
                                         : a->failed            ? RED_ADDR_FAILED
                                                                : RED_ADDR_IDLE,
                                .last_status = a->last_status,
                                .registered_since = s->bound == (int) j ? s->bound_since : 0,
                        };
                }
        }
        return n;
}

/* The address new requests of s stick to in failback modes 1–3: where the binding is, or (with
 * register_on_enable = 0) where requests were sent after the primary failed. -1: none. */
static int server_sticky_addr(const RServer *s) {
        if (s->cfg.failback_mode == SIPR_FAILBACK_NEW_REQUESTS)
                return -1;
        return s->bound >= 0 ? s->bound : s->send_to;
}

static bool server_signals_registered_only(const RServer *s) {
        /* Yealink applies only_signal_with_registered with register_on_enable = 1 and modes 1–3 */
        return s->cfg.only_signal_with_registered && s->cfg.register_on_enable &&
               s->cfg.failback_mode != SIPR_FAILBACK_NEW_REQUESTS;
}

size_t redundancy_next_hops(const Redundancy *r, RedHop *ret, size_t max) {
        const RServer *order[RED_SERVER_MAX];
        size_t n_servers = 0, n = 0;

        /* servers holding a binding (or, without registration, a place to send to) first */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < r->n_order; i++) {
                        const RServer *s = &r->servers[r->order[i]];
                        bool holds = s->bound >= 0 || s->send_to >= 0;
                        if (holds == (pass == 0))
                                order[n_servers++] = s;
                }

        /* up (or unknown) addresses in that order, then the ones healthd reports down */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < n_servers; i++) {
                        const RServer *s = order[i];
                        int sticky = server_sticky_addr(s);

                        for (int j = -1; j < (int) s->n_addrs && n < max; j++) {
                                int a = j < 0 ? sticky : j;
                                if (a < 0 || (j >= 0 && a == sticky))
                                        continue;
                                bool down = s->addrs[a].health == RED_HEALTH_DOWN;
                                if (down != (pass == 1))
                                        continue;
                                if (server_signals_registered_only(s) && s->bound != a)
                                        continue;
                                ret[n++] = (RedHop){
                                        .server = s->index,
                                        .uri = s->addrs[a].a.uri,
                                        .bound = s->bound == a,
                                        .down = down,
                                        .retry_counts = s->cfg.retry_counts,
                                        .invite_retry_counts = s->cfg.invite_retry_counts,
                                        .failover_codes = &s->cfg.failover_codes,
                                };
                        }
                }
        return n;
}

size_t redundancy_bindings(const Redundancy *r, RedAction *ret, size_t max) {
        size_t n = 0;

        for (size_t i = 0; i < r->n_order && n < max; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->bound < 0)
                        continue;
                ret[n] = (RedAction){.type = RED_ACTION_UNREGISTER, .server = s->index};
                snprintf(ret[n].uri, sizeof(ret[n].uri), "%s", s->addrs[s->bound].a.uri);
                n++;
        }
        return n;
}

const char *red_state_to_string(RedState s) {
        static const char *const t[] = {
                [RED_STATE_DISABLED] = "disabled",       [RED_STATE_UNREGISTERED] = "unregistered",
                [RED_STATE_REGISTERING] = "registering", [RED_STATE_REGISTERED] = "registered",
                [RED_STATE_FAILED] = "failed",
        };
        return (unsigned) s < ELEMENTSOF(t) ? t[s] : "unknown";
}

const char *red_addr_state_to_string(RedAddrState s) {
        static const char *const t[] = {
                [RED_ADDR_IDLE] = "idle",
                [RED_ADDR_REGISTERING] = "registering",
                [RED_ADDR_REGISTERED] = "registered",
                [RED_ADDR_FAILED] = "failed",
        };
        return (unsigned) s < ELEMENTSOF(t) ? t[s] : "unknown";
}

const char *red_mode_to_string(RedMode m) {
        static const char *const t[] = {
                [RED_MODE_FAILOVER] = "failover",
                [RED_MODE_CONCURRENT] = "concurrent",
                [RED_MODE_SUCCESSIVE] = "successive",
        };
        return (unsigned) m < ELEMENTSOF(t) ? t[m] : "unknown";
}

uint64_t redundancy_next_retry(const Redundancy *r) {
        uint64_t t = 0;

        for (size_t i = 0; i < r->n_order; i++) {
                const RServer *s = &r->servers[r->order[i]];
                if (s->active && s->phase == SERVER_FAILED && s->retry_at > 0)
                        t = earliest(t, s->retry_at);
        }
        return t;
}
