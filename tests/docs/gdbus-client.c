/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A GLib client built on the proxies gdbus-codegen generates from dbus/org.sipr.Registration1*.xml,
 * as a GLib UI app would: list the accounts, read one account's State, then wait for one
 * PropertiesChanged that carries State.
 *
 * Output (one line each): "accounts N", "state S", "ready", then "changed State=S".
 * Usage: gdbus-client [ACCOUNT-PATH] (default /org/sipr/Registration1/account/1). Exit 0 when the
 * change came, 1 on an error or after 60 s without one. */
#include <stdio.h>

#include "sipr-registration-gen.h"

typedef struct {
        GMainLoop *loop;
        int exit_status;
} Context;

static void on_properties_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer userdata) {
        Context *ctx = userdata;
        const char *state;

        /* The typed getter reads the proxy's cache, which GDBus updated before this signal. */
        if (!g_variant_lookup(changed, "State", "&s", &state))
                return;
        printf("changed State=%s (getter: %s)\n", state,
               sipr_registration1_account_get_state(SIPR_REGISTRATION1_ACCOUNT(proxy)));
        fflush(stdout);
        ctx->exit_status = 0;
        g_main_loop_quit(ctx->loop);
}

static gboolean on_timeout(gpointer userdata) {
        Context *ctx = userdata;

        fprintf(stderr, "gdbus-client: no PropertiesChanged with State within 60 s\n");
        g_main_loop_quit(ctx->loop);
        return G_SOURCE_REMOVE;
}

int main(int argc, char **argv) {
        const char *path = argc > 1 ? argv[1] : "/org/sipr/Registration1/account/1";
        g_autoptr(SiprRegistration1) root = NULL;
        g_autoptr(SiprRegistration1Account) account = NULL;
        g_autoptr(GError) error = NULL;
        Context ctx = { .exit_status = 1 };
        const char *const *accounts;

        root = sipr_registration1_proxy_new_for_bus_sync(G_BUS_TYPE_SYSTEM, G_DBUS_PROXY_FLAGS_NONE,
                                                         "org.sipr.Registration1", "/org/sipr/Registration1",
                                                         NULL, &error);
        if (!root) {
                fprintf(stderr, "gdbus-client: %s\n", error->message);
                return 1;
        }
        accounts = sipr_registration1_get_accounts(root);
        printf("accounts %u\n", accounts ? g_strv_length((char **) accounts) : 0);

        account = sipr_registration1_account_proxy_new_for_bus_sync(G_BUS_TYPE_SYSTEM, G_DBUS_PROXY_FLAGS_NONE,
                                                                    "org.sipr.Registration1", path, NULL, &error);
        if (!account) {
                fprintf(stderr, "gdbus-client: %s: %s\n", path, error->message);
                return 1;
        }
        if (!sipr_registration1_account_get_state(account)) {
                fprintf(stderr, "gdbus-client: %s has no State (no such account, or sipr-regd not running)\n", path);
                return 1;
        }
        printf("state %s\n", sipr_registration1_account_get_state(account));

        ctx.loop = g_main_loop_new(NULL, FALSE);
        g_signal_connect(account, "g-properties-changed", G_CALLBACK(on_properties_changed), &ctx);
        g_timeout_add_seconds(60, on_timeout, &ctx);
        printf("ready\n");
        fflush(stdout);
        g_main_loop_run(ctx.loop);
        g_main_loop_unref(ctx.loop);
        return ctx.exit_status;
}
