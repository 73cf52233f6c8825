/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "dns-servers.h"
#include "rfc3263.h"
#include "util.h"

char *dns_server_format(int family, const char *addr, uint16_t port) {
        if (port == 53)
                return g_strdup(addr);
        if (family == AF_INET6)
                return g_strdup_printf("[%s]:%u", addr, port);
        return g_strdup_printf("%s:%u", addr, port);
}

/* One csv entry → the Servers form, or NULL when it is not one we know. */
static char *server_from_entry(const char *entry) {
        _cleanup_free_ char *s = NULL;
        char lit[INET6_ADDRSTRLEN], *host, *port_s = NULL, *end;
        uint16_t port = 53;
        int family;

        /* The URI form (c-ares 1.34 writes it when UDP and TCP ports differ): the port we
         * show is the UDP one, the query part is dropped. */
        if (g_str_has_prefix(entry, "dns://"))
                entry += strlen("dns://");
        s = strdup(entry);
        if (!s)
                return NULL;
        s[strcspn(s, "?/")] = 0;

        host = s;
        if (host[0] == '[') {
                end = strchr(host, ']');
                if (!end)
                        return NULL;
                *end = 0;
                host++;
                if (end[1] == ':')
                        port_s = end + 2;
                else if (end[1] != 0 && end[1] != '%')
                        return NULL;
        } else if ((end = strchr(host, ':')) && !strchr(end + 1, ':')) {
                *end = 0;
                port_s = end + 1;
        }
        /* A link-local server's interface ("%eth0", "%25eth0" in a URI) is not shown: c-ares
         * before 1.24 does not report it, and the property must not change with the library. */
        host[strcspn(host, "%")] = 0;
        if (port_s) {
                port_s[strcspn(port_s, "%")] = 0;
                if (safe_atou16(port_s, &port) < 0 || port == 0)
                        return NULL;
        }
        family = rfc3263_parse_ip_literal(host, lit);
        if (family == 0)
                return NULL;
        return dns_server_format(family, lit, port);
}

char **dns_servers_from_ares_csv(const char *csv) {
        GPtrArray *a = g_ptr_array_new();
        char **entries = g_strsplit(csv ?: "", ",", -1);

        for (char **e = entries; *e; e++) {
                char *one;

                if (**e == 0)
                        continue;
                one = server_from_entry(*e);
                g_ptr_array_add(a, one ?: g_strdup(*e));
        }
        g_strfreev(entries);
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}
