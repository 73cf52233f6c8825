/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The DNS servers of a c-ares channel as the Servers property shows them: "ip", or "ip:port" /
 * "[ipv6]:port" when the port is not 53. Pure text; GLib string vectors (g_strfreev). */

#include <stdint.h>

/* One server; family AF_INET or AF_INET6, addr its canonical text. */
char *dns_server_format(int family, const char *addr, uint16_t port);

/* From ares_get_servers_csv() (c-ares ≥ 1.24): "ip:port", "[ipv6]:port", either with
 * "%iface", or a "dns://" URI. An entry it cannot read is kept as c-ares wrote it. */
char **dns_servers_from_ares_csv(const char *csv);
