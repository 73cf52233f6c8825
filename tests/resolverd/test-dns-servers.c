/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Servers property from c-ares's server list: every form ares_get_servers_csv() writes
 * (c-ares 1.24 … 1.34) gives the text the 1.18 list (ares_get_servers_ports) gives. */
#include <arpa/inet.h>
#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns-servers.h"
#include "macro.h"
#include "resolverd-test.h"

/* csv → the Servers entries joined with " ". */
static bool servers_are(const char *csv, const char *want) {
        char **v = dns_servers_from_ares_csv(csv);
        char *joined = g_strjoinv(" ", v);
        bool ok = streq(joined, want);

        if (!ok)
                fprintf(stderr, "\"%s\" → \"%s\", want \"%s\"\n", csv, joined, want);
        g_free(joined);
        g_strfreev(v);
        return ok;
}

int main(void) {
        char *s;

        /* Port 53 is not shown, any other is; IPv6 in brackets only with a port. */
        check(servers_are("127.77.1.53:53", "127.77.1.53"));
        check(servers_are("127.77.1.53:5353,[::1]:5399", "127.77.1.53:5353 [::1]:5399"));
        check(servers_are("[2001:db8::1]:53", "2001:db8::1"));
        /* c-ares's own canonical form is kept canonical. */
        check(servers_are("[2001:DB8:0::1]:53", "2001:db8::1"));
        /* A link-local server's interface (1.24+) is dropped, as 1.18 never reported it. */
        check(servers_are("[fe80::1]:53%eth0", "fe80::1"));
        check(servers_are("[fe80::1]:5300%eth0", "[fe80::1]:5300"));
        /* The URI form (1.34, when UDP and TCP ports differ): the UDP port. */
        check(servers_are("dns://192.0.2.1:5353?tcpport=53", "192.0.2.1:5353"));
        check(servers_are("dns://[fe80::1%25eth0]:53", "fe80::1"));
        /* Bare addresses (older forms) and empty lists. */
        check(servers_are("192.0.2.1", "192.0.2.1"));
        check(servers_are("::1", "::1"));
        check(servers_are("", ""));
        check(servers_are(NULL, ""));
        check(servers_are(",,", ""));
        /* What it cannot read is shown as c-ares wrote it, never dropped. */
        check(servers_are("dns.example:53,127.0.0.1:99999", "dns.example:53 127.0.0.1:99999"));
        check(servers_are("[::1", "[::1"));

        /* The one formatter both c-ares paths share. */
        s = dns_server_format(AF_INET, "192.0.2.1", 53);
        check(streq(s, "192.0.2.1"));
        g_free(s);
        s = dns_server_format(AF_INET6, "::1", 5399);
        check(streq(s, "[::1]:5399"));
        g_free(s);
        s = dns_server_format(AF_INET, "192.0.2.1", 5353);
        check(streq(s, "192.0.2.1:5353"));
        g_free(s);
        return checks_result("dns-servers");
}
