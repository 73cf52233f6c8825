/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "target.h"

static const char *const state_names[_TARGET_STATE_MAX] = {
        [TARGET_UNKNOWN] = "unknown",
        [TARGET_UP] = "up",
        [TARGET_DOWN] = "down",
};

static const char *const event_names[_TARGET_EVENT_MAX] = {
        [TARGET_EVENT_OK] = "ok",
        [TARGET_EVENT_TIMEOUT] = "timeout",
        [TARGET_EVENT_ICMP] = "icmp",
        [TARGET_EVENT_REFUSED] = "refused",
        [TARGET_EVENT_RESET] = "reset",
        [TARGET_EVENT_UNREACHABLE] = "unreachable",
        [TARGET_EVENT_BAD_REPLY] = "bad-reply",
        [TARGET_EVENT_ERROR] = "error",
};

const char *target_state_to_string(TargetState s) {
        return s >= 0 && s < _TARGET_STATE_MAX ? state_names[s] : NULL;
}

const char *target_event_to_string(TargetEvent e) {
        return e >= 0 && e < _TARGET_EVENT_MAX ? event_names[e] : NULL;
}

int target_event_from_report(const char *s, TargetEvent *ret) {
        /* Only what a client can observe on its own traffic (API.md). */
        static const TargetEvent allowed[] = {
                TARGET_EVENT_ICMP,
                TARGET_EVENT_REFUSED,
                TARGET_EVENT_TIMEOUT,
                TARGET_EVENT_OK,
        };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                if (streq(s, event_names[allowed[i]])) {
                        *ret = allowed[i];
                        return 0;
                }
        return -EINVAL;
}

static unsigned clamp_count(unsigned n) {
        return MIN(MAX(n, TARGET_COUNT_MIN), TARGET_COUNT_MAX);
}

void target_health_init(TargetHealth *h, unsigned down_after, unsigned up_after) {
        *h = (TargetHealth){
                .state = TARGET_UNKNOWN,
                .down_after = clamp_count(down_after),
                .up_after = clamp_count(up_after),
        };
}

static unsigned set_state(TargetHealth *h, TargetState s, uint64_t now) {
        if (h->state == s)
                return 0;
        h->state = s;
        h->last_change_usec = now;
        return TARGET_PROP_STATE | TARGET_PROP_LAST_CHANGE;
}

static unsigned note_failure(TargetHealth *h, TargetEvent event) {
        unsigned changed = TARGET_PROP_FAILURES;

        h->successes = 0;
        /* Saturate: a target that has been down for years must not wrap to 0. */
        if (h->failures < UINT32_MAX)
                h->failures++;
        if (!h->has_error || h->last_error != event)
                changed |= TARGET_PROP_LAST_ERROR;
        h->has_error = true;
        h->last_error = event;
        return changed;
}

static unsigned note_success(TargetHealth *h) {
        unsigned changed = 0;

        if (h->failures > 0)
                changed |= TARGET_PROP_FAILURES;
        h->failures = 0;
        if (h->successes < UINT32_MAX)
                h->successes++;
        return changed;
}

/* Decides the state from the counters as they stand now. */
static unsigned evaluate(TargetHealth *h, uint64_t now) {
        if (h->state != TARGET_DOWN && h->failures >= h->down_after)
                return set_state(h, TARGET_DOWN, now);
        if (h->state == TARGET_UNKNOWN && h->successes >= 1)
                return set_state(h, TARGET_UP, now);
        if (h->state == TARGET_DOWN && h->successes >= h->up_after)
                return set_state(h, TARGET_UP, now);
        return 0;
}

unsigned target_health_probe_result(TargetHealth *h, TargetEvent event, uint64_t rtt_usec,
                                    uint64_t now_realtime_usec) {
        unsigned changed;

        if (event < 0 || event >= _TARGET_EVENT_MAX)
                event = TARGET_EVENT_ERROR;

        if (event == TARGET_EVENT_OK) {
                changed = note_success(h);
                if (h->rtt_usec != rtt_usec)
                        changed |= TARGET_PROP_RTT;
                h->rtt_usec = rtt_usec;
        } else
                changed = note_failure(h, event);

        return changed | evaluate(h, now_realtime_usec);
}

unsigned target_health_report(TargetHealth *h, TargetEvent event, uint64_t now_realtime_usec) {
        unsigned changed;

        if (event < 0 || event >= _TARGET_EVENT_MAX)
                return 0;

        if (event == TARGET_EVENT_OK) {
                changed = note_success(h);
                /* Probes must now see down_after failures in a row to take it down again. */
                return changed | set_state(h, TARGET_UP, now_realtime_usec);
        }

        changed = note_failure(h, event);
        return changed | set_state(h, TARGET_DOWN, now_realtime_usec);
}

unsigned target_health_set_thresholds(TargetHealth *h, unsigned down_after, unsigned up_after,
                                      uint64_t now_realtime_usec) {
        h->down_after = clamp_count(down_after);
        h->up_after = clamp_count(up_after);
        return evaluate(h, now_realtime_usec);
}

bool target_health_confirming(const TargetHealth *h) {
        switch (h->state) {
        case TARGET_UP:
        case TARGET_UNKNOWN:
                return h->failures > 0;
        case TARGET_DOWN:
                return h->successes > 0;
        default:
                return false;
        }
}

uint64_t target_probe_timeout_usec(uint64_t interval_usec) {
        return MIN(interval_usec / 2, 32 * USEC_PER_SEC);
}

static const char *const transport_names[_TRANSPORT_MAX] = {
        [TRANSPORT_UDP] = "udp",
        [TRANSPORT_TCP] = "tcp",
        [TRANSPORT_TLS] = "tls",
};

static const char *const method_names[_PROBE_METHOD_MAX] = {
        [PROBE_OPTIONS] = "options",
        [PROBE_CRLF] = "crlf",
        [PROBE_CONNECT] = "connect",
        [PROBE_NONE] = "none",
};

const char *target_transport_to_string(TargetTransport t) {
        return t >= 0 && t < _TRANSPORT_MAX ? transport_names[t] : NULL;
}

int target_transport_from_string(const char *s, TargetTransport *ret) {
        /* Any case, as Resolver1 accepts it; the property is always lower case. */
        for (int i = 0; s && i < _TRANSPORT_MAX; i++)
                if (strcasecmp(s, transport_names[i]) == 0) {
                        *ret = i;
                        return 0;
                }
        return -EINVAL;
}

const char *probe_method_to_string(ProbeMethod m) {
        return m >= 0 && m < _PROBE_METHOD_MAX ? method_names[m] : NULL;
}

int probe_method_from_string(const char *s, ProbeMethod *ret) {
        for (int i = 0; s && i < _PROBE_METHOD_MAX; i++)
                if (streq(s, method_names[i])) {
                        *ret = i;
                        return 0;
                }
        return -EINVAL;
}

int target_parse_address(const char *s, uint16_t port, char **ret_canonical, SockaddrUnion *ret_sa,
                         socklen_t *ret_len) {
        char buf[INET6_ADDRSTRLEN + 2], text[INET6_ADDRSTRLEN];
        SockaddrUnion sa = {};
        socklen_t len;
        size_t n;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        /* "[v6]" as in SIP URIs. */
        if (s[0] == '[') {
                if (n < 3 || s[n - 1] != ']')
                        return -EINVAL;
                memcpy(buf, s + 1, n - 2);
                buf[n - 2] = 0;
                if (inet_pton(AF_INET6, buf, &sa.in6.sin6_addr) != 1)
                        return -EINVAL;
                sa.in6.sin6_family = AF_INET6;
        } else if (inet_pton(AF_INET, s, &sa.in.sin_addr) == 1)
                sa.in.sin_family = AF_INET;
        else if (inet_pton(AF_INET6, s, &sa.in6.sin6_addr) == 1)
                sa.in6.sin6_family = AF_INET6;
        else
                return -EINVAL;

        if (sa.sa.sa_family == AF_INET) {
                sa.in.sin_port = htons(port);
                len = sizeof(sa.in);
                if (!inet_ntop(AF_INET, &sa.in.sin_addr, text, sizeof(text)))
                        return -EINVAL;
        } else {
                sa.in6.sin6_port = htons(port);
                len = sizeof(sa.in6);
                if (!inet_ntop(AF_INET6, &sa.in6.sin6_addr, text, sizeof(text)))
                        return -EINVAL;
        }

        if (ret_canonical) {
                char *c = strdup(text);
                if (!c)
                        return -ENOMEM;
                *ret_canonical = c;
        }
        if (ret_sa)
                *ret_sa = sa;
        if (ret_len)
                *ret_len = len;
        return 0;
}
