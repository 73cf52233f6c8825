/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sipr-watch: the smallest thing a UI app needs to follow sipr's registrations.
 *
 * It prints one line per registration transition of every org.sipr.Registration1 account:
 *
 *   account 1: registering
 *   account 1: registering -> registered via sip:192.0.2.10:5060;transport=udp
 *
 * The pattern, in order: subscribe to PropertiesChanged and InterfacesAdded/Removed FIRST,
 * then read every account once with GetManagedObjects (so no transition falls in between),
 * then only react to signals. Never poll. When sipr-regd restarts (NameOwnerChanged), read
 * everything again. Build: cc sipr-watch.c $(pkg-config --cflags --libs libsystemd)
 * Usage: sipr-watch [--session] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define SERVICE "org.sipr.Registration1"
#define ROOT "/org/sipr/Registration1"
#define ACCOUNT_IFACE "org.sipr.Registration1.Account"
#define MAX_ACCOUNTS 256

typedef struct {
        char path[96];
        char state[32];   /* "" = not seen yet */
        char working[256];
} Account;

static Account accounts[MAX_ACCOUNTS];

static Account *account_get(const char *path) {
        Account *free_slot = NULL;

        for (size_t i = 0; i < MAX_ACCOUNTS; i++) {
                if (strcmp(accounts[i].path, path) == 0)
                        return &accounts[i];
                if (!free_slot && accounts[i].path[0] == 0)
                        free_slot = &accounts[i];
        }
        if (free_slot)
                snprintf(free_slot->path, sizeof(free_slot->path), "%s", path);
        return free_slot;
}

static const char *account_name(const Account *a) {
        const char *slash = strrchr(a->path, '/');
        return slash ? slash + 1 : a->path;
}

/* Reads an a{sv} of Account properties; prints a line when State or WorkingServer changed. */
static int account_update(Account *a, sd_bus_message *m) {
        char state[sizeof(a->state)], working[sizeof(a->working)];
        const char *name, *s;
        int r;

        snprintf(state, sizeof(state), "%s", a->state);
        snprintf(working, sizeof(working), "%s", a->working);
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                if ((r = sd_bus_message_read(m, "s", &name)) < 0)
                        return r;
                if (strcmp(name, "State") == 0 && (r = sd_bus_message_read(m, "v", "s", &s)) >= 0)
                        snprintf(state, sizeof(state), "%s", s);
                else if (strcmp(name, "WorkingServer") == 0 && (r = sd_bus_message_read(m, "v", "s", &s)) >= 0)
                        snprintf(working, sizeof(working), "%s", s);
                else
                        r = sd_bus_message_skip(m, "v"); /* other properties: a UI may want them too */
                if (r < 0)
                        return r;
                if ((r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                return r;

        if (strcmp(state, a->state) == 0 && strcmp(working, a->working) == 0)
                return 0;
        printf("account %s: ", account_name(a));
        if (a->state[0] && strcmp(state, a->state) != 0)
                printf("%s -> ", a->state);
        printf("%s%s%s\n", state, working[0] ? " via " : "", working);
        fflush(stdout); /* one line per transition, also into a pipe */
        memcpy(a->state, state, sizeof(state));
        memcpy(a->working, working, sizeof(working));
        return 1;
}

/* Reads one "o a{sa{sv}}" (InterfacesAdded, or an entry of GetManagedObjects). */
static int read_object(sd_bus_message *m) {
        const char *path, *iface;
        int r;

        if ((r = sd_bus_message_read(m, "o", &path)) < 0)
                return r;
        if ((r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}")) < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                Account *a;

                if ((r = sd_bus_message_read(m, "s", &iface)) < 0)
                        return r;
                if (strcmp(iface, ACCOUNT_IFACE) == 0 && (a = account_get(path)))
                        r = account_update(a, m);
                else
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_all(sd_bus *bus) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, SERVICE, ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                               &error, &reply, NULL);
        if (r < 0) {
                fprintf(stderr, "sipr-watch: %s: %s (waiting for it)\n", SERVICE, error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return 0; /* not running yet: NameOwnerChanged will tell */
        }
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0)
                if ((r = read_object(reply)) >= 0)
                        r = sd_bus_message_exit_container(reply);
        sd_bus_message_unref(reply);
        return r;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *iface;
        Account *a;

        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, ACCOUNT_IFACE) != 0)
                return 0;
        a = account_get(sd_bus_message_get_path(m));
        if (a)
                (void) account_update(a, m);
        return 0; /* a malformed signal is ignored, the watch goes on */
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        (void) read_object(m); /* also for a known path: regd rebuilds a reconfigured account */
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *path;
        Account *a;

        if (sd_bus_message_read(m, "o", &path) < 0 || !(a = account_get(path)))
                return 0;
        printf("account %s: %s -> removed\n", account_name(a), a->state[0] ? a->state : "?");
        fflush(stdout);
        memset(a, 0, sizeof(*a));
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !new_owner[0])
                return 0;
        (void) read_all(sd_bus_message_get_bus(m)); /* sipr-regd (re)started */
        return 0;
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        int r;

        r = argc > 1 && strcmp(argv[1], "--session") == 0 ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "sipr-watch: cannot connect to the bus: %s\n", strerror(-r));
                return 1;
        }
        if ((r = sd_bus_match_signal(bus, NULL, SERVICE, NULL, "org.freedesktop.DBus.Properties",
                                     "PropertiesChanged", on_properties_changed, NULL)) >= 0 &&
            (r = sd_bus_match_signal(bus, NULL, SERVICE, ROOT, "org.freedesktop.DBus.ObjectManager",
                                     "InterfacesAdded", on_interfaces_added, NULL)) >= 0 &&
            (r = sd_bus_match_signal(bus, NULL, SERVICE, ROOT, "org.freedesktop.DBus.ObjectManager",
                                     "InterfacesRemoved", on_interfaces_removed, NULL)) >= 0 &&
            (r = sd_bus_add_match(bus, NULL, "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',"
                                  "arg0='" SERVICE "'", on_owner_changed, NULL)) >= 0)
                r = read_all(bus);
        while (r >= 0) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        fprintf(stderr, "sipr-watch: %s\n", strerror(-r));
        sd_bus_flush_close_unref(bus);
        return 1;
}
