/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The registration flows of an account: one per (server, next hop), each with its REGISTER
 * transactions, removals and NAT keep-alives, and RFC 3261 10.2's one REGISTER at a time per
 * Call-ID (a REGISTER waits for the removal before it on the same Call-ID to be answered, be it
 * the account's own or an orphan's). A flow whose account goes away while its removal is under
 * way becomes an orphan the Manager owns until that removal is answered. */

#include <stdbool.h>
#include <stdint.h>

#include "redundancy.h"

typedef struct Account Account;
typedef struct Manager Manager;
typedef struct Registration Registration;

/* The engine's REGISTER, AUTHENTICATE, CANCEL and UNREGISTER actions on one flow. */
void registration_do(Account *a, const RedAction *act);

/* Flows whose address the account no longer has, idle and unbound, go (names that move). */
struct AccountServerRow;
void registrations_prune(Account *a, const struct AccountServerRow *rows, size_t n_rows);
/* One keep-alive on every UDP flow that holds a binding (nat.udp_update_*). */
void registrations_keepalive(Account *a);
/* REGISTERs held until a removal on their Call-ID is answered. */
unsigned registrations_held(const Account *a);
/* The account goes: flows removing a binding become orphans of the Manager, the rest are freed. */
void registrations_release(Account *a);

/* An orphan's removal is over (or the daemon stops): frees it. */
Registration *registration_free(Registration *g);
