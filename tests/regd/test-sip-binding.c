/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sip_binding_granted(): only a 2xx that lists our Contact with a non-zero lifetime registers us,
 * for at most as long as we asked. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "sip-binding.h"

static const SipBindingId id = {
        .instance = "1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        .user = "1001",
        .host = "127.0.0.1",
        .port = 5070,
};

static uint32_t granted_for(uint32_t requested, const char *contacts_and_expires) {
        char buf[2048];
        msg_t *msg;
        uint32_t g;

        snprintf(buf, sizeof(buf),
                 "SIP/2.0 200 OK\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
                 "From: <sip:1001@lab.test>;tag=a\r\n"
                 "To: <sip:1001@lab.test>;tag=b\r\n"
                 "Call-ID: c1\r\n"
                 "CSeq: 2 REGISTER\r\n"
                 "%s"
                 "Content-Length: 0\r\n\r\n",
                 contacts_and_expires);
        msg = msg_make(sip_default_mclass(), 0, buf, (ssize_t) strlen(buf));
        assert(msg);
        g = sip_binding_granted(sip_object(msg), &id, requested);
        msg_destroy(msg);
        return g;
}

static uint32_t granted(const char *contacts_and_expires) {
        return granted_for(3600, contacts_and_expires);
}

int main(void) {
        /* Ours by user@host:port, with its own expires parameter. */
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>;expires=120\r\n") == 120);
        /* Ours by +sip.instance, even with another address (a NAT rewrote it). */
        assert(granted("Contact: <sip:1001@192.0.2.9:6000>;expires=90;+sip.instance=\"<urn:uuid:1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0>\"\r\n") == 90);
        /* Someone else's binding listed first, ours second. */
        assert(granted("Contact: <sip:1001@127.0.0.9:5070>;expires=30, <sip:1001@127.0.0.1:5070>;expires=60\r\n") == 60);
        /* No expires parameter: the Expires header, else what we asked for. */
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>\r\nExpires: 300\r\n") == 300);
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>\r\n") == 3600);
        /* Not bound: no Contact at all, only another device's, ours with expires=0, garbage expiry. */
        assert(granted("") == 0);
        assert(granted("Contact: <sip:1001@127.0.0.9:5070>;expires=3600\r\n") == 0);
        assert(granted("Contact: <sip:1001@127.0.0.1:5071>;expires=3600\r\n") == 0);
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>;expires=0\r\n") == 0);
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>;expires=soon\r\n") == 0);
        /* A registrar may shorten what we asked for, never lengthen it (RFC 3261 10.2.4): a longer
         * grant would put our refresh after the real end of the binding. Huge values are capped,
         * not wrapped. */
        assert(granted_for(60, "Contact: <sip:1001@127.0.0.1:5070>\r\nExpires: 4294967295\r\n") == 60);
        assert(granted_for(60, "Contact: <sip:1001@127.0.0.1:5070>;expires=4294967295\r\n") == 60);
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>;expires=99999999999\r\n") == 3600);
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>;expires=7200\r\n") == 3600);
        assert(granted("Contact: <sip:1001@127.0.0.1:5070>\r\nExpires: 3601\r\n") == 3600);
        assert(granted_for(60, "Contact: <sip:1001@127.0.0.1:5070>;expires=30\r\n") == 30);
        /* Nothing asked for (a removal): nothing to cap. */
        assert(granted_for(0, "Contact: <sip:1001@127.0.0.1:5070>;expires=99999999999\r\n") == UINT32_MAX);
        assert(sip_binding_granted(NULL, &id, 3600) == 0);
        printf("test-sip-binding: ok\n");
        return 0;
}
