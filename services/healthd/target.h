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

const char *target_state_to_string(TargetState s);
const char *target_event_to_string(TargetEvent e); /* "ok", "timeout", "icmp", … */
int target_event_from_report(const char *s, TargetEvent *ret); /* only Report's events; -EINVAL */
