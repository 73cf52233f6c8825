/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* siprctl status / monitor / failover / register / unregister / reregister: org.sipr.Registration1. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config-schema.h"
#include "siprctl.h"
#include "util.h"

#define REG_SERVICE   "sipr-regd"
#define REG_BUS_NAME  "org.sipr.Registration1"
#define REG_PATH      "/org/sipr/Registration1"
#define ACCOUNT_IFACE "org.sipr.Registration1.Account"

typedef struct ServerRow {
        char *name, *uri, *role, *state;
        uint16_t status;
        uint64_t since;
} ServerRow;

typedef struct AccountInfo {
        char *path;
        uint32_t index;
        int enabled, usable;
        char *aor, *mode, *state, *working, *last_reason;
        uint16_t last_status;
        uint32_t failovers;
        uint64_t since;
        ServerRow *servers;
        size_t n_servers;
        char **edge_contacts;
        uint64_t requests, request_failovers;
} AccountInfo;

static void account_info_clear_servers(AccountInfo *a) {
        for (size_t i = 0; i < a->n_servers; i++) {
                free(a->servers[i].name);
                free(a->servers[i].uri);
                free(a->servers[i].role);
                free(a->servers[i].state);
        }
        a->n_servers = 0;
}

static void account_info_done(AccountInfo *a) {
        account_info_clear_servers(a);
        free(a->servers);
        free(a->path);
        free(a->aor);
        free(a->mode);
        free(a->state);
        free(a->working);
        free(a->last_reason);
        strv_free(a->edge_contacts);
}

static int read_servers(sd_bus_message *m, AccountInfo *a) {
        int r = sd_bus_message_enter_container(m, 'a', "(ssssqt)");
        if (r < 0)
                return r;
        for (;;) {
                const char *name, *uri, *role, *state;
                uint16_t status;
                uint64_t since;
                r = sd_bus_message_read(m, "(ssssqt)", &name, &uri, &role, &state, &status, &since);
                if (r <= 0)
                        break;
                ServerRow *s = realloc(a->servers, (a->n_servers + 1) * sizeof(ServerRow));
                if (!s)
                        return -ENOMEM;
                a->servers = s;
                a->servers[a->n_servers++] =
                        (ServerRow){strdup(name), strdup(uri), strdup(role), strdup(state), status, since};
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

typedef struct AccountReader {
        AccountInfo *a;
        bool shown; /* read a property the monitor's line shows */
} AccountReader;

/* A line per transition a human cares about: a change of one of these (--json shows every change). */
static bool property_shown(const char *name) {
        static const char *const shown[] = {"State",      "WorkingServer", "LastStatus",
                                            "LastReason", "Failovers",     "Enabled"};

        for (size_t i = 0; i < ELEMENTSOF(shown); i++)
                if (streq(name, shown[i]))
                        return true;
        return false;
}

/* Reads one property (name already read; positioned at the variant). Unknown ones are skipped. */
static int read_property(sd_bus_message *m, const char *name, void *userdata) {
        AccountReader *reader = userdata;
        AccountInfo *a = reader->a;

        if (property_shown(name))
                reader->shown = true;
        if (streq(name, "Index"))
                return sd_bus_message_read(m, "v", "u", &a->index);
        if (streq(name, "Enabled"))
                return sd_bus_message_read(m, "v", "b", &a->enabled);
        if (streq(name, "Aor"))
                return siprctl_read_string_variant(m, &a->aor);
        if (streq(name, "Mode"))
                return siprctl_read_string_variant(m, &a->mode);
        if (streq(name, "State"))
                return siprctl_read_string_variant(m, &a->state);
        if (streq(name, "WorkingServer"))
                return siprctl_read_string_variant(m, &a->working);
        if (streq(name, "Usable"))
                return sd_bus_message_read(m, "v", "b", &a->usable);
        if (streq(name, "LastReason"))
                return siprctl_read_string_variant(m, &a->last_reason);
        if (streq(name, "LastStatus"))
                return sd_bus_message_read(m, "v", "q", &a->last_status);
        if (streq(name, "Failovers"))
                return sd_bus_message_read(m, "v", "u", &a->failovers);
        if (streq(name, "RegisteredSinceUsec"))
                return sd_bus_message_read(m, "v", "t", &a->since);
        if (streq(name, "Requests"))
                return sd_bus_message_read(m, "v", "t", &a->requests);
        if (streq(name, "RequestFailovers"))
                return sd_bus_message_read(m, "v", "t", &a->request_failovers);
        if (streq(name, "EdgeContacts")) {
                char **l = NULL;
                int r = sd_bus_message_enter_container(m, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_read_strv(m, &l);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                strv_free(a->edge_contacts);
                a->edge_contacts = l;
                return 0;
        }
        if (streq(name, "Servers")) {
                int r = sd_bus_message_enter_container(m, 'v', "a(ssssqt)");
                if (r < 0)
                        return r;
                account_info_clear_servers(a);
                r = read_servers(m, a);
                if (r < 0)
                        return r;
                return sd_bus_message_exit_container(m);
        }
        return sd_bus_message_skip(m, "v");
}

/* a{sv}; *ret_shown (may be NULL): whether it held a property the monitor's line shows. */
static int read_properties(sd_bus_message *m, AccountInfo *a, bool *ret_shown) {
        AccountReader reader = {.a = a};
        int r;

        r = siprctl_read_properties(m, read_property, &reader);
        if (r >= 0 && ret_shown)
                *ret_shown = reader.shown;
        return r;
}

typedef struct AccountList {
        AccountInfo *l;
        size_t n;
} AccountList;

static int add_account(const char *path, sd_bus_message *m, void *userdata) {
        AccountList *list = userdata;
        AccountInfo a = {};
        int r;

        r = read_properties(m, &a, NULL);
        if (r < 0) {
                account_info_done(&a);
                return r;
        }
        AccountInfo *nl = realloc(list->l, (list->n + 1) * sizeof(AccountInfo));
        if (!nl) {
                account_info_done(&a);
                return -ENOMEM;
        }
        list->l = nl;
        a.path = strdup(path);
        list->l[list->n++] = a;
        return 0;
}

static int cmp_account(const void *x, const void *y) {
        const AccountInfo *a = x, *b = y;
        return a->index < b->index ? -1 : a->index > b->index;
}

/* Every account, by index; an exit code (0 when *ret and *ret_n are set). */
static int get_accounts(SiprctlContext *c, AccountInfo **ret, size_t *ret_n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        AccountList list = {};
        int r;

        r = sd_bus_call_method(c->bus, REG_BUS_NAME, REG_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &error, &reply, NULL);
        if (r < 0)
                return siprctl_call_failed(REG_SERVICE, REG_BUS_NAME, &error, r);
        r = siprctl_for_each_object(reply, ACCOUNT_IFACE, add_account, &list);
        if (r < 0) {
                fprintf(stderr, "siprctl: %s: malformed answer: %s\n", REG_SERVICE, strerror(-r));
                for (size_t i = 0; i < list.n; i++)
                        account_info_done(&list.l[i]);
                free(list.l);
                return SIPRCTL_EXIT_FAILURE;
        }
        if (list.n > 0) /* qsort(NULL, 0) is undefined */
                qsort(list.l, list.n, sizeof(AccountInfo), cmp_account);
        *ret = list.l;
        *ret_n = list.n;
        return SIPRCTL_EXIT_OK;
}

static void print_account_json(const AccountInfo *a) {
        printf("{\"index\":%u,\"path\":", a->index);
        siprctl_json_string(a->path);
        printf(",\"enabled\":%s,\"aor\":", a->enabled ? "true" : "false");
        siprctl_json_string(a->aor);
        printf(",\"mode\":");
        siprctl_json_string(a->mode);
        printf(",\"state\":");
        siprctl_json_string(a->state);
        printf(",\"working_server\":");
        siprctl_json_string(a->working);
        printf(",\"usable\":%s", a->usable ? "true" : "false");
        printf(",\"last_status\":%u,\"last_reason\":", a->last_status);
        siprctl_json_string(a->last_reason);
        printf(",\"failovers\":%u,\"registered_since_usec\":%" PRIu64 ",\"servers\":[", a->failovers,
               a->since);
        for (size_t i = 0; i < a->n_servers; i++) {
                const ServerRow *s = &a->servers[i];
                printf("%s{\"name\":", i ? "," : "");
                siprctl_json_string(s->name);
                printf(",\"uri\":");
                siprctl_json_string(s->uri);
                printf(",\"role\":");
                siprctl_json_string(s->role);
                printf(",\"state\":");
                siprctl_json_string(s->state);
                printf(",\"status\":%u,\"registered_since_usec\":%" PRIu64 "}", s->status, s->since);
        }
        printf("],\"edge_contacts\":[");
        for (size_t i = 0; a->edge_contacts && a->edge_contacts[i]; i++) {
                printf("%s", i ? "," : "");
                siprctl_json_string(a->edge_contacts[i]);
        }
        printf("],\"requests\":%" PRIu64 ",\"request_failovers\":%" PRIu64 "}", a->requests,
               a->request_failovers);
}

static void print_account(const AccountInfo *a) {
        char since[64];

        siprctl_format_time(a->since, since, sizeof(since));
        printf("account %u: %s  %s  (%s%s)\n", a->index, isempty(a->aor) ? "-" : a->aor, strempty(a->state),
               strempty(a->mode), a->enabled ? "" : ", disabled");
        /* register_on_enable = 0 after the primary failed: requests go on without a registration */
        printf("  working server:   %s%s\n", isempty(a->working) ? "-" : a->working,
               !isempty(a->working) && !streq(strempty(a->state), "registered")
                       ? "  (not registered there; new requests go to it)"
                       : "");
        printf("  last response:    %u %s\n", a->last_status, strempty(a->last_reason));
        printf("  registered since: %s   failovers: %u\n", since, a->failovers);
        /* the edge: the local UAs this account's calls reach, and what they sent through it */
        printf("  local contacts:   ");
        for (size_t i = 0; a->edge_contacts && a->edge_contacts[i]; i++)
                printf("%s%s", i ? ", " : "", a->edge_contacts[i]);
        printf("%s\n", a->edge_contacts && a->edge_contacts[0] ? "" : "-");
        printf("  requests:         %" PRIu64 "   moved to another server: %" PRIu64 "\n", a->requests,
               a->request_failovers);
        if (a->n_servers > 0)
                printf("  %-9s %-11s %-4s %-20s %s\n", "ROLE", "STATE", "LAST", "SERVER", "ADDRESS");
        for (size_t i = 0; i < a->n_servers; i++) {
                const ServerRow *s = &a->servers[i];
                char last[8] = "-";
                if (s->status)
                        snprintf(last, sizeof(last), "%u", s->status);
                printf("  %-9s %-11s %-4s %-20s %s\n", s->role, s->state, last, s->name,
                       isempty(s->uri) ? "(not resolved)" : s->uri);
        }
}

static int run_status(SiprctlContext *c, int argc, char **argv) {
        AccountInfo *l = NULL;
        size_t n = 0;
        uint32_t want = 0;
        int r, ret = SIPRCTL_EXIT_OK;
        bool found = false;

        if (argc == 1 && siprctl_parse_account("status", argv[0], &want) != 0)
                return SIPRCTL_EXIT_USAGE;
        r = get_accounts(c, &l, &n);
        if (r != SIPRCTL_EXIT_OK)
                return r;

        if (c->json && argc == 0)
                printf("[");
        for (size_t i = 0; i < n; i++) {
                if (argc == 1 && l[i].index != want)
                        continue;
                if (c->json) {
                        if (found && argc == 0)
                                printf(",");
                        print_account_json(&l[i]);
                } else {
                        if (found)
                                printf("\n");
                        print_account(&l[i]);
                }
                found = true;
        }
        if (c->json && argc == 0)
                printf("]");
        if (c->json && (found || argc == 0))
                printf("\n");
        if (!c->json && !found && argc == 0)
                printf("No accounts configured.\n");
        if (argc == 1 && !found) {
                fprintf(stderr, "siprctl: no account %u (account.%u.* not configured)\n", want, want);
                ret = SIPRCTL_EXIT_FAILURE;
        }
        for (size_t i = 0; i < n; i++)
                account_info_done(&l[i]);
        free(l);
        return ret;
}

static void print_timestamp(void) {
        uint64_t now = now_usec(CLOCK_REALTIME);
        time_t t = (time_t) (now / USEC_PER_SEC);
        struct tm tm;
        char buf[32];

        localtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
        printf("%s.%03u", buf, (unsigned) (now % USEC_PER_SEC / 1000));
}

typedef struct Monitor {
        SiprctlContext *c;
        AccountInfo *l;
        size_t n;
} Monitor;

static AccountInfo *monitor_find(Monitor *mon, const char *path) {
        for (size_t i = 0; i < mon->n; i++)
                if (streq(mon->l[i].path, path))
                        return &mon->l[i];
        AccountInfo *nl = realloc(mon->l, (mon->n + 1) * sizeof(AccountInfo));
        if (!nl)
                return NULL;
        mon->l = nl;
        mon->l[mon->n] = (AccountInfo){.path = strdup(path)};
        const char *e = strrchr(path, '/');
        mon->l[mon->n].index = e ? (uint32_t) strtoul(e + 1, NULL, 10) : 0;
        return &mon->l[mon->n++];
}

/* The state word's colour on a terminal; nothing otherwise, so piped output stays plain. */
static const char *state_color(const SiprctlContext *c, const char *state) {
        if (!c->color || !state)
                return "";
        if (streq(state, "registered"))
                return ANSI_GREEN;
        if (streq(state, "failed"))
                return ANSI_RED;
        if (streq(state, "registering"))
                return ANSI_YELLOW;
        return "";
}

static void monitor_line(Monitor *mon, const AccountInfo *a, const char *what) {
        if (mon->c->json) {
                printf("{\"time_usec\":%" PRIu64 ",\"event\":", now_usec(CLOCK_REALTIME));
                siprctl_json_string(what);
                printf(",\"account\":");
                print_account_json(a);
                printf("}\n");
        } else {
                const char *color = state_color(mon->c, a->state);

                print_timestamp();
                printf("  account %-3u %s%-12s%s %-36s %3u %s", a->index, color, strempty(a->state),
                       isempty(color) ? "" : ANSI_NORMAL, isempty(a->working) ? "-" : a->working,
                       a->last_status, strempty(a->last_reason));
                if (a->failovers)
                        printf("  [failovers %u]", a->failovers);
                if (!streq(what, "changed"))
                        printf("  (%s)", what);
                printf("\n");
        }
        fflush(stdout);
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        const char *iface;
        bool shown = false;
        AccountInfo *a;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !streq(iface, ACCOUNT_IFACE))
                return 0;
        a = monitor_find(mon, sd_bus_message_get_path(m));
        if (!a || read_properties(m, a, &shown) < 0)
                return 0;
        if (!mon->c->json && !shown)
                return 0;
        monitor_line(mon, a, "changed");
        return 0;
}

static int on_interfaces(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        const char *path;
        AccountInfo *a;

        if (sd_bus_message_read(m, "o", &path) < 0)
                return 0;
        a = monitor_find(mon, path);
        if (!a)
                return 0;
        if (sd_bus_message_is_signal(m, NULL, "InterfacesRemoved")) {
                free(a->state);
                a->state = strdup("removed");
                monitor_line(mon, a, "removed");
                return 0;
        }
        if (sd_bus_message_enter_container(m, 'a', "{sa{sv}}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
                const char *iface;
                if (sd_bus_message_read(m, "s", &iface) < 0)
                        return 0;
                if (streq(iface, ACCOUNT_IFACE)) {
                        if (read_properties(m, a, NULL) < 0)
                                return 0;
                } else if (sd_bus_message_skip(m, "a{sv}") < 0)
                        return 0;
                sd_bus_message_exit_container(m);
        }
        monitor_line(mon, a, "added");
        return 0;
}

/* A request of a local UA moved to another next hop (org.sipr.Registration1.Account.RequestFailover). */
static int on_request_failover(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Monitor *mon = userdata;
        const char *method, *from, *reason, *to;
        AccountInfo *a;

        if (sd_bus_message_read(m, "ssss", &method, &from, &reason, &to) < 0)
                return 0;
        a = monitor_find(mon, sd_bus_message_get_path(m));
        if (!a)
                return 0;
        if (mon->c->json) {
                printf("{\"time_usec\":%" PRIu64
                       ",\"event\":\"request-failover\",\"account_index\":%u,\"method\":",
                       now_usec(CLOCK_REALTIME), a->index);
                siprctl_json_string(method);
                printf(",\"from\":");
                siprctl_json_string(from);
                printf(",\"reason\":");
                siprctl_json_string(reason);
                printf(",\"to\":");
                siprctl_json_string(to);
                printf("}\n");
        } else {
                print_timestamp();
                printf("  account %-3u %s moved: %s (%s) -> %s\n", a->index, method, from, reason, to);
        }
        fflush(stdout);
        return 0;
}

static volatile sig_atomic_t monitor_quit;

static void on_signal(int sig) {
        monitor_quit = 1;
}

static int run_monitor(SiprctlContext *c, int argc, char **argv) {
        Monitor mon = {.c = c};
        int r;

        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, on_signal);

        r = sd_bus_match_signal(c->bus, NULL, REG_BUS_NAME, NULL, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_properties_changed, &mon);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, NULL, REG_BUS_NAME, REG_PATH,
                                        "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                        on_interfaces, &mon);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, NULL, REG_BUS_NAME, REG_PATH,
                                        "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
                                        on_interfaces, &mon);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, NULL, REG_BUS_NAME, NULL, ACCOUNT_IFACE, "RequestFailover",
                                        on_request_failover, &mon);
        if (r < 0) {
                fprintf(stderr, "siprctl: cannot subscribe to %s signals: %s\n", REG_SERVICE, strerror(-r));
                return SIPRCTL_EXIT_FAILURE;
        }

        /* Where every account stands now, then one line per transition. */
        r = get_accounts(c, &mon.l, &mon.n);
        if (r != SIPRCTL_EXIT_OK)
                return r;
        for (size_t i = 0; i < mon.n; i++)
                monitor_line(&mon, &mon.l[i], "now");

        while (!monitor_quit) {
                r = sd_bus_process(c->bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "siprctl: bus connection lost: %s\n", strerror(-r));
                        break;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(c->bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        break;
        }
        for (size_t i = 0; i < mon.n; i++)
                account_info_done(&mon.l[i]);
        free(mon.l);
        return SIPRCTL_EXIT_OK;
}

/* Calls one method of account X; an exit code. */
static int account_call(SiprctlContext *c, const char *command, const char *arg, const char *method,
                        const char *done) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char path[64];
        uint32_t idx;
        int r;

        if (siprctl_parse_account(command, arg, &idx) != 0)
                return SIPRCTL_EXIT_USAGE;
        snprintf(path, sizeof(path), REG_PATH "/account/%u", idx);
        r = sd_bus_call_method(c->bus, REG_BUS_NAME, path, ACCOUNT_IFACE, method, &error, NULL, NULL);
        if (r < 0) {
                if (sd_bus_error_has_names(&error, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                           SD_BUS_ERROR_UNKNOWN_INTERFACE, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                        fprintf(stderr, "siprctl: no account %u (account.%u.* not configured)\n", idx, idx);
                        return SIPRCTL_EXIT_FAILURE;
                }
                return siprctl_call_failed(REG_SERVICE, REG_BUS_NAME, &error, r);
        }
        if (!c->json)
                printf("account %u: %s.\n", idx, done);
        return SIPRCTL_EXIT_OK;
}

static int run_failover(SiprctlContext *c, int argc, char **argv) {
        return account_call(c, "failover", argv[0], "Failover", "leaving its working server");
}

static int run_register(SiprctlContext *c, int argc, char **argv) {
        return account_call(c, "register", argv[0], "Register", "registering");
}

static int run_unregister(SiprctlContext *c, int argc, char **argv) {
        return account_call(c, "unregister", argv[0], "Unregister", "removing its bindings");
}

static int run_reregister(SiprctlContext *c, int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(c->bus, REG_BUS_NAME, REG_PATH, "org.sipr.Registration1", "Reregister",
                               &error, NULL, NULL);
        if (r < 0)
                return siprctl_call_failed(REG_SERVICE, REG_BUS_NAME, &error, r);
        if (!c->json)
                printf("every account: registering again.\n");
        return SIPRCTL_EXIT_OK;
}

static int check_account(const char *command, int argc, char **argv) {
        uint32_t idx;
        return argc == 0 ? 0 : siprctl_parse_account(command, argv[0], &idx);
}

const SiprctlCommand siprctl_reg_commands[] = {
        {"status", "[X]", "registration state of every account, or of account X", 0, 1, run_status,
         .check = check_account},
        {"monitor", "", "follow registration transitions live, one line each", 0, 0, run_monitor},
        {"failover", "X", "make account X leave its working server now", 1, 1, run_failover,
         .check = check_account},
        {"register", "X", "register account X (again) now", 1, 1, run_register, .check = check_account},
        {"unregister", "X", "remove account X's bindings and stay unregistered", 1, 1, run_unregister,
         .check = check_account},
        {"reregister", "", "register every account again now", 0, 0, run_reregister},
        {},
};
