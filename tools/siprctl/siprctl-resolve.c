/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* siprctl resolve HOST [PORT] [TRANSPORT] — org.sipr.Resolver1.Resolve as a table or JSON. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "siprctl.h"
#include "util.h"

#define RESOLVER_SERVICE "sipr-resolverd"
#define RESOLVER_BUS "org.sipr.Resolver1"
#define RESOLVER_PATH "/org/sipr/Resolver1"
#define RESOLVER_IFACE "org.sipr.Resolver1"
#define TTL_NEVER UINT32_MAX

static bool is_transport(const char *s) {
        return strcasecmp(s, "udp") == 0 || strcasecmp(s, "tcp") == 0 || strcasecmp(s, "tls") == 0;
}

/* [PORT] [TRANSPORT]: 0, or SIPRCTL_EXIT_USAGE with the message printed. */
static int parse_port_transport(int argc, char **argv, uint16_t *port, const char **transport) {
        *port = 0;
        *transport = "";
        if (argc >= 2) {
                /* "siprctl resolve lab.test tcp" reads naturally too: a transport in PORT's place. */
                if (argc == 2 && is_transport(argv[1]))
                        *transport = argv[1];
                else if (safe_atou16(argv[1], port) < 0) {
                        fprintf(stderr, "siprctl: resolve: invalid PORT '%s': a number 0…65535 (0 = use SRV)\n", argv[1]);
                        return SIPRCTL_EXIT_USAGE;
                }
        }
        if (argc >= 3) {
                if (!isempty(argv[2]) && !is_transport(argv[2])) {
                        fprintf(stderr, "siprctl: resolve: invalid TRANSPORT '%s': udp, tcp, tls or \"\" (choose by NAPTR/SRV)\n", argv[2]);
                        return SIPRCTL_EXIT_USAGE;
                }
                *transport = argv[2];
        }
        return 0;
}

static int check_resolve(const char *command, int argc, char **argv) {
        const char *transport;
        uint16_t port;

        if (isempty(argv[0])) {
                fprintf(stderr, "siprctl: resolve: HOST is empty\n");
                return SIPRCTL_EXIT_USAGE;
        }
        return parse_port_transport(argc, argv, &port, &transport);
}

static int run_resolve(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *host = argv[0], *transport = "";
        uint16_t port = 0;
        unsigned n = 0;
        int r;

        r = parse_port_transport(argc, argv, &port, &transport);
        if (r != 0)
                return r;

        r = sd_bus_call_method(c->bus, RESOLVER_BUS, RESOLVER_PATH, RESOLVER_IFACE, "Resolve", &error, &reply, "sqs",
                               host, port, transport);
        if (r < 0)
                return siprctl_call_failed(RESOLVER_SERVICE, RESOLVER_BUS, &error, r);

        r = sd_bus_message_enter_container(reply, 'a', "(ssqqqu)");
        if (r < 0)
                goto bad;
        if (c->json)
                printf("[");
        else
                printf("%-3s %-9s %-39s %5s %8s %6s %s\n", "#", "TRANSPORT", "ADDRESS", "PORT", "PRIORITY", "WEIGHT", "TTL");
        for (;;) {
                const char *tr, *addr;
                uint16_t p, prio, weight;
                uint32_t ttl;

                r = sd_bus_message_read(reply, "(ssqqqu)", &tr, &addr, &p, &prio, &weight, &ttl);
                if (r < 0)
                        goto bad;
                if (r == 0)
                        break;
                n++;
                if (c->json) {
                        printf("%s{\"transport\":", n > 1 ? "," : "");
                        siprctl_json_string(tr);
                        printf(",\"address\":");
                        siprctl_json_string(addr);
                        printf(",\"port\":%u,\"priority\":%u,\"weight\":%u,\"ttl_seconds\":", p, prio, weight);
                        if (ttl == TTL_NEVER)
                                printf("null}");
                        else
                                printf("%u}", ttl);
                } else {
                        char ttl_s[16];
                        if (ttl == TTL_NEVER)
                                snprintf(ttl_s, sizeof(ttl_s), "-");
                        else
                                snprintf(ttl_s, sizeof(ttl_s), "%us", ttl);
                        printf("%-3u %-9s %-39s %5u %8u %6u %s\n", n, tr, addr, p, prio, weight, ttl_s);
                }
        }
        if (c->json)
                printf("]\n");
        return SIPRCTL_EXIT_OK;
bad:
        fprintf(stderr, "siprctl: %s sent an unexpected Resolve reply: %s\n", RESOLVER_SERVICE, strerror(-r));
        return SIPRCTL_EXIT_FAILURE;
}

const SiprctlCommand siprctl_resolve_commands[] = {
        { "resolve", "HOST [PORT] [TRANSPORT]",
          "RFC 3263 server location: addresses in the order to try (PORT 0 = SRV; TRANSPORT udp/tcp/tls)",
          1, 3, run_resolve, .check = check_resolve },
        {},
};
