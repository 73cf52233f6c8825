/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <string.h>

#include "health-active.h"
#include "macro.h"

size_t health_active_uris(const Redundancy *r, const char **ret, size_t max) {
        RedServerInfo info[HEALTH_ACTIVE_MAX];
        size_t n_info = redundancy_servers(r, info, ELEMENTSOF(info)), n = 0;
        const char *working = redundancy_working_uri(r);
        bool successive = redundancy_mode(r) == RED_MODE_SUCCESSIVE, all_down = redundancy_all_down(r);
        bool server_bound[RED_SERVER_MAX] = {}, seen[RED_SERVER_MAX] = {};
        unsigned rank = 0, first_bound_rank = UINT32_MAX;

        /* Rows come server by server, in priority order (redundancy_servers()). */
        for (size_t i = 0; i < n_info; i++) {
                unsigned y = info[i].server;
                if (y >= RED_SERVER_MAX)
                        continue;
                if (!seen[y]) {
                        seen[y] = true;
                        rank++;
                }
                if (info[i].state == RED_ADDR_REGISTERED) {
                        server_bound[y] = true;
                        first_bound_rank = MIN(first_bound_rank, rank);
                }
        }

        memset(seen, 0, sizeof(seen));
        rank = 0;
        for (size_t i = 0; i < n_info && n < max; i++) {
                const RedServerInfo *s = &info[i];
                bool primary, active;

                if (s->server >= RED_SERVER_MAX)
                        continue;
                primary = !seen[s->server];
                if (primary) {
                        seen[s->server] = true;
                        rank++;
                }
                if (isempty(s->uri))
                        continue;
                /* Nothing bound and every address known down: each one is a way back, and healthd
                 * seeing any of them up is what ends the outage (issue 23 item 7). */
                active = s->state == RED_ADDR_REGISTERED || streq(s->uri, working) || all_down;
                /* The primary is where failback goes: healthd seeing it up is what starts it
                 * (hold_down), so it is watched at the full rate while the binding is elsewhere. */
                if (!active && primary)
                        active = server_bound[s->server] || first_bound_rank == UINT32_MAX || !successive ||
                                 rank < first_bound_rank;
                if (active)
                        ret[n++] = s->uri;
        }
        return n;
}
