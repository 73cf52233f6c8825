/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The redundancy engine of one account: every rule of BEHAVIOUR.md as a pure state machine.
 * No I/O and no clock of its own: every input is an event carrying "now" (CLOCK_MONOTONIC µs),
 * every output is an action queued for the driver (send a REGISTER, answer a challenge, abandon a
 * transaction, remove a binding, resolve a server). The driver arms one timer at
 * redundancy_next_wakeup() and calls redundancy_timer() when it fires. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config-types.h"
#include "status-list.h"

#define RED_SERVER_MAX 4
#define RED_ADDR_MAX   16
#define RED_URI_MAX    256

typedef enum RedMode {
        RED_MODE_FAILOVER,   /* one server: failover among its addresses */
        RED_MODE_CONCURRENT, /* several servers, all registered at once */
        RED_MODE_SUCCESSIVE, /* several servers, one registered at a time */
} RedMode;

typedef enum RedState {
        RED_STATE_DISABLED,
        RED_STATE_UNREGISTERED,
        RED_STATE_REGISTERING,
        RED_STATE_REGISTERED,
        RED_STATE_FAILED,
} RedState;

typedef enum RedAddrState {
        RED_ADDR_IDLE,
        RED_ADDR_REGISTERING,
        RED_ADDR_REGISTERED,
        RED_ADDR_FAILED,
} RedAddrState;

typedef enum RedHealth {
        RED_HEALTH_UNKNOWN,
        RED_HEALTH_UP,
        RED_HEALTH_DOWN,
} RedHealth;

typedef enum RedActionType {
        RED_ACTION_REGISTER,     /* send REGISTER with expires to uri (new or refresh) */
        RED_ACTION_AUTHENTICATE, /* answer the pending 401/407 on uri with credentials */
        RED_ACTION_CANCEL,       /* abandon the transaction on uri (give-up deadline passed) */
        RED_ACTION_UNREGISTER,   /* remove the binding on uri (REGISTER Expires: 0) */
        RED_ACTION_RESOLVE,      /* (re-)resolve server; answer with redundancy_set_addresses() */
} RedActionType;

typedef struct RedAction {
        RedActionType type;
        unsigned server; /* 0-based: sip_server.(server+1) */
        char uri[RED_URI_MAX];
        uint32_t expires;
        bool timed_out; /* RED_ACTION_CANCEL: because the server did not answer in time */
} RedAction;

typedef struct RedServerConfig {
        bool set; /* sip_server.Y.address non-empty */
        uint32_t expires;
        uint32_t retry_counts;
        uint32_t invite_retry_counts; /* edge INVITEs: retransmissions before the next hop */
        SiprFailbackMode failback_mode;
        uint32_t failback_timeout; /* s, 0 = never; already normalised by the caller (1…59 → 60) */
        bool register_on_enable;
        bool only_signal_with_registered;
        StatusList failover_codes; /* final answers that move on to the next address; none: 408, 503 */
} RedServerConfig;

typedef struct RedConfig {
        bool enabled;
        unsigned redundancy_type;                            /* 0 concurrent, 1 successive */
        uint32_t fallback_timeout;                           /* s */
        uint32_t reg_fail_retry_interval;                    /* s */
        uint32_t reg_failed_retry_min, reg_failed_retry_max; /* s: RFC 5626 4.5 back-off when min > 0 */
        uint32_t reg_rejected_retry_interval;                /* s: after 403, 404…; 0 = never by itself */
        uint32_t register_expires_overlap;                   /* s; UINT32_MAX = automatic */
        uint64_t t1_usec, t2_usec;
        uint32_t hold_down;        /* s */
        uint32_t surge_prevention; /* s: the largest random delay (sip.reg_surge_prevention) */
        uint64_t random_seed;      /* jitter; the driver gives a random one, tests a fixed one */
        bool proactive_failover;
        RedServerConfig server[RED_SERVER_MAX];
} RedConfig;

typedef struct RedAddress {
        char uri[RED_URI_MAX];
        uint32_t ttl; /* s, 0 = none (IP literal) */
} RedAddress;

typedef struct Redundancy Redundancy;

int redundancy_new(const RedConfig *config, Redundancy **ret);

/* Every change of a server's phase (idle, resolving, round, refreshing, failing back, bound,
 * failed), for the driver's log: the engine itself does no I/O. */
typedef void (*RedTraceFunc)(void *userdata, unsigned server, const char *from, const char *to);
void redundancy_set_tracer(Redundancy *r, RedTraceFunc f, void *userdata);

/* What changed since the last call, for a publisher: RED_CHANGED_SERVERS (the rows of
 * redundancy_servers(), State, WorkingServer, RegisteredSince, Failovers), RED_CHANGED_STATUS
 * (LastStatus, LastReason). Unchanged parts need not be computed again. */
enum {
        RED_CHANGED_SERVERS = 1 << 0,
        RED_CHANGED_STATUS = 1 << 1,
};
unsigned redundancy_take_changes(Redundancy *r);
Redundancy *redundancy_free(Redundancy *r);
/* sip.timer_*, sipr.failback.hold_down, sipr.health.proactive_failover changed at run time. */
void redundancy_update_globals(Redundancy *r, const RedConfig *c);

/* Starts registering (enabled accounts); stop removes every binding and goes idle. The spread
 * variant waits a random 0…surge_prevention s first (daemon start, provisioning: a fleet that
 * starts together must not register in the same second). */
void redundancy_start(Redundancy *r, uint64_t now);
void redundancy_start_spread(Redundancy *r, uint64_t now);
void redundancy_stop(Redundancy *r, uint64_t now);

/* Answer to RED_ACTION_RESOLVE (or a spontaneous re-resolution). */
void redundancy_set_addresses(Redundancy *r, unsigned server, const RedAddress *addrs, size_t n,
                              uint64_t now);
void redundancy_resolve_failed(Redundancy *r, unsigned server, const char *reason, uint64_t now);

/* Final response to a REGISTER on (server, uri). status 2xx with the granted expiry (s) of our
 * Contact; a 2xx with granted 0 did not bind us (sip_binding_granted()) and counts as a failure;
 * local = no response came from the network (sofia's own 408/503: timeout, ICMP, refused). */
void redundancy_register_result(Redundancy *r, unsigned server, const char *uri, unsigned status,
                                const char *phrase, bool local, uint32_t granted, uint64_t now);

/* The final answer on (server, uri) about to be given to redundancy_register_result() carried
 * Retry-After: secs (capped at RED_RETRY_AFTER_MAX_SEC). That address is not tried again before
 * then; the others still are at once. */
#define RED_RETRY_AFTER_MAX_SEC 3600U
void redundancy_retry_after(Redundancy *r, unsigned server, const char *uri, uint32_t secs, uint64_t now);

/* What healthd says about an address; (server, uri). */
void redundancy_health(Redundancy *r, unsigned server, const char *uri, RedHealth health, uint64_t now);
/* Nothing bound anywhere and healthd reports every resolved address down. */
bool redundancy_all_down(const Redundancy *r);

/* The connection (TCP) that carried the binding on (server, uri) closed: renew there now; if the
 * server is gone the attempt fails at once (refused) and the usual failover follows. */
void redundancy_flow_closed(Redundancy *r, unsigned server, const char *uri, uint64_t now);
/* The REGISTER to uri, queued behind others to the same next hop, has only now been sent: its
 * retry deadline counts from here, not from when the engine asked for it. */
void redundancy_request_sent(Redundancy *r, unsigned server, const char *uri, uint64_t now);
/* The REGISTER to uri waits for a slot: no retry deadline runs until redundancy_request_sent(). */
void redundancy_request_queued(Redundancy *r, unsigned server, const char *uri);

/* Something that made servers fail is back (e.g. sipr-resolverd): retry failed servers now. */
void redundancy_retry_failed(Redundancy *r, uint64_t now);

/* "Leave the working server now, as if it failed." */
void redundancy_failover(Redundancy *r, uint64_t now);

void redundancy_timer(Redundancy *r, uint64_t now);
uint64_t redundancy_next_wakeup(const Redundancy *r); /* UINT64_MAX: none */

/* Returns true and fills *ret while actions are queued. */
bool redundancy_pop_action(Redundancy *r, RedAction *ret);

/* Published state. */
RedMode redundancy_mode(const Redundancy *r);
RedState redundancy_state(const Redundancy *r);
const char *redundancy_working_uri(const Redundancy *r); /* "" when none */
/* Whether the working server holds our binding; false when new requests would go there without a
 * registration (register_on_enable = 0 after the primary failed) or when there is none. */
bool redundancy_working_bound(const Redundancy *r);
unsigned redundancy_last_status(const Redundancy *r);
const char *redundancy_last_reason(const Redundancy *r);
unsigned redundancy_failovers(const Redundancy *r);
uint64_t redundancy_registered_since(const Redundancy *r); /* monotonic µs, 0 = not registered */
/* When the next round of a failed server starts (monotonic µs); 0 = none planned (a refusal with
 * reg_rejected_retry_interval = 0, or nothing failed). */
uint64_t redundancy_next_retry(const Redundancy *r);

/* Every (server, address) in priority order, for the Servers property. */
typedef struct RedServerInfo {
        unsigned server;
        const char *uri;  /* "" when the server is not resolved */
        const char *role; /* working, fallback, candidate */
        RedAddrState state;
        unsigned last_status;
        uint64_t registered_since; /* monotonic µs or 0 */
} RedServerInfo;
size_t redundancy_servers(const Redundancy *r, RedServerInfo *ret, size_t max);

/* Where a new request of the account's UA goes (EDGE.md "Outgoing": one that starts a dialog or is
 * outside one), in the order to try: per server, failback mode 0 (newRequests) the primary first,
 * modes 1–3 the address that holds the binding first; across servers (concurrent, successive)
 * the servers holding a binding first, in priority order; addresses healthd reports down last;
 * only_signal_with_registered with register_on_enable = 1 and failback mode 1–3 (Yealink) keeps
 * only addresses holding a binding. The last one gets the full transaction timer. */
typedef struct RedHop {
        unsigned server;
        const char *uri; /* valid until the next call into the engine */
        bool bound;      /* holds our binding */
        bool down;       /* healthd says down */
        uint32_t retry_counts, invite_retry_counts;
        const StatusList *failover_codes; /* final answers that move on to the next hop */
} RedHop;
size_t redundancy_next_hops(const Redundancy *r, RedHop *ret, size_t max);

/* Every uri a binding exists on (for unregister on stop, and tests). */
size_t redundancy_bindings(const Redundancy *r, RedAction *ret, size_t max);

const char *red_state_to_string(RedState s);
const char *red_addr_state_to_string(RedAddrState s);
const char *red_mode_to_string(RedMode m);

/* The earliest refresh after a grant, however short the grant (docs/regd.md). */
#define RED_REFRESH_MIN_SEC 5U

/* Pure arithmetic, exposed for tests. */
uint64_t red_retry_deadline_usec(uint32_t retry_counts, uint64_t t1, uint64_t t2);
uint64_t red_refresh_delay_usec(uint32_t granted, uint32_t overlap);
/* Whether a final answer means the server refused us for good (403, 404, failed authentication…):
 * retried only after reg_rejected_retry_interval. */
bool red_status_is_rejection(unsigned status);
/* RFC 5626 4.5: the upper bound of the wait after n ≥ 1 consecutive failed rounds (µs); the wait
 * itself is a random 50…100 % of it. */
uint64_t red_backoff_usec(uint32_t base, uint32_t max, unsigned n);
/* The same for an INVITE (timer A, no T2 cap): give up before copy retry_counts + 2 is due. */
uint64_t red_invite_deadline_usec(uint32_t retry_counts, uint64_t t1);
