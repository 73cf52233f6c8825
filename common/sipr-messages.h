/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* MESSAGE_ID= of the journal entries an operator looks for, as systemd's sd-messages.h: fixed
 * forever, so "journalctl MESSAGE_ID=…" finds every such event across versions. Each entry also
 * carries SIPR_ACCOUNT= (account X) and/or SIPR_SERVER= (a SIP URI or address), and SIPR_REASON=
 * where there is one. Listed, with what to do, in docs/dbus-api.md and sipr.catalog. */

/* An account's working server moved to a lower-priority address or server (warning). */
#define SIPR_MESSAGE_FAILOVER "f485754ba75842239ded9a7bd7567c74"
/* An account's working server moved back to a higher-priority one (notice). */
#define SIPR_MESSAGE_FAILBACK "f332e1682f7541cdab6531fa6db05cd6"
/* sipr-healthd saw a server target go down (warning) or come up (notice). */
#define SIPR_MESSAGE_SERVER_DOWN "9d81269b604d4c50ad9d88384d2a7ac7"
#define SIPR_MESSAGE_SERVER_UP   "58e77e5a53714483a201a5ed2651cacb"
/* An account could register nowhere (warning), and registered again afterwards (notice). */
#define SIPR_MESSAGE_ACCOUNT_FAILED     "21f5fa855baa4e7eb917e56782ded9bb"
#define SIPR_MESSAGE_ACCOUNT_REGISTERED "ed454c0b55bb41ff82832aa630589af3"
