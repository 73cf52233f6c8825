/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include <sofia-sip/sip.h>

/* What a 2xx answer to our REGISTER says about our binding. Pure (no I/O), so it is unit-tested
 * and fuzzed on its own. */
typedef struct SipBindingId {
        const char *instance; /* our +sip.instance UUID (may be NULL) */
        const char *user;     /* Contact user part */
        const char *host;     /* Contact host */
        uint16_t port;        /* Contact port */
} SipBindingId;

/* RFC 3261 10.2.4/10.3: a registrar's 2xx lists every current binding of the AOR. Returns the
 * lifetime granted to OUR Contact (its expires parameter, else the Expires header, else
 * `requested`), never more than `requested` (when not 0), or 0 when the answer does not bind
 * us: no Contact of ours, or ours with expires=0. A 200 that binds someone else, or nobody, is
 * not a registration. */
uint32_t sip_binding_granted(const sip_t *sip, const SipBindingId *id, uint32_t requested);

/* True when Contact m is ours: same +sip.instance, or same user@host:port. */
int sip_binding_is_ours(const sip_contact_t *m, const SipBindingId *id);
