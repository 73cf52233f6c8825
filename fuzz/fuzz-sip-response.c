/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hostile registrar's answer to REGISTER (and to healthd's OPTIONS): raw bytes through
 * sofia-sip's message parser, the fields regd takes from a response (status, phrase, granted
 * expiry from our Contact or Expires, challenges), then regd's redundancy engine answered with
 * that same response for every request it sends, on an injected clock.
 * Checks: nothing crashes or leaks; the engine never sends a storm of requests at one instant or
 * spins without time passing, whatever status/expiry the server claims; healthd counts any parsed
 * final response as "answered" (its state machine is fuzzed in fuzz-health-watch).
 * The granted expiry comes from services/regd/sip-binding.c, the function sip.c uses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/su_alloc.h>

#include "macro.h"
#include "redundancy.h"
#include "sip-binding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUR_USER "1001"
#define OUR_HOST "127.0.0.1"
#define OUR_PORT_NUMBER 5070
#define OUR_INSTANCE "1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
#define A0 "sip:127.77.0.2:5060;transport=udp"
#define A1 "sip:127.77.0.3:5060;transport=udp"

typedef struct Answer {
        unsigned status;
        char phrase[128];
        uint32_t granted;
        bool challenge;
} Answer;

static const SipBindingId our_id = {
        .instance = OUR_INSTANCE,
        .user = OUR_USER,
        .host = OUR_HOST,
        .port = OUR_PORT_NUMBER,
};

static uint32_t granted_expiry(const sip_t *sip, uint32_t requested) {
        return sip_binding_granted(sip, &our_id, requested);
}

static RedConfig config(const uint8_t *data) {
        RedConfig c = {
                .enabled = true,
                .redundancy_type = data[0] & 1,
                .fallback_timeout = 120,
                .reg_fail_retry_interval = 30,
                .t1_usec = 500000,
                .t2_usec = 4000000,
                .proactive_failover = true,
        };
        c.server[0] = (RedServerConfig) {
                .set = true,
                .expires = 3600,
                .retry_counts = 3,
                .failback_mode = data[0] >> 1 & 3,
                .failback_timeout = 3600,
                .register_on_enable = true,
        };
        return c;
}

static void drive(const Answer *ans, const uint8_t *data) {
        RedConfig c = config(data);
        RedAddress addrs[2] = { { .uri = A0 }, { .uri = A1 } };
        Redundancy *r = NULL;
        uint64_t now = 1000000, last = 0;
        unsigned same_instant = 0, spins = 0;

        if (redundancy_new(&c, &r) < 0)
                abort();
        redundancy_start(r, now);
        for (unsigned step = 0; step < 200; step++) {
                RedAction act;
                uint64_t w;

                while (redundancy_pop_action(r, &act)) {
                        if (act.server != 0)
                                abort();
                        switch (act.type) {
                        case RED_ACTION_RESOLVE:
                                redundancy_set_addresses(r, 0, addrs, 2, now);
                                break;
                        case RED_ACTION_REGISTER:
                        case RED_ACTION_AUTHENTICATE:
                                if (!streq(act.uri, A0) && !streq(act.uri, A1))
                                        abort();
                                same_instant = now == last ? same_instant + 1 : 0;
                                last = now;
                                if (same_instant > 8)
                                        abort(); /* request storm: the server's answer made us resend at once */
                                redundancy_register_result(r, 0, act.uri, ans->status, ans->phrase, false,
                                                           ans->granted, now);
                                break;
                        case RED_ACTION_UNREGISTER:
                        case RED_ACTION_CANCEL:
                                break;
                        }
                }
                if (redundancy_state(r) > RED_STATE_FAILED || !red_state_to_string(redundancy_state(r)))
                        abort();
                w = redundancy_next_wakeup(r);
                if (w == UINT64_MAX)
                        break;
                if (w <= now) {
                        if (++spins > 1000)
                                abort(); /* the timer is always due: a busy loop */
                        now++;
                } else {
                        spins = 0;
                        now = w;
                }
                redundancy_timer(r, now);
        }
        redundancy_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        msg_t *msg;
        sip_t *sip;
        Answer ans = {};

        if (size < 1 || size > 65536)
                return 0;
        msg = msg_make(sip_default_mclass(), 0, data + 1, (ssize_t) size - 1);
        if (!msg)
                return 0;
        sip = sip_object(msg);
        if (sip && sip->sip_status && sip->sip_status->st_status >= 100 && sip->sip_status->st_status < 700) {
                ans.status = (unsigned) sip->sip_status->st_status;
                snprintf(ans.phrase, sizeof(ans.phrase), "%s", strempty(sip->sip_status->st_phrase));
                if (ans.status >= 200 && ans.status < 300)
                        ans.granted = granted_expiry(sip, 3600);
                ans.challenge = sip->sip_www_authenticate || sip->sip_proxy_authenticate;
                /* Walk what regd and healthd read, so the parser's lazy parts run too. */
                for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next)
                        (void) sip_binding_is_ours(m, &our_id);
                if (sip->sip_retry_after)
                        (void) sip->sip_retry_after->af_delta;
        }
        msg_destroy(msg);

        if (ans.status >= 200)
                drive(&ans, data);
        return 0;
}
