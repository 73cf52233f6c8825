/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* healthd's Watch/Report argument validation and the hysteresis it feeds, with the pure
 * functions the bus handlers call: address, transport, method and Report event words from any
 * caller, then an arbitrary sequence of probe results and reports under arbitrary thresholds,
 * each followed by the schedule of the next probe (active or standby, with or without traffic).
 * Input: byte 0 = down_after, byte 1 = up_after (0…255: out-of-range values must be clamped),
 * bytes 2–3 = port, then a NUL/newline separated list of words (address, transport, method,
 * event), then after a 0xff byte the event sequence (one byte per step). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "schedule.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_words(const char *w, uint16_t port) {
        _cleanup_free_ char *canon = NULL;
        SockaddrUnion sa = {};
        socklen_t len = 0;
        TargetTransport t;
        ProbeMethod m;
        TargetEvent e;

        if (target_parse_address(w, port, &canon, &sa, &len) >= 0) {
                _cleanup_free_ char *again = NULL;
                SockaddrUnion sa2 = {};
                socklen_t len2 = 0;

                if (!canon || (len != sizeof(sa.in) && len != sizeof(sa.in6)))
                        abort();
                if (sa.sa.sa_family != AF_INET && sa.sa.sa_family != AF_INET6)
                        abort();
                /* The canonical form is a fixed point: one object per target key. */
                if (target_parse_address(canon, port, &again, &sa2, &len2) < 0 || !streq(canon, again) ||
                    len != len2 || memcmp(&sa, &sa2, len) != 0)
                        abort();
        }
        if (target_transport_from_string(w, &t) >= 0 && strcasecmp(target_transport_to_string(t), w) != 0)
                abort();
        if (probe_method_from_string(w, &m) >= 0 && !streq(probe_method_to_string(m), w))
                abort();
        if (target_event_from_report(w, &e) >= 0 && !streq(target_event_to_string(e), w))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TargetHealth h;
        uint64_t now = 1000000, real = 1700000000000000ULL, interval = 30000000, start = now;
        size_t i = 4, end;
        uint16_t port;

        if (size < 4 || size > 4096)
                return 0;
        port = (uint16_t) (data[2] << 8 | data[3]);

        end = i;
        while (end < size && data[end] != 0xff)
                end++;
        {
                _cleanup_free_ char *words = strndup((const char *) data + i, end - i);
                if (!words)
                        return 0;
                for (char *save = NULL, *w = strtok_r(words, "\n", &save); w;
                     w = strtok_r(NULL, "\n", &save))
                        check_words(w, port);
        }

        target_health_init(&h, data[0], data[1]);
        if (h.down_after < TARGET_COUNT_MIN || h.down_after > TARGET_COUNT_MAX ||
            h.up_after < TARGET_COUNT_MIN || h.up_after > TARGET_COUNT_MAX || h.state != TARGET_UNKNOWN)
                abort();

        for (i = end + 1; i < size; i++) {
                uint8_t b = data[i];
                TargetEvent ev = (TargetEvent) (b % _TARGET_EVENT_MAX);
                TargetState old = h.state;
                unsigned changed;

                now += 1000 + (b >> 4) * 250000ULL;
                real += 1000 + (b >> 4) * 250000ULL;
                switch ((b >> 3) & 3) {
                case 0:
                case 1:
                        changed = target_health_probe_result(&h, ev, b * 1000ULL, real);
                        break;
                case 2:
                        /* Report only carries the events a client can see. */
                        if (ev != TARGET_EVENT_OK && ev != TARGET_EVENT_TIMEOUT && ev != TARGET_EVENT_ICMP &&
                            ev != TARGET_EVENT_REFUSED)
                                ev = TARGET_EVENT_TIMEOUT;
                        changed = target_health_report(&h, ev, real);
                        if (h.state != (ev == TARGET_EVENT_OK ? TARGET_UP : TARGET_DOWN))
                                abort(); /* a report moves the state at once */
                        break;
                default:
                        changed = target_health_set_thresholds(&h, b & 7 ? b : 0, 200 - b / 2, real);
                        if (h.down_after < TARGET_COUNT_MIN || h.down_after > TARGET_COUNT_MAX ||
                            h.up_after < TARGET_COUNT_MIN || h.up_after > TARGET_COUNT_MAX)
                                abort();
                        break;
                }
                if (h.state >= _TARGET_STATE_MAX || !target_state_to_string(h.state))
                        abort();
                if ((old != h.state) != !!(changed & TARGET_PROP_STATE))
                        abort(); /* the State signal is emitted exactly when State changes */
                if (old != h.state && h.last_change_usec != real)
                        abort();
                if (h.has_error && !target_event_to_string(h.last_error))
                        abort();
                {
                        /* Odd bytes: a standby target (4 intervals); bit 1: traffic proved it
                         * alive just now (Report ok). */
                        uint64_t period = schedule_period_usec(interval, 4 * interval, b & 1);
                        uint64_t proof = b & 2 ? now : 0, rnd = b * 0x9e3779b97f4a7c15ULL;
                        uint64_t next = schedule_next_usec(target_health_confirming(&h), interval, period,
                                                           start, proof, now, rnd);
                        if (next < now || next > MAX(now, MAX(start, proof) + period + period / 10))
                                abort(); /* never in the past, never later than one period + 10 % */
                        if (target_health_confirming(&h) && next > MAX(now, start + interval / 2))
                                abort(); /* a change is confirmed at the active pace */
                        if (schedule_after_proof_usec(next, period, now, rnd) < next)
                                abort(); /* traffic never brings a probe forward */
                        start = now;
                }
                if (target_probe_timeout_usec((uint64_t) b << 24) > 32000000ULL)
                        abort();
        }
        return 0;
}
