/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Configuration text made safe for SIP headers (RFC 3261 25.1). The schema accepts any UTF-8
 * without control characters for account.X.user_name and .display_name (up to 1024 bytes); what
 * goes on the wire is this, never the raw value. Pure, unit-tested. */

/* A display name as a quoted-string: "…" with every " and \ escaped as a quoted-pair. Returns a
 * malloc()ed string, NULL on ENOMEM. */
char *sip_display_quote(const char *s);

/* The user part of a SIP URI: unreserved and user-unreserved characters as they are, every other
 * byte (UTF-8 included) as %HH. Returns a malloc()ed string, NULL on ENOMEM. */
char *sip_user_escape(const char *s);
