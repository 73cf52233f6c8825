/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>

#include "macro.h"
#include "sip-binding.h"

int sip_binding_is_ours(const sip_contact_t *m, const SipBindingId *id) {
        const char *inst;
        char port[8];

        if (!m)
                return 0;
        inst = msg_header_find_param(m->m_common, "+sip.instance");
        if (inst && !isempty(id->instance) && strstr(inst, id->instance))
                return 1;
        snprintf(port, sizeof(port), "%u", id->port);
        return m->m_url->url_user && id->user && streq(m->m_url->url_user, id->user) && m->m_url->url_host &&
               id->host && strcasecmp(m->m_url->url_host, id->host) == 0 && m->m_url->url_port &&
               streq(m->m_url->url_port, port);
}

static uint32_t parse_delta(const char *s) {
        char *end;
        unsigned long long v;

        if (!s || !*s || *s == '-')
                return 0;
        v = strtoull(s, &end, 10);
        if (*end)
                return 0; /* "expires=abc" binds nothing we can rely on */
        return v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
}

/* RFC 3261 10.2.4: a registrar may shorten the interval we asked for, never lengthen it. A
 * longer grant (Expires: 4294967295 to a 60 s request) would postpone our refresh past the real
 * end of the binding, so we hold it to what we asked for. */
static uint32_t cap(uint32_t granted, uint32_t requested) {
        return requested > 0 && granted > requested ? requested : granted;
}

uint32_t sip_binding_granted(const sip_t *sip, const SipBindingId *id, uint32_t requested) {
        if (!sip)
                return 0;
        for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
                if (!sip_binding_is_ours(m, id))
                        continue;
                if (m->m_expires)
                        return cap(parse_delta(m->m_expires), requested);
                if (sip->sip_expires)
                        return cap((uint32_t) MIN(sip->sip_expires->ex_delta, (unsigned long) UINT32_MAX),
                                   requested);
                return requested;
        }
        return 0;
}
