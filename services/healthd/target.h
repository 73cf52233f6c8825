/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The pure part of a watched target: hysteresis and the properties it exposes. No I/O, no
 * D-Bus, no clock: callers pass the time in, so unit tests drive it with a fake clock. */

typedef enum TargetState {
        TARGET_UNKNOWN,
        TARGET_UP,
        TARGET_DOWN,
        _TARGET_STATE_MAX,
} TargetState;

/* What one probe (or a client's Report) found out. */
typedef enum TargetEvent {
        TARGET_EVENT_OK,
        TARGET_EVENT_TIMEOUT,     /* no answer within the probe deadline */
        TARGET_EVENT_ICMP,        /* ICMP port/host unreachable on UDP */
        TARGET_EVENT_REFUSED,     /* TCP RST on connect */
        TARGET_EVENT_RESET,       /* established connection reset or closed by the peer */
        TARGET_EVENT_UNREACHABLE, /* no route (EHOSTUNREACH/ENETUNREACH) */
        TARGET_EVENT_BAD_REPLY,   /* answered, but garbage or oversized */
        TARGET_EVENT_ERROR,       /* local failure (socket, memory) */
        _TARGET_EVENT_MAX,
} TargetEvent;

/* Bits for the properties an update changed; the bus layer emits exactly these, in one signal. */
enum {
        TARGET_PROP_STATE = 1u << 0,
        TARGET_PROP_RTT = 1u << 1,
        TARGET_PROP_LAST_CHANGE = 1u << 2,
        TARGET_PROP_FAILURES = 1u << 3,
        TARGET_PROP_LAST_ERROR = 1u << 4,
        TARGET_PROP_STANDBY = 1u << 5,
};

#define TARGET_COUNT_MIN 1u
#define TARGET_COUNT_MAX 100u

typedef struct TargetHealth {
        TargetState state;
        unsigned down_after, up_after; /* 1…100 */
        unsigned failures;             /* consecutive failures (the Failures property) */
        unsigned successes;            /* consecutive successes */
        uint64_t rtt_usec;             /* last successful round trip */
        uint64_t last_change_usec;     /* CLOCK_REALTIME of the last State change, 0 = never */
        TargetEvent last_error;        /* meaningful when has_error */
        bool has_error;
} TargetHealth;

void target_health_init(TargetHealth *h, unsigned down_after, unsigned up_after);

/* A probe result. From unknown, the first success means up at once (a client wants an answer
 * quickly) while down still needs down_after failures; afterwards up_after/down_after
 * consecutive results move the state. Returns the TARGET_PROP_* bits that changed. */
unsigned target_health_probe_result(TargetHealth *h, TargetEvent event, uint64_t rtt_usec,
                                    uint64_t now_realtime_usec);

/* Evidence from real traffic (Report): ok → up at once, any failure → down at once. Counters
 * restart so that probing has to confirm the opposite with a full up_after/down_after run. */
unsigned target_health_report(TargetHealth *h, TargetEvent event, uint64_t now_realtime_usec);

/* Changing the thresholds may itself cross one (e.g. down_after lowered below failures). */
unsigned target_health_set_thresholds(TargetHealth *h, unsigned down_after, unsigned up_after,
                                      uint64_t now_realtime_usec);

/* True while the last result points away from the current state (a change is being confirmed):
 * the scheduler probes sooner then. */
bool target_health_confirming(const TargetHealth *h);

/* How long a probe may take: half the interval (a silent server is then seen within about
 * interval × down_after and probes never overlap), at most 64·T1 = 32 s. */
uint64_t target_probe_timeout_usec(uint64_t interval_usec);

const char *target_state_to_string(TargetState s);
const char *target_event_to_string(TargetEvent e);             /* "ok", "timeout", "icmp", … */
int target_event_from_report(const char *s, TargetEvent *ret); /* only Report's events; -EINVAL */

/* ---- The watched target as the daemon holds it (manager.c owns these; target.c above stays pure). */

#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;

typedef enum TargetTransport {
        TRANSPORT_UDP,
        TRANSPORT_TCP,
        TRANSPORT_TLS,
        _TRANSPORT_MAX,
} TargetTransport;

typedef enum ProbeMethod {
        PROBE_OPTIONS,
        PROBE_CRLF,
        PROBE_CONNECT,
        PROBE_NONE, /* config sipr.health.method = none: only Report moves the state */
        _PROBE_METHOD_MAX,
} ProbeMethod;

typedef union SockaddrUnion {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
} SockaddrUnion;

typedef struct ProbeOptions ProbeOptions;
typedef struct ProbeCrlf ProbeCrlf;
typedef struct ProbeConnect ProbeConnect;

typedef struct Target {
        Manager *manager;
        uint64_t id;
        char *path; /* /org/sipr/Health1/target/<id> */
        char *key;  /* "transport address port": one object per key */

        TargetTransport transport;
        char *address; /* canonical text form (inet_ntop) */
        uint16_t port;
        SockaddrUnion sockaddr;
        socklen_t sockaddr_len;

        /* Effective probing parameters; *_explicit ones came from a Watch option and do not
         * follow the sipr.health.* configuration. */
        ProbeMethod method;
        uint64_t interval_usec;
        bool method_explicit, interval_explicit, down_explicit, up_explicit;

        TargetHealth health;
        sd_bus_track *watchers;

        /* Standby: every watcher said it does not use the target now (SetStandby, or the Watch
         * option), so it is probed at sipr.health.standby_interval. standby_names holds the
         * unique names of the watchers that said so (set of char*, owned). */
        GHashTable *standby_names;
        bool standby;

        /* Scheduling (monotonic µs): one queue in the manager, keyed by due_usec. */
        GSequenceIter *queue_iter;
        uint64_t due_usec;
        bool probing; /* due_usec is then the probe deadline */
        uint64_t probe_start_usec;
        uint64_t proof_usec; /* last successful Report: traffic proved it alive, 0 = never */

        /* Per-method state; at most the one matching method is in use. */
        ProbeOptions *options;
        ProbeCrlf *crlf;
        ProbeConnect *connect;
} Target;

const char *target_transport_to_string(TargetTransport t);
int target_transport_from_string(const char *s, TargetTransport *ret);
const char *probe_method_to_string(ProbeMethod m);
int probe_method_from_string(const char *s, ProbeMethod *ret);

/* "127.0.0.1" or "::1" (also "[::1]") → canonical text and socket address; -EINVAL otherwise. */
int target_parse_address(const char *s, uint16_t port, char **ret_canonical, SockaddrUnion *ret_sa,
                         socklen_t *ret_len);
